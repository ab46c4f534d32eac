"""``goldmine review``: the command. It parses, then serves the page or prints the report.

Registered by ``flows/commands/cli.py``. The server itself is in ``flows/review/server.py``.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from flows.commands.options import workspace_options
from flows.review.report import review_markdown
from flows.review.server import serve_review
from flows.workspace import Workspace
from warehouse.review.stats import review_report


@click.command()
@click.option(
    "--sample",
    "size",
    type=click.IntRange(min=1),
    help="Accepted records to draw (default 100). The unfinished sample is resumed unless this "
    "differs.",
)
@click.option(
    "--seed",
    type=int,
    help="Seed of the draw (default 0): the same seed over the same candidates draws the same "
    "records.",
)
@click.option(
    "--with-rejected",
    type=click.IntRange(min=0),
    help="Also draw N assay-rejected records, to measure how often the assay rejects what a "
    "person keeps.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--reviewer", help="Name stored with each verdict (default: your login name).")
@click.option("--report", is_flag=True, help="Print what the verdicts so far say, and exit.")
@workspace_options()
def review(
    workspace: Path | None,
    verbose: bool,
    size: int | None,
    seed: int | None,
    with_rejected: int | None,
    port: int,
    reviewer: str | None,
    report: bool,
) -> None:
    """Review a random, stratified sample of accepted records in the browser (127.0.0.1 only)."""
    space = Workspace.at(workspace)
    if report:
        with space.open_warehouse(read_only=True) as warehouse:
            click.echo(review_markdown(review_report(warehouse)), nl=False)
        return
    serve_review(
        space,
        size=size,
        seed=seed,
        with_rejected=with_rejected,
        port=port,
        reviewer=reviewer or _login_name(),
        say=_say,
    )


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()  # the URL must reach a pipe at once


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"
