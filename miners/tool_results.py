"""What the replayable code-agent tools return: data, and the one rendering of each as text.

:class:`~miners.replay_tools.SnapshotSession` (and a project's test runner) answer with these small
frozen dataclasses; a drafter decides its next step from their fields (the hits' paths and line
numbers, whether a patch applied), never from the text. The text a trajectory shows — in the forms
``seeds/tools.json`` promises — comes from each result's :meth:`render`, so rewording a tool's
output changes what the records say, not what the agent does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One line of a tracked file that contains the searched text."""

    path: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class SearchHits:
    """``search_code``: the hits shown (at most 50) and how many more were found."""

    query: str
    hits: tuple[SearchHit, ...]
    more: int = 0

    def render(self) -> str:
        """``path:line: text`` per hit, or ``No matches for '<query>'``."""
        if not self.hits:
            return f"No matches for '{self.query}'"
        shown = [f"{hit.path}:{hit.line}: {hit.text}" for hit in self.hits]
        if self.more:
            shown.append(f"({self.more} more hits not shown)")
        return "\n".join(shown)


@dataclass(frozen=True, slots=True)
class FileText:
    """``read_file``: lines ``start_line``… of a file; ``cut`` when a read without ``end_line``
    stopped before the end (at the 400-line limit)."""

    path: str
    start_line: int
    lines: tuple[str, ...]
    line_count: int
    cut: bool = False

    @property
    def end_line(self) -> int:
        """The last line shown (``start_line - 1`` when none is)."""
        return self.start_line + len(self.lines) - 1

    def render(self) -> str:
        """Numbered lines (``  12 | text``), and how to read on after a cut."""
        numbered = [
            f"{number:>4} | {text}" if text else f"{number:>4} |"
            for number, text in enumerate(self.lines, self.start_line)
        ]
        if self.cut:
            numbered.append(
                f"({self.line_count - self.end_line} more lines; pass start_line to read on)"
            )
        return "\n".join(numbered)


@dataclass(frozen=True, slots=True)
class FileMissing:
    """``read_file`` of a path that is not a file of the tree."""

    path: str

    def render(self) -> str:
        return f"Error: {self.path} does not exist"


@dataclass(frozen=True, slots=True)
class FileNotText:
    """``read_file`` of a binary file."""

    path: str

    def render(self) -> str:
        return f"Error: {self.path} is not a text file"


@dataclass(frozen=True, slots=True)
class LineMissing:
    """``read_file`` from a line after the file's last."""

    path: str
    line_count: int
    start_line: int

    def render(self) -> str:
        return (
            f"Error: {self.path} has {self.line_count} lines; line {self.start_line} does not exist"
        )


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    name: str
    folder: bool


@dataclass(frozen=True, slots=True)
class DirectoryListing:
    """``list_directory``: a folder's entries."""

    path: str
    entries: tuple[DirectoryEntry, ...]

    def has_file(self, name: str) -> bool:
        """Whether ``name`` is an entry of the folder that is not a folder itself."""
        return any(e.name == name and not e.folder for e in self.entries)

    def render(self) -> str:
        """One entry a line, sorted, folders ending in ``/``."""
        return "\n".join(sorted(e.name + "/" if e.folder else e.name for e in self.entries))


@dataclass(frozen=True, slots=True)
class NotAFolder:
    """``list_directory`` of a path that is not a folder of the tree."""

    path: str

    def render(self) -> str:
        return f"Error: {self.path} is not a folder"


@dataclass(frozen=True, slots=True)
class LogEntry:
    short_sha: str
    date: str  # YYYY-MM-DD
    author: str
    subject: str


@dataclass(frozen=True, slots=True)
class LogEntries:
    """``git_log``: commits, newest first."""

    entries: tuple[LogEntry, ...]

    def render(self) -> str:
        """``<short sha> <YYYY-MM-DD> <author>: <subject>`` per commit, or ``No commits``."""
        shown = [f"{e.short_sha} {e.date} {e.author}: {e.subject}" for e in self.entries]
        return "\n".join(shown) or "No commits"


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One file a patch changed; ``None`` counts are a binary file's (git's ``-``)."""

    change: Literal["added", "deleted", "modified"]
    path: str
    added: int | None
    deleted: int | None

    def render(self) -> str:
        """``modified path (+A -D)``."""
        return f"{self.change} {self.path} (+{_count(self.added)} -{_count(self.deleted)})"


@dataclass(frozen=True, slots=True)
class PatchApplied:
    """``apply_patch`` that applied: the files it changed."""

    files: tuple[ChangedFile, ...]

    def render(self) -> str:
        return "Applied patch:\n" + "\n".join(f.render() for f in self.files)


@dataclass(frozen=True, slots=True)
class PatchRejected:
    """``apply_patch`` that did not apply (nothing was changed): git's reasons."""

    reasons: tuple[str, ...]

    def render(self) -> str:
        reasons = "; ".join(self.reasons) or "the patch does not apply"
        return f"Error: {reasons}; nothing was changed"


@dataclass(frozen=True, slots=True)
class PatchTooLong:
    """``apply_patch`` refused before trying: the patch is longer than a trajectory allows."""

    limit: int

    def render(self) -> str:
        return f"Error: the patch is longer than {self.limit} characters; send a smaller one"


@dataclass(frozen=True, slots=True)
class TestRun:
    """``run_tests``: the test command's exit code and the last lines of its output."""

    __test__ = False  # not a pytest test class, whatever its name

    exit_code: int
    output: tuple[str, ...]

    def render(self) -> str:
        """``exit code N`` and then the output lines."""
        return "\n".join([f"exit code {self.exit_code}", *self.output])


ToolResult = (
    SearchHits
    | FileText
    | FileMissing
    | FileNotText
    | LineMissing
    | DirectoryListing
    | NotAFolder
    | LogEntries
    | PatchApplied
    | PatchRejected
    | PatchTooLong
    | TestRun
)
Renderer = Callable[[ToolResult], str]


def _count(lines: int | None) -> str:
    return "-" if lines is None else str(lines)


def render(result: ToolResult) -> str:
    """The text a trajectory shows for ``result`` (the forms ``seeds/tools.json`` defines)."""
    return result.render()
