"""One odd commit never stops a run: a zone of +051800, a 1969 date, no e-mail, a graft …"""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import Cli, build_odd_history, git
from warehouse.store import Warehouse


def test_a_history_of_odd_commits_is_mined_whole_and_the_odd_ones_are_flagged(
    cli: Cli, tmp_path: Path
) -> None:
    shas = build_odd_history(tmp_path / "odd")
    workspace = tmp_path / "W"
    result = cli("run", "--inline", "--repo", tmp_path / "odd", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    # the run's counts say so too
    assert re.search(r"commits stored with oddities: .*\btimezone_out_of_range 1\b", result.output)
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        stored = dict(warehouse.query("SELECT sha, oddities FROM commits").rows)
        zone = warehouse.scalar(
            "SELECT epoch(committed_at) FROM commits WHERE sha = ?", [shas["zone"]]
        )
        flagged = warehouse.scalar("SELECT count(*) FROM commits WHERE len(oddities) > 0")
        status = warehouse.scalar("SELECT status FROM runs")
    # every commit git shows, the grafted-on import included
    assert (
        set(stored) == set(git(tmp_path / "odd", "rev-list", "main").split()) == set(shas.values())
    )
    assert "timezone_out_of_range" in stored[shas["zone"]]
    assert zone == 1315449038  # the instant is exact; only the zone was clamped
    assert "date_before_1970" in stored[shas["1969"]]
    assert {"no_author_email", "no_committer_email"} <= set(stored[shas["no_email"]])
    assert {"non_utf8_name", "date_after_2100", "duplicate_parents", "empty_message"} <= set(
        stored[shas["late"]]
    )
    assert stored[shas["plain"]] == stored[shas["after"]] == stored[shas["import"]] == []
    assert flagged == 4 and status == "completed"
