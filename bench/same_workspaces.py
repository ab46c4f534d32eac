"""Do two workspaces hold the same dataset? Byte for byte, without running anything.

    uv run python bench/same_workspaces.py BASELINE_WORKSPACE OTHER_WORKSPACE

The check behind every speed-up of the stages (``bench/stage_bench.py``): the baseline workspace
was made by the commit before the change, the other by the change, from the same sources. It
compares what ``bench/same_candidates.py`` compares — every candidate (id, kind, task type,
language, status, score, record) with a hash of its record text, every task, every draft skip,
every check verdict — and the bytes of every exported JSONL file. Run ids and timestamps differ
by design and are left out; so are the fact tables (``symbols``, …), which a deferral may fill
differently as long as nothing above changes. Exits 1 and prints the first differences when
anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from same_candidates import TABLES, differences, export_files, table_rows

# The mined facts, less the columns a deferral may leave empty (libcst's details, read when a task
# needs them) and those that name the run: shown, never required to match.
FACT_TABLES = {
    "commits": "SELECT * EXCLUDE (run_id) FROM commits ORDER BY id",
    "file_changes": "SELECT * FROM file_changes ORDER BY id",
    "symbols": "SELECT * EXCLUDE (signature, details) FROM symbols ORDER BY id",
    "secret_findings": "SELECT * EXCLUDE (run_id) FROM secret_findings ORDER BY id",
}
CANDIDATE_HASHES = (
    "SELECT id, status, md5(coalesce(record, '')) AS record_md5 FROM candidates ORDER BY id"
)


def candidate_hashes(workspace: Path) -> list[str]:
    """``id status md5(record)`` per candidate: the short form of the dataset, for the report."""
    with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as connection:
        return [" ".join(map(str, row)) for row in connection.execute(CANDIDATE_HASHES).fetchall()]


def dataset_digest(workspace: Path) -> str:
    """One hash of the candidates' ids, statuses and records and of every exported file."""
    digest = hashlib.sha256()
    for line in candidate_hashes(workspace):
        digest.update(line.encode() + b"\n")
    for name, data in export_files(workspace).items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def fact_differences(baseline: Path, other: Path) -> list[str]:
    """How the mined facts differ (informational: the dataset is what must not change)."""
    report: list[str] = []
    for name, sql in FACT_TABLES.items():
        sides = []
        for workspace in (baseline, other):
            with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as connection:
                sides.append([repr(row) for row in connection.execute(sql).fetchall()])
        report += differences(name, sides[0], sides[1])
    return report


def compare_workspaces(baseline: Path, other: Path) -> list[str]:
    """Lines saying how ``other`` differs from ``baseline`` (empty when it is the same)."""
    before, after = table_rows(baseline), table_rows(other)
    report: list[str] = []
    for name in TABLES:
        report += differences(name, before[name], after[name])
    report += differences("candidate hashes", candidate_hashes(baseline), candidate_hashes(other))
    exported_before, exported_after = export_files(baseline), export_files(other)
    for name in sorted(set(exported_before) | set(exported_after)):
        if exported_before.get(name) != exported_after.get(name):
            report.append(f"export/{name}: the bytes differ")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="the workspace made before the change")
    parser.add_argument("other", type=Path, help="the workspace made after it")
    parser.add_argument(
        "--facts", action="store_true", help="also show how the mined fact tables differ"
    )
    options = parser.parse_args()
    if options.facts:
        facts = fact_differences(options.baseline, options.other)
        print("\n".join(facts) if facts else "mined facts: the same (libcst details aside)")
    report = compare_workspaces(options.baseline, options.other)
    counts = {name: len(rows) for name, rows in table_rows(options.other).items()}
    print(", ".join(f"{name} {n}" for name, n in counts.items()))
    print(
        "\n".join(report)
        if report
        else f"the same: every table and every exported file, byte for byte "
        f"(dataset {dataset_digest(options.other)})"
    )
    sys.exit(1 if report else 0)


if __name__ == "__main__":
    main()
