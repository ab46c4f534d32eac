"""LangChain tools built from the tool catalog, so an agent served later uses the trained contract.

The seed's warning: "the tool names and parameters in the framework must be exactly those in the
training data". :func:`langchain_tools` takes the names, descriptions and JSON Schemas straight
from the catalog (``seeds/tools.json`` or the ``export/tools.json`` written beside the datasets)
and validates every call's arguments against that schema before running the implementation, so
a model that drifts from the contract fails loudly instead of half-working.

Install the extra to use it in your own agent: ``uv sync --extra langchain`` (or
``pip install ".[langchain]"`` from the checkout).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
from langchain_core.tools import BaseTool, StructuredTool, ToolException

from miners.replay_tools import REPLAYABLE, SnapshotSession
from miners.tool_results import render
from warehouse.records import ToolSpec
from warehouse.tool_catalog import ToolCatalog, load_tool_catalog

Implementation = Callable[..., Any]


def langchain_tools(
    catalog: ToolCatalog | Path, implementations: Mapping[str, Implementation]
) -> list[BaseTool]:
    """One LangChain tool per implemented catalog tool, named and shaped exactly as in the
    catalog."""
    if isinstance(catalog, Path):
        catalog = load_tool_catalog(catalog)
    unknown = sorted(set(implementations) - set(catalog.tools))
    if unknown:
        raise ToolException(
            f"implementations for tools the catalog does not define: {', '.join(unknown)}"
        )
    return [
        _tool(catalog.tools[name], implementation)
        for name, implementation in implementations.items()
    ]


def _tool(spec: ToolSpec, implementation: Implementation) -> BaseTool:
    validator = jsonschema.Draft202012Validator(spec.parameters)

    def run(**arguments: Any) -> Any:
        problems = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
        if problems:
            raise ToolException(
                f"{spec.name}: arguments do not match the catalog's schema: {problems[0].message}"
            )
        return implementation(**arguments)

    return StructuredTool.from_function(
        func=run, name=spec.name, description=spec.description, args_schema=spec.parameters
    )


def replay_implementations(session: SnapshotSession) -> dict[str, Implementation]:
    """The code-agent tools answered from a repository snapshot, as text (what goldmine's
    trajectories show)."""

    def bind(name: str) -> Implementation:
        return lambda **arguments: render(session.call(name, arguments))

    return {name: bind(name) for name in REPLAYABLE}
