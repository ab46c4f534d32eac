"""Parsing the output of ``git log`` run with goldmine's framing into commits and file changes.

Framing (see ../shared/DESIGN.md, "Known traps"): every commit starts with a record separator
(0x1E) at the start of a line, header fields are split by unit separators (0x1F), and the message
is indented by one space with ``%w(0,1,1)`` so that no message line can look like a frame, a raw
line or a ``diff --git`` line; a line holding only a group separator (0x1D) ends the message.
Diff content lines always begin with ``+``, ``-``, space or backslash, so no diff (not even one
with NUL bytes) can start a frame either. ``miners/git_history.py`` runs git this way.

Dates come as git's raw ``<seconds> <±hhmm>`` (``--date=raw``), never as ISO text: old histories
carry time zones git accepts but ISO cannot say (``+051800`` prints as ``+518:00``). A header git
could not read itself (a date before 1970, an identity without ``<>``) comes with empty fields;
the parser then reads the commit object's own header, when the caller can give it. Whatever is
odd about a commit is stored as well as it can be and named in ``CommitFact.oddities``; one odd
commit never stops a stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from miners.commit_headers import RawHeader, read_header

DEFAULT_MAX_DIFF_BYTES = 200_000
_COMMIT_START = 0x1E
_MESSAGE_END = b"\x1d"
_CHANGE_TYPES = {
    "A": "added",
    "D": "deleted",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "type_changed",
}
_SUBMODULE_MODE = "160000"
_NULL_SHA = "0" * 40

Hunk = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class FileChangeFact:
    """One path changed by a commit, compared with its first parent."""

    change_type: str
    old_path: str | None
    new_path: str | None
    old_mode: str
    new_mode: str
    old_blob: str | None
    new_blob: str | None
    similarity: int | None
    is_binary: bool
    is_submodule: bool
    added_lines: int
    deleted_lines: int
    diff: str
    truncated: bool
    non_utf8: bool
    old_touched: tuple[tuple[int, int], ...]
    new_touched: tuple[tuple[int, int], ...]
    # (old start, old count, new start, new count) of every hunk, as its ``@@`` header says
    hunks: tuple[Hunk, ...] = ()

    @property
    def path(self) -> str:
        """The path after the change, or before it for a deletion."""
        return self.new_path or self.old_path or ""


@dataclass(frozen=True, slots=True)
class CommitFact:
    """One commit with its message and the files it changed."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    message: str
    non_utf8: bool
    changes: tuple[FileChangeFact, ...]
    # what could not be stored as git wrote it (``timezone_out_of_range``, ``no_author_email`` …)
    oddities: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        """The message without its subject line."""
        parts = self.message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def is_merge(self) -> bool:
        """True when the commit has more than one parent (its diff is against the first)."""
        return len(self.parents) > 1


def parse_log_stream(
    lines: Iterable[bytes],
    *,
    max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES,
    raw_header: RawHeader | None = None,
) -> Iterator[CommitFact]:
    """Parse the byte lines of ``git log`` run with this module's options into commits.

    ``raw_header`` is asked for the object header of a commit whose identities or dates git left
    empty; a frame without a commit id (never written by git) is dropped.
    """
    builder: _CommitBuilder | None = None
    for line in lines:
        if line and line[0] == _COMMIT_START:
            if builder is not None:
                yield from builder.build(raw_header)
            builder = _CommitBuilder(line[1:].rstrip(b"\n"), max_diff_bytes)
        elif builder is not None:
            builder.feed(line)
    if builder is not None:
        yield from builder.build(raw_header)


def _decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8, replacing bad bytes; the flag says whether any were replaced."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), True


def unquote_path(raw: str) -> str:
    """Undo git's C-style quoting of a path (``"a\\tb"``); plain paths are returned as they are."""
    if not (len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"'):
        return raw
    escapes = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
    out = bytearray()
    body, i = raw[1:-1], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            if nxt.isdigit():
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out += char.encode("utf-8")
        i += 1
    return out.decode("utf-8", "replace")


@dataclass(slots=True)
class _RawEntry:
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    status: str
    paths: list[str]


@dataclass(slots=True)
class _PatchBlock:
    """The text and line bookkeeping of one ``diff --git`` block."""

    max_bytes: int
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    is_binary: bool = False
    in_hunks: bool = False
    added: int = 0
    deleted: int = 0
    old_line: int = 0
    new_line: int = 0
    old_touched: list[int] = field(default_factory=list)
    new_touched: list[int] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)

    def feed(self, line: bytes) -> None:
        # The hot path of mining (once per diff line), so kept flat: keep the text, then count.
        if line == b"\n":  # the blank line git prints between commits; never a diff line
            return
        if not self.truncated:
            if self.size + len(line) > self.max_bytes:
                self.truncated = True
            else:
                self.chunks.append(line)
                self.size += len(line)
        marker = line[:1]
        if not self.in_hunks:
            if line.startswith(b"@@"):
                self.in_hunks = True
                self._start_hunk(line)
            elif line.startswith((b"Binary files ", b"GIT binary patch")):
                self.is_binary = True
        elif marker == b"+":
            self.added += 1
            self.new_touched.append(self.new_line)
            self.old_touched.append(self.old_line or 1)
            self.new_line += 1
        elif marker == b"-":
            self.deleted += 1
            self.old_touched.append(self.old_line)
            self.new_touched.append(self.new_line or 1)
            self.old_line += 1
        elif marker == b" ":
            self.old_line += 1
            self.new_line += 1
        elif marker == b"@":
            self._start_hunk(line)

    def _start_hunk(self, line: bytes) -> None:
        # "@@ -old[,n] +new[,n] @@ context"; a count left out is 1
        try:
            old_part, new_part = line.split(b" ")[1:3]
            old_start, _, old_count = old_part[1:].partition(b",")
            new_start, _, new_count = new_part[1:].partition(b",")
            self.old_line, self.new_line = int(old_start), int(new_start)
            self.hunks.append(
                (self.old_line, int(old_count or 1), self.new_line, int(new_count or 1))
            )
        except (ValueError, IndexError):
            self.old_line = self.new_line = 0

    def text(self) -> tuple[str, bool]:
        return _decode(b"".join(self.chunks))


def _ranges(lines: list[int]) -> tuple[tuple[int, int], ...]:
    """Collapse line numbers into sorted, merged (first, last) ranges."""
    out: list[tuple[int, int]] = []
    for number in sorted(set(lines)):
        if out and number == out[-1][1] + 1:
            out[-1] = (out[-1][0], number)
        else:
            out.append((number, number))
    return tuple(out)


class _CommitBuilder:
    """Accumulates one commit's lines: header, indented message, raw lines, then patches."""

    def __init__(self, header: bytes, max_diff_bytes: int) -> None:
        self.header = header
        self.max_diff_bytes = max_diff_bytes
        self.message_lines: list[bytes] = []
        self.in_message = True
        self.raw: list[_RawEntry | None] = []  # None: a raw line that could not be read
        self.blocks: list[_PatchBlock] = []
        self.block: _PatchBlock | None = None  # the block being read

    def feed(self, line: bytes) -> None:
        if self.in_message:
            if line.rstrip(b"\n") == _MESSAGE_END:
                self.in_message = False
            else:
                self.message_lines.append(line[1:] if line.startswith(b" ") else line)
        elif line.startswith(b"diff --git "):
            self.block = _PatchBlock(self.max_diff_bytes)
            self.blocks.append(self.block)
            self.block.feed(line)
        elif self.block is not None:
            self.block.feed(line)
        elif line.startswith(b":"):
            self.raw.append(_parse_raw_line(line))

    def build(self, raw_header: RawHeader | None) -> Iterator[CommitFact]:
        """The commit (none for a frame without a commit id)."""
        header = read_header(self.header, raw_header)
        if header is None:
            return
        message, non_utf8 = _decode(b"".join(self.message_lines))
        oddities = list(header.oddities)
        if not message.strip():
            oddities.append("empty_message")
        if None in self.raw:
            oddities.append("unreadable_change")
        yield CommitFact(
            sha=header.sha,
            parents=header.parents,
            author_name=header.author.name,
            author_email=header.author.email,
            authored_at=header.author.when,
            committer_name=header.committer.name,
            committer_email=header.committer.email,
            committed_at=header.committer.when,
            message=message.rstrip("\n"),
            non_utf8=non_utf8,
            changes=tuple(self._changes()),
            oddities=tuple(dict.fromkeys(oddities)),
        )

    def _changes(self) -> Iterator[FileChangeFact]:
        blocks = iter(self.blocks)
        for entry in self.raw:
            if entry is None:  # a raw line that could not be read: its file is left out
                next(blocks, None)
                continue
            block = next(blocks, None) or _PatchBlock(self.max_diff_bytes)
            if entry.status == "T":
                # git prints a type change as a deletion block followed by a creation block.
                second = next(blocks, None)
                if second is not None:
                    block = _merge_blocks(block, second)
            yield _file_change(entry, block)


def _merge_blocks(first: _PatchBlock, second: _PatchBlock) -> _PatchBlock:
    merged = _PatchBlock(first.max_bytes)
    merged.chunks = first.chunks + second.chunks
    merged.size = first.size + second.size
    merged.truncated = first.truncated or second.truncated
    merged.is_binary = first.is_binary or second.is_binary
    merged.added = first.added + second.added
    merged.deleted = first.deleted + second.deleted
    merged.old_touched = first.old_touched
    merged.new_touched = second.new_touched
    merged.hunks = []  # a deletion and a creation: no hunks relate the two versions line by line
    return merged


def _parse_raw_line(line: bytes) -> _RawEntry | None:
    """Parse ``:100644 100644 <sha> <sha> M\\tpath[\\tpath]`` (None when it is not that)."""
    meta, *paths = line.rstrip(b"\n").split(b"\t")
    parts = meta[1:].decode("ascii", "replace").split(" ")
    if len(parts) != 5 or not paths or not parts[4]:
        return None
    old_mode, new_mode, old_blob, new_blob, status = parts
    return _RawEntry(
        old_mode=old_mode,
        new_mode=new_mode,
        old_blob=old_blob,
        new_blob=new_blob,
        status=status,
        paths=[unquote_path(p.decode("utf-8", "replace")) for p in paths],
    )


def _file_change(entry: _RawEntry, block: _PatchBlock) -> FileChangeFact:
    kind = entry.status[0]
    change_type = _CHANGE_TYPES.get(kind, "modified")
    old_path = None if kind == "A" else entry.paths[0]
    new_path = None if kind == "D" else entry.paths[-1]
    diff, non_utf8 = block.text()
    return FileChangeFact(
        change_type=change_type,
        old_path=old_path,
        new_path=new_path,
        old_mode=entry.old_mode,
        new_mode=entry.new_mode,
        old_blob=None if entry.old_blob == _NULL_SHA else entry.old_blob,
        new_blob=None if entry.new_blob == _NULL_SHA else entry.new_blob,
        similarity=int(entry.status[1:]) if kind in "RC" and entry.status[1:] else None,
        is_binary=block.is_binary,
        is_submodule=_SUBMODULE_MODE in (entry.old_mode, entry.new_mode),
        added_lines=block.added,
        deleted_lines=block.deleted,
        diff=diff,
        truncated=block.truncated,
        non_utf8=non_utf8,
        old_touched=_ranges(block.old_touched) if block.deleted or block.added else (),
        new_touched=_ranges(block.new_touched) if block.deleted or block.added else (),
        hunks=tuple(block.hunks),
    )
