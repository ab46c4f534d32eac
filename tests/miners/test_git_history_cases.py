"""The messy cases of real histories, each on a repository the test builds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from miners.git_history import CommitFact, iter_commits, list_commits, open_repository
from miners.git_objects import BlobReader
from tests.builders import BuildRepo, git

ALPHA = "".join(f"alpha line {n}\n" for n in range(30))


def _commits(path: Path) -> list[CommitFact]:
    return list(iter_commits(open_repository(path)))


def test_copies_of_a_file_the_commit_also_changes_are_reported_as_copies(
    make_repo: BuildRepo,
) -> None:
    repo = make_repo(
        [
            {"message": "one", "files": {"a.txt": ALPHA}},
            {"message": "copy a", "files": {"a.txt": ALPHA + "more\n", "copy_of_a.txt": ALPHA}},
        ]
    )
    changes = {c.path: c for c in _commits(repo)[0].changes}
    copy = changes["copy_of_a.txt"]
    assert (copy.change_type, copy.old_path, copy.similarity) == ("copied", "a.txt", 100)
    assert changes["a.txt"].change_type == "modified"


def test_submodule_bumps_are_flagged_and_diffed_as_one_line(
    make_repo: BuildRepo, tmp_path: Path
) -> None:
    library = make_repo(
        [
            {"message": "lib v1", "files": {"lib.py": "V = 1\n"}},
            {"message": "lib v2", "files": {"lib.py": "V = 2\n"}},
        ],
        "library",
    )
    first, second = git(library, "rev-list", "--reverse", "HEAD").split()
    app = make_repo([{"message": "app", "files": {"app.py": "import lib\n"}}], "app")
    git(
        app,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library),
        "vendor/lib",
    )
    git(app, "-C", "vendor/lib", "checkout", "-q", first)
    git(app, "add", "-A")
    git(app, "commit", "-qm", "Add lib as a submodule")
    git(app, "-C", "vendor/lib", "checkout", "-q", second)
    git(app, "commit", "-qam", "Bump lib")
    bump, added = _commits(app)[:2]
    change = next(c for c in bump.changes if c.path == "vendor/lib")
    assert change.is_submodule and change.change_type == "modified" and not change.is_binary
    assert (change.old_blob, change.new_blob) == (first, second)
    assert f"-Subproject commit {first}" in change.diff and (
        change.added_lines,
        change.deleted_lines,
    ) == (1, 1)
    assert {c.path: c.is_submodule for c in added.changes} == {
        ".gitmodules": False,
        "vendor/lib": True,
    }


def test_mode_and_type_changes(make_repo: BuildRepo) -> None:
    repo = make_repo(
        [
            {
                "message": "one",
                "files": {"run.sh": "echo hi\n", "target.txt": "t\n", "link": "plain\n"},
            }
        ]
    )
    (repo / "run.sh").chmod(0o755)
    (repo / "link").unlink()
    (repo / "link").symlink_to("target.txt")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "modes")
    changes = {c.path: c for c in _commits(repo)[0].changes}
    assert (changes["run.sh"].old_mode, changes["run.sh"].new_mode) == ("100644", "100755")
    assert changes["run.sh"].change_type == "modified" and changes["run.sh"].added_lines == 0
    link = changes["link"]
    assert (link.change_type, link.old_mode, link.new_mode) == ("type_changed", "100644", "120000")
    assert (link.added_lines, link.deleted_lines) == (1, 1) and link.hunks == ()


def test_hunks_give_both_sides_line_ranges(make_repo: BuildRepo) -> None:
    lines = [f"line {n}\n" for n in range(1, 21)]
    edited = [*lines[:2], "new a\n", *lines[2:9], *lines[10:]]  # insert after line 2, drop line 10
    repo = make_repo(
        [
            {"message": "one", "files": {"f.txt": "".join(lines)}},
            {"message": "two", "files": {"f.txt": "".join(edited)}},
        ]
    )
    change = _commits(repo)[0].changes[0]
    old_starts = [h[0] for h in change.hunks]
    assert len(change.hunks) in (1, 2) and min(old_starts) >= 1
    # 20 lines before and after
    assert sum(h[1] for h in change.hunks) - sum(h[3] for h in change.hunks) == 0


def test_a_given_list_of_commits_streams_in_that_order(stock_repo: Path) -> None:
    info = open_repository(stock_repo)
    shas = list_commits(info)
    assert len(shas) == 3 and shas[0] == info.head_sha
    chosen = [shas[2], shas[0]]
    assert [c.sha for c in iter_commits(info, shas=chosen)] == chosen
    assert [c.sha for c in iter_commits(info, shas=[])] == []
    assert list_commits(info, since=shas[1]) == shas[:1]


def test_the_boundary_of_a_shallow_clone_has_no_made_up_changes(
    stock_repo: Path, tmp_path: Path
) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{stock_repo}", str(shallow)], check=True
    )
    newest, boundary = _commits(shallow)
    assert newest.changes and boundary.parents == () and boundary.changes == ()


def test_a_bare_repository_and_a_path_inside_a_work_tree(stock_repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "stocky.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(stock_repo), str(bare)], check=True)
    info = open_repository(bare)
    assert info.is_bare and info.name == "stocky" and len(_commits(bare)) == 3
    inner = open_repository(stock_repo / "src")
    assert inner.path == stock_repo.resolve() and [
        c.sha for c in iter_commits(inner)
    ] == list_commits(info)


def test_a_bare_repository_without_a_config_file(stock_repo: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(stock_repo), str(mirror)], check=True)
    (mirror / "config").unlink()  # GitPython then takes the parent folder for a work tree
    info = open_repository(mirror)
    assert info.is_bare and info.git_dir == mirror.resolve() and info.head_ref == "refs/heads/main"
    assert len(_commits(mirror)) == 3


def test_a_linked_worktree_reads_blobs_from_its_main_repository(
    stock_repo: Path, tmp_path: Path
) -> None:
    git(stock_repo, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "linked")
    info = open_repository(tmp_path / "linked")
    assert not (
        info.git_dir / "objects"
    ).exists()  # a linked worktree keeps its objects in the main one
    with BlobReader(info.git_dir) as blobs:
        assert (
            blobs.read(f"{info.head_sha}:README.md")
            == b"# stocky\n\nstocky tracks stock levels and reservations for small shops.\n"
        )
