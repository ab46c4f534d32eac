"""The assay's settings from goldmine.toml, and the LLM judge against a scripted server on
loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.run.assaying import assay_settings, parse_ratings, ratings_verdict
from flows.workspace import Workspace
from tests.builders import Cli
from tests.llm_server import ChatBody, FakeLLMServer, Reply
from warehouse.store import Warehouse


def test_the_assay_section_configures_thresholds_split_and_eval_set(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text(json.dumps({"prompt": "Sort a list."}) + "\n")
    (tmp_path / "goldmine.toml").write_text(
        "[assay]\nmin_score = 75\nweights = { logging = 2.5 }\nnear_duplicate_jaccard = 0.9\n"
        'holdout_after = 2024-06-01\neval_set = "eval.jsonl"\ncontamination_ngram = 8\n'
    )
    settings = assay_settings(Workspace.at(tmp_path).settings())
    assert (
        settings.min_score == 75
        and settings.weights == {"logging": 2.5}
        and settings.dedup.threshold == 0.9
    )
    assert settings.split.holdout_after == datetime(2024, 6, 1, tzinfo=UTC)
    assert (
        settings.eval_set is not None
        and settings.eval_set.n == 8
        and settings.eval_set.name == "eval.jsonl"
    )
    assert settings.catalog is not None and "read_file" in settings.catalog


@pytest.mark.parametrize(
    "reply", ["I think it is good.", '{"scenario": 9}', '{"scenario": "high"}']
)
def test_a_reply_that_is_not_a_rating_is_not_trusted(reply: str) -> None:
    assert parse_ratings(reply) is None
    verdict = ratings_verdict(reply)
    assert not verdict.passed and "not a rating" in verdict.detail


def _rubric(body: ChatBody, n: int) -> Reply:
    """A judge that rates the golds high and the drafted stock records low on specificity."""
    prompt = body["messages"][0]["content"]
    low = "stocky" in prompt
    ratings = {
        "scenario": 4,
        "specific_instruction": 1 if low else 5,
        "production_ready": 1 if low else 4,
        "instruction_output_match": 2 if low else 5,
    }
    return Reply(content=json.dumps(ratings))


def test_the_judge_rates_through_the_llm_client_and_reports_its_agreement_with_the_golds(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    with FakeLLMServer(_rubric) as server:
        monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", server.url)
        monkeypatch.setenv("GOLDMINE_LLM_MODEL", "fake-model")
        args = (
            "run",
            "--inline",
            "--judge",
            "--repo",
            stock_repo,
            "--tickets",
            stock_tickets,
            "--workspace",
            workspace,
        )
        first = cli(*args)
        sent = len(server.requests)
        again = cli("assay", "--judge", "--workspace", workspace)
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        drafted = warehouse.scalar("SELECT count(*) FROM candidates")
        verdicts = warehouse.query(
            """SELECT DISTINCT passed, detail FROM checks WHERE "check" = 'llm_judge'"""
        ).rows
        calls = warehouse.scalar("SELECT count(*) FROM llm_calls")
    assert sent == drafted + 10 == calls  # each candidate and each gold once
    assert len(server.requests) == sent  # the golds again: replayed from llm_calls, not sent
    assert "rubric" in server.requests[0]["response_format"]["json_schema"]["name"]
    assert '"judge_gold_agreement": 1.0' in first.output
    assert verdicts == [
        (
            False,
            "rubric 40%; low: specific_instruction 1/5, production_ready 1/5, "
            "instruction_output_match 2/5",
        )
    ]


def test_judge_without_an_endpoint_is_one_line_that_says_what_to_do(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli("assay", "--judge", "--workspace", tmp_path)
    assert (
        result.exit_code == 1
        and "needs an endpoint" in result.output
        and "Traceback" not in result.output
    )
