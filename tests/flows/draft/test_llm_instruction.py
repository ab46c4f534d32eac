"""``--drafter llm`` end to end: the goldmine CLI, the real openai client, a scripted server on
loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Unpack

import pytest
from click.testing import Result

from tests.builders import STOCK_V2, BuildRepo, Cli, Commit, Row
from tests.llm_server import (
    ChatBody,
    FakeLLMServer,
    LlmSettings,
    Reply,
    Script,
    llm_config,
    scripted_servers,
    valid_records,
)
from warehouse.store import Warehouse

MODEL = "fake-model"


def fixes_history(count: int) -> list[Commit]:
    """A module of ``count`` functions, then one explained bug fix per function."""
    functions = [f"def f{n}(x: int) -> int:\n    return x + {n}\n" for n in range(count)]
    history: list[Commit] = [
        {
            "message": "Add the module\n\nFunctions to fix.",
            "files": {"calc.py": "\n\n".join(functions)},
        }
    ]
    for n in range(count):
        functions[n] = f"def f{n}(x: int) -> int:\n    return x + {n} + 1\n"
        history.append(
            {
                "message": f"Fix f{n} off by one\n\nf{n} returned one less than the spec says.",
                "files": {"calc.py": "\n\n".join(functions)},
            }
        )
    return history


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Script], FakeLLMServer]]:
    """Start a scripted server and point goldmine at it through the environment."""
    with scripted_servers(monkeypatch, MODEL) as start:
        yield start


def _workspace(tmp_path: Path, **llm: Unpack[LlmSettings]) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "goldmine.toml").write_text(llm_config(**llm), encoding="utf-8")
    return workspace


def _run(cli: Cli, workspace: Path, repo: Path, *extra: str | Path) -> Result:
    result = cli(
        "run", "--inline", "--repo", repo, "--drafter", "llm", "--workspace", workspace, *extra
    )
    assert result.exit_code == 0, result.output
    return result


def _query(workspace: Path, sql: str) -> list[Row]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        return warehouse.query(sql).dicts()


def test_valid_replies_become_candidates_drafted_by_the_model(
    cli: Cli,
    serve: Callable[[Script], FakeLLMServer],
    stock_repo: Path,
    stock_tickets: Path,
    tmp_path: Path,
) -> None:
    server = serve(valid_records)
    workspace = _workspace(tmp_path, prices={MODEL: (2.0, 8.0)})
    _run(
        cli, workspace, stock_repo, "--tickets", stock_tickets, "--lang", "both", "--kinds", "both"
    )
    (candidate,) = _query(
        workspace, "SELECT * FROM candidates WHERE lang = 'en' AND task_type = 'bugfix'"
    )
    record, provenance = json.loads(candidate["record"]), json.loads(candidate["provenance"])
    assert (
        candidate["drafter"] == provenance["drafter"] == f"llm:{MODEL}"
        and candidate["status"] != "unparseable"
    )
    assert provenance["template"].startswith("llm/bugfix_to_instruction.en.md.j2@") and provenance[
        "tickets"
    ] == ["#1"]
    assert provenance["seeds"] == ["02-flask-orders-pagination-bugfix"] and provenance[
        "symbols"
    ] == ["reserve"]
    assert "Fix `reserve`" in record["instruction"] and record["task_type"] == "bugfix"
    # the model wrote the prose; the code before and after the change is the repository's
    reserve = STOCK_V2[STOCK_V2.index("def reserve") :].split("\n\n\n")[0].rstrip()
    assert f"`src/stock.py` — `reserve`:\n\n```python\n{reserve}\n```" in record["output"]
    assert record["output"].endswith("It now raises ValueError, and the regression test pins it.")
    assert record["input"].startswith("Current code of `reserve` in `src/stock.py`:")
    assert _query(
        workspace,
        """SELECT passed FROM checks WHERE "check" = 'real_code' """
        f"AND candidate_id = '{candidate['id']}'",
    ) == [{"passed": True}]
    (call,) = _query(workspace, f"SELECT * FROM llm_calls WHERE id = '{candidate['llm_call_id']}'")
    assert (
        call["model"] == MODEL
        and call["error"] is None
        and call["attempts"] == 1
        and call["purpose"] == "draft"
    )
    assert json.loads(call["reply"])["instruction"] == record["instruction"]
    assert call["prompt_tokens"] > 1000 and call["latency_ms"] > 0
    assert call["cost_usd"] == pytest.approx(
        (call["prompt_tokens"] * 2.0 + call["completion_tokens"] * 8.0) / 1e6
    )
    (sent,) = [body for body in server.requests if body == json.loads(call["request"])]
    assert sent["model"] == MODEL and sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sorted(sent["response_format"]["json_schema"]["schema"]["required"]) == [
        "explanation",
        "instruction",
        "system",
    ]
    assert _query(
        workspace,
        "SELECT task_type FROM candidates WHERE lang = 'zh' AND kind = 'instruction' ORDER BY 1",
    ) == [
        {"task_type": "bugfix"},
        {"task_type": "edge_cases"},
    ]
    # This model answers an agent step with an instruction record: the step is kept, unparsed.
    agent = _query(
        workspace, "SELECT status, raw_reply FROM candidates WHERE kind = 'agent' ORDER BY lang"
    )
    assert [row["status"] for row in agent] == ["unparseable", "unparseable"]
    assert all("instruction" in json.loads(row["raw_reply"]) for row in agent)
    assert _query(workspace, "SELECT DISTINCT kind, reason FROM draft_skips") == [
        {"kind": "agent", "reason": "edge_cases tasks are not drafted as agent trajectories"}
    ]


def test_a_second_run_sends_no_request_and_lost_candidates_are_replayed(
    cli: Cli,
    serve: Callable[[Script], FakeLLMServer],
    stock_repo: Path,
    stock_tickets: Path,
    tmp_path: Path,
) -> None:
    server = serve(valid_records)
    workspace = _workspace(tmp_path)
    _run(cli, workspace, stock_repo, "--tickets", stock_tickets, "--lang", "both")
    assert len(server.requests) == 4  # a bug fix and its edge cases, in two languages
    _run(cli, workspace, stock_repo, "--tickets", stock_tickets, "--lang", "both")
    assert len(server.requests) == 4
    first = _query(workspace, "SELECT id, record FROM candidates ORDER BY id")
    with Warehouse(
        workspace / "goldmine.duckdb"
    ) as warehouse:  # as if a run crashed after paying for its calls
        warehouse.execute("DELETE FROM checks")
        warehouse.execute("DELETE FROM candidates")
    _run(cli, workspace, stock_repo, "--lang", "both")
    assert len(server.requests) == 4
    assert _query(workspace, "SELECT id, record FROM candidates ORDER BY id") == first


def test_a_broken_reply_gets_one_repair_then_is_kept_as_unparseable(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    server = serve(lambda body, n: Reply(content='{"instruction": "Fix it", "output": '))
    workspace = _workspace(tmp_path)
    repo = make_repo(fixes_history(1))
    _run(cli, workspace, repo)
    (candidate,) = _query(workspace, "SELECT * FROM candidates")
    assert (
        candidate["status"] == "unparseable"
        and candidate["raw_reply"] == '{"instruction": "Fix it", "output": '
    )
    assert "not valid JSON" in json.loads(candidate["provenance"])["reason"]
    assert "after one repair" in json.loads(candidate["provenance"])["reason"]
    calls = {c["purpose"]: c for c in _query(workspace, "SELECT * FROM llm_calls")}
    assert candidate["llm_call_id"] == calls["draft"]["id"] and set(calls) == {"draft", "repair"}
    repair = server.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"instruction": "Fix it", "output": '}
    assert repair[-1]["role"] == "user" and "not valid JSON" in repair[-1]["content"]
    _run(cli, workspace, repo)
    assert len(server.requests) == 2


def test_a_repaired_reply_becomes_a_candidate_of_the_repair_call(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    serve(
        lambda body, n: (
            Reply(content="Sure! Here is the record.") if n == 1 else valid_records(body, n)
        )
    )
    workspace = _workspace(tmp_path)
    _run(cli, workspace, make_repo(fixes_history(1)))
    (candidate,) = _query(
        workspace,
        "SELECT c.status, l.purpose FROM candidates c JOIN llm_calls l ON l.id = c.llm_call_id",
    )
    assert candidate["status"] != "unparseable" and candidate["purpose"] == "repair"


def test_a_rate_limited_request_waits_for_retry_after_and_succeeds(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    def script(body: ChatBody, n: int) -> Reply:
        return (
            Reply(status=429, headers={"Retry-After": "1"}, error="slow down")
            if n == 1
            else valid_records(body, n)
        )

    server = serve(script)
    workspace = _workspace(tmp_path, backoff_seconds=0.01)
    started = time.monotonic()
    _run(cli, workspace, make_repo(fixes_history(1)))
    assert time.monotonic() - started >= 1.0  # Retry-After, not the 10 ms backoff
    assert len(server.requests) == 2
    (call,) = _query(workspace, "SELECT attempts, error FROM llm_calls")
    assert call == {"attempts": 2, "error": None}
    assert _query(
        workspace, "SELECT count(*) AS n FROM candidates WHERE status != 'unparseable'"
    ) == [{"n": 1}]


def test_server_errors_are_retried_then_left_for_the_next_run(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    healthy = {"now": False}
    server = serve(
        lambda body, n: (
            valid_records(body, n) if healthy["now"] else Reply(status=500, error="boom")
        )
    )
    workspace = _workspace(tmp_path, max_retries=2)
    repo = make_repo(fixes_history(1))
    result = _run(cli, workspace, repo)
    assert "1 task(s) not drafted (server_error), tried again next run; e.g. 500 server error" in (
        result.output
    )
    assert len(server.requests) == 3
    assert _query(workspace, "SELECT attempts, error FROM llm_calls") == [
        {"attempts": 3, "error": "500 server error: boom"}
    ]
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == [{"n": 0}]
    assert _query(workspace, "SELECT count(*) AS n FROM draft_skips") == [{"n": 0}]
    healthy["now"] = True
    _run(cli, workspace, repo)
    assert _query(workspace, "SELECT attempts, error FROM llm_calls") == [
        {"attempts": 1, "error": None}
    ]
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == [{"n": 1}]


def test_the_budget_stops_a_run_cleanly_and_the_next_run_resumes(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    server = serve(valid_records)
    repo = make_repo(fixes_history(6))
    workspace = _workspace(tmp_path, max_concurrency=1, few_shots=0, prices={MODEL: (10.0, 10.0)})
    result = _run(cli, workspace, repo, "--budget-usd", "0.05")
    assert "drafting stopped: budget of $0.05 reached" in result.output
    drafted = len(server.requests)
    spent = _query(workspace, "SELECT sum(cost_usd) AS usd FROM llm_calls")[0]["usd"]
    assert 1 <= drafted < 6 and spent <= 0.05
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == [{"n": drafted}]
    assert _query(workspace, "SELECT status FROM runs") == [{"status": "completed"}]
    _run(cli, workspace, repo)
    assert len(server.requests) == 6
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == [{"n": 6}]


def test_the_server_sees_several_requests_at_once_when_concurrency_allows(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    server = serve(lambda body, n: Reply(content=valid_records(body, n).content, delay=0.3))
    workspace = _workspace(tmp_path, max_concurrency=4, few_shots=0)
    _run(cli, workspace, make_repo(fixes_history(8)))
    assert len(server.requests) == 8 and server.peak_in_flight > 1
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == [{"n": 8}]


def test_dry_run_renders_every_prompt_and_sends_nothing(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    server = serve(valid_records)
    workspace = _workspace(tmp_path, prices={MODEL: (1.0, 2.0)}, max_tokens=1000)
    result = cli(
        "draft", "--drafter", "llm", "--dry-run", "--lang", "both", "--workspace", workspace
    )
    assert result.exit_code == 0, result.output
    repo = make_repo(fixes_history(3))
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    result = cli(
        "draft", "--drafter", "llm", "--dry-run", "--lang", "both", "--workspace", workspace
    )
    plan = json.loads(result.output.split("draft: ", 1)[1].splitlines()[0])["dry_run"]
    assert server.requests == [] and _query(workspace, "SELECT count(*) AS n FROM candidates") == [
        {"n": 0}
    ]
    assert plan["tasks"] == 6 and plan["requests"] == 6 and plan["replayed_from_llm_calls"] == 0
    assert plan["estimated_prompt_tokens"] > 6 * 500 and plan["max_completion_tokens"] == 6000
    assert plan["max_cost_usd"] == pytest.approx(
        round((plan["estimated_prompt_tokens"] + 2 * 6000) / 1e6, 4)
    )


def test_an_unreachable_endpoint_is_one_line_and_loses_nothing(
    cli: Cli, stock_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer(valid_records) as server:
        url = server.url  # a port that was just closed
    monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", url)
    monkeypatch.setenv("GOLDMINE_LLM_MODEL", MODEL)
    workspace = _workspace(tmp_path, max_retries=1)
    result = cli(
        "run", "--inline", "--repo", stock_repo, "--drafter", "llm", "--workspace", workspace
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: cannot reach the LLM endpoint at {url} (connection failed"
    )
    assert len(result.output.strip().splitlines()) == 1
    assert _query(workspace, "SELECT count(*) AS n FROM commits") == [{"n": 3}]


def test_the_llm_drafter_needs_an_endpoint_and_a_price_for_a_budget(
    cli: Cli, stock_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GOLDMINE_LLM_BASE_URL", "GOLDMINE_LLM_MODEL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    workspace = _workspace(tmp_path)
    result = cli(
        "run", "--inline", "--repo", stock_repo, "--drafter", "llm", "--workspace", workspace
    )
    assert (
        result.exit_code == 1
        and "Error: the llm drafter needs an endpoint: set GOLDMINE_LLM_BASE_URL" in result.output
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GOLDMINE_LLM_MODEL", MODEL)
    result = cli("draft", "--drafter", "llm", "--budget-usd", "1", "--workspace", workspace)
    assert (
        result.exit_code == 1
        and f'--budget-usd needs the price of {MODEL}: add [llm.prices."{MODEL}"]' in result.output
    )
    result = cli("draft", "--dry-run", "--workspace", workspace)
    assert (
        result.exit_code == 1
        and "--dry-run counts the requests of the llm drafter" in result.output
    )


def test_a_reply_that_writes_code_gets_one_repair(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    """The old contract (the model types input and output) and code in the explanation are both
    sent back once, saying why; the repaired reply's prose goes around the real code."""
    old_contract = json.dumps(
        {"system": "", "instruction": "Fix f0.", "input": "", "output": "```python\nx\n```"}
    )
    with_code = json.dumps(
        {
            "system": "",
            "instruction": "Fix f0.",
            "explanation": "It was off by one:\n\n```python\nreturn x + 1\n```",
        }
    )
    replies = iter([old_contract, with_code])
    server = serve(
        lambda body, n: Reply(content=next(replies, "")) if n <= 2 else valid_records(body, n)
    )
    workspace = _workspace(tmp_path, few_shots=0)
    _run(cli, workspace, make_repo(fixes_history(1)), "--inline")
    (candidate,) = _query(workspace, "SELECT status, provenance FROM candidates")
    assert candidate["status"] == "unparseable"
    reason = json.loads(candidate["provenance"])["reason"]
    assert "input: Extra inputs are not permitted" in reason
    assert "after one repair: the explanation holds a code block" in reason
    assert "explanation" in server.requests[1]["messages"][-1]["content"]


def test_a_prompt_over_the_token_budget_loses_its_example_first_then_the_task_is_skipped(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    server = serve(valid_records)
    repo = make_repo(fixes_history(1))
    roomy = _workspace(tmp_path / "roomy", max_tokens=1000)
    _run(cli, roomy, repo)
    tight = _workspace(tmp_path / "tight", max_tokens=1000)
    full = sum(len(m["content"]) for m in server.requests[0]["messages"]) // 4
    with (tight / "goldmine.toml").open("a", encoding="utf-8") as toml:
        toml.write(f"context_tokens = {full}\n")  # under the full prompt plus the reply's room
    _run(cli, tight, repo)
    cut = server.requests[-1]["messages"][-1]["content"]
    assert "## Example of the quality bar" not in cut
    assert "_Left out to fit the model's context: the example record" in cut
    (record,) = _query(tight, "SELECT provenance FROM candidates")
    assert json.loads(record["provenance"])["seeds"] == []
    tiny = _workspace(tmp_path / "tiny", max_tokens=1000)
    with (tiny / "goldmine.toml").open("a", encoding="utf-8") as toml:
        toml.write("context_tokens = 1200\n")
    requests = len(server.requests)
    _run(cli, tiny, repo)
    assert len(server.requests) == requests
    (skip,) = _query(tiny, "SELECT category, reason FROM draft_skips WHERE kind = 'instruction'")
    assert skip["category"] == "prompt_too_large"
    assert skip["reason"].startswith("the prompt needs about ")
    assert "over the budget of 200 ([llm] context_tokens less max_tokens)" in skip["reason"]


def test_a_change_whose_code_does_not_parse_sends_no_request(
    cli: Cli, serve: Callable[[Script], FakeLLMServer], make_repo: BuildRepo, tmp_path: Path
) -> None:
    """Python 2 code (flask's 2010 history): the record's real code would fail code_parses
    whatever the model wrote, so the task is skipped before any request."""
    old = "def greet(name):\n    print 'hello', name\n"
    history: list[Commit] = [
        {"message": "Add greet\n\nSay hello.", "files": {"app.py": old}},
        {
            "message": "Greet louder\n\nThe greeting was too quiet to read.",
            "files": {"app.py": old.replace("'hello'", "'HELLO'")},
        },
    ]
    server = serve(valid_records)
    workspace = _workspace(tmp_path)
    _run(cli, workspace, make_repo(history))
    assert server.requests == []
    (skip,) = _query(workspace, "SELECT category, reason FROM draft_skips")
    assert skip["category"] == "unparseable_code"
    assert skip["reason"].startswith("the real change does not parse: the python block does not")
