"""A Prefect server that goldmine starts on 127.0.0.1 for as long as it needs one, and stops.

Prefect's ephemeral mode starts a private server inside each process that runs a flow: it cannot
run schedules, and worker processes (a Dask cluster) cannot reach it. ``goldmine serve
--with-server`` and a Dask run without ``PREFECT_API_URL`` start this one instead: ``prefect
server start`` in its own process group, on a free loopback port, with its database in the
workspace (``.prefect/``), stopped when the block ends — also on Ctrl+C, and by the kernel if
goldmine itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from flows.errors import PrefectServerError

STARTUP_SECONDS = 180.0
_STOP_SECONDS = 15.0


class LocalPrefectServer:
    """``prefect server start`` on 127.0.0.1, as a context manager whose value is the API URL."""

    def __init__(self, prefect_home: Path, *, ui: bool = False, port: int = 0) -> None:
        self.prefect_home = prefect_home
        self.ui = ui
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api``: what ``PREFECT_API_URL`` is set to."""
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def log_path(self) -> Path:
        return self.prefect_home / "server.log"

    def start(self) -> str:
        """Start the server and wait until it answers its health check; return the API URL."""
        self.prefect_home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--analytics-off",
            "--ui" if self.ui else "--no-ui",
        ]
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.prefect_home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        env.pop("PREFECT_API_URL", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self.api_url

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise PrefectServerError(
                    "the Prefect server goldmine started exited with status "
                    f"{self.process.returncode}: "
                    f"{_last_line(self.log_path)} (its log: {self.log_path})"
                )
            if is_healthy(self.api_url):
                return
            time.sleep(0.25)
        raise PrefectServerError(
            f"the Prefect server goldmine started did not answer within {STARTUP_SECONDS:.0f}s "
            f"(its log: {self.log_path})"
        )

    def stop(self) -> None:
        """Stop the server and everything it started (its process group)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect server answers ``GET {api_url}/health``."""
    try:
        health = f"{api_url.rstrip('/')}/health"  # http(s) only: a server goldmine was given
        with urllib.request.urlopen(health, timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to stop it when goldmine dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _last_line(path: Path) -> str:
    try:
        lines = [
            line
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip()
        ]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"
