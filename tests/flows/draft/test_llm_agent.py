"""``--drafter llm --kinds agent``: the model picks actions, goldmine runs them; observations are
real."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from miners.replay_tools import SnapshotSession
from miners.tool_results import render
from tests.builders import Cli, JsonObject, git, json_object
from tests.llm_server import (
    ChatBody,
    FakeLLMServer,
    Reply,
    Script,
    llm_config,
    scripted_servers,
)
from warehouse.store import Warehouse

MODEL = "agent-model"


def _step(
    thought: str,
    tool: str | None = None,
    arguments: dict[str, object] | None = None,
    answer: str | None = None,
) -> str:
    return json.dumps(
        {
            "thought": thought,
            "tool_name": tool,
            "arguments": json.dumps(arguments) if arguments else None,
            "final_answer": answer,
        }
    )


def agent_script(body: ChatBody, number: int) -> Reply:
    """A model that searches, reads the first hit it was shown, tries a bad patch, then answers.

    It decides only from what the messages show it, as a model would: the tool results it reads
    are the ones goldmine put into the conversation.
    """
    if body["response_format"]["json_schema"]["name"] == "tool_result":
        return Reply(json.dumps({"result": "#1 reserve() accepts negative quantities (closed)"}))
    messages = body["messages"]
    results = [m["content"] for m in messages[2:] if m["role"] == "user"]
    if not results:
        return Reply(
            _step("Find where reserve is defined.", "search_code", {"query": "def reserve"})
        )
    if len(results) == 1:
        path = re.search(r"\n(\S+?):(\d+): ", results[0])
        assert path is not None, results[0]
        return Reply(
            _step(
                f"The search found {path.group(1)}; read it.", "read_file", {"path": path.group(1)}
            )
        )
    if len(results) == 2:
        return Reply(
            _step(
                "Try a patch.",
                "apply_patch",
                {
                    "patch": "diff --git a/src/stock.py b/src/stock.py\n--- a/src/stock.py\n+++ "
                    "b/src/stock.py\n@@ -90,1 +90,1 @@\n-nothing\n+something\n"
                },
            )
        )
    if len(results) == 3 and "search_tickets" in messages[0]["content"]:
        return Reply(
            _step("Look for related tickets.", "search_tickets", {"query": "reserve negative"})
        )
    return Reply(
        _step(
            "The patch did not apply; the read shows no quantity check.",
            answer="reserve needs a qty check.",
        )
    )


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Script], FakeLLMServer]]:
    """Start a scripted server and point goldmine at it through the environment."""
    with scripted_servers(monkeypatch, MODEL) as start:
        yield start


def _agent_record(workspace: Path) -> JsonObject:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query("SELECT record, drafter FROM candidates WHERE kind = 'agent'").rows
    assert len(rows) == 1
    assert rows[0][1] == f"llm:{MODEL}"
    return json_object(rows[0][0])


def _run(cli: Cli, workspace: Path, repo: Path, tickets: Path) -> None:
    result = cli(
        "run",
        "--inline",
        "--repo",
        repo,
        "--tickets",
        tickets,
        "--drafter",
        "llm",
        "--kinds",
        "agent",
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output


def test_every_observation_is_the_real_tool_result_at_the_parent(
    cli: Cli,
    serve: Callable[[Script], FakeLLMServer],
    stock_repo: Path,
    stock_tickets: Path,
    tmp_path: Path,
) -> None:
    server = serve(agent_script)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    shipped = json.loads((Path(__file__).parents[3] / "seeds" / "tools.json").read_text())
    code_tools = {
        "tools": [t for t in shipped["tools"] if t["name"] in shipped["replayable"]],
        "replayable": shipped["replayable"],
    }
    (workspace / "code-tools.json").write_text(json.dumps(code_tools))
    (workspace / "goldmine.toml").write_text(
        llm_config() + '[agent]\ntools = "code-tools.json"\n', encoding="utf-8"
    )
    _run(cli, workspace, stock_repo, stock_tickets)
    record = _agent_record(workspace)
    assert record["provenance"]["observations"] == "replayed"
    assert {t["name"] for t in record["tools"]} == set(shipped["replayable"]) - {"run_tests"}
    turns = record["conversation"]
    actions = [
        (t["content"]["action"], n)
        for n, t in enumerate(turns)
        if t["role"] == "assistant" and "action" in t["content"]
    ]
    parent = git(stock_repo, "rev-parse", "HEAD~2").strip()
    with SnapshotSession(stock_repo / ".git", parent) as session:
        expected = [render(session.call(a["tool_name"], a["parameters"])) for a, _ in actions]
    assert [turns[n + 1]["content"]["result"] for _, n in actions] == expected
    assert expected[0].startswith("src/stock.py:7: def reserve(")
    # the model's bad patch really failed, and the record shows it
    assert expected[2].startswith("Error: ")
    assert turns[-1]["content"]["final_answer"] == "reserve needs a qty check."
    sent_results = [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "user"][
        1:
    ]
    assert all(result in told for result, told in zip(expected, sent_results, strict=True))
    requests = len(server.requests)
    _run(cli, workspace, stock_repo, stock_tickets)
    assert len(server.requests) == requests  # the next night replays every step from llm_calls


def test_a_tool_that_cannot_be_replayed_is_simulated_and_marked(
    cli: Cli,
    serve: Callable[[Script], FakeLLMServer],
    stock_repo: Path,
    stock_tickets: Path,
    tmp_path: Path,
) -> None:
    server = serve(agent_script)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text(llm_config(), encoding="utf-8")
    _run(cli, workspace, stock_repo, stock_tickets)
    record = _agent_record(workspace)
    # the shipped catalog offers search_tickets, which no repository can replay
    tools = [
        t["content"]["action"]["tool_name"]
        for t in record["conversation"]
        if "action" in t.get("content", {})
    ]
    assert "search_tickets" in tools and record["provenance"]["observations"] == "simulated"
    simulations = [
        r for r in server.requests if r["response_format"]["json_schema"]["name"] == "tool_result"
    ]
    assert len(simulations) == 1


def lookup_player(body: ChatBody, number: int) -> Reply:
    """A model asked to play a lookup the thread only describes."""
    assert body["response_format"]["json_schema"]["name"] == "lookup"
    result = {"columns": ["held"], "rows": [["12"]], "row_count": 1}
    return Reply(
        json.dumps(
            {
                "arguments": json.dumps({"sql": "SELECT count(*) AS held FROM reservations"}),
                "result": json.dumps(result),
            }
        )
    )


def test_a_lookup_the_thread_only_describes_is_played_by_the_model_and_marked(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], tmp_path: Path
) -> None:
    server = serve(lookup_player)
    export = tmp_path / "support.json"
    export.write_text(
        json.dumps(
            [
                {
                    "number": 7,
                    "title": "Products stay sold out",
                    "body": "Since this morning 12 products show sold out.",
                    "state": "closed",
                    "state_reason": "completed",
                    "labels": [{"name": "support"}],
                    "user": {"login": "shop"},
                    "html_url": "https://example.com/shop/stockroom/issues/7",
                    "created_at": "2024-05-01T08:00:00Z",
                    "closed_at": "2024-05-01T10:00:00Z",
                    "comments": [
                        {
                            "user": {"login": "ana"},
                            "created_at": "2024-05-01T09:00:00Z",
                            "body": "I queried the database and found 12 reservations held since "
                            "yesterday. "
                            "Run `stockroom-shop expire` once to release them, then check the "
                            "badges again.",
                        }
                    ],
                }
            ]
        )
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text(llm_config(), encoding="utf-8")
    result = cli(
        "run",
        "--inline",
        "--tickets",
        export,
        "--drafter",
        "llm",
        "--kinds",
        "both",
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output
    record = _agent_record(workspace)
    assert record["provenance"]["observations"] == "simulated" and record["provenance"][
        "tickets"
    ] == ["#7"]
    step, observed = (
        record["conversation"][1]["content"],
        record["conversation"][2]["content"]["result"],
    )
    assert step["action"] == {
        "tool_name": "query_database",
        "parameters": {"sql": "SELECT count(*) AS held FROM reservations"},
    }
    assert observed == {"columns": ["held"], "rows": [["12"]], "row_count": 1}
    assert record["conversation"][-1]["content"]["final_answer"].startswith(
        "I queried the database and found 12"
    )
    assert len(server.requests) == 1
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        instruction = warehouse.query(
            "SELECT drafter, status FROM candidates WHERE kind = 'instruction'"
        ).rows
    # a resolution record quotes the thread: no model needed
    assert instruction == [("extractive", "accepted")]
