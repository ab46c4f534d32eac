"""The review server: open (or draw) the sample, bind 127.0.0.1, serve the page until Ctrl+C.

The server owns the warehouse while it runs (DuckDB allows one writing process): another goldmine
command on the same workspace stops with ``WarehouseBusy`` until the review is stopped.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from flows.errors import ConfigError
from flows.review.app import ReviewSession, create_app
from flows.workspace import Workspace
from warehouse.outcomes import CandidateStatus
from warehouse.review.sample import ReviewSample, open_sample
from warehouse.review.verdicts import latest_verdicts


def serve_review(
    workspace: Workspace,
    *,
    size: int | None,
    seed: int | None,
    with_rejected: int | None,
    port: int,
    reviewer: str,
    say: Callable[[str], None],
) -> None:
    """Open (or draw) the sample and serve its page until interrupted; the warehouse is held
    meanwhile."""
    import uvicorn  # only this command needs the server

    listener = bind_loopback(port)
    try:
        with workspace.open_warehouse() as warehouse:
            sample = open_sample(warehouse, size=size, seed=seed, with_rejected=with_rejected)
            session = ReviewSession(warehouse, sample, reviewer, workspace.key())
            say(describe_sample(sample))
            say(f"review at http://127.0.0.1:{listener.getsockname()[1]}{session.base}/")
            say("(Ctrl+C stops the server; every verdict is already saved)")
            config = uvicorn.Config(
                create_app(session), log_level="warning", access_log=False, lifespan="off"
            )
            with _stopped_by_signals():
                uvicorn.Server(config).run(sockets=[listener])
            done = len(latest_verdicts(warehouse, (item.candidate_id for item in sample.items)))
    finally:
        listener.close()
    say(f"stopped: {done} of {len(sample.items)} records of this sample have a verdict")


class _Stop(Exception):
    """Ctrl+C or SIGTERM: uvicorn shuts down gracefully, then re-raises the signal; this ends the
    command cleanly."""


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def bind_loopback(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (never another interface)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as error:
        listener.close()
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}): choose another --port, or 0"
        ) from None
    listener.listen(64)
    return listener


def describe_sample(sample: ReviewSample) -> str:
    """One line about the sample being served."""
    accepted = sum(1 for item in sample.items if item.assay_status == CandidateStatus.ACCEPTED)
    strata = len({item.stratum for item in sample.items})
    extra = (
        f" + {len(sample.items) - accepted} assay-rejected" if accepted < len(sample.items) else ""
    )
    return (
        f"sample {sample.id[:12]}: {accepted} accepted records{extra} from {strata} strata "
        f"(kind/task type/language), seed {sample.seed}"
    )
