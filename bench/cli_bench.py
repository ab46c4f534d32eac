"""What a goldmine command costs from the shell, this checkout against a baseline checkout, side by
side in one run: ``--help``, ``status``, a mistyped path, a 17-commit repository's first run and
its run with nothing new, and (unless ``--no-flask``) pallets/flask's first run and its run with
nothing new.

    git clone -q /work/main /tmp/goldmine-base && git -C /tmp/goldmine-base checkout -q 686c736
    (cd /tmp/goldmine-base && uv sync --locked -q)
    git clone -q /work/.mirror/pallets+flask/repo /tmp/fast-cli-flask
    uv run python bench/cli_bench.py --baseline /tmp/goldmine-base --flask /tmp/fast-cli-flask

Each command runs as a user runs it (the checkout's ``.venv/bin/goldmine``, a clean environment:
no ``PREFECT_API_URL``), each checkout's default mode (the baseline: a Prefect flow on the
ephemeral server; this one: in this process when no Prefect API is configured), the two
checkouts alternating so both see the same load. The figures are wall-clock seconds (median of
``--repeat`` for the quick ones) and the commands' CPU seconds (user + system of every process
they started), and the ratio of this checkout to the baseline. The 17-commit repository is the
first 17 commits of the demo's history script (``flows/demo/fixtures/history.toml``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
SMALL_COMMITS = 17
TARGETS = {  # the targets for this checkout, in wall-clock seconds
    "--help": 0.5,
    "status": 0.5,
    "17 commits, first run": 5.0,
    "17 commits, nothing new": 2.0,
    "flask, nothing new": 2.0,
}


@dataclass(frozen=True, slots=True)
class Timing:
    """One command's cost: wall-clock and CPU seconds (medians over the repeats)."""

    wall: float
    cpu: float
    status: int


def timed(command: Sequence[str | Path], cwd: Path, repeat: int = 1) -> Timing:
    """Run ``command`` ``repeat`` times; the median wall-clock and CPU seconds, and its exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    walls, cpus, status = [], [], 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [str(part) for part in command], cwd=cwd, env=env, capture_output=True, check=False
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        status = done.returncode
    return Timing(statistics.median(walls), statistics.median(cpus), status)


def small_repository(folder: Path) -> Path:
    """The first 17 commits of the demo's history, as a repository (the same hashes every time)."""
    from flows.demo.sample_repo import DEMO_HISTORY, build_repository, load_script

    return build_repository(folder / "small", load_script(DEMO_HISTORY)[:SMALL_COMMITS])


def measure(
    checkouts: dict[str, Path], small: Path, flask: Path | None, scratch: Path, repeat: int
) -> dict[str, dict[str, Timing]]:
    """Every case for every checkout, alternating checkouts within a case."""
    results: dict[str, dict[str, Timing]] = {name: {} for name in checkouts}

    def each(case: str, args: Sequence[str | Path], times: int = 1) -> None:
        for name, checkout in checkouts.items():
            goldmine = checkout / ".venv" / "bin" / "goldmine"
            command: list[str | Path] = [
                goldmine,
                *(str(a).replace("{W}", str(scratch / name)) for a in args),
            ]
            results[name][case] = timed(command, scratch, times)
            print(f"{case:28} {name:9} {results[name][case].wall:7.2f} s", flush=True)

    each("--help", ["--help"], repeat)
    each("a path that is no repository", ["run", "--repo", "/nonexistent", "--workspace", "{W}-x"])
    each("17 commits, first run", ["run", "--repo", small, "--workspace", "{W}-small"])
    each("17 commits, nothing new", ["run", "--repo", small, "--workspace", "{W}-small"], repeat)
    each("status", ["status", "--workspace", "{W}-small"], repeat)
    if flask is not None:
        each("flask, first run", ["run", "--repo", flask, "--workspace", "{W}-flask"])
        each("flask, nothing new", ["run", "--repo", flask, "--workspace", "{W}-flask"])
    return results


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the start"
    )


def commit_of(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def markdown(
    results: dict[str, dict[str, Timing]], checkouts: dict[str, Path], host: str, when: str
) -> str:
    base, new = results["baseline"], results["this"]
    lines = [
        f"### cli_bench.py — {when}",
        "",
        f"Machine: {host}. Baseline `{commit_of(checkouts['baseline'])}`, this checkout "
        f"`{commit_of(checkouts['this'])}`.",
        "",
        "| command | baseline wall s | this wall s | ratio | baseline CPU s | this CPU s | "
        "target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for case, timing in new.items():
        before = base[case]
        target = TARGETS.get(case)
        met = "" if target is None else ("yes" if timing.wall < target else "no")
        lines.append(
            f"| `{case}` | {before.wall:.2f} | {timing.wall:.2f} | "
            f"{timing.wall / before.wall:.2f} | {before.cpu:.2f} | {timing.cpu:.2f} | "
            f"{'' if target is None else f'< {target:g}'} | {met} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout with its .venv")
    parser.add_argument("--flask", type=Path, help="a working clone of pallets/flask")
    parser.add_argument("--no-flask", action="store_true", help="only the small repository")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick command")
    args = parser.parse_args()
    checkouts = {"baseline": args.baseline.resolve(), "this": ROOT}
    flask = None if args.no_flask or args.flask is None else args.flask.resolve()
    host, when = machine(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as folder:
        scratch = Path(folder)
        small = small_repository(scratch)
        results = measure(checkouts, small, flask, scratch, args.repeat)
    report = markdown(results, checkouts, host, when)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "cli_bench.md").open("a", encoding="utf-8") as out:
        out.write(report + "\n")


if __name__ == "__main__":
    main()
