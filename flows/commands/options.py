"""The options several commands share, and the settings they make.

``--workspace`` and ``-v`` are on every command; ``--repo``/``--tickets`` on the ones that mine;
the drafting options on ``run`` and ``draft``. :func:`settings_from_flags` turns what was passed
into :class:`~flows.workspace.Settings`: a flag overrides ``goldmine.toml``, a flag left out
leaves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from flows.settings import Settings
    from flows.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])
LANG_CHOICES = {"en": ["en"], "zh": ["zh"], "both": ["en", "zh"]}
KIND_CHOICES = {
    "instruction": ["instruction"],
    "agent": ["agent"],
    "both": ["instruction", "agent"],
}


def _verbose_logging(ctx: click.Context, param: click.Parameter, verbose: bool) -> bool:
    """With -v, goldmine's own loggers (and the libraries') write INFO lines to stderr."""
    if verbose:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
        )
    return verbose


def workspace_options(default: str | None = None) -> Callable[[F], F]:
    """``--workspace DIR`` (env GOLDMINE_HOME) and ``-v``, shared by every command."""

    def decorate(command: F) -> F:
        command = click.option(
            "-v",
            "--verbose",
            is_flag=True,
            callback=_verbose_logging,
            expose_value=True,
            help="Show Prefect's and goldmine's logs.",
        )(command)
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
    command = click.option(
        "--tickets", multiple=True, type=click.Path(path_type=Path), help=tickets_help
    )(command)
    repo_help = "A git repository to mine. Repeatable."
    return click.option("--repo", multiple=True, type=click.Path(path_type=Path), help=repo_help)(
        command
    )


def draft_options(command: F) -> F:
    """``--drafter``, ``--kinds``, ``--lang``, ``--limit``, ``--budget-usd`` and ``--dry-run``."""
    command = click.option(
        "--dry-run",
        is_flag=True,
        default=None,
        help="LLM drafter: render prompts, count requests, call nothing.",
    )(command)
    command = click.option(
        "--budget-usd",
        type=click.FloatRange(min=0),
        help="LLM drafter: stop when this run's calls cost this much.",
    )(command)
    command = click.option(
        "--limit", type=click.IntRange(min=0), help="Draft at most N tasks (0: all)."
    )(command)
    command = click.option(
        "--kinds",
        type=click.Choice(sorted(KIND_CHOICES)),
        help="Record kinds: instruction, agent or both.",
    )(command)
    command = click.option(
        "--lang", type=click.Choice(sorted(LANG_CHOICES)), help="Record language."
    )(command)
    return click.option(
        "--drafter", type=click.Choice(["extractive", "llm"]), help="Who drafts records."
    )(command)


wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait this long for another goldmine command to release the workspace (default: stop at "
    "once).",
)
format_option = click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["alpaca", "sharegpt", "agent_openai", "openai"]),
    help="Export format (repeatable; default from goldmine.toml).",
)
judge_option = click.option(
    "--judge", is_flag=True, help="Also score each record with the LLM judge's rubric."
)


def run_mode_options(command: F) -> F:
    """``--inline`` / ``--prefect``: where a run runs (default: a Prefect flow when a Prefect API
    is configured, else this process). Passed on as ``use_prefect``: True, False or None."""
    return click.option(
        "--prefect/--inline",
        "use_prefect",
        default=None,
        help="Run as a Prefect flow, or in this process without Prefect (default: a flow when "
        "PREFECT_API_URL or [prefect] api_url is set, else this process).",
    )(command)


def settings_from_flags(workspace: Workspace, **flags: Any) -> Settings:
    """The workspace's settings with every flag that was given written over them."""
    from flows.settings import settings_with

    repos = [str(Path(p).resolve()) for p in flags.get("repo") or ()] or None
    tickets = [str(Path(p).resolve()) for p in flags.get("tickets") or ()] or None
    lang = LANG_CHOICES[flags["lang"]] if flags.get("lang") else None
    kinds = KIND_CHOICES[flags["kinds"]] if flags.get("kinds") else None
    return settings_with(
        workspace.settings(),
        sources__repos=repos,
        sources__tickets=tickets,
        draft__drafter=flags.get("drafter"),
        draft__lang=lang,
        draft__kinds=kinds,
        draft__limit=flags.get("limit"),
        draft__dry_run=flags.get("dry_run") or None,
        llm__budget_usd=flags.get("budget_usd"),
        export__formats=list(flags["formats"]) if flags.get("formats") else None,
        assay__judge=True if flags.get("judge") else None,
        scale__runner=flags.get("runner"),
    )
