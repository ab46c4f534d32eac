"""The shipped gold records are valid records that the assay accepts with top scores."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.damages import GOLD_FILES, SEEDS, Raw, gold
from warehouse.assay.runner import composite_score, evaluate
from warehouse.records import AgentRecord, parse_record


def _record(path: Path) -> Raw:
    return gold(path.name[:2])


def test_ten_golds_cover_the_kinds_languages_and_task_types() -> None:
    records = [parse_record(_record(path)) for path in GOLD_FILES]
    assert len(records) == 10 and len({r.id for r in records}) == 10
    kinds = [r.kind for r in records]
    assert kinds.count("instruction") >= 5 and kinds.count("agent") >= 4
    assert sum(r.lang == "zh" for r in records) >= 3
    assert {"bugfix", "feature", "refactor", "tests", "explain", "review", "data_cleaning"} <= {
        r.task_type for r in records
    }


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name)
def test_every_gold_scores_at_the_top(path: Path) -> None:
    verdicts, _ = evaluate(json.dumps(_record(path)))
    assert composite_score(verdicts) >= 90, {
        k: v.detail for k, v in verdicts.items() if not v.passed
    }


@pytest.mark.parametrize("path", [p for p in GOLD_FILES if "agent" in p.name], ids=lambda p: p.name)
def test_agent_golds_use_the_catalog_exactly(path: Path) -> None:
    catalog = {
        tool["name"]: tool for tool in json.loads((SEEDS / "tools.json").read_text())["tools"]
    }
    record = parse_record(_record(path))
    assert isinstance(record, AgentRecord)
    for tool in record.tools:
        assert tool.model_dump() == catalog[tool.name]
    for turn in record.conversation:
        action = getattr(turn.content, "action", None)
        if action is not None:
            jsonschema.validate(action.parameters, catalog[action.tool_name]["parameters"])
