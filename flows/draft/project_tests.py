"""Running the user's test command on a replay session's tree (only when they enable it).

A trajectory's ``run_tests`` step runs the project's own tests, so it executes the project's
code: goldmine does that only when ``[agent] test_command`` is set in goldmine.toml.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path

from flows.draft.extractive_agent import TestRunner
from miners.replay_tools import SnapshotSession
from miners.tool_results import TestRun

OUTPUT_LINES = 60


def command_runner(command: str, timeout_seconds: int) -> TestRunner:
    """A test runner for ``command`` (``{target}`` is replaced by the test target, or appended)."""

    def run(session: SnapshotSession, target: str | None) -> TestRun:
        with tempfile.TemporaryDirectory(prefix="goldmine-tests-") as folder:
            session.export_tree(Path(folder))
            return _run(_arguments(command, target), Path(folder), timeout_seconds)

    return run


def _arguments(command: str, target: str | None) -> list[str]:
    if "{target}" in command:
        return shlex.split(command.replace("{target}", shlex.quote(target or "")))
    return shlex.split(command) + ([target] if target else [])


def _run(arguments: list[str], folder: Path, timeout_seconds: int) -> TestRun:
    try:
        done = subprocess.run(
            arguments,
            cwd=folder,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TestRun(124, (f"the tests did not finish within {timeout_seconds} s",))
    except FileNotFoundError:
        return TestRun(127, (f"{arguments[0]}: command not found",))
    output = (done.stdout + done.stderr).rstrip().splitlines()[-OUTPUT_LINES:]
    return TestRun(done.returncode, tuple(output))
