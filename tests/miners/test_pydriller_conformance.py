"""goldmine's history reader against pydriller, the reference implementation, on one test-built
history.

For every non-merge commit the two must agree on the changed paths, their change types and their
added/deleted line counts. They differ on merge commits by design: pydriller gives a merge no
modified files (the merged commits carry the changes), goldmine diffs it against its first parent
and flags it ``is_merge``, so the merge is a fact of its own that later stages can skip.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydriller import Commit as PydrillerCommit
from pydriller import Repository

from miners.git_history import CommitFact, iter_commits, open_repository
from tests.builders import BuildRepo, Commit

_TYPES = {
    "ADD": "added",
    "DELETE": "deleted",
    "MODIFY": "modified",
    "RENAME": "renamed",
    "COPY": "copied",
}
Change = tuple[str, str, str, int, int]  # change type, old path, new path, added, deleted
_WORDS = ("total", "cart", "price", "stock", "order", "refund", "tax", "limit", "user", "cache")


def _module(rng: random.Random, functions: int) -> list[str]:
    lines = ['"""A module."""', ""]
    for n in range(functions):
        name = f"{rng.choice(_WORDS)}_{n}"
        lines += [f"def {name}(value):", f"    return value * {n}", ""]
    return lines


def _edit(rng: random.Random, lines: list[str]) -> list[str]:
    """Insert, delete or rewrite a few lines, sometimes ones that start with ``++`` or ``--``."""
    edited = list(lines)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(edited) + 1)
        action = rng.choice(("insert", "delete", "rewrite", "tricky"))
        if action == "insert":
            edited.insert(at, f"    # note {rng.randint(0, 999)}")
        elif action == "delete" and len(edited) > 3:
            del edited[min(at, len(edited) - 1)]
        elif action == "rewrite" and edited:
            edited[min(at, len(edited) - 1)] = f"x = {rng.randint(0, 999)}"
        else:
            edited.insert(
                at,
                rng.choice(("++counter", "-- a sql comment", "+++ not a header", "--- nor this")),
            )
    return edited


def _history(seed: int = 7, commits: int = 40) -> list[Commit]:
    """A history with edits, additions, deletions, renames (with and without edits), binaries,
    a file without a final newline, CRLF lines, an empty file, a non-ASCII path, and two merges."""
    rng = random.Random(seed)
    files = {f"src/mod_{n}.py": _module(rng, 4 + n) for n in range(4)}
    history: list[Commit] = [
        {
            "message": "start",
            "files": {p: "\n".join(v) + "\n" for p, v in files.items()},
            "binary": {"assets/logo.png": "89504e470d0a1a0a" + "00" * 40},
        },
    ]
    for n in range(commits):
        step: Commit = {
            "message": f"change {n}",
            "date": f"2024-02-{1 + n % 27:02d}T10:{n % 60:02d}:00+00:00",
        }
        path = rng.choice(sorted(files))
        files[path] = _edit(rng, files[path])
        step["files"] = {path: "\n".join(files[path]) + "\n"}
        if n % 7 == 3:  # rename, sometimes with an edit
            old = rng.choice(sorted(p for p in files if p != path))
            new = old.replace("mod_", f"renamed{n}_")
            files[new] = files.pop(old) if n % 2 else _edit(rng, files.pop(old))
            step["files"][new] = "\n".join(files[new]) + "\n"
            step["delete"] = [old]
        if n % 9 == 5:
            step["binary"] = {
                "assets/logo.png": "89504e470d0a1a0a" + f"{n:02x}" * 40,
                f"assets/new_{n}.bin": "00ff" * 9,
            }
        if n % 11 == 2:
            step["files"][f"docs/notes_{n}.txt"] = "no final newline"
            step["files"]["docs/crlf.txt"] = "one\r\ntwo\r\n" * (n + 1)
            step["files"][f"docs/empty_{n}.txt"] = ""
            step["files"]["docs/café.txt"] = f"accented path {n}\n"
        if n % 13 == 6 and n > 6:
            doomed = sorted(p for p in files if p not in step["files"])[0]
            files.pop(doomed)
            step.setdefault("delete", []).append(doomed)
        history.append(step)
    return history


def _with_merges(history: list[Commit]) -> list[Commit]:
    middle = len(history) // 2
    branch: list[Commit] = [
        {
            "branch": "feature",
            "message": "feature: add helpers",
            "files": {"src/helpers.py": "def h():\n    return 1\n"},
        },
        {
            "message": "feature: more helpers",
            "files": {"src/helpers.py": "def h():\n    return 2\n\n\ndef g():\n    pass\n"},
        },
        {"checkout": "main", "message": "main moves on", "files": {"src/main_only.py": "A = 1\n"}},
        {"merge": "feature", "message": "Merge branch 'feature'"},
    ]
    late: list[Commit] = [
        {"branch": "late", "message": "late branch", "files": {"src/late.py": "L = 1\n"}},
        {"checkout": "main", "message": "main again", "files": {"src/main_only.py": "A = 2\n"}},
        {"merge": "late", "message": "Merge branch 'late'"},
    ]
    return history[:middle] + branch + history[middle:] + late


def _ours(commit: CommitFact) -> list[Change]:
    return sorted(
        _row(c.change_type, c.old_path, c.new_path, c.added_lines, c.deleted_lines)
        for c in commit.changes
    )


def _theirs(commit: PydrillerCommit) -> list[Change]:
    return sorted(
        _row(_TYPES[f.change_type.name], f.old_path, f.new_path, f.added_lines, f.deleted_lines)
        for f in commit.modified_files
    )


def _row(change_type: str, old: str | None, new: str | None, added: int, deleted: int) -> Change:
    # GitPython gives an added file without a textual patch (an empty or binary file) the new path
    # as its old path too; an added file has no old path, so it is left out of the comparison.
    return (change_type, "" if change_type == "added" else old or "", new or "", added, deleted)


@pytest.fixture(scope="module")
def conformance_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.demo.sample_repo import build_repository

    return build_repository(
        tmp_path_factory.mktemp("conformance") / "repo", _with_merges(_history())
    )


def test_goldmine_reads_what_pydriller_reads_on_every_non_merge_commit(
    conformance_repo: Path,
) -> None:
    ours = {c.sha: c for c in iter_commits(open_repository(conformance_repo))}
    theirs = list(Repository(str(conformance_repo)).traverse_commits())
    assert set(ours) == {c.hash for c in theirs} and len(ours) == 48
    kinds = set()
    for commit in theirs:
        mine = ours[commit.hash]
        assert (mine.is_merge, list(mine.parents), mine.message) == (
            commit.merge,
            commit.parents,
            commit.msg,
        )
        assert (mine.author_name, mine.author_email) == (commit.author.name, commit.author.email)
        assert (mine.authored_at, mine.committed_at) == (commit.author_date, commit.committer_date)
        if commit.merge:
            continue
        assert _ours(mine) == _theirs(commit), commit.msg
        kinds |= {c.change_type for c in mine.changes} | {
            "binary" for c in mine.changes if c.is_binary
        }
    assert kinds == {"added", "modified", "deleted", "renamed", "binary"}


def test_merges_differ_from_pydriller_as_documented(conformance_repo: Path) -> None:
    merges = [c for c in Repository(str(conformance_repo)).traverse_commits() if c.merge]
    ours = {c.sha: c for c in iter_commits(open_repository(conformance_repo))}
    assert len(merges) == 2
    for merge in merges:
        assert merge.modified_files == []  # pydriller: a merge has no modified files
        mine = ours[merge.hash]
        assert mine.is_merge and mine.changes  # goldmine: diffed against the first parent
    feature = next(ours[m.hash] for m in merges if m.msg == "Merge branch 'feature'")
    assert {c.path for c in feature.changes} == {"src/helpers.py"}


def test_the_conformance_history_is_deterministic(tmp_path: Path, make_repo: BuildRepo) -> None:
    first = make_repo(_with_merges(_history(commits=6)), "a")
    second = make_repo(_with_merges(_history(commits=6)), "b")
    assert open_repository(first).head_sha == open_repository(second).head_sha
