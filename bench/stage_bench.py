"""The mine, draft, assay and export stages of this checkout next to a baseline commit's, on one
real history, in one run — and proof that both made the same dataset.

    uv run python bench/stage_bench.py [--baseline main] [--repo /work/.mirror/pallets+flask/repo]
                                       [--keep DIR] [--rounds 1] [--this CHECKOUT]

The baseline is a ``git worktree`` of ``--baseline`` (a commit, branch or tag of this
repository) with its own ``uv`` environment, made in a temporary folder and removed at the end.
The history (default: the pallets/flask mirror) is cloned once into that folder; both checkouts
mine the same clone, into fresh workspaces that share one key, so that everything they store is
comparable. Each stage runs as a user runs it — ``goldmine mine``, ``goldmine draft --kinds both
--lang both``, ``goldmine assay``, ``goldmine export`` — the baseline's and this checkout's turns
alternating, stage by stage, so that both see the same load on a shared machine. Two figures per
stage: the command's wall time, the stage's own time from its ``runs`` row (the command
less Python's start-up, imports and the lock), and the CPU seconds of the command and every
process it started (steadier than the wall clock on a shared machine). ``git log -p -M`` over
the same clone is the floor.

At the end ``bench/same_workspaces.py`` compares the two workspaces (every candidate, task, draft
skip, check verdict and exported byte; the mined facts shown); the script exits 1 when the
datasets differ. Results go to ``bench/results/stage_bench-*.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))

from same_workspaces import compare_workspaces, dataset_digest, fact_differences  # noqa: E402

DEFAULT_REPO = Path("/work/.mirror/pallets+flask/repo")
RESULTS = HERE / "bench" / "results"
KEY = bytes(range(32))  # one key for both workspaces: keyed hashes compare equal
STAGES: dict[str, list[str]] = {
    "mine": ["mine", "--repo", "{repo}"],
    "draft": ["draft", "--kinds", "both", "--lang", "both"],
    "assay": ["assay"],
    "export": ["export"],
}


def git_log_floor(repo: Path, tries: int = 3) -> float:
    """The fastest of ``tries`` runs of ``git log -p -M`` over the whole history."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        subprocess.run(
            ["git", "-C", str(repo), "log", "-p", "-M"], stdout=subprocess.DEVNULL, check=True
        )
        best = min(best, time.perf_counter() - started)
    return best


def make_baseline(revision: str, folder: Path) -> Path:
    """A worktree of ``revision`` with its locked environment installed."""
    subprocess.run(
        ["git", "-C", str(HERE), "worktree", "add", "--detach", str(folder), revision],
        check=True,
        capture_output=True,
    )
    subprocess.run(["uv", "sync", "--locked", "--quiet", "--project", str(folder)], check=True)
    return folder


def run_stage(checkout: Path, stage: str, workspace: Path, repo: Path) -> dict[str, float]:
    """One stage command from ``checkout``; its wall seconds and its stage seconds."""
    args = [part.format(repo=repo) for part in STAGES[stage]]
    command = ["uv", "run", "--quiet", "--project", str(checkout), "goldmine", *args]
    started, cpu_before = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [*command, "--workspace", str(workspace)], capture_output=True, text=True, check=False
    )
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: goldmine {stage} failed\n{done.stdout}\n{done.stderr}")
    return {"wall": wall, "stage": last_run_seconds(workspace), "cpu": cpu}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far, theirs included: on a
    shared machine a steadier measure of the work than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def last_run_seconds(workspace: Path) -> float:
    """How long the workspace's latest run took, by its ``runs`` row."""
    with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as connection:
        row = connection.execute(
            "SELECT epoch(finished_at) - epoch(started_at) FROM runs "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return float(row[0]) if row else float("nan")


def fresh_workspace(folder: Path) -> Path:
    """An empty workspace holding the shared key."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / ".goldmine-key").write_bytes(KEY)
    (folder / ".goldmine-key").chmod(0o600)
    return folder


def bench(options: argparse.Namespace, root: Path) -> tuple[dict[str, Any], int]:
    """Run both checkouts stage by stage; return the results and the exit status."""
    repo = root / "flask" if options.repo == DEFAULT_REPO else root / options.repo.name
    if not repo.exists():
        subprocess.run(["git", "clone", "--quiet", str(options.repo), str(repo)], check=True)
    baseline = root / "baseline"
    if not baseline.exists():
        make_baseline(options.baseline, baseline)
    sides = {"baseline": baseline, "this": options.this}
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = machine()
    floor = git_log_floor(repo)
    times: dict[str, dict[str, list[dict[str, float]]]] = {s: {} for s in sides}
    digests: dict[str, str] = {}
    status = 0
    for round_number in range(options.rounds):
        workspaces = {s: fresh_workspace(root / f"ws-{s}-{round_number}") for s in sides}
        for stage in options.stages:
            order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
            for side in order:
                seconds = run_stage(sides[side], stage, workspaces[side], repo)
                times[side].setdefault(stage, []).append(seconds)
                print(
                    f"round {round_number + 1} {stage:6} {side:8} {seconds['wall']:7.1f} s "
                    f"(stage {seconds['stage']:.1f} s, CPU {seconds['cpu']:.1f} s)",
                    flush=True,
                )
        report = compare_workspaces(workspaces["baseline"], workspaces["this"])
        facts = fact_differences(workspaces["baseline"], workspaces["this"])
        print("\n".join(facts) if facts else "mined facts: the same (libcst details aside)")
        print("\n".join(report) if report else "the same dataset, byte for byte")
        digests = {s: dataset_digest(w) for s, w in workspaces.items()}
        status = status or (1 if report else 0)
    results = {
        "date": started,
        "machine": where,
        "load_at_the_end": round(os.getloadavg()[0], 1),
        "repo": str(options.repo),
        "commits": commit_count(repo),
        "baseline": f"{options.baseline} ({revision_of(baseline)})",
        "this": revision_of(options.this)
        + (" + uncommitted changes" if dirty(options.this) else ""),
        "git_log_p_M": floor,
        "seconds": times,
        "same_dataset": status == 0,
        "dataset_digests": digests,
    }
    return results, status


def machine() -> str:
    """Cores, memory, OS, Python and the load when the run started."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load {load:.1f} at the start"
    )


def commit_count(repo: Path) -> int:
    result = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


def revision_of(checkout: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def dirty(checkout: Path) -> bool:
    result = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    )
    return bool(result.stdout.strip())


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def markdown(results: dict[str, Any]) -> str:
    """The results as the table bench/README.md shows."""
    floor = results["git_log_p_M"]
    lines = [
        f"### stage_bench.py — {results['date']}",
        "",
        f"Machine: {results['machine']}, {results['load_at_the_end']} at the end. "
        f"History: {results['repo']} ({results['commits']:,} "
        f"commits). Baseline {results['baseline']}, this checkout {results['this']}.",
        "",
        f"`git log -p -M` (the floor): {floor:.2f} s.",
        "",
        "| stage | baseline wall s | this wall s | this ÷ baseline | baseline stage s | this "
        "stage s | this ÷ baseline (stage) | baseline CPU s | this CPU s | this ÷ baseline (CPU) "
        "| this wall × floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stage in results["seconds"]["this"]:
        base = results["seconds"]["baseline"][stage]
        this = results["seconds"]["this"][stage]
        base_wall, this_wall = median([t["wall"] for t in base]), median([t["wall"] for t in this])
        base_stage = median([t["stage"] for t in base])
        this_stage = median([t["stage"] for t in this])
        base_cpu = median([t.get("cpu", float("nan")) for t in base])
        this_cpu = median([t.get("cpu", float("nan")) for t in this])
        lines.append(
            f"| {stage} | {base_wall:.1f} | {this_wall:.1f} | {this_wall / base_wall:.2f} | "
            f"{base_stage:.1f} | {this_stage:.1f} | {this_stage / base_stage:.2f} | "
            f"{base_cpu:.1f} | {this_cpu:.1f} | {this_cpu / base_cpu:.2f} | "
            f"{this_wall / floor:.1f} |"
        )
    same = "yes" if results["same_dataset"] else "**no**"
    lines += ["", f"Same dataset (candidates, tasks, skips, verdicts, export bytes): {same}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the commit to compare with")
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO)
    parser.add_argument(
        "--this", type=Path, default=HERE, help="the checkout under test (default: this one)"
    )
    parser.add_argument("--keep", type=Path, help="keep the clone, worktree and workspaces here")
    parser.add_argument("--rounds", type=int, default=1, help="fresh workspaces, this many times")
    parser.add_argument(
        "--stages",
        type=lambda text: text.split(","),
        default=list(STAGES),
        help="comma-separated, in order (default: mine,draft,assay,export)",
    )
    options = parser.parse_args()
    root = options.keep.resolve() if options.keep else Path(tempfile.mkdtemp(prefix="gm-stages-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        results, status = bench(options, root)
    finally:
        if not options.keep:
            subprocess.run(
                ["git", "-C", str(HERE), "worktree", "remove", "--force", str(root / "baseline")],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(root, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"stage_bench-{stamp}.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (RESULTS / f"stage_bench-{stamp}.md").write_text(table)
    print(table)
    sys.exit(status)


if __name__ == "__main__":
    main()
