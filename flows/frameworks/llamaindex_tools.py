"""LlamaIndex tools built from the tool catalog: the LangChain loader's contract, for the seed's
other agent framework.

:func:`llamaindex_tools` gives one ``FunctionTool`` per implemented catalog tool. Its name and
description are the catalog's, and its parameters are the catalog's JSON Schema verbatim: LlamaIndex
would otherwise derive them from a pydantic model built from the function's signature, with titles
added and keywords such as ``minimum`` lost. Every call's arguments are validated by the same code
as LangChain's (:func:`flows.frameworks.catalog_tools.checked`) before the implementation runs; a
refused call raises :class:`CatalogMismatch`, which a LlamaIndex agent hands back to the model as
an error observation.

Install the extra to use it in your own agent: ``uv sync --extra llamaindex`` (or
``pip install ".[llamaindex]"`` from the checkout).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.tools import FunctionTool, ToolMetadata

from flows.frameworks.catalog_tools import (
    Implementation,
    checked,
    implemented_specs,
    replay_implementations,
)
from warehouse.records import ToolSpec
from warehouse.tool_catalog import ToolCatalog

__all__ = ["CatalogMismatch", "CatalogToolMetadata", "llamaindex_tools", "replay_implementations"]

# What LlamaIndex's ``to_openai_tool`` keeps of a name, and the longest description it sends.
_OFFERABLE_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_MAX_DESCRIPTION = 1024


class CatalogMismatch(ValueError):
    """A tool call or an implementation that does not fit the tool catalog."""


@dataclass
class CatalogToolMetadata(ToolMetadata):
    """Tool metadata whose parameters are the catalog's JSON Schema, unchanged, wherever
    LlamaIndex asks for them (the OpenAI ``tools`` list, the ReAct prompt)."""

    parameters: dict[str, Any] = field(default_factory=dict)

    def get_parameters_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.parameters)

    @property
    def fn_schema_str(self) -> str:
        return json.dumps(self.parameters, ensure_ascii=False)


def llamaindex_tools(
    catalog: ToolCatalog | Path, implementations: Mapping[str, Implementation]
) -> list[FunctionTool]:
    """One LlamaIndex tool per implemented catalog tool, named and shaped exactly as in the
    catalog."""
    return [
        FunctionTool(
            fn=checked(spec, implementation, CatalogMismatch), metadata=_offerable_metadata(spec)
        )
        for spec, implementation in implemented_specs(catalog, implementations, CatalogMismatch)
    ]


def _offerable_metadata(spec: ToolSpec) -> CatalogToolMetadata:
    """The spec as LlamaIndex metadata, refused when LlamaIndex would offer the model something
    else (a rewritten name, or a description its OpenAI form rejects)."""
    if not _OFFERABLE_NAME.fullmatch(spec.name):
        raise CatalogMismatch(
            f"{spec.name}: LlamaIndex offers tool names of letters, digits, '_' and '-' only; "
            "rename the tool in the catalog and draft again"
        )
    if len(spec.description) > _MAX_DESCRIPTION:
        raise CatalogMismatch(
            f"{spec.name}: the description has {len(spec.description)} characters and LlamaIndex "
            f"sends at most {_MAX_DESCRIPTION}; shorten it in the catalog and draft again"
        )
    return CatalogToolMetadata(
        name=spec.name, description=spec.description, fn_schema=None, parameters=spec.parameters
    )
