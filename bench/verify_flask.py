"""Verification by execution on a real project: flask's tasks of the last two years, run in flask's
current test environment.

    git clone /work/.mirror/pallets+flask/repo /tmp/flask-h5
    uv run goldmine run --repo /tmp/flask-h5 --kinds instruction --lang en --inline \\
        --workspace /tmp/ws/h5-flask
    uv run python bench/verify_flask.py --workspace /tmp/ws/h5-flask

Runs the verify stage on the workspace with flask's test environment built by the setup (a
``uv venv`` in the worktree, an editable install of the clone, pytest and flask's ``tests``
dependency group), then reports from the warehouse: tasks that verify, tasks that fail and why
(grouped), time per verified task, and as the baseline the same command over the same test files
run once at the clone's HEAD, outside goldmine. Prints the report and appends it to
bench/results/verify_flask.md (ignored by git). A second run in the same workspace reuses every
stored run: pass ``--fresh`` to drop the verification rows first (the tasks' own rows stay).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.run.pipeline import run_stages
from flows.settings import settings_with
from flows.verify.execution import command_for, run_shell
from flows.workspace import Workspace
from warehouse.store import Warehouse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PYTHON = ".venv/bin/python"
# flask's [dependency-groups] tests, and the package itself from the worktree
SETUP = (
    "uv venv -q .venv && uv pip install -q --python .venv/bin/python -e . "
    "pytest asgiref greenlet python-dotenv"
)
COMMAND = f"{PYTHON} -m pytest -q {{tests}}"
_VARYING = re.compile(r"`[^`]*`|'[^']*'|\b[0-9a-f]{10,}\b|\d+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--since-days", type=int, default=730)
    parser.add_argument("--max-commits", type=int, default=0)
    parser.add_argument("--pytest", default="pytest", help='e.g. "pytest<8.4" for old conftests')
    parser.add_argument("--fresh", action="store_true", help="forget earlier verifications")
    arguments = parser.parse_args()
    workspace = Workspace.at(arguments.workspace)
    if arguments.fresh:
        forget_verifications(workspace)
    setup = SETUP.replace(" pytest ", f" {_quoted(arguments.pytest)} ")
    settings = settings_with(
        workspace.settings(),
        verify__command=COMMAND,
        verify__setup=setup,
        verify__since_days=arguments.since_days,
        verify__max_commits=arguments.max_commits,
    )
    started = time.perf_counter()
    run_id, counts = run_stages(
        workspace, settings, ["verify"], command="verify", use_prefect=False
    )
    wall = time.perf_counter() - started
    report = summary(workspace, run_id, counts["verify"], wall, arguments, setup)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "verify_flask.md").open("a", encoding="utf-8") as results:
        results.write(report + "\n")


def _quoted(requirement: str) -> str:
    return f"'{requirement}'" if any(c in requirement for c in "<>=") else requirement


def forget_verifications(workspace: Workspace) -> None:
    """Drop the stored runs and verdicts; tasks a verdict skipped are selected again."""
    with Warehouse(workspace.database_path) as warehouse:
        warehouse.execute(
            "UPDATE tasks SET status = 'selected', reason = 'selected again for the bench', "
            "skip_category = NULL WHERE skip_category IN ('tests_pass_before', 'tests_fail_after')"
        )
        warehouse.execute("DELETE FROM verifications")
        warehouse.execute("DELETE FROM verification_runs")


def summary(
    workspace: Workspace,
    run_id: str,
    counts: dict[str, Any],
    wall: float,
    arguments: argparse.Namespace,
    setup: str,
) -> str:
    """The report: verdicts, failures grouped, time per verified task, and the baseline."""
    with Warehouse(workspace.database_path, read_only=True) as warehouse:
        verdicts = warehouse.query(
            "SELECT v.status, coalesce(v.skip_category, '') AS category, v.reason, "
            "len(v.fail_to_pass) AS f2p, len(v.pass_to_pass) AS p2p, c.sha, c.subject, "
            "c.committed_at FROM verifications v JOIN commits c ON c.id = v.commit_id "
            "WHERE v.run_id = ? ORDER BY c.committed_at DESC",
            [run_id],
        ).dicts()
        runs = warehouse.query(
            "SELECT side, duration_seconds, tests FROM verification_runs WHERE run_id = ?",
            [run_id],
        ).dicts()
        source = warehouse.scalar("SELECT location FROM sources WHERE kind = 'repository'")
    by_status = Counter(v["status"] for v in verdicts)
    why = Counter(
        f"{v['status']} / {v['category'] or '-'}: {_VARYING.sub('…', v['reason'])}"
        for v in verdicts
        if v["status"] != "executed"
    )
    executed = [v for v in verdicts if v["status"] == "executed"]
    commits = {v["sha"] for v in verdicts}
    files = sorted({path for run in runs for path in run["tests"]})
    baseline = _baseline(source, files, arguments.pytest) if files else None
    lines = [
        f"### verify_flask, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {_machine()}. Workspace {workspace.root}, source {source}.",
        f"Window: since_days={arguments.since_days}, max_commits={arguments.max_commits}; "
        f"setup `{setup}`; command `{COMMAND}`.",
        "",
        f"- tasks judged: {len(verdicts)} (of {len(commits)} commits); executed "
        f"{by_status['executed']}, failed {by_status['failed']}, unrunnable "
        f"{by_status['unrunnable']}; without tests that exercise the change: "
        f"{counts['without_tests']}",
        f"- dropped by category: {counts['dropped']}",
        f"- FAIL_TO_PASS tests per executed task: "
        f"{_spread([v['f2p'] for v in executed])}; PASS_TO_PASS: "
        f"{_spread([v['p2p'] for v in executed])}",
        f"- runs executed {counts['runs_executed']}, reused {counts['runs_reused']}; "
        f"command time {counts['seconds']:.1f} s, stage wall time {wall:.1f} s (setup included)",
        f"- wall time per verified task: {wall / max(1, by_status['executed']):.1f} s; per "
        f"judged task: {wall / max(1, len(verdicts)):.1f} s",
    ]
    if baseline is not None:
        lines.append(
            f"- baseline: the same command over the same {len(files)} test file(s), once at "
            f"HEAD outside goldmine (a fresh venv built with the same setup): {baseline:.1f} s"
        )
    lines += ["", "Why tasks did not verify:", ""]
    lines += [f"- {n} × {reason}" for reason, n in why.most_common()] or ["- (none)"]
    lines += ["", "Verdicts:", ""]
    lines += [
        f"- {v['committed_at']:%Y-%m-%d} {v['sha'][:10]} {v['status']} "
        f"(F2P {v['f2p']}, P2P {v['p2p']}) — {v['subject'][:70]}"
        for v in verdicts
    ]
    notes = counts.get("notes", [])
    if notes:
        lines += ["", "Notes:", "", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def _baseline(source: str, files: list[str], pytest: str) -> float:
    """Seconds for the command over ``files`` at the clone's HEAD (a copy, with its own venv)."""
    with tempfile.TemporaryDirectory(prefix="verify-baseline-") as folder:
        tree = Path(folder) / "flask"
        subprocess.run(["git", "clone", "-q", source, str(tree)], check=True)
        setup = run_shell(SETUP.replace(" pytest ", f" {_quoted(pytest)} "), tree, 1800)
        if setup.exit_status != 0:
            return float("nan")
        present = [f for f in files if (tree / f).exists()]
        return run_shell(command_for(COMMAND, present), tree, 1800).duration_seconds


def _spread(values: list[int]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"min {ordered[0]}, median {ordered[len(ordered) // 2]}, max {ordered[-1]}"


def _machine() -> str:
    cores = len(os.sched_getaffinity(0))
    return f"{cores} cores, {platform.system()}, Python {sys.version.split()[0]}"


if __name__ == "__main__":
    main()
