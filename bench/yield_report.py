"""Yield of a real history: accepted records per 100 commits, per kind and task family.

Usage (one command; never commit the repository it reads):

    uv run python bench/yield_report.py /path/to/repo [--tickets FILE] [--workspace DIR]

Runs the whole pipeline inline (extractive drafter, English, instruction and agent records) into a
fresh workspace, then prints a Markdown table for bench/README.md with the date and machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from flows.commands.cli import main
from warehouse.store import Warehouse


def run(repo: Path, tickets: list[Path], workspace: Path) -> float:
    args = [
        "run",
        "--inline",
        "--repo",
        str(repo),
        "--kinds",
        "both",
        "--lang",
        "en",
        "--workspace",
        str(workspace),
    ]
    for export in tickets:
        args += ["--tickets", str(export)]
    started = time.perf_counter()
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return time.perf_counter() - started


def table(workspace: Path) -> str:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        commits = warehouse.count("commits")
        rows = warehouse.query(
            "SELECT kind, task_type, count(*) FILTER (WHERE status = 'accepted'), count(*) FROM "
            "candidates "
            "GROUP BY ALL ORDER BY 1, 3 DESC"
        ).rows
    lines = [
        "| kind | family | accepted | drafted | accepted per 100 commits |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, family, accepted, drafted in rows:
        lines.append(
            f"| {kind} | {family} | {accepted} | {drafted} | {100 * accepted / commits:.2f} |"
        )
    total = sum(r[2] for r in rows)
    lines.append(
        f"| all | all | {total} | {sum(r[3] for r in rows)} | {100 * total / commits:.2f} |"
    )
    return f"{commits} commits\n\n" + "\n".join(lines)


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--tickets", type=Path, action="append", default=[])
    parser.add_argument("--workspace", type=Path)
    options = parser.parse_args()
    workspace = options.workspace or Path(tempfile.mkdtemp(prefix="goldmine-yield-"))
    seconds = run(options.repo, options.tickets, workspace)
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores; "
        f"whole pipeline {seconds:.0f} s\n"
    )
    print(table(workspace))
    if options.workspace is None:
        shutil.rmtree(workspace)


if __name__ == "__main__":
    main_cli()
