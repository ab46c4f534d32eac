from __future__ import annotations

import subprocess
from pathlib import Path

from miners.replay_tools import SnapshotSession, commit_patch, first_parent
from tests.builders import git


def _parent_session(repo: Path) -> SnapshotSession:
    return SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD~2").strip())


def test_read_file_numbers_the_real_lines_at_the_commit(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        shown = session.read_file("src/stock.py")
    real = git(stock_repo, "show", "HEAD~2:src/stock.py").splitlines()
    assert shown.splitlines() == [
        f"{n:>4} | {line}".rstrip() if line else f"{n:>4} |" for n, line in enumerate(real, 1)
    ]


def test_read_file_ranges_and_errors(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        assert (
            session.read_file("src/stock.py", 7, 8).splitlines()[0]
            == "   7 | def reserve(levels: dict[str, int], sku: str, qty: int) -> int:"
        )
        assert session.read_file("missing.py") == "Error: missing.py does not exist"
        assert session.read_file("src/stock.py", 500).startswith("Error: src/stock.py has")


def test_search_matches_git_grep_at_the_commit(stock_repo: Path) -> None:
    parent = git(stock_repo, "rev-parse", "HEAD~2").strip()
    with _parent_session(stock_repo) as session:
        hits = session.search_code("levels")
        missing = session.search_code("no_such_name")
    grep = git(stock_repo, "grep", "-n", "-F", "levels", parent).splitlines()
    assert hits.splitlines() == [
        ":".join(line.split(":", 3)[1:3]) + ": " + line.split(":", 3)[3] for line in grep
    ]
    assert missing == "No matches for 'no_such_name'"


def test_list_directory_and_git_log(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        assert session.list_directory(".") == "README.md\npyproject.toml\nsrc/"
        assert session.list_directory("src") == "stock.py"
        assert session.list_directory("nope") == "Error: nope is not a folder"
        log = session.git_log()
    sha = git(stock_repo, "rev-parse", "--short", "HEAD~2").strip()
    assert log == f"{sha} 2024-01-02 Ana Lima: Add stock module"


def test_apply_patch_changes_the_session_not_the_repository(stock_repo: Path) -> None:
    parent, fix = (
        git(stock_repo, "rev-parse", "HEAD~2").strip(),
        git(stock_repo, "rev-parse", "HEAD~1").strip(),
    )
    objects_before = git(stock_repo, "count-objects", "-v")
    status_before = git(stock_repo, "status", "--porcelain")
    patch = commit_patch(stock_repo / ".git", parent, fix, ["src/stock.py", "tests/test_stock.py"])
    with SnapshotSession(stock_repo / ".git", parent) as session:
        result = session.apply_patch(patch)
        assert (
            result
            == "Applied patch:\nmodified src/stock.py (+5 -0)\nadded tests/test_stock.py (+8 -0)"
        )
        assert (
            session.file_bytes("src/stock.py")
            == subprocess.run(
                ["git", "show", f"{fix}:src/stock.py"],
                cwd=stock_repo,
                capture_output=True,
                check=True,
            ).stdout
        )
        assert "raise ValueError" in session.read_file("src/stock.py")
        again = session.apply_patch(patch)
        assert again.startswith("Error: ") and again.endswith("nothing was changed")
    assert git(stock_repo, "count-objects", "-v") == objects_before
    assert git(stock_repo, "status", "--porcelain") == status_before


def test_first_parent(stock_repo: Path) -> None:
    root = git(stock_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert first_parent(stock_repo / ".git", root) is None
    assert (
        first_parent(stock_repo / ".git", git(stock_repo, "rev-parse", "HEAD").strip())
        == git(stock_repo, "rev-parse", "HEAD~1").strip()
    )


def test_the_git_directory_of_a_clone_a_worktree_and_a_bare_repository(
    stock_repo: Path, tmp_path: Path
) -> None:
    from miners.git_objects import git_dir_of

    subprocess.run(
        ["git", "-C", str(stock_repo), "worktree", "add", "-q", str(tmp_path / "wt")], check=True
    )
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(stock_repo), str(tmp_path / "bare.git")], check=True
    )
    assert git_dir_of(stock_repo) == stock_repo / ".git"
    assert git_dir_of(tmp_path / "wt") == (stock_repo / ".git").resolve()
    assert git_dir_of(tmp_path / "bare.git") == tmp_path / "bare.git"
    with SnapshotSession(
        git_dir_of(tmp_path / "wt"), git(stock_repo, "rev-parse", "HEAD").strip()
    ) as session:
        assert (
            session.read_file("src/stock.py", 1, 1) == '   1 | """Stock levels and reservations."""'
        )
