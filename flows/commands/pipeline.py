"""The commands that run the pipeline: ``init``, ``run``, one per stage, and ``demo``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from flows.commands.options import (
    draft_options,
    format_option,
    judge_option,
    run_mode_options,
    settings_from_flags,
    source_options,
    wait_option,
    workspace_options,
)
from flows.commands.output import console, render_counts, say_on_stderr
from flows.workspace import Workspace

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@workspace_options()
def init(directory: Path | None, workspace: Path | None, verbose: bool) -> None:
    """Write a commented goldmine.toml into DIRECTORY (or the workspace)."""
    path = Workspace.at(directory or workspace).write_config()
    console.print(f"wrote {path}")


@click.command()
@source_options
@draft_options
@run_mode_options
@judge_option
@click.option(
    "--runner",
    type=click.Choice(["default", "dask"]),
    help="Where mining and drafting tasks run: this machine's cores, or a Dask cluster.",
)
@wait_option
@workspace_options()
def run(
    workspace: Path | None, verbose: bool, use_prefect: bool | None, wait: float, **flags: Any
) -> None:
    """Run the whole pipeline: mine → draft → assay → export."""
    from flows.run.pipeline import pipeline_stages, run_stages

    space = Workspace.at(workspace)
    settings = settings_from_flags(space, **flags)
    run_id, counts = run_stages(
        space,
        settings,
        pipeline_stages(settings),
        use_prefect=use_prefect,
        verbose=verbose,
        wait=wait,
        say=say_on_stderr,
    )
    render_counts(run_id, counts)


def stage_command(name: str, doc: str, options: list[Decorator]) -> click.Command:
    """A command that runs one stage in this process (no Prefect)."""

    def command(workspace: Path | None, verbose: bool, wait: float, **flags: Any) -> None:
        from flows.run.pipeline import run_stages

        space = Workspace.at(workspace)
        settings = settings_from_flags(space, **flags)
        run_id, counts = run_stages(
            space, settings, [name], command=name, use_prefect=False, wait=wait
        )
        render_counts(run_id, counts)

    command.__doc__ = doc
    decorated: Any = wait_option(workspace_options()(command))
    for option in options:
        decorated = option(decorated)
    return click.command(name=name)(decorated)


mine = stage_command(
    "mine", "Mine repositories and ticket exports into the warehouse.", [source_options]
)
draft = stage_command("draft", "Select tasks and draft candidate records.", [draft_options])
assay = stage_command(
    "assay", "Check, score and accept or reject pending candidates.", [judge_option]
)
export = stage_command(
    "export", "Write accepted records for LLaMA-Factory into export/.", [format_option]
)


@click.command()
@workspace_options(default="goldmine-demo")
@run_mode_options
def demo(workspace: Path, verbose: bool, use_prefect: bool | None) -> None:
    """Run the whole pipeline on an embedded default: no LLM, no network."""
    from flows.demo.run_demo import run_demo

    run_demo(Workspace.at(workspace), use_prefect=use_prefect, verbose=verbose, say=console.print)
