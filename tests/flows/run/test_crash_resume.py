"""The crash guarantee on a real-size history: ``kill -9`` mid-mining and mid-drafting, then the
same command again, ends with exactly the tables and exports of a run that was never stopped.

The history (a few thousand commits) is made with one ``git fast-import`` stream. The run is
watched through its progress bars (on a pseudo-terminal, where goldmine draws them) and killed,
with its mining workers, once a bar shows a third of the way: a moment read off the run itself,
not off a clock.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import build_long_history
from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
COMMITS = 2_000
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # three runs of a real-size history
# What a rerun may change: which run wrote a row, and when.
RUN_COLUMNS = re.compile(r"(^|_)run_id$|_at$|^updated|^started|^finished|^duration")
TABLES = (
    "commits",
    "file_changes",
    "symbols",
    "secret_findings",
    "watermarks",
    "tasks",
    "candidates",
    "checks",
    "dup_clusters",
    "dup_signatures",
    "splits",
)
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def _run(repo: Path, workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GOLDMINE, "run", "--inline", "--repo", str(repo), "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _kill_when(repo: Path, workspace: Path, bar: str, share: int = 3, or_at: bytes = b"") -> str:
    """Start the run with stderr on a pseudo-terminal; kill -9 it (and its workers) once the
    ``bar`` progress bar has counted 1/``share`` of its work. What the terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [GOLDMINE, "run", "--inline", "--repo", str(repo), "--workspace", str(workspace)],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        start_new_session=True,  # its own process group: the mining workers die with it
    )
    os.close(follower)
    shown = b""
    try:
        while process.poll() is None:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    shown += _ANSI.sub(b"", os.read(leader, 65536))
                except OSError:  # the run ended and closed the terminal: the assert says how
                    break
            done, total = _counted(shown, bar)
            # a quick stage may end before its bar shows (a second): ``or_at`` names the next
            if (total and done >= total // share) or (or_at and or_at in shown):
                os.killpg(process.pid, signal.SIGKILL)
                break
    finally:
        process.wait()
        os.close(leader)
    if process.returncode == 0:  # the work ended between two reads of the terminal
        pytest.skip(f"the run finished before its {bar} bar reached the kill point")
    assert process.returncode == -signal.SIGKILL, shown[-2000:]
    return shown.decode("utf-8", "replace")


def _same_key(source: Path, target: Path) -> None:
    """Give ``target`` the workspace key of ``source``: e-mails and secrets are hashed with it,
    so two workspaces store the same facts only when they share it."""
    target.mkdir()
    handle = os.open(target / ".goldmine-key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as key:
        key.write((source / ".goldmine-key").read_bytes())


def _counted(shown: bytes, bar: str) -> tuple[int, int]:
    """The furthest the ``bar`` progress bar has come, as (done, total) (rich draws the name,
    the bar, then ``done/total``; total 0 while it is unknown). The name is looked for anywhere:
    with the cursor moves taken out, the live display's lines may run together."""
    counts = [
        (int(found[1]), int(found[2]) if found[2].isdigit() else 0)
        for found in re.finditer(
            rb"(?<![a-z])" + bar.encode() + rb"\b[^0-9\r\n]*?(\d+)/(\?|\d+)", shown
        )
    ]
    return max(counts, default=(0, 0))


def _tables(workspace: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact, task, candidate and verdict table, without the columns that name a run."""
    found = {}
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        for table in TABLES:
            columns = [
                name
                for (name,) in warehouse.query(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [table],
                ).rows
                if not RUN_COLUMNS.search(name)
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            found[table] = warehouse.query(f"SELECT {listed} FROM {table} ORDER BY ALL").rows
    return found


def _exported(workspace: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted((workspace / "export").iterdir())}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("run_id")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def test_kill_9_mid_mining_and_mid_drafting_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    repo = build_long_history(tmp_path / "long", COMMITS)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    done = _run(repo, whole)
    assert done.returncode == 0, done.stderr[-3000:]

    _same_key(whole, killed)
    _kill_when(repo, killed, "mining", share=10, or_at=b"draft")
    with Warehouse(killed / "goldmine.duckdb", read_only=True) as warehouse:
        # killed before the source's watermark, so the rerun must finish what was mined (on a
        # loaded machine the bar can lag behind the work: then mining had finished whole)
        mined, marked = warehouse.count("commits"), warehouse.count("watermarks")
        assert mined > 0 and (marked == 0 or mined == COMMITS)
    _kill_when(repo, killed, "drafting", share=20, or_at=b"drafting")
    with Warehouse(killed / "goldmine.duckdb", read_only=True) as warehouse:
        # the second kill came mid-drafting: every commit was mined, some tasks are not drafted
        assert warehouse.count("commits") == COMMITS
        assert warehouse.count("candidates") < len(_tables(whole)["candidates"])
    again = _run(repo, killed)
    assert again.returncode == 0, again.stderr[-3000:]

    expected, resumed = _tables(whole), _tables(killed)
    for table in TABLES:
        assert resumed[table] == expected[table], table
    assert len(expected["commits"]) == COMMITS and len(expected["candidates"]) > 30
    assert _exported(killed) == _exported(whole)
