"""Ticket exports alone (no repository): resolved tickets become records; the rest are skipped
with reasons."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from flows.demo.sample_repo import DEMO_TICKETS
from miners.ticket_threads import clean_comment, output_sentences, untraced
from tests.builders import Cli, JsonObject, json_object
from warehouse.store import Warehouse

FIXTURES = DEMO_TICKETS.parent


def _run(cli: Cli, workspace: Path, export: Path, *extra: str) -> None:
    result = cli("run", "--inline", "--tickets", export, "--workspace", workspace, *extra)
    assert result.exit_code == 0, result.output


def _tasks(workspace: Path) -> dict[str, tuple[str, str]]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT k.key, t.status, t.reason FROM tasks t JOIN tickets k ON k.id = t.ticket_id"
        ).rows
    return {key: (status, reason) for key, status, reason in rows}


def _records(workspace: Path, kind: str = "instruction") -> list[JsonObject]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT record FROM candidates WHERE kind = ? AND status = 'accepted' ORDER BY id",
            [kind],
        ).rows
    return [json_object(row[0]) for row in rows]


def _thread(workspace: Path, key: str) -> str:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        title, body, comments = warehouse.query(
            "SELECT title, body, comments FROM tickets WHERE key = ?", [key]
        ).rows[0]
    return "\n".join([title, body, *(clean_comment(c["body"]) for c in json.loads(comments))])


@pytest.mark.parametrize(
    ("export", "mapping", "resolved", "skipped"),
    [
        (
            "support_tickets.json",
            None,
            {"#101", "#103", "#106"},
            {"#105": "closed as duplicate", "#110": "closed as not planned", "#111": "unresolved"},
        ),
        (
            "support_tickets_jira.csv",
            None,
            {"SUP-2", "SUP-3"},
            {"SUP-5": "closed as duplicate", "SUP-6": "closed as won't do", "SUP-9": "unresolved"},
        ),
        (
            "support_tickets.jsonl",
            "support_tickets.mapping.toml",
            {"HD-4801", "HD-4804"},
            {
                "HD-4805": "closed as duplicate",
                "HD-4807": "closed as spam",
                "HD-4808": "unresolved",
            },
        ),
    ],
)
def test_each_export_alone_gives_accepted_records_and_skips_the_rest(
    cli: Cli,
    tmp_path: Path,
    export: str,
    mapping: str | None,
    resolved: set[str],
    skipped: dict[str, str],
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    if mapping:
        shutil.copyfile(FIXTURES / mapping, workspace / "goldmine.toml")
    _run(cli, workspace, FIXTURES / export)
    tasks = _tasks(workspace)
    for key, reason in skipped.items():
        assert tasks[key][0] == "skipped" and tasks[key][1].startswith(reason), (key, tasks[key])
    keys = {record["provenance"]["tickets"][0] for record in _records(workspace)}
    assert resolved <= keys
    for record in _records(workspace):
        assert record["task_type"] == "resolution" and record["provenance"]["commits"] == []
        assert record["instruction"].startswith("You are a support engineer for ")
        assert (
            re.search(r"^1\. ", record["instruction"], re.MULTILINE)
            and "Steps:\n" in record["output"]
        )


def test_every_sentence_of_a_ticket_record_is_traced_to_its_thread(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    _run(cli, workspace, FIXTURES / "support_tickets.json")
    records = _records(workspace)
    assert len(records) >= 5
    for record in records:
        thread = _thread(workspace, record["provenance"]["tickets"][0])
        sentences = output_sentences(
            record["output"], ["Cause:", "Steps:", "Check:", "If it goes wrong:"]
        )
        assert sentences and untraced(sentences, thread) == [], record["provenance"]["tickets"]
        for block in re.findall(r"```\w*\n(.*?)```", record["output"], flags=re.DOTALL):
            assert block.strip() in thread


def test_quotes_signatures_and_the_reporters_thanks_are_not_the_answer(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    _run(cli, workspace, FIXTURES / "support_tickets.json")
    record = next(r for r in _records(workspace) if r["provenance"]["tickets"] == ["#101"])
    assert "Bo Chen" not in record["output"] and "thanks" not in record["output"].lower()
    assert "`datetime.utcnow()` returns a naive datetime" in record["output"]


def test_lookups_the_thread_shows_become_tool_calls_with_the_threads_results(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    _run(cli, workspace, FIXTURES / "support_tickets.json", "--kinds", "agent")
    by_ticket = {r["provenance"]["tickets"][0]: r for r in _records(workspace, "agent")}
    searched = by_ticket["#108"]["conversation"]
    assert searched[1]["content"]["action"] == {
        "tool_name": "search_tickets",
        "parameters": {"query": "#102"},
    }
    assert searched[2]["content"]["result"][0]["id"] == "#102"
    queried = by_ticket["#104"]["conversation"]
    action, result = queried[1]["content"]["action"], queried[2]["content"]["result"]
    assert action["tool_name"] == "query_database" and action["parameters"][
        "sql"
    ].lower().startswith("select")
    assert result["row_count"] == len(result["rows"]) > 0
    for record in by_ticket.values():
        assert record["provenance"]["observations"] == "replayed"
        assert {t["name"] for t in record["tools"]} <= {
            "search_tickets",
            "query_database",
            "read_csv_sample",
        }
        assert record["conversation"][-1]["content"]["final_answer"]


def test_the_assay_traces_every_resolution_record_and_catches_an_invented_step(
    cli: Cli, tmp_path: Path
) -> None:
    from warehouse.assay.traceability import TicketTracer
    from warehouse.records import parse_record

    workspace = tmp_path / "ws"
    _run(cli, workspace, FIXTURES / "support_tickets.json", "--kinds", "both", "--lang", "both")
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        verdicts = warehouse.query(
            "SELECT k.passed, c.kind FROM checks k JOIN candidates c ON c.id = k.candidate_id "
            "WHERE k.\"check\" = 'traceability'"
        ).rows
        assert (
            len(verdicts) >= 10
            and all(passed for passed, _ in verdicts)
            and {"instruction", "agent"} == {k for _, k in verdicts}
        )
        row = warehouse.query(
            "SELECT record, task_id FROM candidates WHERE kind = 'instruction' AND lang = 'en' "
            "AND record LIKE '%#103%'"
        ).rows[0]
        tracer = TicketTracer(warehouse, [row[1]])
    record = json_object(row[0])
    traced = tracer.verdict(parse_record(record))
    assert traced is not None and traced.passed
    record["output"] = record["output"].replace(
        "Steps:\n1. ", "Steps:\n1. Reinstall the operating system first. ", 1
    )
    invented = tracer.verdict(parse_record(record))
    assert (
        invented is not None
        and not invented.passed
        and "Reinstall the operating system" in invented.detail
    )
