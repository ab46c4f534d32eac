"""How fast goldmine mines a history, next to ``git log -p`` and pydriller, in one run.

    uv run python bench/mine_bench.py [--repo PATH] [--sizes 5000,20000,50000] [--no-pydriller]

On one real history (default: the pallets/flask mirror that ``fetch`` puts in /work/.mirror; it is
cloned into a temporary folder, never into the checkout) it times, side by side:

- ``git log -p`` alone, and git log with goldmine's own options (copies, raw lines, merges
  diffed against their first parent);
- goldmine reading the history (commits, changes and diffs parsed, nothing stored);
- goldmine's mine stage into a fresh warehouse, in one process and in one per core;
- the same mine again on the unchanged repository (the incremental run);
- symbol extraction alone, in changed files per second;
- pydriller reading every modified file's diff.

Then, on synthetic histories of growing size (built with ``git fast-import``), the peak memory of
the mining processes. Results go to ``bench/results/`` (ignored by git) as JSON and markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Required, TypedDict, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from miners.code_symbols import language_for_path  # noqa: E402
from miners.git_history import _GIT_CONFIG, _LOG_OPTIONS, iter_commits, open_repository  # noqa: E402
from miners.git_objects import BlobReader  # noqa: E402
from miners.symbol_changes import SymbolMiner  # noqa: E402
from warehouse.landing.commit_rows import MAX_SYMBOL_SOURCE_BYTES, LandingOptions  # noqa: E402
from warehouse.landing.repositories import land_repository  # noqa: E402
from warehouse.store import Warehouse  # noqa: E402

DEFAULT_REPO = Path("/work/.mirror/pallets+flask/repo")
RESULTS = ROOT / "bench" / "results"
KEY = b"b" * 32


class SymbolRate(TypedDict):
    files: int
    symbols: int
    seconds: float
    files_per_second: float
    full_parses: int
    incremental_parses: int


class RealHistory(TypedDict, total=False):
    """Seconds per step on the real history (``git_log_p`` is the yardstick), and its sizes."""

    repo: Required[str]
    commits: Required[int]
    file_changes: int
    rows: dict[str, int]
    git_log_p: float
    git_log_goldmine_options: float
    goldmine_read: float
    mine_1_process: float
    mine_per_core: float
    mine_incremental: float
    pydriller_diffs: float
    symbols: SymbolRate


class MemoryRow(TypedDict):
    """One synthetic history size: what ``--mine-once`` printed for it."""

    commits: int
    seconds: float
    rows: dict[str, int]
    peak_rss_mb: float
    peak_child_rss_mb: float


T = TypeVar("T")
TimedStep = Literal[
    "git_log_p",
    "git_log_goldmine_options",
    "goldmine_read",
    "mine_1_process",
    "mine_per_core",
    "mine_incremental",
    "pydriller_diffs",
]


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``work`` took, and what it returned."""
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def git_log_plain(repo: Path) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "HEAD"], stdout=subprocess.DEVNULL, check=True
    )


def git_log_goldmine_options(repo: Path) -> None:
    command = ["git", "-C", str(repo)]
    for setting in _GIT_CONFIG:
        command += ["-c", setting]
    subprocess.run(
        [*command, "log", *_LOG_OPTIONS, "HEAD", "--"], stdout=subprocess.DEVNULL, check=True
    )


def read_history(repo: Path) -> tuple[int, int]:
    commits = changes = 0
    for commit in iter_commits(open_repository(repo)):
        commits += 1
        changes += len(commit.changes)
    return commits, changes


def mine(repo: Path, database: Path, jobs: int) -> dict[str, int]:
    with Warehouse(database) as warehouse:
        summary = land_repository(warehouse, repo, "bench", LandingOptions(key=KEY, jobs=jobs))
    return summary.added


def symbol_rate(repo: Path) -> SymbolRate:
    """Changed code files of non-merge commits run through one SymbolMiner; only its time counts."""
    info = open_repository(repo)
    files = symbols = 0
    spent = 0.0
    with BlobReader(info.git_dir) as blobs:
        miner = SymbolMiner(lambda sha: blobs.read(sha, MAX_SYMBOL_SOURCE_BYTES))
        for commit in iter_commits(info):
            if commit.is_merge:
                continue
            for change in commit.changes:
                language = language_for_path(change.path)
                if language is None or change.is_binary or change.is_submodule:
                    continue
                start = time.perf_counter()
                found = miner.changes(
                    language,
                    change.old_blob,
                    change.new_blob,
                    change.hunks,
                    change.old_touched,
                    change.new_touched,
                )
                spent += time.perf_counter() - start
                files += 1
                symbols += len(found)
    return {
        "files": files,
        "symbols": symbols,
        "seconds": spent,
        "files_per_second": files / spent if spent else 0,
        "full_parses": miner.full_parses,
        "incremental_parses": miner.incremental_parses,
    }


def pydriller_diffs(repo: Path) -> tuple[int, int]:
    from pydriller import Repository

    commits = files = 0
    for commit in Repository(str(repo)).traverse_commits():
        commits += 1
        for modified in commit.modified_files:
            _ = modified.diff
            files += 1
    return commits, files


def measure_real_history(repo: Path, work: Path, with_pydriller: bool) -> RealHistory:
    git_log_plain(repo)  # warm the page cache for everyone
    figures: RealHistory = {
        "repo": str(repo),
        "commits": int(_git(repo, "rev-list", "--count", "HEAD")),
    }
    figures["git_log_p"], _ = timed(lambda: git_log_plain(repo))
    figures["git_log_goldmine_options"], _ = timed(lambda: git_log_goldmine_options(repo))
    figures["goldmine_read"], (_, figures["file_changes"]) = timed(lambda: read_history(repo))
    figures["mine_1_process"], _ = timed(lambda: mine(repo, work / "one.duckdb", 1))
    figures["mine_per_core"], figures["rows"] = timed(lambda: mine(repo, work / "cores.duckdb", 0))
    figures["mine_incremental"], _ = timed(lambda: mine(repo, work / "cores.duckdb", 0))
    figures["symbols"] = symbol_rate(repo)
    if with_pydriller:
        figures["pydriller_diffs"], _ = timed(lambda: pydriller_diffs(repo))
    return figures


def measure_memory(source: Path, sizes: list[int], work: Path) -> list[MemoryRow]:
    """Mine the first N commits of the synthetic history for each N, each in a process of its
    own."""
    rows: list[MemoryRow] = []
    for size in sizes:
        clone = work / f"h{size}"
        subprocess.run(
            [
                "git",
                "clone",
                "-q",
                "--bare",
                "--shared",
                "--branch",
                f"h{size}",
                str(source),
                str(clone),
            ],
            check=True,
        )
        output = subprocess.run(
            [sys.executable, __file__, "--mine-once", str(clone), str(work / f"h{size}.duckdb")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        measured = json.loads(output)
        rows.append(
            {
                "commits": size,
                "seconds": measured["seconds"],
                "rows": measured["rows"],
                "peak_rss_mb": measured["peak_rss_mb"],
                "peak_child_rss_mb": measured["peak_child_rss_mb"],
            }
        )
    return rows


def mine_once(repo: Path, database: Path) -> None:
    """(In a process of its own) mine ``repo`` and print time and peak memory as JSON.

    Memory comes from /proc, not getrusage: Linux carries the maxrss of a forked parent over
    into its child across exec, so getrusage would report the bench's own size. The workers'
    resident size is sampled every 50 ms while they run.
    """
    sampler = ChildMemory()
    sampler.start()
    seconds, added = timed(lambda: mine(repo, database, 0))
    sampler.stop()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": added,
                "peak_rss_mb": _status_mb(os.getpid(), "VmHWM"),
                "peak_child_rss_mb": sampler.peak_mb,
            }
        )
    )


class ChildMemory(threading.Thread):
    """Samples the resident memory of this process's children (the mining workers and git)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.05):
            for pid in _children(os.getpid()):
                self.peak_mb = max(self.peak_mb, _status_mb(pid, "VmRSS"))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, git {_git(ROOT, '--version').split()[-1]}"
    )


def markdown(real: RealHistory, memory: list[MemoryRow], when: str) -> str:
    base = real["git_log_p"]
    lines = [
        f"### mine_bench.py — {when}",
        "",
        f"Machine: {machine()}.",
        "",
        f"History: `{Path(real['repo']).name}` ({real['commits']:,} commits, "
        f"{real['file_changes']:,} file "
        "changes). Ratios are against `git log -p` in the same run.",
        "",
        "| what | seconds | × git log -p |",
        "|---|---:|---:|",
    ]
    rows: list[tuple[str, TimedStep]] = [
        ("`git log -p` alone", "git_log_p"),
        ("git log with goldmine's options (-C, --raw, merges)", "git_log_goldmine_options"),
        ("goldmine reads the history (parse only)", "goldmine_read"),
        ("goldmine mine stage, 1 process", "mine_1_process"),
        ("goldmine mine stage, one process per core", "mine_per_core"),
        ("incremental mine, unchanged repository", "mine_incremental"),
        ("pydriller reads every modified file's diff", "pydriller_diffs"),
    ]
    for label, key in rows:
        if key in real:
            lines.append(f"| {label} | {real[key]:.2f} | {real[key] / base:.2f} |")
    symbols = real["symbols"]
    pydriller = real.get("pydriller_diffs", 0.0)
    lines += [
        "",
        f"- pydriller ÷ goldmine reading: {pydriller / real['goldmine_read']:.1f}×; "
        f"pydriller ÷ goldmine mine stage (per core): {pydriller / real['mine_per_core']:.1f}×",
        f"- incremental run ÷ full run: {real['mine_incremental'] / real['mine_per_core']:.1%}",
        f"- symbols: {symbols['files']:,} changed code files in {symbols['seconds']:.1f} s = "
        f"{symbols['files_per_second']:,.0f} files/s ({symbols['full_parses']:,} full parses, "
        f"{symbols['incremental_parses']:,} incremental)",
        "",
        "| synthetic commits | mine seconds | peak RSS, main process (MB) | peak RSS, largest "
        "worker (MB) |",
        "|---:|---:|---:|---:|",
    ]
    for row in memory:
        lines.append(
            f"| {row['commits']:,} | {row['seconds']:.1f} | {row['peak_rss_mb']:.0f} | "
            f"{row['peak_child_rss_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repo", type=Path, default=DEFAULT_REPO, help="a real history (it is cloned first)"
    )
    parser.add_argument(
        "--sizes", default="5000,20000,50000", help="synthetic history sizes for the memory test"
    )
    parser.add_argument(
        "--no-pydriller", action="store_true", help="skip pydriller (it is the slow part)"
    )
    parser.add_argument("--mine-once", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mine_once:
        mine_once(*args.mine_once)
        return
    from synthetic_history import build

    sizes = [int(n) for n in args.sizes.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="goldmine-bench-") as folder:
        work = Path(folder)
        name = args.repo.parent.name if args.repo.name in ("repo", ".git") else args.repo.name
        clone = work / name.removesuffix(".git")
        subprocess.run(
            ["git", "clone", "-q", "--no-checkout", str(args.repo), str(clone)], check=True
        )
        real = measure_real_history(clone, work, not args.no_pydriller)
        synthetic = build(work / "synthetic.git", max(sizes), sizes) if sizes else None
        memory = measure_memory(synthetic, sizes, work) if synthetic else []
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = markdown(real, memory, when)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    (RESULTS / f"mine_bench-{stamp}.json").write_text(
        json.dumps({"real": real, "memory": memory}, indent=2)
    )
    (RESULTS / f"mine_bench-{stamp}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
