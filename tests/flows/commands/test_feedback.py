"""A fine-tuned model's failures come back as tasks, are drafted and assayed like any other, and
every record they make says which round and which line of which file it came from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flows.run.artifact import feedback_part, feedback_section
from miners.feedback_file import guess_language, parse_failure
from tests.builders import PLANTED_KEY, Cli, JsonObject, json_object
from warehouse.store import Warehouse

ROLE_PROMPT = """You are a Python developer on stocky, a stock-keeping library.

Write `restock(levels, sku, qty)` that adds qty units of sku.

Requirements:
1. Raise ValueError when qty is not positive.
2. Log a warning when the sku is new.
3. Return the new level."""
EXPECTED = """```python
def restock(levels: dict[str, int], sku: str, qty: int) -> int:
    \"\"\"Add qty units of sku and return the new level.\"\"\"
    if qty <= 0:
        raise ValueError(f"quantity must be positive, got {qty}")
    if sku not in levels:
        logger.warning("new sku %s", sku)
    levels[sku] = levels.get(sku, 0) + qty
    return levels[sku]
```"""
ZH_PROMPT = (
    "你是一名 Python 开发工程师，负责 stocky 库。\n\n"
    "请实现 `reserve` 的数量校验：\n1. 数量不是正数时抛出 "
    "ValueError。\n2. 库存不足时抛出 LookupError。"
)


def _lines(record_id: str) -> list[str]:
    return [
        json.dumps(
            {
                "prompt": ROLE_PROMPT,
                "output": "def restock(l, s, q):\n    l[s] += q",
                "expected": EXPECTED,
                "record_id": record_id,
                "model": "stocky-7b-r1",
            }
        ),
        json.dumps(
            {
                "instruction": ROLE_PROMPT,
                "output": f"Use the key {PLANTED_KEY} and call restock().",
                "verdict": "It answers with a credential instead of code, and never checks qty.",
            }
        ),
        '{"prompt": "broken',
        json.dumps({"prompt": ROLE_PROMPT, "output": "pass"}),
        json.dumps(
            {
                "prompt": ZH_PROMPT,
                "predict": "def reserve(): pass",
                "label": "```python\nif qty <= 0:\n    raise ValueError(qty)\n```",
            }
        ),
        "",
    ]


@pytest.fixture
def pipeline_workspace(stock_repo: Path, tmp_path: Path, cli: Cli) -> Path:
    workspace = tmp_path / "W"
    result = cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    assert result.exit_code == 0, result.output
    return workspace


def _accepted_record(workspace: Path) -> JsonObject:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        record = warehouse.scalar(
            "SELECT record FROM candidates WHERE status = 'accepted' ORDER BY id LIMIT 1"
        )
    return json_object(record)


def test_failures_become_records_with_their_round_and_provenance(
    pipeline_workspace: Path, tmp_path: Path, cli: Cli
) -> None:
    original = _accepted_record(pipeline_workspace)
    failures = tmp_path / "failures.jsonl"
    failures.write_text("\n".join(_lines(original["id"])), encoding="utf-8")

    ingested = cli("feedback", failures, "--round", "2", "--workspace", pipeline_workspace)
    assert ingested.exit_code == 1  # two bad lines: each named, the three good ones kept
    errors = [line for line in ingested.stderr.splitlines() if line.startswith("error:")]
    assert errors[0].startswith(f"error: {failures}:3: not JSON") and errors[1].startswith(
        f"error: {failures}:4: neither"
    )
    assert (
        len(errors) == 2
        and "round 2: 3 failure(s)" in ingested.stdout
        and "3 new" in ingested.stdout
    )

    for stage in ("draft", "assay"):
        assert cli(stage, "--workspace", pipeline_workspace).exit_code == 0
    with Warehouse(pipeline_workspace / "goldmine.duckdb", read_only=True) as warehouse:
        stored = warehouse.query(
            "SELECT line, round, prompt, model_output, expected, verdict FROM feedback ORDER BY "
            "line"
        ).rows
        rows = warehouse.query(
            "SELECT t.family, t.polarity, c.status, c.record FROM candidates c JOIN tasks t ON "
            "t.id = c.task_id "
            "WHERE t.selector_version = 'feedback-1' ORDER BY json_extract(c.record, "
            "'$.provenance.feedback.line')"
        ).rows
    assert [row[:2] for row in stored] == [(1, 2), (2, 2), (5, 2)]
    assert PLANTED_KEY not in stored[1][3] and "<SECRET:aws-access-key>" in stored[1][3]
    records = [json.loads(row[3]) for row in rows]
    assert [(r[0], r[1]) for r in rows] == [
        ("correction", "positive"),
        ("counter_example", "negative"),
        ("correction", "positive"),
    ]
    for record, line in zip(records, (1, 2, 5), strict=True):
        assert record["provenance"]["feedback"] == {
            "id": record["provenance"]["feedback"]["id"],
            "round": 2,
            "file": str(failures),
            "line": line,
        }
    correction, counter, chinese = records
    assert correction["instruction"] == ROLE_PROMPT and correction["output"] == EXPECTED
    # the facts it came from
    assert correction["provenance"]["commits"] == original["provenance"]["commits"]
    assert counter["task_type"] == "counter_example" and counter["output"].startswith("Reject.")
    assert (
        "never checks qty" in counter["output"]
        and "> Use the key <SECRET:aws-access-key>" in counter["instruction"]
    )
    assert chinese["lang"] == "zh" and chinese["instruction"] == ZH_PROMPT
    assert rows[0][2] == "accepted" and {row[2] for row in rows} <= {"accepted", "rejected"}

    with Warehouse(pipeline_workspace / "goldmine.duckdb", read_only=True) as warehouse:
        section = feedback_section(warehouse)
        # the nightly artifact carries the same table
        assert feedback_part(warehouse) == "\n" + section
    accepted = sum(row[2] == "accepted" for row in rows)
    assert f"| 2 | 3 | 2 | 1 | 3 | {accepted} | {3 - accepted} | 0 | 0 |" in section
    status = cli("status", "--workspace", pipeline_workspace)
    assert "feedback rounds" in status.output
    page = tmp_path / "report.html"
    report = cli("report", "--output", page, "--workspace", pipeline_workspace)
    assert report.exit_code == 0 and "feedback rounds" in report.output
    row = "".join(f"<td>{n}</td>" for n in (2, 3, 2, 1, 3, accepted, 3 - accepted, 0, 0))
    assert "<h2>Feedback rounds</h2>" in page.read_text() and row in page.read_text()


def test_the_same_file_again_adds_nothing_and_keeps_its_round(
    pipeline_workspace: Path, tmp_path: Path, cli: Cli
) -> None:
    failures = tmp_path / "failures.jsonl"
    failures.write_text(_lines("")[0], encoding="utf-8")
    first = cli("feedback", failures, "--workspace", pipeline_workspace)
    again = cli("feedback", failures, "--workspace", pipeline_workspace)
    other = tmp_path / "round2.jsonl"
    other.write_text(_lines("")[1], encoding="utf-8")
    second = cli("feedback", other, "--workspace", pipeline_workspace)
    assert first.exit_code == again.exit_code == second.exit_code == 0, first.output + again.output
    assert "round 1: 1 failure(s)" in first.stdout and "1 new" in first.stdout
    assert "round 1: 1 failure(s)" in again.stdout and "0 new, 1 stored before" in again.stdout
    assert "round 2: 1 failure(s)" in second.stdout
    with Warehouse(pipeline_workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("feedback") == 2
        assert (
            warehouse.scalar("SELECT count(*) FROM tasks WHERE selector_version = 'feedback-1'")
            == 2
        )


def test_a_file_without_one_usable_line_is_one_error(tmp_path: Path, cli: Cli) -> None:
    failures = tmp_path / "bad.jsonl"
    failures.write_text(
        '[1, 2]\n{"prompt": "p", "output": "o", "expected": "o"}\n', encoding="utf-8"
    )
    result = cli("feedback", failures, "--workspace", tmp_path / "W")
    assert result.exit_code == 1
    assert f"{failures}:1: a JSON object is expected, not list" in result.stderr
    assert (
        f"{failures}:2: the model's output equals the expected answer: not a failure"
        in result.stderr
    )
    assert "holds no usable failure" in result.stderr
    missing = cli("feedback", tmp_path / "nope.jsonl", "--workspace", tmp_path / "W")
    assert missing.exit_code == 1 and "is not a file" in missing.output


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"output": "o", "verdict": "v"}', 'no prompt: give "prompt" or "instruction"'),
        ('{"prompt": "p", "verdict": "v"}', 'no model output: give "output" or "predict"'),
        ('{"prompt": "p", "output": "o", "verdict": 3}', '"verdict" must be text'),
        ('{"prompt": "p", "output": "o", "verdict": "v", "lang": "fr"}', "\"lang\" is 'fr'"),
    ],
)
def test_each_bad_line_says_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_failure(line, 1)


def test_the_language_is_read_off_the_prose() -> None:
    assert guess_language(ZH_PROMPT) == "zh"
    assert guess_language(ROLE_PROMPT) == "en"
    assert (
        guess_language("修复这个函数\n```python\n" + "x = compute_everything()\n" * 30 + "```")
        == "zh"
    )
