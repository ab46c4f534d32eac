"""A LlamaIndex ``FunctionAgent`` over the loader's tools replays an exported trajectory and gets
the exported observations byte for byte; the loader offers exactly what LangChain's offers."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ToolCallBlock
from llama_index.core.llms.mock import MockFunctionCallingLLM, ResponseGenerator
from llama_index.core.tools import BaseTool, FunctionTool
from pydantic import Field, PydanticDeprecationWarning

from flows.frameworks.langchain_tools import langchain_tools
from flows.frameworks.llamaindex_tools import (
    CatalogMismatch,
    llamaindex_tools,
    replay_implementations,
)
from miners.replay_tools import SnapshotSession
from tests.builders import JsonObject, git
from warehouse.tool_catalog import load_tool_catalog


class ScriptedFunctionCallingLLM(MockFunctionCallingLLM):
    """A tool-calling LLM that answers with the assistant turns of an exported trajectory, in
    order, and keeps what the agent offered it (the tools, as an OpenAI-style integration sends
    them) and what it was told (the messages of every call)."""

    script: list[ChatMessage] = Field(default_factory=list)
    offered: list[list[dict[str, Any]]] = Field(default_factory=list)
    heard: list[list[ChatMessage]] = Field(default_factory=list)

    def _get_response_generator(self) -> ResponseGenerator:
        def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
            self.heard.append(list(messages))
            return self.script.pop(0)

        return reply

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        offered = [tool.metadata.to_openai_tool() for tool in tools]
        self.offered.append(offered)
        messages = list(chat_history or [])
        if user_msg is not None:
            messages.append(
                ChatMessage(role=MessageRole.USER, content=user_msg)
                if isinstance(user_msg, str)
                else user_msg
            )
        return {"messages": messages, "tools": offered}


def _script(row: JsonObject) -> Iterator[ChatMessage]:
    for message in row["messages"]:
        if message["role"] == "assistant":
            calls = [
                ToolCallBlock(
                    tool_call_id=c["id"],
                    tool_name=c["function"]["name"],
                    tool_kwargs=json.loads(c["function"]["arguments"]),
                )
                for c in message.get("tool_calls", [])
            ]
            yield ChatMessage(
                role=MessageRole.ASSISTANT, blocks=[TextBlock(text=message["content"]), *calls]
            )


def run_agent(
    llm: ScriptedFunctionCallingLLM, tools: list[FunctionTool], system: str, user: str
) -> list[ToolCallResult]:
    """LlamaIndex's own tool-calling agent loop, run to its final answer; the tool results it
    streamed, in order."""

    async def run() -> list[ToolCallResult]:
        agent = FunctionAgent(tools=[*tools], llm=llm, system_prompt=system, timeout=None)
        handler = agent.run(user_msg=user)
        streamed = [event async for event in handler.stream_events()]
        await handler
        return [event for event in streamed if isinstance(event, ToolCallResult)]

    with warnings.catch_warnings():
        # LlamaIndex's workflow engine lists the agent's steps with inspect.getmembers, which
        # reads pydantic's deprecated attributes on the agent: their warning, about nothing here.
        warnings.simplefilter("ignore", PydanticDeprecationWarning)
        return asyncio.run(run())


def test_the_agent_replays_every_exported_call_and_gets_the_exported_observations(
    exported: tuple[JsonObject, Path], stock_repo: Path
) -> None:
    row, catalog_file = exported
    parent = git(stock_repo, "rev-parse", "HEAD~2").strip()
    system, user = row["messages"][0]["content"], row["messages"][1]["content"]
    llm = ScriptedFunctionCallingLLM(script=list(_script(row)))
    with SnapshotSession(stock_repo / ".git", parent) as session:
        tools = llamaindex_tools(catalog_file, replay_implementations(session))
        results = run_agent(llm, tools, system, user)
    expected = [m["content"] for m in row["messages"] if m["role"] == "tool"]
    assert [r.tool_output.content for r in results] == expected and len(expected) >= 3
    assert not any(r.tool_output.is_error for r in results)
    told = [m.content for m in llm.heard[-1] if m.role == MessageRole.TOOL]
    assert told == expected, "the model is told exactly the observations it was trained on"
    assert [m.content for m in llm.heard[0][:2]] == [system, user]
    offered = json.loads((catalog_file.parent / "tools.openai.json").read_text())
    replayable = {t.metadata.name for t in tools}
    assert llm.offered[0] == [t for t in offered if t["function"]["name"] in replayable]
    assert not llm.script, "the agent ran the whole trajectory, final answer included"


def test_a_call_that_breaks_the_catalog_schema_never_reaches_the_implementation(
    exported: tuple[JsonObject, Path],
) -> None:
    _, catalog_file = exported
    ran: list[dict[str, Any]] = []

    def read_file(**arguments: Any) -> str:
        ran.append(arguments)
        return "   1 | import logging"

    (tool,) = llamaindex_tools(catalog_file, {"read_file": read_file})
    assert (
        tool.call(path="src/stock.py", start_line=1, end_line=1).content == "   1 | import logging"
    )
    with pytest.raises(
        CatalogMismatch, match="do not match the catalog's schema: 'path' is a required property"
    ):
        tool.call(file="src/stock.py")
    bad_call = ToolCallBlock(
        tool_call_id="call_1", tool_name="read_file", tool_kwargs={"file": "x"}
    )
    llm = ScriptedFunctionCallingLLM(
        script=[
            ChatMessage(role=MessageRole.ASSISTANT, blocks=[bad_call]),
            ChatMessage(role=MessageRole.ASSISTANT, content="Giving up."),
        ]
    )
    (result,) = run_agent(llm, [tool], "system", "read it")
    assert result.tool_output.is_error
    assert "read_file: arguments do not match the catalog's schema" in result.tool_output.content
    assert ran == [{"path": "src/stock.py", "start_line": 1, "end_line": 1}]


def test_implementations_must_name_catalog_tools(exported: tuple[JsonObject, Path]) -> None:
    _, catalog_file = exported
    with pytest.raises(CatalogMismatch, match="open_file"):
        llamaindex_tools(catalog_file, {"open_file": lambda **_: ""})


def test_langchain_and_llamaindex_offer_the_same_names_descriptions_and_schemas(
    exported: tuple[JsonObject, Path],
) -> None:
    _, catalog_file = exported
    catalog = load_tool_catalog(catalog_file)
    implementations = {name: (lambda **_: "") for name in catalog.tools}
    from_langchain = [convert_to_openai_tool(t) for t in langchain_tools(catalog, implementations)]
    from_llamaindex = [
        t.metadata.to_openai_tool() for t in llamaindex_tools(catalog, implementations)
    ]
    assert from_llamaindex == from_langchain == catalog.openai_tools()
    assert len(from_llamaindex) == len(catalog.tools) >= 10


def test_a_name_llamaindex_would_rewrite_is_refused(tmp_path: Path) -> None:
    catalog_file = tmp_path / "tools.json"
    tool = {"name": "repo.read", "description": "Read a file.", "parameters": {"type": "object"}}
    catalog_file.write_text(json.dumps({"tools": [tool]}))
    with pytest.raises(CatalogMismatch, match=r"repo\.read: LlamaIndex offers tool names of"):
        llamaindex_tools(catalog_file, {"repo.read": lambda **_: ""})
