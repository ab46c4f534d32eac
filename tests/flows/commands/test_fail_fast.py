"""Bad input fails before anything starts: one line on stderr, exit status 1, no Prefect.

Each case runs the real ``goldmine`` in a subprocess, asked for a Prefect flow (``--prefect``),
and checks three things that would each give away a started Prefect: its module was imported
(a sentinel the process writes as it exits), the workspace has Prefect's state folder, or
stderr has more than the one line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.builders import STOCK_TICKETS, goldmine_watched


def assert_one_line_and_no_prefect(
    done: subprocess.CompletedProcess[str], imported: set[str], workspace: Path, expected: str
) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith("Error: ") and expected in done.stderr, done.stderr
    assert "prefect" not in imported
    assert not (workspace / ".prefect").exists()


def test_a_path_that_is_not_a_repository(tmp_path: Path) -> None:
    workspace = tmp_path / "W"
    done, imported = goldmine_watched(
        tmp_path, "run", "--prefect", "--repo", tmp_path / "nowhere", "--workspace", workspace
    )
    assert_one_line_and_no_prefect(done, imported, workspace, "is not a git repository")
    # nothing was stored either: no warehouse, no lock taken
    assert not (workspace / "goldmine.duckdb").exists()


def test_a_folder_that_is_no_repository_and_an_empty_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    for repo, expected in (("plain", "is not a git repository"), ("empty", "no commits yet")):
        workspace = tmp_path / f"W-{repo}"
        done, imported = goldmine_watched(
            tmp_path, "run", "--prefect", "--repo", tmp_path / repo, "--workspace", workspace
        )
        assert_one_line_and_no_prefect(done, imported, workspace, expected)


def test_a_bad_tickets_file(stock_repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{,]")
    missing = tmp_path / "missing.json"
    for tickets, expected in ((bad, "not valid JSON"), (missing, "no such ticket export")):
        workspace = tmp_path / f"W-{tickets.stem}"
        done, imported = goldmine_watched(
            tmp_path,
            "run",
            "--prefect",
            "--repo",
            stock_repo,
            "--tickets",
            tickets,
            "--workspace",
            workspace,
        )
        assert_one_line_and_no_prefect(done, imported, workspace, f"{tickets}: {expected}")


def test_a_bad_config(tmp_path: Path) -> None:
    workspace = tmp_path / "W"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text("[mine]\nmax_diff_bytes = -3\n")
    done, imported = goldmine_watched(tmp_path, "run", "--prefect", "--workspace", workspace)
    assert_one_line_and_no_prefect(done, imported, workspace, "mine.max_diff_bytes")


def test_a_configured_prefect_api_that_does_not_answer(stock_repo: Path, tmp_path: Path) -> None:
    """``[prefect] api_url`` makes the run a flow; a server that is not there is said at once."""
    workspace = tmp_path / "W"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text('[prefect]\napi_url = "http://127.0.0.1:9/api"\n')
    done, imported = goldmine_watched(
        tmp_path, "run", "--repo", stock_repo, "--workspace", workspace
    )
    assert_one_line_and_no_prefect(
        done, imported, workspace, "no Prefect server answers at http://127.0.0.1:9/api"
    )


def test_a_run_without_a_prefect_api_runs_here_and_says_so_once(
    stock_repo: Path, tmp_path: Path
) -> None:
    tickets = tmp_path / "issues.json"
    tickets.write_text(json.dumps(STOCK_TICKETS))
    workspace = tmp_path / "W"
    args = ("run", "--repo", stock_repo, "--tickets", tickets, "--workspace", workspace)
    done, imported = goldmine_watched(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "ran in this process (no Prefect API configured); to see runs in Prefect's UI, set "
        "PREFECT_API_URL or [prefect] api_url, or pass --prefect"
    ]
    assert "prefect" not in imported and "openai" not in imported
    assert not (workspace / ".prefect").exists()
    assert "candidates" in done.stdout
    # --inline asks for this process: nothing to say
    again, _ = goldmine_watched(tmp_path, *args, "--inline")
    assert again.returncode == 0 and again.stderr == "", again.stderr
