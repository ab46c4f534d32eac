from __future__ import annotations

import subprocess
from pathlib import Path

from miners.replay_tools import MAX_SEARCH_HITS, SnapshotSession, commit_patch, first_parent
from miners.tool_results import (
    ChangedFile,
    DirectoryEntry,
    DirectoryListing,
    FileMissing,
    FileNotText,
    FileText,
    LineMissing,
    LogEntry,
    NotAFolder,
    PatchApplied,
    PatchRejected,
    SearchHit,
    SearchHits,
    render,
)
from tests.builders import BuildRepo, git


def _parent_session(repo: Path) -> SnapshotSession:
    return SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD~2").strip())


def test_read_file_numbers_the_real_lines_at_the_commit(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        read = session.read_file("src/stock.py")
    real = git(stock_repo, "show", "HEAD~2:src/stock.py").splitlines()
    assert isinstance(read, FileText)
    assert (read.start_line, read.end_line, read.line_count, read.cut) == (1, 15, 15, False)
    assert read.lines == tuple(real)
    assert render(read).splitlines() == [
        f"{n:>4} | {line}".rstrip() if line else f"{n:>4} |" for n, line in enumerate(real, 1)
    ]


def test_read_file_ranges_and_errors(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        span = session.read_file("src/stock.py", 7, 8)
        assert isinstance(span, FileText) and (span.start_line, span.end_line) == (7, 8)
        assert (
            render(span).splitlines()[0]
            == "   7 | def reserve(levels: dict[str, int], sku: str, qty: int) -> int:"
        )
        assert session.read_file("missing.py") == FileMissing("missing.py")
        assert session.read_file("src/stock.py", 500) == LineMissing("src/stock.py", 15, 500)
        assert render(session.read_file("missing.py")) == "Error: missing.py does not exist"
        assert (
            render(session.read_file("src/stock.py", 500))
            == "Error: src/stock.py has 15 lines; line 500 does not exist"
        )


def test_search_matches_git_grep_at_the_commit(stock_repo: Path) -> None:
    parent = git(stock_repo, "rev-parse", "HEAD~2").strip()
    with _parent_session(stock_repo) as session:
        hits = session.search_code("levels")
        missing = session.search_code("no_such_name")
    grep = git(stock_repo, "grep", "-n", "-F", "levels", parent).splitlines()
    expected = [line.split(":", 3)[1:] for line in grep]
    assert [(h.path, h.line, h.text) for h in hits.hits] == [(p, int(n), t) for p, n, t in expected]
    assert [(h.path, h.line) for h in hits.hits] == [
        ("README.md", 3),
        *(("src/stock.py", n) for n in (1, 7, 9, 10, 13, 15)),
    ]
    assert hits.more == 0
    assert render(hits).splitlines() == [f"{p}:{n}: {t}" for p, n, t in expected]
    assert missing == SearchHits("no_such_name", ())
    assert render(missing) == "No matches for 'no_such_name'"


def test_list_directory_and_git_log(stock_repo: Path) -> None:
    with _parent_session(stock_repo) as session:
        root = session.list_directory(".")
        assert isinstance(root, DirectoryListing)
        assert set(root.entries) == {
            DirectoryEntry("README.md", folder=False),
            DirectoryEntry("pyproject.toml", folder=False),
            DirectoryEntry("src", folder=True),
        }
        assert root.has_file("README.md") and not root.has_file("src")
        assert render(root) == "README.md\npyproject.toml\nsrc/"
        assert render(session.list_directory("src")) == "stock.py"
        assert session.list_directory("nope") == NotAFolder("nope")
        assert render(session.list_directory("nope")) == "Error: nope is not a folder"
        log = session.git_log()
    sha = git(stock_repo, "rev-parse", "--short", "HEAD~2").strip()
    assert log.entries == (LogEntry(sha, "2024-01-02", "Ana Lima", "Add stock module"),)
    assert render(log) == f"{sha} 2024-01-02 Ana Lima: Add stock module"


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
        assert result == PatchApplied(
            (
                ChangedFile("modified", "src/stock.py", 5, 0),
                ChangedFile("added", "tests/test_stock.py", 8, 0),
            )
        )
        assert (
            render(result)
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
        assert "raise ValueError" in render(session.read_file("src/stock.py"))
        again = session.apply_patch(patch)
        assert isinstance(again, PatchRejected)
        assert any(r.startswith("src/stock.py: ") for r in again.reasons), again.reasons
        assert not any(r.startswith("error: ") for r in again.reasons)
        assert render(again) == f"Error: {'; '.join(again.reasons)}; nothing was changed"
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
            render(session.read_file("src/stock.py", 1, 1))
            == '   1 | """Stock levels and reservations."""'
        )


def test_hits_keep_their_real_paths_and_line_numbers(make_repo: BuildRepo) -> None:
    """A colon in a path, CRLF line ends, a page break inside a line: the hit is still one hit with
    its file's real path, the line number git gave and the line's text."""
    repo = make_repo(
        [
            {
                "date": "2024-01-02T10:00:00+00:00",
                "message": "Odd files",
                "files": {
                    "docs/a:b.txt": "intro\nsee open_session: here\n",
                    "win.py": "x = 1\r\ndef open_session():\r\n    pass\r\n",
                    "paged.py": "a = 2\n\n\nopen_session()\x0c  # page: two: three\n",
                },
                "binary": {"blob.bin": "00016f70656e5f73657373696f6e00"},
            }
        ]
    )
    with SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD").strip()) as session:
        hits = session.search_code("open_session")
        assert hits.hits == (
            SearchHit("docs/a:b.txt", 2, "see open_session: here"),
            SearchHit("paged.py", 4, "open_session()\x0c  # page: two: three"),
            SearchHit("win.py", 2, "def open_session():"),
        )
        assert session.read_file(hits.hits[0].path, hits.hits[0].line, hits.hits[0].line) == (
            FileText("docs/a:b.txt", 2, ("see open_session: here",), 2)
        )
        assert render(hits).splitlines()[0] == "docs/a:b.txt:2: see open_session: here"
        assert session.search_code("open_session", "win.py").hits == hits.hits[2:]
        assert session.read_file("blob.bin") == FileNotText("blob.bin")


def test_many_hits_show_the_first_fifty_and_count_the_rest(make_repo: BuildRepo) -> None:
    body = "".join(f"value_{n} = {n}\n" for n in range(70))
    repo = make_repo(
        [{"date": "2024-01-02T10:00:00+00:00", "message": "Many", "files": {"v.py": body}}]
    )
    with SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD").strip()) as session:
        hits = session.search_code("value_")
    assert len(hits.hits) == MAX_SEARCH_HITS and hits.more == 20
    assert [h.line for h in hits.hits] == list(range(1, 51))
    shown = render(hits).splitlines()
    assert shown[-2:] == ["v.py:50: value_49 = 49", "(20 more hits not shown)"]


def test_a_long_file_is_read_in_pages(make_repo: BuildRepo) -> None:
    body = "".join(f"line {n}\n" for n in range(1, 451))
    repo = make_repo(
        [{"date": "2024-01-02T10:00:00+00:00", "message": "Long", "files": {"long.txt": body}}]
    )
    with SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD").strip()) as session:
        first, rest = session.read_file("long.txt"), session.read_file("long.txt", 401)
        ranged = session.read_file("long.txt", 10, 420)
    assert isinstance(first, FileText) and isinstance(rest, FileText)
    assert isinstance(ranged, FileText)
    assert (first.end_line, first.line_count, first.cut) == (400, 450, True)
    assert render(first).splitlines()[-2:] == [
        " 400 | line 400",
        "(50 more lines; pass start_line to read on)",
    ]
    assert (rest.start_line, rest.end_line, rest.cut) == (401, 450, False)
    assert (ranged.end_line, ranged.cut) == (409, False)  # at most 400 lines, said by the range


def test_git_log_entries_keep_names_and_subjects_whole(make_repo: BuildRepo) -> None:
    repo = make_repo(
        [
            {
                "date": "2024-01-02T10:00:00+00:00",
                "author": "Jo Ann de la Cruz <jo@example.com>",
                "message": "docs: fix: the README's first line",
                "files": {"README.md": "hello\n"},
            },
            {
                "date": "2024-01-03T10:00:00+00:00",
                "message": "Add code",
                "files": {"src/app.py": "x = 1\n"},
            },
        ]
    )
    with SnapshotSession(repo / ".git", git(repo, "rev-parse", "HEAD").strip()) as session:
        readme, everything = session.git_log("README.md"), session.git_log(max_count=1)
        nothing = session.git_log("no/such/path")
    sha = git(repo, "rev-parse", "--short", "HEAD~1").strip()
    assert readme.entries == (
        LogEntry(sha, "2024-01-02", "Jo Ann de la Cruz", "docs: fix: the README's first line"),
    )
    assert (
        render(readme) == f"{sha} 2024-01-02 Jo Ann de la Cruz: docs: fix: the README's first line"
    )
    assert [e.subject for e in everything.entries] == ["Add code"]
    assert nothing.entries == () and render(nothing) == "No commits"
