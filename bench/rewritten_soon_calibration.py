"""How a "rewritten within N days" rule would judge the reviewed flask commits.

    uv run python bench/rewritten_soon_calibration.py WORKSPACE

WORKSPACE: a workspace that mined pallets/flask. For a few (days, lines, share) settings it
prints how many of the blind reviewers' REJECT / EDIT / ACCEPT commits
(``tests/fixtures/blind_review/*flask*``) the rule would skip, and how many selected commits.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from miners.commit_kinds import is_test_path
from warehouse.selection import history
from warehouse.store import Warehouse

REVIEWS = Path(__file__).parents[1] / "tests" / "fixtures" / "blind_review"
SETTINGS = [(3, 1, 0.0), (7, 1, 0.0), (7, 2, 0.0), (7, 1, 0.2), (14, 1, 0.0)]


def main() -> None:
    warehouse = Warehouse(Path(sys.argv[1]) / "goldmine.duckdb", read_only=True)
    ids = [row[0] for row in warehouse.query("SELECT id FROM commits").rows]
    [commits] = history._commit_order(warehouse, ids).values()
    lines = history._changed_lines(warehouse, commits)
    verdicts: dict[str, str] = {}
    for path in REVIEWS.glob("*flask*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            verdicts.setdefault(row["sha"], row["verdict"])
    index = {commit.sha: n for n, commit in enumerate(commits)}
    selected = {
        row[0]
        for row in warehouse.query(
            "SELECT DISTINCT c.sha FROM tasks t JOIN commits c ON c.id = t.commit_id "
            "WHERE t.status = 'selected'"
        ).rows
    }

    def rewritten(n: int, days: int, least: int, share: float) -> bool:
        commit = commits[n]
        found = lines.get(commit.id, history.ChangedLines()).added
        added = {k for k in found if not is_test_path(k[0])}
        for other in commits[n + 1 :]:
            if history._days_apart(commit, other) > days:
                return False
            if not history._by_a_person(other) or history._is_revert(other):
                continue
            changed = added & lines.get(other.id, history.ChangedLines()).removed
            if changed and len(changed) >= least and len(changed) >= share * len(added):
                return True
        return False

    for days, least, share in SETTINGS:
        hit: dict[str, int] = defaultdict(int)
        for sha, verdict in verdicts.items():
            if sha in index and rewritten(index[sha], days, least, share):
                hit[verdict] += 1
        skipped = sum(
            1 for sha in selected if sha in index and rewritten(index[sha], days, least, share)
        )
        print(
            f"{days} days, >= {least} line(s), >= {share:.0%}: reviewed {dict(hit)}; "
            f"selected commits skipped {skipped} of {len(selected)}"
        )


if __name__ == "__main__":
    main()
