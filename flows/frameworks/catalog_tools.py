"""What every agent-framework loader shares: the catalog's tools matched to implementations, and
each call's arguments checked against the catalog's JSON Schema before the implementation runs.

The LangChain and LlamaIndex loaders differ only in the tool objects they wrap around these, so a
model served through either framework meets the same contract it was trained on, refused by the
same code with the same words. This module imports no framework: each extra installs alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from miners.replay_tools import REPLAYABLE, SnapshotSession
from miners.tool_results import render
from warehouse.records import ToolSpec
from warehouse.tool_catalog import ToolCatalog, load_tool_catalog

Implementation = Callable[..., Any]
Refusal = Callable[[str], Exception]


def implemented_specs(
    catalog: ToolCatalog | Path, implementations: Mapping[str, Implementation], refusal: Refusal
) -> list[tuple[ToolSpec, Implementation]]:
    """Each implementation with its catalog entry, in the order given; an implementation for a
    tool the catalog does not define is refused, since the model was never trained to call it."""
    if isinstance(catalog, Path):
        catalog = load_tool_catalog(catalog)
    unknown = sorted(set(implementations) - set(catalog.tools))
    if unknown:
        raise refusal(
            f"implementations for tools the catalog does not define: {', '.join(unknown)}"
        )
    return [
        (catalog.tools[name], implementation) for name, implementation in implementations.items()
    ]


def checked(spec: ToolSpec, implementation: Implementation, refusal: Refusal) -> Implementation:
    """The implementation behind a gate: arguments that break the catalog's schema are refused
    (the first problem, named) before it runs, so a model that drifts fails loudly instead of
    half-working."""
    validator = jsonschema.Draft202012Validator(spec.parameters)

    def run(**arguments: Any) -> Any:
        problems = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
        if problems:
            raise refusal(
                f"{spec.name}: arguments do not match the catalog's schema: {problems[0].message}"
            )
        return implementation(**arguments)

    return run


def replay_implementations(session: SnapshotSession) -> dict[str, Implementation]:
    """The code-agent tools answered from a repository snapshot, as text (what goldmine's
    trajectories show)."""

    def bind(name: str) -> Implementation:
        return lambda **arguments: render(session.call(name, arguments))

    return {name: bind(name) for name in REPLAYABLE}
