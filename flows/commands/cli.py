"""The ``goldmine`` command: every subcommand registered on one group.

Commands stay thin: parse, call one function, render. Each lives in the module of its subject
(``pipeline``, ``status``, ``report``, ``review``, ``feedback``, ``authoring``, ``nightly``,
``llm_check``); the options they share are in ``options``, what they print in ``output``.
"""

from __future__ import annotations

from typing import Any

import click

from flows.commands import (
    authoring,
    feedback,
    llm_check,
    nightly,
    pipeline,
    report,
    review,
    status,
    verify,
)
from miners.errors import GoldmineError


class GoldmineGroup(click.Group):
    """Turns every :class:`GoldmineError` into one ``Error: …`` line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoldmineError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=GoldmineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="goldmine")
def main() -> None:
    """goldmine turns a project's own history into fine-tuning data of textbook quality."""


COMMANDS: tuple[click.Command, ...] = (
    pipeline.init,
    pipeline.run,
    pipeline.mine,
    pipeline.draft,
    pipeline.assay,
    pipeline.export,
    verify.verify,
    pipeline.demo,
    status.sql,
    status.status,
    report.report,
    review.review,
    feedback.feedback,
    authoring.seeds,
    authoring.prompts,
    nightly.serve,
    nightly.cron_line,
    llm_check.llm,
)
for _command in COMMANDS:
    main.add_command(_command)
