from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miners.errors import EmptyRepository, NotAGitRepository
from miners.git_history import (
    DEFAULT_MAX_DIFF_BYTES,
    CommitFact,
    iter_commits,
    open_repository,
    parse_log_stream,
    unquote_path,
)
from tests.builders import BuildRepo, git


def _commits(
    path: Path, *, since: str | None = None, max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES
) -> list[CommitFact]:
    return list(iter_commits(open_repository(path), since=since, max_diff_bytes=max_diff_bytes))


def test_reads_commits_newest_first_with_messages_dates_and_authors(stock_repo: Path) -> None:
    commits = _commits(stock_repo)
    assert [c.subject for c in commits] == [
        "Reformat stock module",
        "Reject negative and oversized reservations",
        "Add stock module",
    ]
    fix = commits[1]
    assert fix.sha == git(stock_repo, "rev-parse", "HEAD~1").strip()
    assert fix.author_name == "Bo Chen" and fix.author_email == "bo@corp.example"
    assert fix.authored_at.isoformat() == "2024-01-05T09:30:00+00:00"
    assert fix.body.endswith("Fixes #1")
    assert not fix.is_merge and len(fix.parents) == 1


def test_change_types_line_counts_and_touched_lines(stock_repo: Path) -> None:
    fix = _commits(stock_repo)[1]
    by_path = {c.path: c for c in fix.changes}
    assert by_path["tests/test_stock.py"].change_type == "added"
    assert by_path["tests/test_stock.py"].added_lines == 8
    stock = by_path["src/stock.py"]
    assert stock.change_type == "modified"
    assert (stock.added_lines, stock.deleted_lines) == (5, 0)
    assert stock.new_touched == ((9, 13),)
    assert stock.diff.startswith("diff --git a/src/stock.py b/src/stock.py")


def test_renames_deletions_binaries_and_modes(make_repo: BuildRepo) -> None:
    repo = make_repo(
        [
            {
                "message": "one",
                "files": {"a.txt": "alpha\n" * 20, "gone.txt": "x\n"},
                "binary": {"logo.png": "89504e470d0a1a0a0000"},
            },
            {
                "message": "two",
                "files": {"b.txt": "alpha\n" * 20},
                "delete": ["a.txt", "gone.txt"],
                "binary": {"logo.png": "89504e470d0a1a0a0001"},
            },
        ]
    )
    changes = {c.change_type: c for c in _commits(repo)[0].changes}
    assert changes["renamed"].old_path == "a.txt" and changes["renamed"].new_path == "b.txt"
    assert changes["renamed"].similarity == 100
    assert changes["deleted"].old_path == "gone.txt" and changes["deleted"].new_path is None
    assert changes["modified"].is_binary and changes["modified"].added_lines == 0


def test_a_text_diff_containing_nul_bytes_does_not_break_the_framing(make_repo: BuildRepo) -> None:
    # git looks for NUL only in the first 8000 bytes to call a file binary: this one diffs as text.
    padding = "line\n" * 2000
    repo = make_repo(
        [
            {"message": "add data", "files": {"data.txt": padding + "a\x00b\n"}},
            {
                "message": "change data\n\ndiff --git a/fake b/fake\n\x1e not a frame",
                "files": {"data.txt": padding + "a\x00c\n"},
            },
            {"message": "third", "files": {"other.txt": "x\n"}},
        ]
    )
    commits = _commits(repo)
    assert [c.subject for c in commits] == ["third", "change data", "add data"]
    change = commits[1].changes[0]
    assert not change.is_binary and "\x00" in change.diff
    assert commits[1].body == "diff --git a/fake b/fake\n\x1e not a frame"
    assert len(commits[1].changes) == 1


def test_non_utf8_content_and_messages_are_replaced_and_flagged(
    make_repo: BuildRepo, tmp_path: Path
) -> None:
    repo = make_repo([{"message": "start", "files": {"a.txt": "x\n"}}])
    (repo / "a.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "msg").write_bytes(b"Caf\xe9 fix\n")
    subprocess.run(
        ["git", "-c", "i18n.commitEncoding=bogus", "commit", "-qaF", str(tmp_path / "msg")],
        cwd=repo,
        check=True,
    )
    latest = _commits(repo)[0]
    assert latest.non_utf8 and "\ufffd" in latest.subject
    assert latest.changes[0].non_utf8 and "caf\ufffd" in latest.changes[0].diff


def test_diffs_over_the_cap_are_cut_but_counted(make_repo: BuildRepo) -> None:
    repo = make_repo(
        [{"message": "big", "files": {"big.txt": "".join(f"line {n}\n" for n in range(5000))}}]
    )
    change = _commits(repo, max_diff_bytes=2_000)[0].changes[0]
    assert change.truncated and len(change.diff.encode()) <= 2_000
    assert change.added_lines == 5000


def test_merge_commits_are_flagged_and_diffed_against_the_first_parent(
    make_repo: BuildRepo,
) -> None:
    repo = make_repo(
        [
            {"message": "base", "files": {"a.txt": "a\n"}},
            {"branch": "feature", "message": "feature work", "files": {"f.txt": "f\n"}},
            {"checkout": "main", "message": "main work", "files": {"m.txt": "m\n"}},
            {"merge": "feature", "message": "Merge branch 'feature'"},
        ]
    )
    merge = _commits(repo)[0]
    assert merge.is_merge and len(merge.parents) == 2
    assert [c.path for c in merge.changes] == ["f.txt"]


def test_since_streams_only_newer_commits(stock_repo: Path) -> None:
    first = git(stock_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert [c.subject for c in _commits(stock_repo, since=first)] == [
        "Reformat stock module",
        "Reject negative and oversized reservations",
    ]


def test_open_repository_finds_the_root_from_a_subfolder(stock_repo: Path) -> None:
    info = open_repository(stock_repo / "src")
    assert info.path == stock_repo.resolve() and info.name == "stocky"
    assert not info.is_bare and not info.is_shallow


def test_open_repository_reads_bare_and_shallow_clones(stock_repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(stock_repo), str(bare)], check=True)
    assert open_repository(bare).is_bare and len(_commits(bare)) == 3
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{stock_repo}", str(shallow)], check=True
    )
    info = open_repository(shallow)
    assert info.is_shallow and [c.subject for c in iter_commits(info)] == ["Reformat stock module"]


def test_a_folder_that_is_not_a_repository_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(NotAGitRepository, match=f"{tmp_path} is not a git repository"):
        open_repository(tmp_path)


def test_an_empty_repository_says_so(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    with pytest.raises(EmptyRepository, match="no commits yet"):
        open_repository(tmp_path / "empty")


def test_unquote_path_undoes_git_c_quoting() -> None:
    assert unquote_path('"tab\\there"') == "tab\there"
    assert unquote_path('"caf\\303\\251.txt"') == "café.txt"
    assert unquote_path("plain name.txt") == "plain name.txt"


def test_parse_log_stream_of_nothing_is_empty() -> None:
    assert list(parse_log_stream([])) == []


_message_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\r"),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=_message_text)
def test_any_message_survives_the_framing(make_repo: BuildRepo, message: str) -> None:
    repo = make_repo([{"message": "base", "files": {"a.txt": "a\n"}}])
    (repo / "a.txt").write_text("b\n")
    subprocess.run(
        ["git", "commit", "-qa", "--cleanup=verbatim", "-F", "-"],
        cwd=repo,
        input=message.encode(),
        check=True,
    )
    latest = _commits(repo)[0]
    assert latest.message == message.rstrip("\n")
    assert [c.path for c in latest.changes] == ["a.txt"]
