"""Reading blobs and files at a commit through one long-lived ``git cat-file --batch``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import TracebackType
from typing import IO

from miners.errors import GitCommandFailed, RepositoryMoved


def git_dir_of(location: str | Path) -> Path:
    """The git directory holding a repository's objects: its ``.git`` folder, the main repository's
    for a linked worktree (whose ``.git`` is a file), or the folder itself for a bare repository."""
    path = Path(location)
    dot_git = path / ".git"
    if not dot_git.is_file():
        return dot_git if dot_git.exists() else path
    private = (
        path / dot_git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
    ).resolve()
    common = private / "commondir"
    return (
        (private / common.read_text(encoding="utf-8").strip()).resolve()
        if common.exists()
        else private
    )


def _skip(stream: IO[bytes], count: int) -> None:
    """Read past ``count`` bytes in pieces, without holding an oversized object in memory."""
    while count > 0:
        piece = stream.read(min(count, 1 << 20))
        if not piece:
            raise GitCommandFailed("git cat-file", "the process ended in the middle of an object")
        count -= len(piece)


def _objects_dir(git_dir: Path) -> Path:
    """Where a repository keeps its objects: a linked worktree's git dir names its main one in
    ``commondir``."""
    common = git_dir / "commondir"
    if common.is_file():
        return (git_dir / common.read_text(encoding="utf-8").strip()).resolve() / "objects"
    return git_dir / "objects"


def tree_names(listing: bytes) -> list[str]:
    """Entry names of a raw git tree object, as ``git cat-file --batch`` returns a folder
    (``<commit>:<folder>``)."""
    return [name for name, _ in tree_entries(listing)]


def tree_entries(listing: bytes) -> list[tuple[str, str]]:
    """(name, object id) of each entry of a raw git tree object (``<mode> <name>\\0<20-byte
    sha>`` repeated): an id names a blob's content, so what is read of it can be cached by it."""
    entries, position = [], 0
    while position < len(listing):
        end = listing.index(b"\x00", position)
        name = listing[position:end].split(b" ", 1)[1].decode("utf-8", "replace")
        entries.append((name, listing[end + 1 : end + 21].hex()))
        position = end + 21
    return entries


class BlobReader:
    """Reads objects by name (``<sha>`` or ``<commit>:<path>``) from one repository.

    One git process serves every request, so reading thousands of blobs costs one fork.
    Use it as a context manager; it is not thread-safe.
    """

    def __init__(self, git_dir: Path) -> None:
        if not _objects_dir(git_dir).is_dir():
            raise RepositoryMoved(str(git_dir))
        self._process = subprocess.Popen(
            ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def read(self, name: str, max_bytes: int | None = None) -> bytes | None:
        """The object's bytes; None if it does not exist or is larger than ``max_bytes``."""
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise GitCommandFailed("git cat-file", "the reader is closed")
        if "\n" in name:
            return None  # a newline would end the request early and shift every later answer
        try:
            stdin.write(name.encode("utf-8") + b"\n")
            stdin.flush()
            header = stdout.readline()
        except OSError as error:
            raise GitCommandFailed("git cat-file", str(error)) from None
        if not header:
            raise GitCommandFailed("git cat-file", "the process ended unexpectedly")
        parts = header.split()
        if len(parts) < 3 or parts[-1] == b"missing":
            return None
        size = int(parts[2])
        if max_bytes is not None and size > max_bytes:
            _skip(stdout, size + 1)
            return None
        data = stdout.read(size)
        stdout.read(1)  # the newline after every object
        return data

    def close(self) -> None:
        """Stop the git process."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()
