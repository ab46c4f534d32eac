"""``goldmine verify``: run the mined tasks' acceptance tests before and after their commits."""

from __future__ import annotations

from pathlib import Path

import click

from flows.commands.options import wait_option, workspace_options
from flows.commands.output import render_counts
from flows.run.pipeline import run_stages
from flows.settings import settings_with
from flows.workspace import Workspace


@click.command()
@click.option(
    "--command",
    "test_command",
    metavar="COMMAND",
    help='The test command, "{tests}" being the test files (default: [verify] command).',
)
@click.option(
    "--setup", metavar="COMMAND", help="Run once in the worktree first (default: [verify] setup)."
)
@click.option(
    "--max-commits",
    type=click.IntRange(min=0),
    help="Only the tasks of each repository's newest N commits (0: all).",
)
@click.option(
    "--since-days", type=click.IntRange(min=0), help="Only commits of the last N days (0: any)."
)
@click.option(
    "--retry-unrunnable",
    is_flag=True,
    default=None,
    help="Run again the tasks whose tests did not run at their commit.",
)
@wait_option
@workspace_options()
def verify(
    workspace: Path | None,
    verbose: bool,
    wait: float,
    test_command: str | None,
    setup: str | None,
    max_commits: int | None,
    since_days: int | None,
    retry_unrunnable: bool | None,
) -> None:
    """Run each task's acceptance tests at its commit (must pass) and its parent (must fail)."""
    space = Workspace.at(workspace)
    settings = settings_with(
        space.settings(),
        verify__command=test_command,
        verify__setup=setup,
        verify__max_commits=max_commits,
        verify__since_days=since_days,
        verify__retry_unrunnable=retry_unrunnable,
    )
    run_id, counts = run_stages(
        space, settings, ["verify"], command="verify", use_prefect=False, wait=wait
    )
    render_counts(run_id, counts)
