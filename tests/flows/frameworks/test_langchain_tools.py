"""A LangChain agent over the loader's tools replays an exported trajectory without a schema
error."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, ToolException

from flows.frameworks.langchain_tools import langchain_tools, replay_implementations
from miners.replay_tools import SnapshotSession
from tests.builders import JsonObject, git


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers with the assistant turns of an exported trajectory, in order."""

    script: list[AIMessage]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[object], **kwargs: object) -> ScriptedChatModel:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: object,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])


def _script(row: JsonObject) -> Iterator[AIMessage]:
    for message in row["messages"]:
        if message["role"] == "assistant":
            calls = [
                {
                    "name": c["function"]["name"],
                    "args": json.loads(c["function"]["arguments"]),
                    "id": c["id"],
                }
                for c in message.get("tool_calls", [])
            ]
            yield AIMessage(content=message["content"], tool_calls=calls)


def run_agent(
    model: BaseChatModel, tools: list[BaseTool], prompt: list[BaseMessage]
) -> list[BaseMessage]:
    """The tool-calling loop of a LangChain agent: ask the model, run every call it makes,
    repeat."""
    by_name = {tool.name: tool for tool in tools}
    bound = model.bind_tools(tools)
    messages = list(prompt)
    while True:
        reply = bound.invoke(messages)
        messages.append(reply)
        if not isinstance(reply, AIMessage) or not reply.tool_calls:
            return messages
        for call in reply.tool_calls:
            messages.append(by_name[call["name"]].invoke({**call, "type": "tool_call"}))


def test_the_agent_replays_every_exported_call_and_gets_the_exported_observations(
    exported: tuple[JsonObject, Path], stock_repo: Path
) -> None:
    row, catalog_file = exported
    parent = git(stock_repo, "rev-parse", "HEAD~2").strip()
    with SnapshotSession(stock_repo / ".git", parent) as session:
        tools = langchain_tools(catalog_file, replay_implementations(session))
        assert {t.name: t.args for t in tools}["read_file"] == json.loads(catalog_file.read_text())[
            "tools"
        ][1]["parameters"]["properties"]
        system, user = row["messages"][0]["content"], row["messages"][1]["content"]
        model = ScriptedChatModel(script=list(_script(row)))
        transcript = run_agent(model, tools, [SystemMessage(system), HumanMessage(user)])
    observed = [m.content for m in transcript if isinstance(m, ToolMessage)]
    expected = [m["content"] for m in row["messages"] if m["role"] == "tool"]
    assert observed == expected and len(observed) >= 3
    assert all(m.status != "error" for m in transcript if isinstance(m, ToolMessage))


def test_a_call_that_breaks_the_catalog_schema_is_refused(
    exported: tuple[JsonObject, Path], stock_repo: Path
) -> None:
    _, catalog_file = exported
    with SnapshotSession(
        stock_repo / ".git", git(stock_repo, "rev-parse", "HEAD").strip()
    ) as session:
        read_file = {
            t.name: t for t in langchain_tools(catalog_file, replay_implementations(session))
        }["read_file"]
        assert read_file.invoke(
            {"path": "src/stock.py", "start_line": 1, "end_line": 1}
        ).startswith("   1 |")
        with pytest.raises(
            ToolException, match="do not match the catalog's schema: 'path' is a required property"
        ):
            read_file.invoke({"file": "src/stock.py"})


def test_implementations_must_name_catalog_tools(exported: tuple[JsonObject, Path]) -> None:
    _, catalog_file = exported
    with pytest.raises(ToolException, match="open_file"):
        langchain_tools(catalog_file, {"open_file": lambda **_: ""})
