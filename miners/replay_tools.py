"""The code-agent tools of ``seeds/tools.json``, answered from a repository at one commit.

A :class:`SnapshotSession` starts at a commit (usually the parent of a fix) and answers
``search_code``, ``read_file``, ``list_directory``, ``git_log`` and ``apply_patch`` with data (the
results of ``miners/tool_results.py``, whose ``render()`` is the text the catalog describes), so a
mined trajectory's observations are real, not invented.
Applied patches change the session's tree, not the repository: new git objects go to a private
object directory (an alternate of the repository's own), which is deleted on close.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from miners.tool_results import (
    ChangedFile,
    DirectoryEntry,
    DirectoryListing,
    FileMissing,
    FileNotText,
    FileText,
    LineMissing,
    LogEntries,
    LogEntry,
    NotAFolder,
    PatchApplied,
    PatchRejected,
    SearchHit,
    SearchHits,
    ToolResult,
)

MAX_SEARCH_HITS = 50
MAX_READ_LINES = 400
DEFAULT_LOG_COUNT = 10
REPLAYABLE = ("search_code", "read_file", "list_directory", "git_log", "apply_patch")


class SnapshotSession:
    """The tools' view of one repository at one commit, plus the patches applied so far."""

    def __init__(self, git_dir: Path, commit: str) -> None:
        self.git_dir = git_dir
        self.commit = commit
        self._scratch = Path(tempfile.mkdtemp(prefix="goldmine-replay-"))
        (self._scratch / "objects").mkdir()
        self.tree = _remembered(
            ("tree", git_dir, commit),
            lambda: self._git("rev-parse", f"{commit}^{{tree}}").stdout.strip(),
        )

    def __enter__(self) -> SnapshotSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the session's private index and objects."""
        shutil.rmtree(self._scratch, ignore_errors=True)

    def call(self, tool_name: str, parameters: Mapping[str, Any]) -> ToolResult:
        """Answer one tool call by name, as the catalog defines it."""
        tools: dict[str, Callable[..., ToolResult]] = {
            "search_code": self.search_code,
            "read_file": self.read_file,
            "list_directory": self.list_directory,
            "git_log": self.git_log,
            "apply_patch": self.apply_patch,
        }
        if tool_name not in tools:
            raise KeyError(f"{tool_name} cannot be replayed from a repository")
        return tools[tool_name](**parameters)

    def search_code(self, query: str, path: str | None = None) -> SearchHits:
        """The lines of tracked files that contain ``query`` (at most 50 shown)."""
        return _remembered(
            ("grep", self.git_dir, self.tree, query, path), lambda: self._search(query, path)
        )

    def _search(self, query: str, path: str | None) -> SearchHits:
        args = ["grep", "-n", "-I", "-F", "-z", "--full-name", "-e", query, self.tree]
        found = self._git(*args, "--", *([path] if path else []), check=False)
        hits = _grep_hits(found.stdout, self.tree)
        shown = hits[:MAX_SEARCH_HITS]
        return SearchHits(query, tuple(shown), len(hits) - len(shown))

    def read_file(
        self, path: str, start_line: int | None = None, end_line: int | None = None
    ) -> FileText | FileMissing | FileNotText | LineMissing:
        """Lines ``start_line``–``end_line`` of a text file (at most 400), or why not."""
        data = self.file_bytes(path)
        if data is None:
            return FileMissing(path)
        if b"\x00" in data[:8000]:
            return FileNotText(path)
        lines = data.decode("utf-8", "replace").splitlines()
        first = max(start_line or 1, 1)
        last = min(end_line or len(lines), len(lines), first + MAX_READ_LINES - 1)
        if first > len(lines):
            return LineMissing(path, len(lines), first)
        cut = end_line is None and last < len(lines)
        return FileText(path, first, tuple(lines[first - 1 : last]), len(lines), cut)

    def list_directory(self, path: str) -> DirectoryListing | NotAFolder:
        """A folder's entries, or :class:`NotAFolder`."""
        return _remembered(("ls", self.git_dir, self.tree, path), lambda: self._listing(path))

    def _listing(self, path: str) -> DirectoryListing | NotAFolder:
        folder = path.strip("/")
        target = self.tree if folder in ("", ".") else f"{self.tree}:{folder}"
        listed = self._git("ls-tree", target, check=False)
        if listed.returncode != 0:
            return NotAFolder(path)
        entries = []
        for line in listed.stdout.splitlines():
            meta, name = line.split("\t", 1)
            entries.append(DirectoryEntry(name, folder=meta.split()[1] == "tree"))
        return DirectoryListing(path, tuple(entries))

    def git_log(self, path: str | None = None, max_count: int = DEFAULT_LOG_COUNT) -> LogEntries:
        """The commits up to the session's commit (those touching ``path`` when given), newest
        first."""
        return _remembered(
            ("log", self.git_dir, self.commit, path, max_count), lambda: self._log(path, max_count)
        )

    def _log(self, path: str | None, max_count: int) -> LogEntries:
        args = [
            "log",
            f"-n{max_count}",
            "--date=short",
            "--format=%h%x00%ad%x00%an%x00%s",
            self.commit,
            "--",
        ]
        shown = self._git(*args, *([path] if path else [])).stdout
        return LogEntries(
            tuple(LogEntry(*line.split("\0", 3)) for line in shown.split("\n") if line)
        )

    def apply_patch(self, patch: str) -> PatchApplied | PatchRejected:
        """Apply a unified diff to the session's tree: the files changed, or git's reasons."""
        index = self._scratch / "index"
        self._git("read-tree", self.tree, index=index)
        checked = self._git(
            "apply",
            "--cached",
            "--numstat",
            "--summary",
            "-",
            stdin=patch,
            index=index,
            check=False,
        )
        applied = self._git("apply", "--cached", "-", stdin=patch, index=index, check=False)
        if applied.returncode != 0:
            reasons = [line.removeprefix("error: ") for line in applied.stderr.strip().splitlines()]
            return PatchRejected(tuple(reasons))
        self.tree = self._git("write-tree", index=index).stdout.strip()
        return PatchApplied(tuple(_changed_files(checked.stdout)))

    def file_bytes(self, path: str) -> bytes | None:
        """A file's content in the session's current tree, or None when it does not exist."""
        return _remembered(("blob", self.git_dir, self.tree, path), lambda: self._blob(path))

    def _blob(self, path: str) -> bytes | None:
        name = f"{self.tree}:{path.removeprefix('./').lstrip('/')}"
        shown = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "blob", name],
            capture_output=True,
            env=self._environment(None),
            check=False,
        )
        return shown.stdout if shown.returncode == 0 else None

    def export_tree(self, target: Path) -> None:
        """Write the session's current tree into ``target`` (to run tests on it)."""
        index = self._scratch / "export-index"
        self._git("read-tree", self.tree, index=index)
        self._git("checkout-index", "-a", f"--prefix={target.resolve()}/", index=index)

    def _environment(self, index: Path | None) -> dict[str, str]:
        environment = {
            **os.environ,
            "GIT_OBJECT_DIRECTORY": str(self._scratch / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(self.git_dir / "objects"),
        }
        if index is not None:
            environment["GIT_INDEX_FILE"] = str(index)
        return environment

    def _git(
        self, *args: str, stdin: str | None = None, index: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "-c", "core.quotePath=false", *args],
            input=stdin,
            capture_output=True,
            text=True,
            errors="replace",
            env=self._environment(index),
            check=check,
        )


# What sessions read, by what it depends on: a tree's sha names its content, so a search, a listing
# or a file of the same tree is the same in every session (another task at the same parent, the
# same task in another language). Patches are never remembered: the trees they make live in their
# session's private objects.
_REMEMBERED: dict[tuple[Any, ...], Any] = {}
MAX_REMEMBERED = 2_048
T = TypeVar("T")


_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def _remembered(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave the last time for ``key`` (the oldest forgotten first).
    Only a key whose third part is a full sha is remembered: a branch or ``HEAD`` moves."""
    if not (isinstance(key[2], str) and _SHA.fullmatch(key[2])):
        return compute()
    if key in _REMEMBERED:
        value: T = _REMEMBERED[key]
        return value
    value = compute()
    _REMEMBERED[key] = value
    if len(_REMEMBERED) > MAX_REMEMBERED:
        del _REMEMBERED[next(iter(_REMEMBERED))]
    return value


# ``<tree>:<path>\0<line>\0<text>\n`` (``git grep -z``): paths verbatim, whatever they contain
_GREP_HIT = r"([^\0]*)\0(\d+)\0([^\n]*)\n"
# What ``str.splitlines`` breaks at: never part of a hit's text when it ends the line (CRLF's \r)
_LINE_ENDS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _grep_hits(output: str, tree: str) -> list[SearchHit]:
    """The hits of ``git grep -n -z`` on ``tree``."""
    return [
        SearchHit(path, int(number), text.rstrip(_LINE_ENDS))
        for path, number, text in re.findall(re.escape(f"{tree}:") + _GREP_HIT, output)
    ]


def _changed_files(numstat_and_summary: str) -> list[ChangedFile]:
    """Each file's change and line counts, from ``git apply --numstat --summary``."""
    verbs: dict[str, Literal["added", "deleted"]] = {}
    counts: list[tuple[str, str, str]] = []
    for line in numstat_and_summary.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            counts.append((parts[0], parts[1], parts[2]))
        elif line.startswith((" create mode", " delete mode")):
            verbs[line.split()[-1]] = "added" if "create" in line else "deleted"
    return [
        ChangedFile(verbs.get(path, "modified"), path, _lines(added), _lines(deleted))
        for added, deleted, path in counts
    ]


def _lines(count: str) -> int | None:
    """A numstat count; ``-`` (a binary file) is None."""
    return None if count == "-" else int(count)


def first_parent(git_dir: Path, sha: str) -> str | None:
    """The first parent of a commit, or None for a root commit."""
    return _remembered(("parent", git_dir, sha), lambda: _first_parent(git_dir, sha))


def _first_parent(git_dir: Path, sha: str) -> str | None:
    found = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", "--quiet", f"{sha}^1"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


def commit_patch(git_dir: Path, parent: str, sha: str, paths: list[str]) -> str:
    """The real unified diff of ``paths`` between ``parent`` and ``sha`` (complete, never cut)."""
    if not _SHA.fullmatch(sha):
        return _diff(git_dir, parent, sha, paths)
    return _remembered(
        ("diff", git_dir, parent, sha, tuple(paths)), lambda: _diff(git_dir, parent, sha, paths)
    )


def _diff(git_dir: Path, parent: str, sha: str, paths: list[str]) -> str:
    diff = subprocess.run(
        [
            "git",
            "--git-dir",
            str(git_dir),
            "-c",
            "core.quotePath=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            parent,
            sha,
            "--",
            *paths,
        ],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    )
    return without_blob_ids(diff.stdout)


_INDEX_LINE = re.compile(r"^index [0-9a-f]{7,}\.\.[0-9a-f]{7,}(?: \d{6})?\n", re.MULTILINE)


def without_blob_ids(patch: str) -> str:
    """The patch without its ``index <blob>..<blob>`` lines: they name the commit's own objects,
    which an agent writing the patch cannot know, and ``git apply`` does not need them for text."""
    return _INDEX_LINE.sub("", patch)


_PATCH_PATH = re.compile(r"^--- (?:a/(.+)|/dev/null)\n\+\+\+ (?:b/(.+)|/dev/null)$", re.MULTILINE)


def patched_files(patch: str) -> list[tuple[str | None, str | None]]:
    """(old path, new path) of every file a unified diff changes; None for ``/dev/null`` (a new
    or a deleted file)."""
    return [(m.group(1), m.group(2)) for m in _PATCH_PATH.finditer(patch)]
