"""The tool catalog (``seeds/tools.json``): the one source of tool names and parameter schemas.

Drafters offer these tools, the assay validates actions against them, and the exports write them
for agent frameworks, so training and serving use exactly the same contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from warehouse.errors import WarehouseError
from warehouse.records import ToolSpec


class ToolCatalogError(WarehouseError):
    """Raised when a tool catalog file is missing or not of the catalog's shape."""


@dataclass(frozen=True, slots=True)
class ToolCatalog:
    """The tools by name, and which of them goldmine can replay from a repository."""

    tools: dict[str, ToolSpec]
    replayable: frozenset[str]

    def specs(self, names: list[str]) -> list[ToolSpec]:
        """The named tools, in the given order (names not in the catalog are an error)."""
        missing = [name for name in names if name not in self.tools]
        if missing:
            raise ToolCatalogError(f"the tool catalog has no tool named {', '.join(missing)}")
        return [self.tools[name] for name in names]

    def schemas(self) -> dict[str, dict[str, Any]]:
        """Each tool as plain JSON (name, description, parameters) by name: what the assay's agent
        checks compare records against, and what worker processes receive."""
        return {name: spec.model_dump() for name, spec in self.tools.items()}

    def openai_tools(self) -> list[dict[str, object]]:
        """The catalog as the OpenAI ``tools`` parameter (and fine-tuning files) expect it."""
        return [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in self.tools.values()
        ]


def load_tool_catalog(path: Path) -> ToolCatalog:
    """Read and validate ``tools.json``: ``{"tools": [...], "replayable": [...]}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToolCatalogError(
            f"{path}: no tool catalog here; copy seeds/tools.json and edit it"
        ) from None
    except json.JSONDecodeError as error:
        raise ToolCatalogError(
            f"{path}: not valid JSON (line {error.lineno}: {error.msg})"
        ) from None
    try:
        tools = [ToolSpec.model_validate(tool) for tool in data["tools"]]
    except (KeyError, TypeError, ValidationError) as error:
        raise ToolCatalogError(
            f"{path}: every entry of `tools` needs name, description and parameters ({error})"
        ) from None
    by_name = {tool.name: tool for tool in tools}
    replayable = frozenset(data.get("replayable", [])) & set(by_name)
    return ToolCatalog(by_name, replayable)


def write_tool_catalogs(catalog: ToolCatalog, target: Path) -> list[Path]:
    """Write the catalog beside the datasets: ``tools.json`` (goldmine's form, what the LangChain
    and LlamaIndex loaders read) and ``tools.openai.json`` (the OpenAI ``tools`` list)."""
    target.mkdir(parents=True, exist_ok=True)
    native = {
        "tools": [t.model_dump() for t in catalog.tools.values()],
        "replayable": sorted(catalog.replayable),
    }
    written = []
    for name, data in (("tools.json", native), ("tools.openai.json", catalog.openai_tools())):
        path = target / name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
