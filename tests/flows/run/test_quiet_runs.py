"""Quiet runs: the compiler's warnings about historic code are counted, never printed, and a run
whose process was killed reads ``interrupted``, not ``running``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from flows.run.compiler_warnings import counted_compiler_warnings
from tests.builders import STOCK_V1, STOCK_V2, BuildRepo, stock_history
from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
# Old code the compiler warns about: `is` with a literal (SyntaxWarning, when compiled) and an
# invalid escape sequence (DeprecationWarning in Python 3.11, SyntaxWarning from 3.12, when parsed),
# in the fix that becomes a record.
WARNED = '    if qty is 0:\n        return levels.get(sku, 0)  # "\\d" days: nothing to reserve\n'


def historic(source: str) -> str:
    """``source`` with the warned-about lines at the top of ``reserve``."""
    anchor = '    """Reserve qty of sku and return what is left."""\n'
    assert anchor in source
    return source.replace(anchor, anchor + WARNED) + 'PATTERN = "\\d+ left"\n'


def _goldmine(*args: str | Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    return subprocess.run(
        [GOLDMINE, *map(str, args)],
        cwd=cwd,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_compiler_warnings_of_historic_code_are_counted_and_never_printed(
    make_repo: BuildRepo, tmp_path: Path
) -> None:
    history = stock_history()
    history[0]["files"]["src/stock.py"] = historic(STOCK_V1)
    history[1]["files"]["src/stock.py"] = historic(STOCK_V2)
    history[2]["files"]["src/stock.py"] = historic(str(history[2]["files"]["src/stock.py"]))
    repo = make_repo(history, "historic")
    workspace = tmp_path / "W"
    # -v: the logs go to stderr (where a captured warning went before: `py.warnings - <record>:3:`)
    done = _goldmine(
        "run", "-v", "--inline", "--repo", repo, "--workspace", workspace, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for category in ("SyntaxWarning", "DeprecationWarning"):
        assert category not in done.stderr
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        counts = json.loads(warehouse.scalar("SELECT counts FROM runs"))
    hidden = counts["compiler_warnings"]
    assert hidden.get("DeprecationWarning", 0) + hidden.get("SyntaxWarning", 0) > 0, hidden
    assert "from compiling historic code" in hidden["notes"][0]


def test_only_warnings_about_compiled_text_are_hidden() -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with counted_compiler_warnings() as counted:
            compile("x = 1\nif x is 1:\n    pass\n", "<record>", "exec", dont_inherit=True)
            warnings.warn("goldmine's own", UserWarning, stacklevel=1)
    assert counted.count == 1 and counted.by_category == {"SyntaxWarning": 1}
    assert '"is" with a literal' in counted.example
    assert [str(w.message) for w in shown] == ["goldmine's own"]


def _blocking_git(folder: Path, marker: Path) -> Path:
    """A ``git`` first on PATH that hangs in ``git log`` (after touching ``marker``): a run
    stopped half-way through mining, deterministically."""
    real = shutil.which("git")
    assert real
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do\n'
        f'  if [ "$arg" = log ]; then touch {marker}; exec sleep 600; fi\n'
        "done\n"
        f'exec {real} "$@"\n'
    )
    script.chmod(0o755)
    return folder


def test_a_killed_run_reads_interrupted(make_repo: BuildRepo, tmp_path: Path) -> None:
    repo = make_repo(stock_history(), "stocky")
    workspace = tmp_path / "W"
    marker = tmp_path / "in-git-log"
    shims = _blocking_git(tmp_path / "bin", marker)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    run = subprocess.Popen(
        [GOLDMINE, "run", "--inline", "--repo", str(repo), "--workspace", str(workspace)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the run never reached git log"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()

    status = _goldmine("status", "--workspace", workspace, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    (last,) = [line for line in status.stdout.splitlines() if line.startswith("last run:")]
    assert "(run, interrupted, started" in last

    # the next run that writes stores it as interrupted, and runs to the end itself
    again = _goldmine("mine", "--repo", repo, "--workspace", workspace, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query("SELECT command, status, error FROM runs ORDER BY started_at").rows
    assert [(command, status) for command, status, _ in rows] == [
        ("run", "interrupted"),
        ("mine", "completed"),
    ]
    assert "stopped before the run finished" in rows[0][2]
