"""Two goldmine processes never share a workspace: the second waits (--wait) or stops with one
line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import Cli
from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
HOLDER = """
import sys
from pathlib import Path
from flows.workspace_lock import hold_workspace
with hold_workspace(Path(sys.argv[1]), "run"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the workspace W as `goldmine run` until a line arrives on its
    stdin."""
    workspace = tmp_path / "W"
    workspace.mkdir()
    command = [sys.executable, "-c", HOLDER, str(workspace)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        yield process
        if process.poll() is None:
            process.kill()


def _release_after(process: subprocess.Popen[str], seconds: float) -> threading.Timer:
    def release() -> None:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()

    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


def test_a_second_run_stops_with_one_line_naming_the_holder(
    holder: subprocess.Popen[str], stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    result = cli("mine", "--repo", stock_repo, "--workspace", tmp_path / "W")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert f"goldmine run (pid {holder.pid} on " in line and "in use by another process" in line
    assert "--wait SECONDS" in line


def test_readers_say_that_a_run_holds_the_warehouse(
    holder: subprocess.Popen[str], tmp_path: Path, cli: Cli
) -> None:
    with Warehouse(tmp_path / "W" / "goldmine.duckdb"):
        pass  # a warehouse exists: only the lock stands in the way
    for command in (["sql", "select count(*) from runs"], ["status"]):
        result = cli(*command, "--workspace", tmp_path / "W")
        assert result.exit_code == 1
        assert f"in use by another process, goldmine run (pid {holder.pid}" in result.output
        assert "can be read again when it finishes" in result.output


def test_a_second_run_with_wait_runs_once_the_holder_is_done(
    holder: subprocess.Popen[str], stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    timer = _release_after(holder, 1.5)
    started = time.monotonic()
    result = cli("mine", "--repo", stock_repo, "--workspace", tmp_path / "W", "--wait", "60")
    timer.join()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.5
    with Warehouse(tmp_path / "W" / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("commits") == 3


def test_waiting_runs_out_with_the_same_clear_line(
    holder: subprocess.Popen[str], stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    result = cli("mine", "--repo", stock_repo, "--workspace", tmp_path / "W", "--wait", "0.5")
    assert (
        result.exit_code == 1
        and "after waiting 0.5s" in result.output
        and f"pid {holder.pid}" in result.output
    )


def test_a_killed_holder_leaves_no_stale_lock(
    holder: subprocess.Popen[str], stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    result = cli("mine", "--repo", stock_repo, "--workspace", tmp_path / "W")
    assert result.exit_code == 0, result.output


def test_two_goldmine_processes_at_once_take_turns_and_store_everything_once(
    stock_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "W"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    command = [
        GOLDMINE,
        "mine",
        "--repo",
        str(stock_repo),
        "--workspace",
        str(workspace),
        "--wait",
        "120",
    ]
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [process.communicate(timeout=300) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outcomes
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        assert warehouse.count("commits") == 3 and warehouse.count("sources") == 1
        runs = warehouse.query(
            "SELECT started_at, finished_at FROM runs WHERE status = 'completed' ORDER BY 1"
        ).rows
    # the second began after the first had finished
    assert len(runs) == 2 and runs[1][0] >= runs[0][1]
