"""Running the user's setup and test command in a worktree: a shell, a time limit, the output's
tail, and pytest's report of each test.

The command runs in the user's own environment, not goldmine's: the virtual environment of
goldmine's checkout is taken off ``PATH`` (``uv run goldmine`` puts it first), so ``python`` and
``pytest`` are the ones the user's shell would find, or the ones the setup built in the worktree.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from flows.verify.pytest_reports import read_junit

OUTPUT_LINES = 60
GOLDMINE_CHECKOUT = Path(__file__).resolve().parents[2]
TESTS_PLACEHOLDER = "{tests}"
# pytest reads this variable whatever the command around it: a report per test (with each test's
# file, which node ids need), and no cache folder in the worktree.
_PYTEST_OPTIONS = "-p no:cacheprovider -o junit_family=xunit1 --junitxml={report}"


@dataclass(frozen=True, slots=True)
class Execution:
    """What one run of a command did."""

    command: str
    exit_status: int | None  # None: it did not finish in time
    duration_seconds: float
    output_tail: str
    results: dict[str, str] | None = None  # pytest node id → outcome; None: no report
    error_line: str | None = None  # the commonest error of the tests that could not run

    @property
    def timed_out(self) -> bool:
        return self.exit_status is None


def command_for(command: str, tests: Sequence[str]) -> str:
    """The command with ``{tests}`` replaced by the test files (appended when it has no
    placeholder)."""
    files = " ".join(shlex.quote(path) for path in tests)
    if TESTS_PLACEHOLDER in command:
        return command.replace(TESTS_PLACEHOLDER, files)
    return f"{command} {files}".strip()


def run_tests(command: str, cwd: Path, timeout_seconds: int) -> Execution:
    """Run a test command; pytest, if that is what runs, also reports each test."""
    with tempfile.TemporaryDirectory(prefix="goldmine-report-") as folder:
        report = Path(folder) / "junit.xml"
        options = _PYTEST_OPTIONS.format(report=shlex.quote(str(report)))
        done = run_shell(command, cwd, timeout_seconds, pytest_options=options)
        read = read_junit(report) if report.exists() else None
    if read is None:
        return done
    return replace(done, results=read.results, error_line=read.error)


def run_shell(
    command: str, cwd: Path, timeout_seconds: int, *, pytest_options: str = ""
) -> Execution:
    """Run ``command`` in a shell at ``cwd``; on timeout stop it and everything it started."""
    started = time.monotonic()
    # the user's own [verify] command, run as their shell would run it
    process = subprocess.Popen(  # noqa: S602
        command,
        shell=True,
        cwd=cwd,
        env=_user_environment(pytest_options),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout stops its children too
    )
    try:
        output, _ = process.communicate(timeout=timeout_seconds)
        status: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        status = None
    except BaseException:  # interrupted: leave nothing of the user's command running
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    text = output.decode("utf-8", "replace")
    if status is None:
        text += f"\nthe command did not finish within {timeout_seconds} s"
    return Execution(command, status, time.monotonic() - started, tail(text))


def tail(text: str, lines: int = OUTPUT_LINES) -> str:
    """The last ``lines`` lines of ``text``, trailing blanks removed."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _user_environment(pytest_options: str) -> dict[str, str]:
    """This process's environment without the virtual environment of goldmine's checkout, plus
    the pytest options."""
    env = dict(os.environ)
    if Path(sys.prefix).resolve().parent == GOLDMINE_CHECKOUT:
        own = str(Path(sys.prefix) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own)
        if env.get("VIRTUAL_ENV") == sys.prefix:
            env.pop("VIRTUAL_ENV")
    if pytest_options:
        env["PYTEST_ADDOPTS"] = f"{env.get('PYTEST_ADDOPTS', '')} {pytest_options}".strip()
    return env
