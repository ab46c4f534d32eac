"""LangChain tools built from the tool catalog, so an agent served later uses the trained contract.

The seed's warning: "the tool names and parameters in the framework must be exactly those in the
training data". :func:`langchain_tools` takes the names, descriptions and JSON Schemas straight
from the catalog (``seeds/tools.json`` or the ``export/tools.json`` written beside the datasets)
and validates every call's arguments against that schema before running the implementation, so
a model that drifts from the contract fails loudly instead of half-working. The matching and the
validation are :mod:`flows.frameworks.catalog_tools`, shared with the LlamaIndex loader.

Install the extra to use it in your own agent: ``uv sync --extra langchain`` (or
``pip install ".[langchain]"`` from the checkout).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from flows.frameworks.catalog_tools import (
    Implementation,
    checked,
    implemented_specs,
    replay_implementations,
)
from warehouse.tool_catalog import ToolCatalog

__all__ = ["langchain_tools", "replay_implementations"]


def langchain_tools(
    catalog: ToolCatalog | Path, implementations: Mapping[str, Implementation]
) -> list[BaseTool]:
    """One LangChain tool per implemented catalog tool, named and shaped exactly as in the
    catalog; a refused call raises ``ToolException``, which LangChain agents know how to report."""
    return [
        StructuredTool.from_function(
            func=checked(spec, implementation, ToolException),
            name=spec.name,
            description=spec.description,
            args_schema=spec.parameters,
        )
        for spec, implementation in implemented_specs(catalog, implementations, ToolException)
    ]
