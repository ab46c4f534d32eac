"""`goldmine serve` refuses what cannot work, `goldmine cron-line` prints a line cron can run, and a
run's summary counts what the run itself did."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from flows.run.artifact import run_markdown
from flows.run.prefect_server import free_port
from tests.builders import Cli
from warehouse.run_summary import run_summary
from warehouse.store import Warehouse

HOLDER = """
import sys
from pathlib import Path
from flows.workspace_lock import hold_workspace
with hold_workspace(Path(sys.argv[1]), "review"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _workspace_with_sources(tmp_path: Path, repo: Path, extra: str = "") -> Path:
    workspace = tmp_path / "W"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text(
        f'[sources]\nrepos = ["{repo}"]\n{extra}', encoding="utf-8"
    )
    return workspace


def test_serve_says_plainly_that_ephemeral_mode_cannot_run_schedules(
    stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    workspace = _workspace_with_sources(tmp_path, stock_repo)
    result = cli("serve", "--workspace", workspace)
    assert result.exit_code == 1
    assert "ephemeral mode cannot run schedules" in result.output
    assert (
        "PREFECT_API_URL" in result.output
        and "--with-server" in result.output
        and "cron-line" in result.output
    )


def test_serve_names_a_prefect_server_that_does_not_answer(
    stock_repo: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    result = cli("serve", "--workspace", _workspace_with_sources(tmp_path, stock_repo))
    assert (
        result.exit_code == 1
        and f"no Prefect server answers at PREFECT_API_URL={url}" in result.output
    )


def test_serve_refuses_a_bad_schedule_and_a_workspace_without_sources(
    stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    bad = cli(
        "serve",
        "--cron",
        "every night",
        "--workspace",
        _workspace_with_sources(tmp_path, stock_repo),
    )
    assert (
        bad.exit_code == 1
        and 'is not a cron schedule: give five fields, e.g. "0 2 * * *"' in bad.output
    )
    empty = cli("serve", "--workspace", tmp_path / "empty")
    assert empty.exit_code == 1 and "nothing to run nightly" in empty.output


def test_cron_line_runs_goldmine_from_cron_with_absolute_paths(
    stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    workspace = _workspace_with_sources(tmp_path, stock_repo, "[nightly]\nwait_seconds = 0\n")
    result = cli("cron-line", "--cron", "30 1 * * *", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    comment, line = result.output.strip().splitlines()
    assert comment.startswith("# goldmine nightly run of")
    fields = line.split(" ", 5)
    assert fields[:5] == ["30", "1", "*", "*", "*"]
    words = shlex.split(fields[5])
    executable = next(w for w in words if w.endswith("/goldmine"))
    assert Path(executable).is_absolute() and os.access(executable, os.X_OK)
    assert (
        words[words.index("--workspace") + 1] == str(workspace)
        and words[words.index("--wait") + 1] == "0"
    )
    # run the command the way cron would, with a bare environment, while another process holds the
    # workspace: the run stops at once and its one line lands in the log
    log = workspace / "logs" / "nightly.log"
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            ["sh", "-c", fields[5]], env={"HOME": str(tmp_path)}, cwd="/", timeout=120
        )
        holder.kill()
    assert done.returncode == 1
    assert f"in use by another process, goldmine review (pid {holder.pid}" in log.read_text()


def test_the_run_summary_counts_what_the_run_did(
    stock_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    workspace = tmp_path / "W"
    result = cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    assert result.exit_code == 0, result.output
    with Warehouse(workspace / "goldmine.duckdb") as warehouse:
        run_id = warehouse.scalar("SELECT id FROM runs")
        warehouse.execute(
            "INSERT INTO llm_calls (id, endpoint, model, request, reply, cost_usd, run_id, "
            "created_at) "
            "VALUES ('c1', 'http://x', 'm', '{}', 'r', 0.0125, ?, now()), ('c2', 'http://x', 'm', "
            "'{}', 'r', NULL, ?, now())",
            [run_id, run_id],
        )
        summary = run_summary(warehouse, run_id)
        candidates = warehouse.count("candidates")
    assert summary.added["commits"] == 3 and summary.new_candidates == candidates > 0
    assert summary.accepted + summary.rejected == summary.assayed == candidates
    assert (
        summary.llm_calls == 2
        and summary.cost_usd == pytest.approx(0.0125)
        and summary.unpriced_calls == 1
    )
    [mark] = summary.watermarks
    assert mark["source"] == "stocky" and mark["before"] is None and len(mark["after"]) == 40
    text = run_markdown(summary)
    assert (
        f"| new candidates | {candidates} |" in text
        and "| cost | $0.0125, 1 call(s) without a price" in text
    )
    assert f"| stocky | refs/heads/main | (new) | `{mark['after'][:10]}` |" in text
