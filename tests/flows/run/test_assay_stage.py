"""The assay in the pipeline: a cherry-picked fix collapses to one record; SQL and the report see
why."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.builders import BuildRepo, Cli, stock_history
from warehouse.store import Warehouse


def _git(repo: Path, *args: str, when: str = "2024-02-01T10:00:00+00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout


def _repo_with_a_cherry_picked_fix(make_repo: BuildRepo) -> tuple[Path, str, str]:
    """main: skeleton → fix (Fixes #1); release-1.x from the skeleton gets the fix by
    `cherry-pick -x`."""
    initial, fix, _ = stock_history()
    repo = make_repo([initial, fix], "stocky")
    _git(repo, "checkout", "-q", "-b", "release-1.x", "HEAD~1")
    _git(repo, "cherry-pick", "-x", "main", when="2024-02-03T10:00:00+00:00")
    _git(repo, "checkout", "-q", "main")
    _git(
        repo,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'release-1.x'",
        "release-1.x",
        when="2024-02-04T10:00:00+00:00",
    )
    original = _git(repo, "rev-parse", "main^1").strip()
    picked = _git(repo, "rev-parse", "release-1.x").strip()
    return repo, original, picked


def test_a_cherry_picked_fix_lands_in_one_cluster_and_only_one_copy_is_accepted(
    cli: Cli, make_repo: BuildRepo, stock_tickets: Path, tmp_path: Path
) -> None:
    repo, original, picked = _repo_with_a_cherry_picked_fix(make_repo)
    workspace = tmp_path / "ws"
    result = cli(
        "run", "--inline", "--repo", repo, "--tickets", stock_tickets, "--workspace", workspace
    )
    assert result.exit_code == 0, result.output
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        copies = warehouse.query(
            "SELECT t.family, m.sha, c.status, d.cluster_id, d.kept FROM candidates c JOIN tasks "
            "t ON t.id = c.task_id "
            "JOIN commits m ON m.id = t.commit_id LEFT JOIN dup_clusters d ON d.candidate_id = "
            "c.id ORDER BY 1, 2"
        ).rows
        reasons = warehouse.query(
            'SELECT k."check" FROM checks k JOIN candidates c ON c.id = k.candidate_id '
            "WHERE c.status = 'rejected' AND NOT k.passed AND k.\"check\" LIKE '%duplicate'"
        ).rows
    families = {family for family, *_ in copies}
    assert "bugfix" in families
    for family in families:  # each teachable moment of the fix was drafted from both commits
        rows = [row[1:] for row in copies if row[0] == family]
        assert sorted(sha for sha, *_ in rows) == sorted([original, picked]), family
        assert len({cluster for _, _, cluster, _ in rows}) == 1 and rows[0][2] is not None, rows
        assert sorted(status for _, status, _, _ in rows) == ["accepted", "rejected"], rows
        assert [kept for _, status, _, kept in rows if status == "accepted"] == [True]
    assert len(reasons) == len(families)


def test_sql_names_the_rejecting_checks_and_report_writes_the_html(
    cli: Cli, make_repo: BuildRepo, stock_tickets: Path, tmp_path: Path
) -> None:
    repo, _, _ = _repo_with_a_cherry_picked_fix(make_repo)
    workspace = tmp_path / "ws"
    assert (
        cli(
            "run",
            "--inline",
            "--repo",
            repo,
            "--tickets",
            stock_tickets,
            "--lang",
            "both",
            "--workspace",
            workspace,
        ).exit_code
        == 0
    )
    query = 'select "check", count(*) from checks where not passed group by 1'
    result = cli("sql", query, "--json", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    failing = {row["check"]: row["count_star()"] for row in json.loads(result.output)}
    assert set(failing) & {"near_duplicate", "exact_duplicate"}
    report = cli("report", "--workspace", workspace)
    assert report.exit_code == 0, report.output
    page = (workspace / "report" / "goldmine_report.html").read_text()
    assert (
        page.startswith("<!doctype html>")
        and "<svg" in page
        and "http" not in page.replace("http://www.w3", "")
    )
    for heading in (
        "Task type",
        "Language",
        "Positive / negative / edge case",
        "Top-level module",
        "Ticket type",
        "Acceptance by check",
    ):
        assert heading in page
    assert "near-duplicate rate" in report.output and "report:" in report.output


def test_an_unreadable_eval_set_is_one_line_naming_the_setting(
    cli: Cli, tmp_path: Path, stock_repo: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text('[assay]\neval_set = "missing.jsonl"\n')
    result = cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    assert (
        result.exit_code == 1 and "eval_set" in result.output and "Traceback" not in result.output
    )
