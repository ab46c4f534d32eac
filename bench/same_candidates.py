"""Do two checkouts of goldmine make the same dataset? Byte for byte, on the same sources.

Usage (one command; never commit the repositories it reads):

    uv run python bench/same_candidates.py --baseline /tmp/base --repo /tmp/flask
    uv run python bench/same_candidates.py --baseline /tmp/base --demo

``--baseline`` is another checkout of goldmine (a ``git worktree`` or clone of an earlier commit,
with its own ``uv`` environment); this checkout is the one under test. Both run the whole pipeline
inline (extractive drafter, both kinds, both languages) into fresh workspaces on the same sources,
and the script compares what they stored and exported: every candidate (id, kind, task type,
language, status, score, record), every task, every draft skip, every check verdict, and the
bytes of every exported JSONL file. Run ids and timestamps differ by design and are left out.

``--demo`` uses the demo's sources: a clone of the baseline checkout's own history (so both sides
mine the same commits, whatever has been committed since) and the bundled ticket exports, copied
to one place so both sides see the same paths. It exits 1 when anything differs and prints the
first differences of each table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent.parent
DEMO_TICKET_FILES = ("tickets.json", "support_tickets.json")
TABLES = {
    "candidates": "SELECT id, task_id, kind, task_type, lang, drafter, template, status, score, "
    "record "
    "FROM candidates ORDER BY id",
    "tasks": "SELECT id, commit_id, ticket_id, family, polarity, status, reason, facts FROM tasks "
    "ORDER BY id",
    "draft_skips": "SELECT task_id, kind, lang, drafter, reason FROM draft_skips ORDER BY ALL",
    "checks": 'SELECT candidate_id, "check", passed, score, detail FROM checks ORDER BY ALL',
}


@dataclass(frozen=True)
class Sources:
    repos: list[Path]
    tickets: list[Path]


def run_checkout(checkout: Path, sources: Sources, workspace: Path) -> float:
    """Run ``goldmine run --inline`` from ``checkout`` into ``workspace``; return its seconds."""
    args = [
        "uv",
        "run",
        "--project",
        str(checkout),
        "goldmine",
        "run",
        "--inline",
        "--kinds",
        "both",
    ]
    args += ["--lang", "both", "--drafter", "extractive", "--workspace", str(workspace)]
    for repo in sources.repos:
        args += ["--repo", str(repo)]
    for export in sources.tickets:
        args += ["--tickets", str(export)]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: goldmine run failed\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def table_rows(workspace: Path) -> dict[str, list[str]]:
    """Each compared table as one canonical JSON line per row."""
    with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as connection:
        return {
            name: [
                json.dumps(row, default=str, ensure_ascii=False)
                for row in connection.execute(sql).fetchall()
            ]
            for name, sql in TABLES.items()
        }


def export_files(workspace: Path) -> dict[str, bytes]:
    """The exported JSONL files by name."""
    return {path.name: path.read_bytes() for path in sorted((workspace / "export").glob("*.jsonl"))}


def differences(name: str, before: list[str], after: list[str], shown: int = 3) -> list[str]:
    """Lines saying how two tables' rows differ (empty when they are the same)."""
    if before == after:
        return []
    gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    lines = [
        f"{name}: {len(before)} rows before, {len(after)} after; {len(gone)} only before, "
        f"{len(new)} only after"
    ]
    lines += [f"  - {row[:400]}" for row in gone[:shown]]
    lines += [f"  + {row[:400]}" for row in new[:shown]]
    return lines


def compare(
    baseline: Path, sources: Sources, keep: Path | None, *, reuse_baseline: bool = False
) -> int:
    root = keep or Path(tempfile.mkdtemp(prefix="goldmine-same-"))
    sides = {"baseline": (baseline, root / "baseline"), "this": (HERE, root / "this")}
    stored, exported = {}, {}
    for side, (checkout, workspace) in sides.items():
        if side == "baseline" and reuse_baseline and (workspace / "goldmine.duckdb").exists():
            seconds = 0.0
        else:
            shutil.rmtree(workspace, ignore_errors=True)
            seconds = run_checkout(checkout, sources, workspace)
        stored[side], exported[side] = table_rows(workspace), export_files(workspace)
        counts = ", ".join(f"{name} {len(rows)}" for name, rows in stored[side].items())
        print(f"{side:8} {checkout}: {seconds:.0f} s; {counts}; {len(exported[side])} export files")
    report: list[str] = []
    for name in TABLES:
        report += differences(name, stored["baseline"][name], stored["this"][name])
    for name in sorted(set(exported["baseline"]) | set(exported["this"])):
        if exported["baseline"].get(name) != exported["this"].get(name):
            report.append(f"export/{name}: the bytes differ")
    print(
        "\n".join(report)
        if report
        else "the same: every table and every exported file, byte for byte"
    )
    if keep is None:
        shutil.rmtree(root)
    return 1 if report else 0


def demo_sources(baseline: Path, root: Path) -> Sources:
    """The demo's sources at fixed paths: the baseline's own history and the bundled exports."""
    repo = root / "goldmine-history"
    if not repo.exists():
        subprocess.run(["git", "clone", "--quiet", str(baseline), str(repo)], check=True)
    fixtures = next(baseline.glob("flows/**/support_tickets.json")).parent
    tickets = []
    for name in DEMO_TICKET_FILES:
        shutil.copyfile(fixtures / name, root / name)
        tickets.append(root / name)
    return Sources([repo], tickets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another goldmine checkout")
    parser.add_argument("--repo", type=Path, action="append", default=[])
    parser.add_argument("--tickets", type=Path, action="append", default=[])
    parser.add_argument("--demo", action="store_true", help="the demo's sources")
    parser.add_argument(
        "--keep", type=Path, help="keep both workspaces (and the demo's sources) here"
    )
    parser.add_argument(
        "--reuse-baseline", action="store_true", help="with --keep: reuse the baseline's workspace"
    )
    options = parser.parse_args()
    keep = options.keep.resolve() if options.keep else None
    if options.demo:
        sources_root = keep or Path(tempfile.mkdtemp(prefix="goldmine-demo-sources-"))
        sources_root.mkdir(parents=True, exist_ok=True)
        sources = demo_sources(options.baseline.resolve(), sources_root)
    else:
        sources = Sources(
            [repo.resolve() for repo in options.repo], [t.resolve() for t in options.tickets]
        )
    if not sources.repos and not sources.tickets:
        raise SystemExit("nothing to compare: give --repo, --tickets or --demo")
    sys.exit(
        compare(options.baseline.resolve(), sources, keep, reuse_baseline=options.reuse_baseline)
    )


if __name__ == "__main__":
    main()
