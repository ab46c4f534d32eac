"""The ``goldmine`` command: every subcommand registered on one group, imported when it is used.

Commands stay thin: parse, call one function, render. Each lives in the module of its subject
(``pipeline``, ``status``, ``report``, ``review``, ``feedback``, ``authoring``, ``nightly``,
``llm_check``); the options they share are in ``options``, what they print in ``output``.

The group knows each command by name, module and one-line help (:data:`COMMANDS`) and imports a
command's module only when that command runs: ``goldmine --help`` lists them all without
importing Prefect, DuckDB, the LLM client or the drafters (``tests/flows/commands/test_lazy_cli.py``
checks that the help lines here are the commands' own).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import click

from miners.errors import GoldmineError


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command lives and what ``--help`` says of it (its docstring's first line)."""

    module: str
    attribute: str
    help: str

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        command = getattr(importlib.import_module(f"flows.commands.{self.module}"), self.attribute)
        assert isinstance(command, click.Command)
        return command


COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "pipeline", "init", "Write a commented goldmine.toml into DIRECTORY (or the workspace)."
    ),
    "run": LazyCommand("pipeline", "run", "Run the whole pipeline: mine → draft → assay → export."),
    "mine": LazyCommand(
        "pipeline", "mine", "Mine repositories and ticket exports into the warehouse."
    ),
    "draft": LazyCommand("pipeline", "draft", "Select tasks and draft candidate records."),
    "assay": LazyCommand(
        "pipeline", "assay", "Check, score and accept or reject pending candidates."
    ),
    "export": LazyCommand(
        "pipeline", "export", "Write accepted records for LLaMA-Factory into export/."
    ),
    "verify": LazyCommand(
        "verify",
        "verify",
        "Run each task's acceptance tests at its commit (must pass) and its parent (must fail).",
    ),
    "demo": LazyCommand(
        "pipeline", "demo", "Run the whole pipeline on an embedded default: no LLM, no network."
    ),
    "sql": LazyCommand("status", "sql", "Run a SQL query against the warehouse."),
    "status": LazyCommand(
        "status", "status", "Rows per table, the last run, and why candidates were rejected."
    ),
    "report": LazyCommand(
        "report", "report", "Write the coverage report (HTML with charts) and print a summary."
    ),
    "review": LazyCommand(
        "review",
        "review",
        "Review a random, stratified sample of accepted records in the browser (127.0.0.1 only).",
    ),
    "feedback": LazyCommand(
        "feedback",
        "feedback",
        "Ingest a fine-tuned model's failures (JSONL) as tasks for the next training round.",
    ),
    "seeds": LazyCommand(
        "authoring", "seeds", "Check a seeds folder: the gold records and the tool catalog."
    ),
    "prompts": LazyCommand(
        "authoring", "prompts", "Render the LLM drafter's prompts without calling a model."
    ),
    "serve": LazyCommand(
        "nightly", "serve", "Serve a Prefect deployment that runs the whole pipeline on a schedule."
    ),
    "cron-line": LazyCommand(
        "nightly",
        "cron_line",
        "Print a crontab line that runs the pipeline nightly from the system's cron.",
    ),
    "llm": LazyCommand(
        "llm_check", "llm", "Check the LLM endpoint that the llm drafter and the judge use."
    ),
}


class GoldmineGroup(click.Group):
    """Loads a command when it is asked for, lists them from :data:`COMMANDS` without loading
    any, and turns every :class:`GoldmineError` into one ``Error: …`` line and exit status 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(COMMANDS[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands' one-line help from :data:`COMMANDS`: no command module is imported."""
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = [
            (name, _shortened(COMMANDS[name].help, limit))
            if name in COMMANDS and name not in self.commands
            else (name, self.commands[name].get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoldmineError as error:
            raise click.ClickException(str(error)) from None


def _shortened(text: str, limit: int) -> str:
    """The line as click's short help cuts it (at a word, with ``...``)."""
    return click.Command("_", help=text).get_short_help_str(limit)


@click.group(cls=GoldmineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="goldmine")
def main() -> None:
    """goldmine turns a project's own history into fine-tuning data of textbook quality."""
