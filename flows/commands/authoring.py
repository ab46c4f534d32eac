"""``goldmine seeds`` and ``goldmine prompts``: checking what people write by hand, before a model
sees it.

``seeds check`` validates a seeds folder (the user's own gold records and tool catalog);
``prompts render`` prints the exact messages the LLM drafter would send for one task, without a
model, so a template can be read and tuned against real tasks.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from flows.commands.options import workspace_options
from flows.commands.seed_suggestions import suggest_seeds
from flows.draft.llm_instruction import unusable
from flows.draft.llm_prompts import (
    Prompt,
    PromptTooLarge,
    build_prompt,
    prompt_budget,
    template_language,
)
from flows.errors import ConfigError
from flows.llm.client import (
    ChatRequest,
    Endpoint,
    estimate_tokens,
    payload,
    resolve_endpoint,
    scrub,
)
from flows.settings import Settings, catalog_path, seeds_folder
from flows.workspace import Workspace
from warehouse.errors import SeedFolderError
from warehouse.record_drafts import draft_json_schema, draft_kinds
from warehouse.seed_folder import (
    CATALOG_NAME,
    SeedFolder,
    load_seeds,
    read_seed_folder,
)
from warehouse.selection.task_context import ContextLoader, TaskContext
from warehouse.store import Warehouse


@click.group()
def seeds() -> None:
    """Check a seeds folder: the gold records and the tool catalog."""


@seeds.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@workspace_options()
def seeds_check(directory: Path | None, workspace: Path | None, verbose: bool) -> None:
    """Validate DIRECTORY (default: the workspace's seeds folder) and print one row per record."""
    folder = read_seed_folder(directory or seeds_folder(Workspace.at(workspace).settings()))
    rows = [
        (r.file, r.kind, r.task_type, r.lang, r.template, str(r.problems or "ok"))
        for r in folder.rows
    ]
    click.echo(plain_table(["file", "kind", "task type", "lang", "template", "problems"], rows))
    for problem in folder.problems:
        click.echo(f"{folder.path}/{problem}")
    if folder.problems:
        raise SeedFolderError(
            f"{len(folder.problems)} problem(s) in {folder.path} (listed above); fix them and "
            "check again"
        )
    click.echo(_summary(folder))


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns that never cut a file name, whatever the terminal's width."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]
    lines = [columns, ["-" * width for width in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _summary(folder: SeedFolder) -> str:
    kinds = Counter(seed.record.kind for seed in folder.seeds)
    langs = Counter(seed.record.lang for seed in folder.seeds)
    count = len(folder.seeds)
    return (
        f"ok: {count} record{'s' if count != 1 else ''} "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}; "
        f"{', '.join(f'{n} {lang}' for lang, n in sorted(langs.items()))}), {len(folder.catalog)} "
        "tools"
    )


@seeds.command("suggest")
@click.option(
    "--n",
    "count",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many drafts.",
)
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write them to (default: WORKSPACE/seeds-suggested).",
)
@workspace_options()
def seeds_suggest(count: int, target: Path | None, workspace: Path | None, verbose: bool) -> None:
    """Write the most representative accepted records as draft seeds to polish into your own
    golds."""
    space = Workspace.at(workspace)
    folder = target or space.root / "seeds-suggested"
    with space.open_warehouse(read_only=True) as warehouse:
        paths = suggest_seeds(warehouse, count, folder)
    catalog = catalog_path(space.settings())
    if catalog.exists():
        shutil.copyfile(catalog, folder / CATALOG_NAME)
    for path in paths:
        click.echo(str(path))
    click.echo(
        f"{len(paths)} draft seed(s) in {folder}: polish them, then `goldmine seeds check {folder}`"
    )


@click.group()
def prompts() -> None:
    """Render the LLM drafter's prompts without calling a model."""


@prompts.command("render")
@click.argument("task_id")
@click.option(
    "--template", "template", help="A task template under prompts/ (default: the task family's)."
)
@click.option(
    "--lang", type=click.Choice(["en", "zh"]), help="Language (default: the template's, else en)."
)
@click.option("--kind", type=click.Choice(draft_kinds()), default="instruction", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the whole request body as JSON.")
@workspace_options()
def prompts_render(
    task_id: str,
    template: str | None,
    lang: str | None,
    kind: str,
    as_json: bool,
    workspace: Path | None,
    verbose: bool,
) -> None:
    """Print the exact messages the LLM drafter would send for TASK_ID (an id or a unique
    prefix)."""
    space = Workspace.at(workspace)
    settings = space.settings()
    if template:
        written_in = template_language(template)
        if lang and lang != written_in:
            raise ConfigError(
                f"{template} writes {written_in} records: drop --lang or choose a {lang} template"
            )
        lang = written_in
    lang = lang or "en"
    with space.open_warehouse(read_only=True) as warehouse:
        context = _task_context(warehouse, space.key(), task_id)
    problem = unusable(context, kind)
    if problem is not None:
        click.echo(f"note: the llm drafter would skip this task: {problem}", err=True)
    seeds = load_seeds(seeds_folder(settings)).seeds
    try:
        prompt = build_prompt(
            context,
            kind,
            lang,
            seeds,
            few_shot_count=settings.llm.few_shots,
            template=template,
            budget=prompt_budget(settings.llm),
        )
    except PromptTooLarge as too_large:
        click.echo(f"note: the llm drafter would skip this task: {too_large}", err=True)
        prompt = build_prompt(
            context, kind, lang, seeds, few_shot_count=settings.llm.few_shots, template=template
        )
    endpoint = _endpoint(settings)
    request = ChatRequest(
        scrub(prompt.messages, space.key()), f"{kind}_record", draft_json_schema(kind)
    )
    body = payload(endpoint, request, endpoint.settings.structured_output)
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    _print_messages(prompt, request)


def _print_messages(prompt: Prompt, request: ChatRequest) -> None:
    for message in request.messages:
        click.echo(f"─── {message['role']} ───")
        click.echo(message["content"])
    tokens = sum(estimate_tokens(message["content"]) for message in request.messages)
    seeds = ", ".join(prompt.seeds) or "none"
    cut = f" · cut to fit: {', '.join(prompt.cut)}" if prompt.cut else ""
    click.echo(
        f"─── template {prompt.template} · few-shots: {seeds} · about {tokens} prompt tokens"
        f"{cut} ───"
    )


def _endpoint(settings: Settings) -> Endpoint:
    """The configured endpoint; a placeholder model when none is configured (nothing is sent)."""
    try:
        return resolve_endpoint(settings.llm, os.environ)
    except ConfigError:
        return Endpoint("", settings.llm.model or "<model>", "EMPTY", settings.llm)


def _task_context(warehouse: Warehouse, key: bytes, task_id: str) -> TaskContext:
    rows = warehouse.query(
        "SELECT id FROM tasks WHERE starts_with(id, ?) ORDER BY id LIMIT 2", [task_id]
    ).rows
    if not rows:
        raise ConfigError(
            f'no task {task_id}: list tasks with goldmine sql "select id, family, reason from '
            "tasks "
            "where status = 'selected'\""
        )
    if len(rows) > 1:
        raise ConfigError(
            f"{task_id} matches several tasks ({rows[0][0]}, {rows[1][0]}, …): give more of the id"
        )
    if warehouse.scalar("SELECT commit_id IS NULL FROM tasks WHERE id = ?", [rows[0][0]]):
        raise ConfigError(
            f"task {rows[0][0]} is a resolved ticket: its records quote the thread, so no "
            "drafting prompt is sent"
        )
    loader = ContextLoader(warehouse, key)
    try:
        context = loader.load(rows[0][0])
    finally:
        loader.close()
    if not context.units:
        raise ConfigError(
            f"task {rows[0][0]} changes no function or class: there is no drafting prompt to show"
        )
    return context
