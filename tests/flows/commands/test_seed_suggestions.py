from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from flows.commands.cli import main
from flows.commands.seed_suggestions import Choice, pick_diverse
from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from warehouse.records import parse_record


def test_pick_diverse_covers_unseen_traits_before_better_scores() -> None:
    choices = [
        Choice("a", {}, 99, ("type:bugfix", "lang:en")),
        Choice("b", {}, 98, ("type:bugfix", "lang:en")),
        Choice("c", {}, 50, ("type:tests", "lang:zh")),
        Choice("d", {}, 70, ("type:tests", "lang:en")),
    ]
    # after a: c covers two unseen traits; then b and d each repeat two traits, and b scores higher
    assert [c.candidate_id for c in pick_diverse(choices, 3)] == ["a", "c", "b"]


def test_suggested_seeds_are_valid_diverse_draft_records(tmp_path: Path) -> None:
    repo = build_repository(tmp_path / "sample", load_script(DEMO_HISTORY))
    workspace = tmp_path / "ws"
    args = [
        "run",
        "--inline",
        "--repo",
        str(repo),
        "--tickets",
        str(DEMO_TICKETS),
        "--kinds",
        "both",
        "--lang",
        "both",
        "--workspace",
        str(workspace),
    ]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    result = CliRunner().invoke(
        main,
        [
            "seeds",
            "suggest",
            "--n",
            "10",
            "--to",
            str(tmp_path / "suggested"),
            "--workspace",
            str(workspace),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    paths = sorted((tmp_path / "suggested").glob("[0-9][0-9]-*.json"))
    checked = CliRunner().invoke(
        main, ["seeds", "check", str(tmp_path / "suggested")], catch_exceptions=False
    )
    assert checked.exit_code == 0, checked.output
    assert [p.name[:3] for p in paths] == [f"{n:02d}-" for n in range(1, 11)]
    records = []
    for path in paths:
        data = json.loads(path.read_text())
        meta = data.pop("meta")
        assert meta["why_gold"].startswith("DRAFT") and meta["suggested_from"]
        records.append(parse_record(data))
    assert {r.kind for r in records} == {"instruction", "agent"} and {r.lang for r in records} == {
        "en",
        "zh",
    }
    assert len({r.task_type for r in records}) >= 4
