"""The socket guard (tests/socket_guard.py): off loopback a connect fails at once, naming the
address; on loopback and over AF_UNIX everything works as before."""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

Failed = pytest.fail.Exception  # what the guard raises: pytest's own test failure
INNER_TESTS = """
import socket
import threading


def test_a_connect_in_the_test_fails_it():
    socket.create_connection(("192.0.2.7", 443), timeout=5)


def test_a_connect_on_another_thread_fails_the_test_at_teardown():
    def reach_out():
        try:
            socket.create_connection(("198.51.100.9", 80), timeout=5)
        except BaseException:
            pass  # the thread swallows everything: the guard must still see it

    thread = threading.Thread(target=reach_out)
    thread.start()
    thread.join()


def test_loopback_passes():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=5).close()
"""


def _connect(address: tuple[str, int]) -> None:
    with socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET) as sock:
        sock.settimeout(5)  # were the guard to let it through, 10.255.255.1 would hang this long
        sock.connect(address)


def _connect_ex(address: tuple[str, int]) -> None:
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.connect_ex(address)


def _create_connection(address: tuple[str, int]) -> None:
    socket.create_connection(address, timeout=5).close()


@pytest.mark.parametrize(
    ("attempt", "address", "shown"),
    [
        (_connect, ("10.255.255.1", 80), "10.255.255.1:80"),  # unroutable: a real try would hang
        (_connect, ("8.8.8.8", 53), "8.8.8.8:53"),
        (_connect_ex, ("8.8.8.8", 53), "8.8.8.8:53"),
        (_create_connection, ("8.8.8.8", 53), "8.8.8.8:53"),
        (_create_connection, ("example.com", 443), "example.com:443"),  # no lookup either
        (_connect, ("2001:4860:4860::8888", 53), "[2001:4860:4860::8888]:53"),
        (_connect, ("::ffff:8.8.8.8", 53), "[::ffff:8.8.8.8]:53"),
    ],
)
def test_a_connect_off_loopback_fails_at_once_naming_the_address(
    attempt: Callable[[tuple[str, int]], None], address: tuple[str, int], shown: str
) -> None:
    started = time.monotonic()
    with pytest.raises(Failed, match=rf"socket guard: .*connect to {re.escape(shown)}, which"):
        attempt(address)
    assert time.monotonic() - started < 1  # refused before anything went out, not timed out


def test_the_socket_is_left_unconnected() -> None:
    with socket.socket() as sock:
        with pytest.raises(Failed):
            sock.connect(("10.255.255.1", 80))
        with pytest.raises(OSError):  # ENOTCONN: the real connect never ran
            sock.getpeername()


def test_catching_every_exception_does_not_hide_the_failure() -> None:
    with (
        pytest.raises(Failed, match=re.escape("8.8.8.8:53")),
        contextlib.suppress(Exception),  # what careless code does: the failure is no Exception
    ):
        socket.create_connection(("8.8.8.8", 53), timeout=5)


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(self.request.recv(64))


@contextlib.contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Run ``server`` on a thread while the block runs."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_a_server_on_127_0_0_1_answers_by_address_and_by_name() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), _Echo) as server, _serving(server):
        port = server.server_address[1]
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=5) as client:
                client.sendall(b"ping")
                assert client.recv(64) == b"ping"
        with socket.socket() as client:
            client.settimeout(5)
            client.connect(("127.0.0.1", port))
            client.sendall(b"pong")
            assert client.recv(64) == b"pong"


def test_all_of_127_0_0_0_slash_8_is_loopback() -> None:
    with socket.socket() as sock:
        sock.settimeout(5)
        # Nothing listens there: the kernel refuses the connection, the guard does not.
        assert sock.connect_ex(("127.0.0.2", 9)) != 0


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class _TCP6Server(socketserver.TCPServer):
    address_family = socket.AF_INET6


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine's loopback has no IPv6")
def test_a_server_on_ipv6_loopback_answers() -> None:
    with (
        _TCP6Server(("::1", 0), _Echo) as server,
        _serving(server),
        socket.create_connection(("::1", server.server_address[1]), timeout=5) as client,
    ):
        client.sendall(b"six")
        assert client.recv(64) == b"six"


def test_a_unix_socket_connects(tmp_path: Path) -> None:
    path = str(tmp_path / "echo.sock")
    with (
        socketserver.UnixStreamServer(path, _Echo) as server,
        _serving(server),
        socket.socket(socket.AF_UNIX) as client,
    ):
        client.settimeout(5)
        client.connect(path)
        client.sendall(b"unix")
        assert client.recv(64) == b"unix"


def test_a_test_that_leaves_loopback_fails_even_from_a_thread(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_reaching_out=INNER_TESTS)
    result = pytester.runpytest("-p", "tests.socket_guard", "-p", "no:cacheprovider")
    # The threaded test passes its call and errors at teardown; loopback passes.
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_connect_on_another_thread_fails_the_test_at_teardown*",
            "socket guard: a thread of this test tried to connect to 198.51.100.9:80 (thread *), "
            "which is not loopback",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_a_connect_in_the_test_fails_it _*",
            "socket guard: this test tried to connect to 192.0.2.7:443, which is not loopback.*",
        ]
    )
