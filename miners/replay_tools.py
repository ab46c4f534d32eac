"""The code-agent tools of ``seeds/tools.json``, answered from a repository at one commit.

A :class:`SnapshotSession` starts at a commit (usually the parent of a fix) and answers
``search_code``, ``read_file``, ``list_directory``, ``git_log`` and ``apply_patch`` exactly as the
catalog describes their results, so a mined trajectory's observations are real, not invented.
Applied patches change the session's tree, not the repository: new git objects go to a private
object directory (an alternate of the repository's own), which is deleted on close.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

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
        self.tree = self._git("rev-parse", f"{commit}^{{tree}}").stdout.strip()

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

    def call(self, tool_name: str, parameters: Mapping[str, Any]) -> str:
        """Answer one tool call by name, as the catalog defines it."""
        tools: dict[str, Callable[..., str]] = {
            "search_code": self.search_code,
            "read_file": self.read_file,
            "list_directory": self.list_directory,
            "git_log": self.git_log,
            "apply_patch": self.apply_patch,
        }
        if tool_name not in tools:
            raise KeyError(f"{tool_name} cannot be replayed from a repository")
        return tools[tool_name](**parameters)

    def search_code(self, query: str, path: str | None = None) -> str:
        """``path:line: text`` per hit (at most 50), or ``No matches for '<query>'``."""
        args = ["grep", "-n", "-I", "-F", "--full-name", "-e", query, self.tree]
        found = self._git(*args, "--", *([path] if path else []), check=False)
        hits = [_strip_tree(line, self.tree) for line in found.stdout.splitlines() if line]
        if not hits:
            return f"No matches for '{query}'"
        shown = hits[:MAX_SEARCH_HITS]
        if len(hits) > len(shown):
            shown.append(f"({len(hits) - len(shown)} more hits not shown)")
        return "\n".join(shown)

    def read_file(
        self, path: str, start_line: int | None = None, end_line: int | None = None
    ) -> str:
        """Numbered lines (``  12 | text``), or ``Error: <reason>``."""
        data = self.file_bytes(path)
        if data is None:
            return f"Error: {path} does not exist"
        if b"\x00" in data[:8000]:
            return f"Error: {path} is not a text file"
        lines = data.decode("utf-8", "replace").splitlines()
        first = max(start_line or 1, 1)
        last = min(end_line or len(lines), len(lines), first + MAX_READ_LINES - 1)
        if first > len(lines):
            return f"Error: {path} has {len(lines)} lines; line {first} does not exist"
        numbered = [_numbered(n, lines[n - 1]) for n in range(first, last + 1)]
        if end_line is None and last < len(lines):
            numbered.append(f"({len(lines) - last} more lines; pass start_line to read on)")
        return "\n".join(numbered)

    def list_directory(self, path: str) -> str:
        """Sorted entries, folders ending in ``/``, or ``Error: <reason>``."""
        folder = path.strip("/")
        target = self.tree if folder in ("", ".") else f"{self.tree}:{folder}"
        listed = self._git("ls-tree", target, check=False)
        if listed.returncode != 0:
            return f"Error: {path} is not a folder"
        entries = []
        for line in listed.stdout.splitlines():
            meta, name = line.split("\t", 1)
            entries.append(name + "/" if meta.split()[1] == "tree" else name)
        return "\n".join(sorted(entries))

    def git_log(self, path: str | None = None, max_count: int = DEFAULT_LOG_COUNT) -> str:
        """``<short sha> <YYYY-MM-DD> <author>: <subject>`` per commit, newest first."""
        args = [
            "log",
            f"-n{max_count}",
            "--date=short",
            "--format=%h %ad %an: %s",
            self.commit,
            "--",
        ]
        return self._git(*args, *([path] if path else [])).stdout.rstrip("\n") or "No commits"

    def apply_patch(self, patch: str) -> str:
        """Apply a unified diff to the session's tree; report the files changed, or ``Error: …``."""
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
            return f"Error: {'; '.join(reasons) or 'the patch does not apply'}; nothing was changed"
        self.tree = self._git("write-tree", index=index).stdout.strip()
        return "Applied patch:\n" + "\n".join(_changed_files(checked.stdout))

    def file_bytes(self, path: str) -> bytes | None:
        """A file's content in the session's current tree, or None when it does not exist."""
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


def _strip_tree(line: str, tree: str) -> str:
    """``<tree>:path:line:text`` → ``path:line: text``."""
    rest = line.removeprefix(f"{tree}:")
    path, number, text = rest.split(":", 2)
    return f"{path}:{number}: {text}"


def _numbered(number: int, text: str) -> str:
    return f"{number:>4} | {text}" if text else f"{number:>4} |"


def _changed_files(numstat_and_summary: str) -> list[str]:
    """``modified path (+A -D)`` per file from ``git apply --numstat --summary``."""
    verbs: dict[str, str] = {}
    counts: list[tuple[str, str, str]] = []
    for line in numstat_and_summary.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            counts.append((parts[0], parts[1], parts[2]))
        elif line.startswith((" create mode", " delete mode")):
            verbs[line.split()[-1]] = "added" if "create" in line else "deleted"
    return [
        f"{verbs.get(path, 'modified')} {path} (+{added} -{deleted})"
        for added, deleted, path in counts
    ]


def first_parent(git_dir: Path, sha: str) -> str | None:
    """The first parent of a commit, or None for a root commit."""
    found = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", "--quiet", f"{sha}^1"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


def commit_patch(git_dir: Path, parent: str, sha: str, paths: list[str]) -> str:
    """The real unified diff of ``paths`` between ``parent`` and ``sha`` (complete, never cut)."""
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
    return diff.stdout
