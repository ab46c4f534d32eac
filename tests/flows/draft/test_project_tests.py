"""The user's test command on a replay session's tree: its exit code and output as data."""

from __future__ import annotations

import sys
from pathlib import Path

from flows.draft.project_tests import OUTPUT_LINES, command_runner
from miners.replay_tools import SnapshotSession
from miners.tool_results import TestRun, render
from tests.builders import git


def test_the_tests_run_on_the_sessions_tree(stock_repo: Path) -> None:
    command = f"env PYTHONPATH=src {sys.executable} -m pytest -q -p no:cacheprovider {{target}}"
    fix = git(stock_repo, "rev-parse", "HEAD~1").strip()
    with SnapshotSession(stock_repo / ".git", fix) as session:
        run = command_runner(command, 120)(session, "tests/test_stock.py")
    assert run.exit_code == 0 and any("1 passed" in line for line in run.output)
    assert render(run) == "\n".join(["exit code 0", *run.output])


def test_exit_code_output_tail_timeout_and_missing_command(stock_repo: Path) -> None:
    script = "; ".join(f"echo line {n}" for n in range(OUTPUT_LINES + 5)) + "; exit 3"
    with SnapshotSession(stock_repo / ".git", git(stock_repo, "rev-parse", "HEAD").strip()) as s:
        failed = command_runner(f"sh -c {script!r}", 30)(s, None)
        slow = command_runner("sleep 5", 1)(s, None)
        missing = command_runner("no-such-test-command", 30)(s, "tests")
    assert failed.exit_code == 3 and len(failed.output) == OUTPUT_LINES
    assert failed.output[0] == "line 5" and failed.output[-1] == f"line {OUTPUT_LINES + 4}"
    assert slow == TestRun(124, ("the tests did not finish within 1 s",))
    assert render(slow) == "exit code 124\nthe tests did not finish within 1 s"
    assert missing == TestRun(127, ("no-such-test-command: command not found",))
