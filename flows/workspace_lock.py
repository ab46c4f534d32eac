"""The workspace lock: one writing goldmine command per workspace at a time, readers beside none.

DuckDB lets one process write a file, and a second writer fails the moment it opens it. Two
nightly runs (or a nightly run and a person's ``goldmine run``) must never meet half-way, so every
command that writes takes an exclusive ``fcntl`` lock on ``W/.goldmine.lock`` for as long as it
holds the warehouse, and writes who it is into the file (pid, command, start time). Readers
(``goldmine sql``, ``status``) take a shared lock while they read. A command that finds the lock
taken waits up to ``--wait`` seconds, or stops with one line naming the holder.

The kernel drops the lock when its process dies, however it dies, so a crashed run never leaves a
stale lock behind. Within one process the lock is re-entrant: a command that holds it may open the
warehouse again (DuckDB shares one database instance per process).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from flows.errors import WorkspaceBusy
from warehouse.errors import WarehouseBusy
from warehouse.store import Warehouse

LOCK_NAME = ".goldmine.lock"
_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a workspace: read from the lock file."""

    pid: int
    command: str
    started_at: str
    host: str

    def describe(self) -> str:
        """``goldmine run (pid 4242 on host, since 2025-01-02 02:00:03 UTC)``."""
        return f"goldmine {self.command} (pid {self.pid} on {self.host}, since {self.started_at})"


@dataclass(slots=True)
class _Held:
    handle: IO[str]
    exclusive: bool
    depth: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


@contextmanager
def hold_workspace(
    root: Path, command: str, *, wait: float = 0.0, shared: bool = False
) -> Iterator[None]:
    """Hold the workspace at ``root`` for ``command`` (shared: for reading) until the block ends.

    Waits up to ``wait`` seconds for another process to release it, then raises
    :class:`WorkspaceBusy` naming the holder.
    """
    path = root / LOCK_NAME
    with _guard:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is None:
        held = _acquire(path, command, wait, shared)
    try:
        yield
    finally:
        _release(path, held)


def _acquire(path: Path, command: str, wait: float, shared: bool) -> _Held:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise WorkspaceBusy(_busy_message(path, command, wait, shared)) from None
            time.sleep(_POLL_SECONDS)
    held = _Held(handle, not shared, 1)
    if not shared:
        _write_holder(handle, command)
    with _guard:
        _held[path] = held
    return held


def _release(path: Path, held: _Held) -> None:
    with _guard:
        held.depth -= 1
        if held.depth > 0:
            return
        _held.pop(path, None)
    if held.exclusive:
        held.handle.seek(0)
        held.handle.truncate()  # an empty file: nobody holds it (a reader finds no stale name)
        held.handle.flush()
    fcntl.flock(held.handle, fcntl.LOCK_UN)
    held.handle.close()


def _write_holder(handle: IO[str], command: str) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    holder = {
        "pid": os.getpid(),
        "command": command,
        "started_at": started,
        "host": socket.gethostname(),
    }
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(holder))
    handle.flush()


def _read_holder(path: Path) -> Holder | None:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return Holder(
        int(data.get("pid", 0)),
        str(data.get("command", "?")),
        str(data.get("started_at", "?")),
        str(data.get("host", "?")),
    )


def _busy_message(path: Path, command: str, wait: float, shared: bool) -> str:
    holder = _read_holder(path)
    who = holder.describe() if holder else "a goldmine command reading it (goldmine sql, status)"
    busy = f"{path.parent} is in use by another process, {who}"
    if wait > 0:
        busy += f", after waiting {wait:g}s"
    if shared:
        return f"{busy}: the warehouse can be read again when it finishes"
    return (
        f"{busy}: pass --wait SECONDS to `goldmine {command}` to wait for it, or use another "
        "--workspace"
    )


def invoked_command() -> str:
    """The goldmine command this process runs (``review``, ``sql`` …), for the lock file."""
    context = click.get_current_context(silent=True)
    if context is not None:
        return (
            context.command_path.removeprefix(context.find_root().info_name or "").strip()
            or "command"
        )
    return Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "command"


class LockedWarehouse(Warehouse):
    """A warehouse opened under the workspace lock (shared when read-only), released on close.

    Another process writing the file without goldmine's lock (a DuckDB client) is waited for the
    same way, within the same ``wait``.
    """

    def __init__(self, path: Path, *, read_only: bool, command: str, wait: float) -> None:
        self._lock: AbstractContextManager[None] | None = hold_workspace(
            path.parent, command, wait=wait, shared=read_only
        )
        self._lock.__enter__()
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                super().__init__(path, read_only=read_only)
                return
            except WarehouseBusy:
                if time.monotonic() < deadline:
                    time.sleep(_POLL_SECONDS)
                    continue
                self._unlock()
                raise
            except BaseException:
                self._unlock()
                raise

    def close(self) -> None:
        """Close the file, then release the workspace."""
        try:
            super().close()
        finally:
            self._unlock()

    def _unlock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.__exit__(None, None, None)
