"""``goldmine feedback FILE [--round N]``: a fine-tuned model's failures into the next round's
tasks.

Registered by ``flows/commands/cli.py``. Reading is in ``miners/feedback_file.py``, storing and the
figures per round in ``warehouse/landing/feedback.py``, drafting in
``flows/draft/extractive_feedback.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flows.commands.options import wait_option, workspace_options
from flows.commands.output import render_table
from flows.errors import ConfigError
from flows.run.pipeline import run_recorded
from flows.run.stages import StageContext
from flows.workspace import Workspace
from miners.feedback_file import read_feedback_file
from warehouse.landing.feedback import RoundFigures, ingest_feedback


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--round",
    "round_",
    type=click.IntRange(min=1),
    help="The training round whose model failed "
    "(default: the file's round if it was ingested before, else the latest round + 1).",
)
@wait_option
@workspace_options()
def feedback(
    file: Path, round_: int | None, wait: float, workspace: Path | None, verbose: bool
) -> None:
    """Ingest a fine-tuned model's failures (JSONL) as tasks for the next training round."""
    space = Workspace.at(workspace)
    found = read_feedback_file(file)
    for problem in found.problems:
        click.echo(
            f"error: {problem}; fix the line and ingest the file again (the others are kept)",
            err=True,
        )
    if not found.failures:
        raise ConfigError(
            f"{file} holds no usable failure: each line needs a prompt, the model's output, "
            "and an expected answer or a verdict"
        )

    def body(context: StageContext) -> dict[str, Any]:
        done = ingest_feedback(
            context.warehouse, found, context.run_id, context.workspace.key(), round_
        )
        figures = {
            "round": done.round,
            "failures": done.failures,
            "stored": done.stored,
            "tasks": done.tasks,
            "families": done.by_family,
            "bad_lines": len(found.problems),
        }
        return {"feedback": figures}

    _, counts = run_recorded(
        space, space.settings(), ["feedback"], body, command="feedback", wait=wait
    )
    done = counts["feedback"]
    families = ", ".join(
        f"{n} {family.replace('_', '-')}" for family, n in sorted(done["families"].items())
    )
    click.echo(
        f"round {done['round']}: {done['failures']} failure(s) read from {file} ({families}); "
        f"{done['stored']} new, {done['failures'] - done['stored']} stored before"
    )
    click.echo(
        "next: `goldmine draft` and `goldmine assay` (or the next `goldmine run`) draft and check "
        "them"
    )
    if found.problems:
        raise click.exceptions.Exit(1)


def render_rounds(rounds: list[RoundFigures]) -> None:
    """The feedback rounds as a table (``goldmine status``)."""
    render_table(list(RoundFigures.COLUMNS), [figures.values() for figures in rounds])
