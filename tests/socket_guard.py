"""A pytest plugin that keeps the tests on this machine: no connection leaves loopback.

``tests/conftest.py`` loads it. While the tests run (their fixtures of every scope included),
``socket.socket.connect``, ``socket.socket.connect_ex`` and ``socket.create_connection`` are
guarded: connecting an internet socket anywhere but loopback (``127.0.0.0/8``, ``::1``, the name
``localhost``) fails the test at once with a message naming the address, before the real call is
made, so no packet is sent. A host name given to these functions is refused before it is looked
up (code that resolves names itself first, as asyncio does, has already asked the resolver).
Sockets of other families (``AF_UNIX``) stay on this machine and pass.

The failure is ``pytest.fail``'s, which ``except Exception`` cannot swallow. An attempt made on
another thread ends only that thread, so the guard also remembers it and fails the test at
teardown. What the guard cannot see: subprocesses (``goldmine`` run as a command, the Prefect
server) and C code that opens its own sockets.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

import pytest

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A")
LOOPBACK_NAMES = frozenset({"localhost"})
_INTERNET = (socket.AF_INET, socket.AF_INET6)


def is_loopback(host: object) -> bool:
    """True for a loopback address (IPv4, IPv6, IPv4-mapped IPv6) or the name ``localhost``."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower().rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # another name: resolving it would already be a query to the network
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _shown(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if isinstance(host, str) and ":" in host else f"{host}:{port}"
    return repr(address)


class SocketGuard:
    """The patched functions, and the attempts made off the main thread since the last look."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._elsewhere: list[str] = []

    def check(self, family: int, address: object) -> None:
        """Fail unless a socket of ``family`` may connect to ``address``."""
        if family not in _INTERNET:
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if is_loopback(host):
            return
        where = _shown(address)
        if threading.current_thread() is not threading.main_thread():
            with self._lock:
                self._elsewhere.append(f"{where} (thread {threading.current_thread().name})")
        pytest.fail(
            f"socket guard: this test tried to connect to {where}, which is not loopback. Tests "
            "stay on this machine (127.0.0.0/8, ::1, localhost): serve what the test needs on "
            "127.0.0.1, as tests/llm_server.py does.",
            pytrace=False,
        )

    def take_elsewhere(self) -> list[str]:
        """The attempts other threads made since the last call, forgotten once returned."""
        with self._lock:
            found, self._elsewhere = self._elsewhere, []
        return found

    def _connect(
        self, original: Callable[Concatenate[socket.socket, A, P], R]
    ) -> Callable[Concatenate[socket.socket, A, P], R]:
        @functools.wraps(original)
        def guarded(sock: socket.socket, address: A, /, *args: P.args, **kwargs: P.kwargs) -> R:
            self.check(sock.family, address)
            return original(sock, address, *args, **kwargs)

        return guarded

    def _create(
        self, original: Callable[Concatenate[tuple[str | None, int], P], R]
    ) -> Callable[Concatenate[tuple[str | None, int], P], R]:
        @functools.wraps(original)
        def guarded(address: tuple[str | None, int], /, *args: P.args, **kwargs: P.kwargs) -> R:
            self.check(socket.AF_INET, address)  # checked before the name is resolved
            return original(address, *args, **kwargs)

        return guarded

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Guard the socket functions while the block runs; put back what was there after."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(socket.socket, "connect", self._connect(socket.socket.connect))
            patch.setattr(socket.socket, "connect_ex", self._connect(socket.socket.connect_ex))
            patch.setattr(socket, "create_connection", self._create(socket.create_connection))
            yield


_GUARD = pytest.StashKey[SocketGuard]()


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    """Guard the sockets while the tests run (their fixtures of every scope included)."""
    guard = session.config.stash.setdefault(_GUARD, SocketGuard())
    with guard.installed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After the test's teardown, fail it if one of its other threads tried to leave loopback."""
    try:
        return (yield)
    finally:
        guard = item.config.stash.get(_GUARD, None)
        found = guard.take_elsewhere() if guard is not None else []
        if found:
            pytest.fail(
                "socket guard: a thread of this test tried to connect to "
                + ", ".join(found)
                + ", which is not loopback",
                pytrace=False,
            )
