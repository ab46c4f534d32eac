"""The ``goldmine`` command. Commands stay thin: parse, call one function, render."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from flows.errors import ConfigError
from flows.pipeline import PIPELINE, run_stages
from flows.report_page import report as report_command
from flows.workspace import Settings, Workspace, settings_with
from miners.errors import GoldmineError

F = TypeVar("F", bound=Callable[..., Any])
LANG_CHOICES = {"en": ["en"], "zh": ["zh"], "both": ["en", "zh"]}
KIND_CHOICES = {"instruction": ["instruction"], "agent": ["agent"], "both": ["instruction", "agent"]}
_out = Console(highlight=False, soft_wrap=True, markup=False)


class GoldmineGroup(click.Group):
    """Turns every :class:`GoldmineError` into one ``Error: …`` line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoldmineError as error:
            raise click.ClickException(str(error)) from None


def _verbose_logging(ctx: click.Context, param: click.Parameter, verbose: bool) -> bool:
    """With -v, goldmine's own loggers (and the libraries') write INFO lines to stderr."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    return verbose


def workspace_options(default: str | None = None) -> Callable[[F], F]:
    """``--workspace DIR`` (env GOLDMINE_HOME) and ``-v``, shared by every command."""

    def decorate(command: F) -> F:
        command = click.option("-v", "--verbose", is_flag=True, callback=_verbose_logging, expose_value=True,
                               help="Show Prefect's and goldmine's logs.")(command)  # fmt: skip
        return click.option(
            "--workspace",
            "workspace",
            envvar="GOLDMINE_HOME",
            default=default,
            type=click.Path(file_okay=False, path_type=Path),
            help="Workspace folder (default: $GOLDMINE_HOME, else the current directory).",
        )(command)

    return decorate


def source_options(command: F) -> F:
    """``--repo`` and ``--tickets``, which replace the sources listed in goldmine.toml."""
    tickets_help = "A ticket export: GitHub, GitLab or Jira, or a mapped CSV/JSON(L). Repeatable."
    command = click.option("--tickets", multiple=True, type=click.Path(path_type=Path), help=tickets_help)(command)
    repo_help = "A git repository to mine. Repeatable."
    return click.option("--repo", multiple=True, type=click.Path(path_type=Path), help=repo_help)(command)


def draft_options(command: F) -> F:
    """``--drafter``, ``--kinds``, ``--lang``, ``--limit``, ``--budget-usd`` and ``--dry-run``."""
    command = click.option(
        "--dry-run", is_flag=True, default=None, help="LLM drafter: render prompts, count requests, call nothing."
    )(command)
    command = click.option(
        "--budget-usd", type=click.FloatRange(min=0), help="LLM drafter: stop when this run's calls cost this much."
    )(command)
    command = click.option("--limit", type=click.IntRange(min=0), help="Draft at most N tasks (0: all).")(command)
    command = click.option(
        "--kinds", type=click.Choice(sorted(KIND_CHOICES)), help="Record kinds: instruction, agent or both."
    )(command)
    command = click.option("--lang", type=click.Choice(sorted(LANG_CHOICES)), help="Record language.")(command)
    return click.option("--drafter", type=click.Choice(["extractive", "llm"]), help="Who drafts records.")(command)


def _settings(workspace: Workspace, **flags: Any) -> Settings:
    repos = [str(Path(p).resolve()) for p in flags.get("repo") or ()] or None
    tickets = [str(Path(p).resolve()) for p in flags.get("tickets") or ()] or None
    lang = LANG_CHOICES[flags["lang"]] if flags.get("lang") else None
    return settings_with(
        workspace.settings(),
        sources__repos=repos,
        sources__tickets=tickets,
        draft__drafter=flags.get("drafter"),
        draft__lang=lang,
        draft__kinds=KIND_CHOICES[flags["kinds"]] if flags.get("kinds") else None,
        draft__limit=flags.get("limit"),
        draft__dry_run=flags.get("dry_run") or None,
        llm__budget_usd=flags.get("budget_usd"),
        export__formats=list(flags["formats"]) if flags.get("formats") else None,
        assay__judge=True if flags.get("judge") else None,
        scale__runner=flags.get("runner"),
    )


@click.group(cls=GoldmineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="goldmine")
def main() -> None:
    """goldmine turns a project's own history into fine-tuning data of textbook quality."""


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@workspace_options()
def init(directory: Path | None, workspace: Path | None, verbose: bool) -> None:
    """Write a commented goldmine.toml into DIRECTORY (or the workspace)."""
    path = Workspace.at(directory or workspace).write_config()
    _out.print(f"wrote {path}")


wait_option = click.option(
    "--wait", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
    help="Wait this long for another goldmine command to release the workspace (default: stop at once).",
)  # fmt: skip


@main.command()
@source_options
@draft_options
@click.option("--inline", is_flag=True, help="Run the stages in this process without Prefect.")
@click.option("--judge", is_flag=True, help="Also score each record with the LLM judge's rubric.")
@click.option("--runner", type=click.Choice(["default", "dask"]),
              help="Where mining and drafting tasks run: this machine's cores, or a Dask cluster.")  # fmt: skip
@wait_option
@workspace_options()
def run(workspace: Path | None, verbose: bool, inline: bool, wait: float, **flags: Any) -> None:
    """Run the whole pipeline: mine → draft → assay → export."""
    if inline and flags.get("runner"):
        raise ConfigError("--runner chooses where a Prefect run's tasks run; --inline runs in this process without one")
    space = Workspace.at(workspace)
    settings = _settings(space, **flags)
    run_id, counts = run_stages(space, settings, PIPELINE, use_prefect=not inline, verbose=verbose, wait=wait)
    render_counts(run_id, counts)


def _stage_command(name: str, doc: str, options: list[Callable[[F], F]]) -> None:
    def command(workspace: Path | None, verbose: bool, wait: float, **flags: Any) -> None:
        space = Workspace.at(workspace)
        settings = _settings(space, **flags)
        run_id, counts = run_stages(space, settings, [name], command=name, use_prefect=False, wait=wait)
        render_counts(run_id, counts)

    command.__doc__ = doc
    decorated: Any = wait_option(workspace_options()(command))
    for option in options:
        decorated = option(decorated)
    main.command(name=name)(decorated)


_format_option = click.option(
    "--format", "formats", multiple=True, type=click.Choice(["alpaca", "sharegpt", "openai"]),
    help="Export format (repeatable; default from goldmine.toml).",
)  # fmt: skip
_stage_command("mine", "Mine repositories and ticket exports into the warehouse.", [source_options])
_stage_command("draft", "Select tasks and draft candidate records.", [draft_options])
_judge_option = click.option("--judge", is_flag=True, help="Also score each record with the LLM judge's rubric.")
_stage_command("assay", "Check, score and accept or reject pending candidates.", [_judge_option])
_stage_command("export", "Write accepted records for LLaMA-Factory into export/.", [_format_option])


@main.command()
@workspace_options(default="goldmine-demo")
@click.option("--inline", is_flag=True, help="Run the stages in this process without Prefect.")
def demo(workspace: Path, verbose: bool, inline: bool) -> None:
    """Run the whole pipeline on an embedded default: no LLM, no network."""
    from flows.demo import run_demo

    run_demo(Workspace.at(workspace), use_prefect=not inline, verbose=verbose, say=_out.print)


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")
@workspace_options()
def sql(query: str, as_json: bool, as_csv: bool, workspace: Path | None, verbose: bool) -> None:
    """Run a SQL query against the warehouse."""
    with Workspace.at(workspace).open_warehouse(read_only=True) as warehouse:
        result = warehouse.query(query)
    if as_json:
        click.echo(json.dumps(result.dicts(), default=str, ensure_ascii=False, indent=2))
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        render_table(result.columns, result.rows)


@main.command()
@workspace_options()
def status(workspace: Path | None, verbose: bool) -> None:
    """Rows per table, the last run, and why candidates were rejected."""
    from flows.reporting import workspace_status

    with Workspace.at(workspace).open_warehouse(read_only=True) as warehouse:
        report = workspace_status(warehouse)
    render_table(["table", "rows"], list(report.table_rows.items()))
    if report.last_run:
        _out.print(f"last run: {report.last_run}")
    render_table(["status", "candidates"], list(report.candidates_by_status.items()))
    if report.rejections:
        render_table(["failed check", "candidates"], list(report.rejections.items()))
    if report.feedback:
        from flows.feedback_cli import render_rounds

        _out.print("feedback rounds (goldmine feedback):")
        render_rounds(report.feedback)


main.add_command(report_command)


def render_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Print rows as a table."""
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    _out.print(table)


def render_counts(run_id: str, counts: dict[str, Any]) -> None:
    """Print what each stage of a run did."""
    _out.print(f"run {run_id}")
    for stage, values in counts.items():
        notes = values.pop("notes", []) if isinstance(values, dict) else []
        _out.print(f"  {stage}: {json.dumps(values, ensure_ascii=False)}")
        for note in notes:
            _out.print(f"    note: {note}")


def _add_commands_from_other_modules() -> None:
    """Commands defined in their own modules, which use the helpers above (hence imported last)."""
    from flows.authoring import prompts, seeds
    from flows.feedback_cli import feedback
    from flows.nightly import cron_line, serve
    from flows.review_cli import review

    main.add_command(seeds)
    main.add_command(prompts)
    main.add_command(review)
    main.add_command(serve)
    main.add_command(cron_line)
    main.add_command(feedback)


_add_commands_from_other_modules()
