"""Mining many repositories: one after another in one process, on the default runner (a Prefect flow
whose tasks hand each repository to a pool of this machine's processes), and on a 2-worker local
Dask cluster (``--runner dask``) — in one run, side by side, with ``git log -p`` over the same
repositories as the baseline.

    uv run python bench/nightly_bench.py                   # 8 synthetic repositories, 1,500 commits
    uv run python bench/nightly_bench.py --repos 4 --commits 4000

The repositories are built with ``git fast-import`` (a different history each). A Prefect server
is started on 127.0.0.1 first and every Prefect run reports to it, so the figures hold the runs'
own overheads (flow and task bookkeeping, the process pool, the Dask cluster's start), not
Prefect's ephemeral server start; Prefect is imported once before the timings (about 2 s in a
fresh process, which a cron-started run pays too). Each mode mines into a fresh workspace; then
the same workspace again with nothing new (the fixed cost of a nightly run on an unchanged
history: for Dask, mostly starting the cluster's worker processes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    from flows.settings import Settings
    from flows.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

Mode = Literal["serial", "pool", "default", "dask", "dask-standing"]
MODES: dict[Mode, str] = {
    "serial": "one after another, one process (`goldmine mine`, `jobs = 1`)",
    "pool": "the same fan-out without Prefect: a unit per repository on a pool of 2 processes",
    "default": "default runner: a task per repository, a pool of 2 processes",
    "dask": "`--runner dask`: a task per repository, LocalCluster of 2 worker processes",
    "dask-standing": "`--runner dask` on a cluster already running and warm (`[scale] "
    "dask_address`), 2 workers",
}
FRESH_CLUSTER_MODES: tuple[Mode, ...] = ("serial", "pool", "default", "dask")
# What flows.run.pipeline returns: each stage's counts, as runs.counts stores them.
StageCounts = dict[str, Any]


class ModeTimings(TypedDict):
    """Seconds to mine every repository into a fresh workspace, then again with nothing new."""

    full: float
    unchanged: float
    commits: int
    symbols: int


Results = TypedDict(
    "Results",
    {
        "prefect_import": float,
        "git_log_p": float,
        "serial": ModeTimings,
        "pool": ModeTimings,
        "default": ModeTimings,
        "dask": ModeTimings,
        "dask-standing": ModeTimings,
    },
    total=False,
)


def build_repositories(folder: Path, count: int, commits: int) -> list[Path]:
    """``count`` bare repositories with different synthetic histories of ``commits`` commits."""
    from synthetic_history import write_stream

    repos = []
    for number in range(count):
        target = folder / f"repo{number:02d}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(target)], check=True)
        with subprocess.Popen(
            ["git", "--git-dir", str(target), "fast-import", "--quiet"], stdin=subprocess.PIPE
        ) as fi:
            assert fi.stdin is not None
            write_stream(fi.stdin, commits, [], seed=100 + number)
            fi.stdin.close()
        subprocess.run(
            ["git", "--git-dir", str(target), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
        )
        repos.append(target)
    return repos


def git_log_p(repos: list[Path]) -> float:
    started = time.perf_counter()
    for repo in repos:
        subprocess.run(
            ["git", "--git-dir", str(repo), "log", "-p", "HEAD"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
    return time.perf_counter() - started


def mine(
    mode: Mode, repos: list[Path], workspace: Path, workers: int, address: str = ""
) -> ModeTimings:
    """Mine every repository into a fresh workspace with ``mode``; then again with nothing new."""
    from flows.run.pipeline import run_stages
    from flows.settings import Settings, settings_with
    from flows.workspace import Workspace

    settings = settings_with(
        Settings(),
        sources__repos=[str(r) for r in repos],
        mine__jobs=1,
        scale__runner="dask" if mode.startswith("dask") else "default",
        scale__workers=workers,
        scale__dask_address=address or None,
    )
    space = Workspace.at(workspace)
    seconds: dict[str, float] = {}
    added: dict[str, int] = {}
    for name in ("full", "unchanged"):
        started = time.perf_counter()
        if mode == "pool":
            counts = mine_on_pool(space, settings, workers)
        else:
            _, counts = run_stages(
                space, settings, ["mine"], command="mine", use_prefect=mode != "serial"
            )
        seconds[name] = time.perf_counter() - started
        if name == "full":
            added = counts["mine"]["added"]
    return {
        "full": seconds["full"],
        "unchanged": seconds["unchanged"],
        "commits": added["commits"],
        "symbols": added["symbols"],
    }


def mine_on_pool(space: Workspace, settings: Settings, workers: int) -> StageCounts:
    """The mine stage fanned out on a process pool, without Prefect (what the default runner's tasks
    hand their work to)."""
    from flows.run.fanout import PoolFanOut
    from flows.run.pipeline import run_recorded
    from flows.run.stages import STAGES, StageContext

    with PoolFanOut(workers) as pool:

        def body(context: StageContext) -> dict[str, StageCounts]:
            fanned = StageContext(
                context.workspace, context.warehouse, context.settings, context.run_id, pool
            )
            return {"mine": STAGES["mine"](fanned)}

        return run_recorded(space, settings, ["mine"], body, command="mine", wait=0)[1]


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load:.1f} at the start"
    )


def markdown(results: Results, args: argparse.Namespace, when: str, host: str) -> str:
    serial = results["serial"]["full"]
    lines = [
        f"### nightly_bench.py — {when}",
        "",
        f"Machine: {host}.",
        "",
        f"`uv run python bench/nightly_bench.py --repos {args.repos} --commits {args.commits}`: "
        f"{args.repos} "
        f"synthetic repositories of {args.commits:,} commits ({results['serial']['commits']:,} "
        "commits, "
        f"{results['serial']['symbols']:,} changed symbols in all), mined into a fresh warehouse.",
        "",
        "| how | seconds | × one after another | commits/s | nothing new (s) |",
        "|---|---:|---:|---:|---:|",
        f"| `git log -p` over the same repositories (baseline) | {results['git_log_p']:.2f} | "
        f"{results['git_log_p'] / serial:.2f} | — | — |",
    ]
    prefect_import = results["prefect_import"]
    for mode, label in MODES.items():
        row = results[mode]
        lines.append(
            f"| {label} | {row['full']:.2f} | {row['full'] / serial:.2f} | "
            f"{row['commits'] / row['full']:,.0f} | {row['unchanged']:.2f} |"
        )
    lines += [
        "",
        f"Importing Prefect and goldmine's flows took {prefect_import:.1f} s before the timings "
        "(a fresh "
        "process pays it once per run).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", type=int, default=8, help="how many repositories")
    parser.add_argument("--commits", type=int, default=1500, help="commits per repository")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes of the pool and of the Dask cluster"
    )
    args = parser.parse_args()
    host = machine()
    with tempfile.TemporaryDirectory(prefix="goldmine-nightly-bench-") as folder:
        work = Path(folder)
        repos = build_repositories(work / "repos", args.repos, args.commits)
        from flows.run.prefect_server import LocalPrefectServer

        with LocalPrefectServer(work / ".prefect") as url:
            os.environ.update({"PREFECT_API_URL": url, "PREFECT_HOME": str(work / ".prefect")})
            started = time.perf_counter()
            import flows.run.prefect_flows  # imported once per process, before the timings

            results: Results = {
                "prefect_import": time.perf_counter() - started,
                "git_log_p": git_log_p(repos),
            }
            for mode in FRESH_CLUSTER_MODES:
                results[mode] = mine(mode, repos, work / mode, args.workers)
                print(mode, results[mode], flush=True)
            from distributed import LocalCluster

            with LocalCluster(  # type: ignore[no-untyped-call]  # distributed leaves it untyped
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster:
                # the first run on fresh workers imports Prefect and goldmine there; a standing
                # cluster
                # has done that on an earlier night
                mine(
                    "dask-standing",
                    repos[:1],
                    work / "warm-up",
                    args.workers,
                    cluster.scheduler_address,
                )
                results["dask-standing"] = mine(
                    "dask-standing",
                    repos,
                    work / "standing",
                    args.workers,
                    cluster.scheduler_address,
                )
            flows.run.prefect_flows.flush_to_api()
    counts = {(results[mode]["commits"], results[mode]["symbols"]) for mode in MODES}
    assert len(counts) == 1, f"the modes stored different rows: {counts}"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = markdown(results, args, when, host)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    (RESULTS / f"nightly_bench-{stamp}.json").write_text(json.dumps(results, indent=2))
    (RESULTS / f"nightly_bench-{stamp}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
