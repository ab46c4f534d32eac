"""Repositories found with GitPython, and their commits read from one streamed ``git log -p --raw``.

git runs with a framing no message or diff can break (see ``miners/git_log_parser.py``, which
parses it), with rename and copy detection, no colour, no external diff and no textconv, and
with merges diffed against their first parent. A caller may give the list of commits to read
(``--no-walk --stdin``), which is how a large history is split across processes.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import git

from miners.errors import EmptyRepository, GitCommandFailed, NotAGitRepository
from miners.git_log_parser import (
    DEFAULT_MAX_DIFF_BYTES,
    CommitFact,
    FileChangeFact,
    Hunk,
    parse_log_stream,
    unquote_path,
)
from miners.ticket_links import remote_project

__all__ = [
    "DEFAULT_MAX_DIFF_BYTES",
    "MINER_VERSION",
    "CommitFact",
    "FileChangeFact",
    "Hunk",
    "RepositoryInfo",
    "is_ancestor",
    "iter_commits",
    "list_commits",
    "open_repository",
    "parse_log_stream",
    "shallow_boundary",
    "unquote_path",
]

MINER_VERSION = "git-2"

# Dates raw (``--date=raw``: seconds and ±hhmm): ISO text cannot say every zone git accepts.
_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd%n%w(0,1,1)%B%w(0,0,0)%n%x1d"
# Settings a user's git config could change that would alter what we parse.
_GIT_CONFIG = (
    "core.quotePath=false",
    "color.ui=never",
    "log.showSignature=false",
    "log.showRoot=true",
    "diff.noprefix=false",
    "diff.relative=false",
)
_LOG_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-C",  # renames, and copies of files the same commit modifies (-M alone never reports copies)
    "--raw",
    "--no-abbrev",
    "-p",
    "--diff-merges=first-parent",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--encoding=UTF-8",
    "--date=raw",
    f"--format={_FORMAT}",
)


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    """Where a repository lives and what state its history is in."""

    path: Path
    git_dir: Path
    name: str
    is_bare: bool
    is_shallow: bool
    head_sha: str
    head_ref: str
    root_commits: tuple[str, ...]
    # The code-host projects its remotes point at (``github.com/acme/shop``): never the URLs, which
    # may carry credentials.
    projects: tuple[str, ...] = ()


def open_repository(path: str | Path) -> RepositoryInfo:
    """Find the repository holding ``path`` (GitPython) and describe it (git itself); raise a
    one-line error if there is none or it has no commits."""
    try:
        repo = git.Repo(str(path), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotAGitRepository(str(path)) from None
    with repo:
        git_dir = Path(repo.git_dir).resolve()
        tree = Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None
    # A bare repository without a config file (as mirrors are sometimes kept) looks like a work
    # tree to GitPython: a work tree is only one that has its .git.
    is_bare = tree is None or not (tree / ".git").exists()
    head_sha = _git_text(git_dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not head_sha:
        raise EmptyRepository(str(path))
    root = git_dir if is_bare else tree or git_dir
    return RepositoryInfo(
        path=root,
        git_dir=git_dir,
        name=root.name.removesuffix(".git") if is_bare else root.name,
        is_bare=is_bare,
        is_shallow=(git_dir / "shallow").exists(),
        head_sha=head_sha,
        head_ref=_git_text(git_dir, "symbolic-ref", "--quiet", "HEAD") or "HEAD",
        root_commits=tuple(_git_text(git_dir, "rev-list", "--max-parents=0", "HEAD").split()),
        projects=_remote_projects(git_dir),
    )


def _remote_projects(git_dir: Path) -> tuple[str, ...]:
    """``git remote get-url`` of each remote (``url.<base>.insteadOf`` applied), as projects."""
    urls = [
        _git_text(git_dir, "remote", "get-url", name)
        for name in _git_text(git_dir, "remote").split()
    ]
    return tuple(sorted({project for url in urls if (project := remote_project(url))}))


def _git_text(git_dir: Path, *args: str) -> str:
    """What a git command prints (stripped); empty when it fails."""
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], capture_output=True, check=False
    )
    return result.stdout.decode("utf-8", "replace").strip() if result.returncode == 0 else ""


def is_ancestor(repo: RepositoryInfo, older: str, newer: str) -> bool:
    """True when ``older`` is reachable from ``newer`` (so ``older..newer`` is the new work)."""
    result = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "merge-base", "--is-ancestor", older, newer],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def list_commits(
    repo: RepositoryInfo, *, revision: str = "HEAD", since: str | None = None
) -> list[str]:
    """The shas reachable from ``revision`` and not from ``since``, newest first (git log's
    order)."""
    revision_range = f"{since}..{revision}" if since else revision
    result = subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), "rev-list", revision_range, "--"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise GitCommandFailed("git rev-list", result.stderr.decode("utf-8", "replace"))
    return result.stdout.decode("ascii").split()


def shallow_boundary(repo: RepositoryInfo) -> frozenset[str]:
    """The commits of a shallow clone whose parents were not fetched (empty for a full clone)."""
    shallow = repo.git_dir / "shallow"
    return frozenset(shallow.read_text().split()) if shallow.exists() else frozenset()


def iter_commits(
    repo: RepositoryInfo,
    *,
    revision: str = "HEAD",
    since: str | None = None,
    shas: Sequence[str] | None = None,
    max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES,
) -> Iterator[CommitFact]:
    """Stream commits with their changes, newest first: the given ``shas`` (in that order), or
    those reachable from ``revision`` and not from ``since``.

    Commits on a shallow clone's boundary come without file changes: their parents are missing,
    so git would diff them against nothing and report every file as added.
    """
    if shas is not None and not shas:
        return  # git would read an empty list as "HEAD"
    boundary = shallow_boundary(repo)
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        if shas is not None:
            stdin.write("".join(f"{sha}\n" for sha in shas).encode("ascii"))
            stdin.seek(0)
            selection = ["--no-walk=unsorted", "--stdin"]
        else:
            selection = [f"{since}..{revision}" if since else revision]
        process = subprocess.Popen(
            _log_command(repo, selection), stdin=stdin, stdout=subprocess.PIPE, stderr=stderr
        )
        assert process.stdout is not None
        try:
            commits = parse_log_stream(
                process.stdout,
                max_diff_bytes=max_diff_bytes,
                raw_header=lambda sha: _commit_object(repo.git_dir, sha),
            )
            for commit in commits:
                yield replace(commit, changes=()) if commit.sha in boundary else commit
        finally:
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            stderr.seek(0)
            raise GitCommandFailed("git log", stderr.read().decode("utf-8", "replace"))


def _commit_object(git_dir: Path, sha: str) -> bytes:
    """A commit object as stored, for the rare header ``git log`` cannot print (a date before
    1970, an identity without ``<>``)."""
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "commit", sha],
        capture_output=True,
        check=False,
    ).stdout


def _log_command(repo: RepositoryInfo, selection: list[str]) -> list[str]:
    command = ["git", "--git-dir", str(repo.git_dir)]
    for setting in _GIT_CONFIG:
        command += ["-c", setting]
    return [*command, "log", *_LOG_OPTIONS, *selection, "--"]
