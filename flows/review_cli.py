"""``goldmine review``: serve the review page for a sample, or print what the verdicts say.

The server binds 127.0.0.1 only and owns the warehouse while it runs (DuckDB allows one writing
process): another goldmine command on the same workspace stops with ``WarehouseBusy`` until the
review is closed with Ctrl+C.
"""

from __future__ import annotations

import contextlib
import getpass
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import click

from flows.cli import workspace_options
from flows.errors import ConfigError
from flows.review_app import ReviewSession, create_app
from flows.review_report import review_markdown
from flows.workspace import Workspace
from warehouse.review_sample import ReviewSample, open_sample
from warehouse.review_stats import review_report
from warehouse.reviews import latest_verdicts


@click.command()
@click.option(
    "--sample",
    "size",
    type=click.IntRange(min=1),
    help="Accepted records to draw (default 100). The unfinished sample is resumed unless this differs.",
)
@click.option(
    "--seed",
    type=int,
    help="Seed of the draw (default 0): the same seed over the same candidates draws the same records.",
)
@click.option(
    "--with-rejected",
    type=click.IntRange(min=0),
    help="Also draw N assay-rejected records, to measure how often the assay rejects what a person keeps.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1 (0: any free port)."
)
@click.option("--reviewer", help="Name stored with each verdict (default: your login name).")
@click.option("--report", is_flag=True, help="Print what the verdicts so far say, and exit.")
@workspace_options()
def review(workspace: Path | None, verbose: bool, size: int | None, seed: int | None, with_rejected: int | None,
           port: int, reviewer: str | None, report: bool) -> None:  # fmt: skip
    """Review a random, stratified sample of accepted records in the browser (127.0.0.1 only)."""
    space = Workspace.at(workspace)
    if report:
        with space.open_warehouse(read_only=True) as warehouse:
            click.echo(review_markdown(review_report(warehouse)), nl=False)
        return
    serve_review(space, size=size, seed=seed, with_rejected=with_rejected, port=port,
                 reviewer=reviewer or _login_name(), say=_say)  # fmt: skip


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()  # the URL must reach a pipe at once


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


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
    """Open (or draw) the sample and serve its page until interrupted; the warehouse is held meanwhile."""
    import uvicorn  # only this command needs the server

    listener = bind_loopback(port)
    try:
        with workspace.open_warehouse() as warehouse:
            sample = open_sample(warehouse, size=size, seed=seed, with_rejected=with_rejected)
            session = ReviewSession(warehouse, sample, reviewer, workspace.key())
            say(describe_sample(sample))
            say(f"review at http://127.0.0.1:{listener.getsockname()[1]}{session.base}/")
            say("(Ctrl+C stops the server; every verdict is already saved)")
            config = uvicorn.Config(create_app(session), log_level="warning", access_log=False, lifespan="off")
            with _stopped_by_signals():
                uvicorn.Server(config).run(sockets=[listener])
            done = len(latest_verdicts(warehouse, (item.candidate_id for item in sample.items)))
    finally:
        listener.close()
    say(f"stopped: {done} of {len(sample.items)} records of this sample have a verdict")


class _Stop(Exception):
    """Ctrl+C or SIGTERM: uvicorn shuts down gracefully, then re-raises the signal; this ends the command cleanly."""


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
    accepted = sum(1 for item in sample.items if item.assay_status == "accepted")
    strata = len({item.stratum for item in sample.items})
    extra = f" + {len(sample.items) - accepted} assay-rejected" if accepted < len(sample.items) else ""
    return (
        f"sample {sample.id[:12]}: {accepted} accepted records{extra} from {strata} strata "
        f"(kind/task type/language), seed {sample.seed}"
    )
