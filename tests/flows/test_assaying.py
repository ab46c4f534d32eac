"""The assay's settings from goldmine.toml, and the LLM judge's seam (a fake model's replies)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from flows.assaying import RubricJudge, assay_settings, judge_agreement, parse_ratings
from flows.workspace import Workspace
from tests.damages import gold, golds
from warehouse.records import parse_record

Cli = Callable[..., Result]


def test_the_assay_section_configures_thresholds_split_and_eval_set(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text(json.dumps({"prompt": "Sort a list."}) + "\n")
    (tmp_path / "goldmine.toml").write_text(
        "[assay]\nmin_score = 75\nweights = { logging = 2.5 }\nnear_duplicate_jaccard = 0.9\n"
        'holdout_after = 2024-06-01\neval_set = "eval.jsonl"\ncontamination_ngram = 8\n'
    )
    settings = assay_settings(Workspace.at(tmp_path).settings().assay)
    assert settings.min_score == 75 and settings.weights == {"logging": 2.5} and settings.dedup.threshold == 0.9
    assert settings.split.holdout_after == datetime(2024, 6, 1, tzinfo=UTC)
    assert settings.eval_set is not None and settings.eval_set.n == 8 and settings.eval_set.name == "eval.jsonl"


def test_the_judge_turns_ratings_into_a_verdict_and_reports_its_agreement_with_the_golds() -> None:
    prompts: list[str] = []

    def model(prompt: str) -> str:
        prompts.append(prompt)
        low = "open_file" in prompt
        return json.dumps({"scenario": 4, "specific_instruction": 1 if low else 5, "production_ready": 1 if low else 4,
                           "instruction_output_match": 2 if low else 5})  # fmt: skip

    judge = RubricJudge(model)
    good = judge(parse_record(gold("02")))
    assert good.passed and good.score == pytest.approx(18 / 20)
    assert "specific_instruction" in prompts[0] and "shop/orders.py" in prompts[0]
    weak = gold("07")
    weak["conversation"][0]["content"] += " Use open_file."
    assert not judge(parse_record(weak)).passed
    assert judge_agreement(judge, golds()) == 1.0
    assert "打分" in judge.prompt(parse_record(gold("10")))


@pytest.mark.parametrize("reply", ["I think it is good.", '{"scenario": 9}', '{"scenario": "high"}'])
def test_a_reply_that_is_not_a_rating_is_not_trusted(reply: str) -> None:
    assert parse_ratings(reply) is None
    verdict = RubricJudge(lambda prompt: reply)(parse_record(gold("02")))
    assert not verdict.passed and "not a rating" in verdict.detail


def test_judge_without_an_llm_is_one_line_that_says_what_to_do(cli: Cli, tmp_path: Path) -> None:
    result = cli("assay", "--judge", "--workspace", tmp_path)
    assert result.exit_code == 1 and "Error: --judge needs" in result.output and "Traceback" not in result.output
