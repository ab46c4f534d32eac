"""The cost of the ``resolves`` check on a real workspace, with grounding as the baseline.

    uv run goldmine run --repo /tmp/flask --workspace /tmp/gm-flask --kinds both --lang both
    uv run python bench/resolves_bench.py --workspace /tmp/gm-flask

Reads every candidate of the workspace's warehouse (read only) and asks each, in one process with
cold caches, the ``resolves`` check; then, as the baseline, every other check the assay asks of
one record (the default checklist with grounding and traceability, as the runner builds it; no
judge, no duplicates). Prints and appends to bench/results/resolves.md (ignored by git):
candidates, the time of each, how many records ``resolves`` passed, failed or did not apply to,
and its most common failure kinds.
"""

from __future__ import annotations

import argparse
import platform
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from warehouse.assay.checklist import default_checks
from warehouse.assay.checks.base import Check, Verdict
from warehouse.assay.grounding import Grounder
from warehouse.assay.resolves import Resolver
from warehouse.assay.traceability import TicketTracer
from warehouse.records import Record, parse_record
from warehouse.store import Warehouse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# What differs between failures of one kind: names, paths, line numbers.
_QUOTED = re.compile(
    r"'[^']*'|(?<= in )\S+(?= after)|(?<=names )\S+|^\S+(?= does not compile)|\(line \d+\)"
)


def every_other_check(checks: tuple[Check, ...]) -> Callable[[Record], Verdict | None]:
    """One call that asks ``checks`` of a record, as the assay does (raw JSON and the record)."""

    def ask(record: Record) -> Verdict | None:
        raw = record.model_dump(mode="json")
        for check in checks:
            check.verdict(raw, record)
        return None

    return ask


def timed(
    check: Callable[[Record], Verdict | None], records: list[Record]
) -> tuple[float, Counter[str]]:
    """Seconds for asking ``check`` of every record, and the verdicts by outcome."""
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for record in records:
        verdict = check(record)
        outcomes["n/a" if verdict is None else "pass" if verdict.passed else "fail"] += 1
        if verdict is not None and not verdict.passed:
            outcomes[f"fail: {_QUOTED.sub('…', verdict.detail)}"] += 1
    return time.perf_counter() - started, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    arguments = parser.parse_args()
    with Warehouse(arguments.workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT record, task_id FROM candidates WHERE record IS NOT NULL "
            "ORDER BY created_at, id"
        ).rows
        records = [parse_record(record) for record, _ in rows]
        task_ids = [task_id for _, task_id in rows]
        started = time.perf_counter()
        resolver = Resolver(warehouse, task_ids)
        setup = time.perf_counter() - started
        grounder = Grounder(warehouse, task_ids)
        tracer = TicketTracer(warehouse, task_ids)
    others = default_checks(grounding=grounder.verdict, traceability=tracer.verdict)
    try:
        resolves_seconds, resolves = timed(resolver.verdict, records)
        baseline_seconds, _ = timed(every_other_check(others), records)
    finally:
        resolver.close()
        grounder.close()
    report = render(len(records), setup, resolves_seconds, resolves, baseline_seconds)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "resolves.md").open("a", encoding="utf-8") as out:
        out.write(report + "\n")


def render(
    count: int,
    setup: float,
    resolves_seconds: float,
    resolves: Counter[str],
    baseline_seconds: float,
) -> str:
    """The results as a Markdown section."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### resolves_bench.py — {stamp}",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; {count:,} candidates.",
        "",
        "| checks | seconds | ms per candidate |",
        "|---|---:|---:|",
        f"| `resolves` | {resolves_seconds:.1f} | {1000 * resolves_seconds / max(count, 1):.1f} |",
        f"| every other check of one record (baseline) | {baseline_seconds:.1f} | "
        f"{1000 * baseline_seconds / max(count, 1):.1f} |",
        "",
        f"`resolves` passed {resolves['pass']:,}, failed {resolves['fail']:,} and did not apply "
        f"to {resolves['n/a']:,}.",
    ]
    lines += ["", f"Setting up the resolver (two queries): {setup:.2f} s.", "", "Failures by kind:"]
    kinds = [(k, n) for k, n in resolves.most_common() if k.startswith("fail: ")]
    lines += [f"- {n:,} × {kind.removeprefix('fail: ')}" for kind, n in kinds[:12]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
