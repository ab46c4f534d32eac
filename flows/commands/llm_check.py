"""``goldmine llm check``: whether the configured endpoint answers, and how, in a few seconds.

It prints the models the server lists, its context length (when it reports one), the
structured-output mode it accepts (found afresh and stored in the workspace's warehouse, so the
next run starts in it) with the latency of that tiny request, and one sample draft checked by the
assay's record checks. A URL where nothing listens is one line and exit status 1, within the
connect timeout. (The module is not named ``llm``: that is a package's name.)
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from flows.commands.options import workspace_options
from flows.draft.drafting import DraftDeferred, Drafted, DraftResult, DraftSkipped, Unparseable
from flows.draft.llm_instruction import llm_drafter, unusable
from flows.errors import LLMEndpointError
from flows.llm.client import (
    Budget,
    CallFailed,
    ChatClient,
    ChatReply,
    ChatRequest,
    Endpoint,
    resolve_endpoint,
)
from flows.llm.probe import ServerFacts, server_facts
from flows.run.assaying import assay_settings
from flows.settings import Settings
from flows.workspace import Workspace
from miners.project_profile import ProjectProfile
from warehouse.assay.checklist import default_checks
from warehouse.assay.evaluation import (
    assess,
    composite_score,
    hard_checks,
    hard_failures,
    weights_of,
)
from warehouse.llm_endpoints import remembered_mode
from warehouse.record_drafts import draft_json_schema
from warehouse.selection.task_context import CodeUnit, ContextLoader, TaskContext
from warehouse.store import Warehouse

PROBE_TOKENS = 16
SAMPLE_CANDIDATES = 20


@click.group()
def llm() -> None:
    """Check the LLM endpoint that the llm drafter and the judge use."""


@llm.command("check")
@workspace_options()
def check(workspace: Path | None, verbose: bool) -> None:
    """Ask the endpoint for its models, context length and structured-output mode; draft one
    sample record and assay it."""
    space = Workspace.at(workspace)
    settings = space.settings()
    endpoint = resolve_endpoint(settings.llm, os.environ)
    facts = server_facts(endpoint)
    _show("endpoint", f"{endpoint.public_url} · model {endpoint.model}")
    _show("models", _models_line(facts, endpoint.model))
    _show("context", _context_line(facts))
    run_id = "check-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    with _warehouse(space) as (warehouse, where):
        key = space.key() if where else secrets.token_bytes(32)
        mode, reason, latency_ms = _find_mode(endpoint, warehouse, run_id, key)
        _show("mode", f"{mode}: {reason}")
        _show("", where or f"not remembered: {space.root} has no warehouse yet")
        _show("latency", f"{latency_ms:.0f} ms for a reply of at most {PROBE_TOKENS} tokens")
        _sample(settings, warehouse, run_id, key)


def _show(label: str, text: str) -> None:
    click.echo(f"{label:<9} {text}".rstrip())


def _models_line(facts: ServerFacts, model: str) -> str:
    if not facts.models:
        return "none listed (GET /v1/models)"
    listed = ", ".join(facts.models)
    if model in facts.models:
        return listed
    return f"{listed} ({model} is not listed: most servers need one of these in GOLDMINE_LLM_MODEL)"


def _context_line(facts: ServerFacts) -> str:
    if facts.context_tokens is None:
        return "not reported"
    return f"{facts.context_tokens} tokens ({facts.context_source})"


@contextmanager
def _warehouse(space: Workspace) -> Iterator[tuple[Warehouse, str]]:
    """The workspace's warehouse and where it is, else a scratch one that is thrown away."""
    if space.database_path.exists():
        with space.open_warehouse(command="llm check") as warehouse:
            yield warehouse, f"remembered in {space.database_path}"
        return
    with tempfile.TemporaryDirectory() as scratch, Warehouse(Path(scratch) / "check.duckdb") as wh:
        yield wh, ""


def _find_mode(
    endpoint: Endpoint, warehouse: Warehouse, run_id: str, key: bytes
) -> tuple[str, str, float]:
    """The mode one tiny request (no retries) finds and stores, why, and that request's latency;
    raises when the endpoint refuses even that."""
    quick = endpoint.settings.model_copy(update={"max_tokens": PROBE_TOKENS, "max_retries": 0})
    probe = Endpoint(endpoint.base_url, endpoint.model, endpoint.api_key, quick)
    client = ChatClient(probe, warehouse, run_id, key, Budget(0, probe))
    request = ChatRequest(
        (
            {
                "role": "user",
                "content": "Reply with one JSON object with the keys system, instruction, input "
                "and output, each a short string.",
            },
        ),
        "instruction_record",
        draft_json_schema("instruction"),
        purpose="check",
    )

    async def ask() -> ChatReply | CallFailed:
        async with client.session():
            return await client.discover(request)

    reply = asyncio.run(ask())
    if isinstance(reply, CallFailed):
        raise LLMEndpointError(
            f"the LLM endpoint at {endpoint.public_url} lists its models but refused a chat "
            f"request ({reply.error}); check GOLDMINE_LLM_MODEL and the server's log"
        )
    found = remembered_mode(warehouse, probe.public_url, probe.model)
    return client.mode, found.reason if found else "", reply.latency_ms


def _sample(settings: Settings, warehouse: Warehouse, run_id: str, key: bytes) -> None:
    """Draft one task with the llm drafter and show what the assay's record checks say."""
    context, origin = _sample_task(warehouse, key)
    drafter = llm_drafter(settings, warehouse, run_id, key)
    click.echo(f"drafting {origin} (a reply of at most {settings.llm.max_tokens} tokens) …")
    started = time.monotonic()
    result = drafter.draft(context, "instruction", "en")
    seconds = time.monotonic() - started
    names = ", ".join(unit.qualified_name for unit in context.units)
    _show("sample", f"{origin} ({context.family}: {names}), drafted in {seconds:.1f} s")
    _show("verdict", _verdict(result, settings))


def _sample_task(warehouse: Warehouse, key: bytes) -> tuple[TaskContext, str]:
    """The first task of the warehouse the llm drafter would draft, else the built-in one."""
    ids = warehouse.query(
        "SELECT id FROM tasks WHERE status = 'selected' AND commit_id IS NOT NULL "
        "ORDER BY id LIMIT ?",
        [SAMPLE_CANDIDATES],
    ).rows
    loader = ContextLoader(warehouse, key)
    try:
        for (task_id,) in ids:
            context = loader.load(task_id)
            if unusable(context, "instruction") is None:
                return context, f"task {task_id[:12]}"
    finally:
        loader.close()
    return builtin_task(), "a built-in task"


def _verdict(result: DraftResult, settings: Settings) -> str:
    """accepted or rejected with the score and the checks that failed, as the assay decides."""
    if isinstance(result, Unparseable):
        return f"unparseable, so never accepted: {result.reason[:200]}"
    if isinstance(result, DraftSkipped | DraftDeferred):
        return f"not drafted: {result.reason.detail}"
    record = result.record if isinstance(result, Drafted) else result
    config = assay_settings(settings)
    checks = default_checks(config.catalog)
    evaluation = assess(record.model_dump_json(), checks)
    score = composite_score(evaluation.verdicts, weights=weights_of(checks, config.weights))
    failed = hard_failures(evaluation.verdicts, hard_checks(checks, config.hard))
    accepted = not failed and score >= config.min_score
    reasons = [
        f"{name} ({verdict.detail})"
        for name, verdict in evaluation.verdicts.items()
        if not verdict.passed and (name in failed or not accepted)
    ]
    head = f"{'accepted' if accepted else 'rejected'}, score {score:.0f}/100"
    return head + (f"; failed: {'; '.join(reasons)}"[:600] if reasons else "")


def builtin_task() -> TaskContext:
    """A small bug fix, for a workspace that has no task yet: ``reserve`` refuses a negative
    quantity."""
    before = (
        "def reserve(levels: dict[str, int], sku: str, qty: int) -> int:\n"
        "    levels[sku] -= qty\n"
        "    return levels[sku]\n"
    )
    after = (
        "def reserve(levels: dict[str, int], sku: str, qty: int) -> int:\n"
        "    if qty <= 0:\n"
        '        raise ValueError(f"quantity must be positive, got {qty}")\n'
        "    levels[sku] -= qty\n"
        "    return levels[sku]\n"
    )
    unit = CodeUnit(
        "builtin", "src/stock.py", "python", "reserve", "function", "modified", before, after, ""
    )
    return TaskContext(
        task_id="builtin-check",
        family="bugfix",
        polarity="positive",
        source_name="stocky",
        source_location="",
        commit_id="builtin",
        sha="0" * 40,
        subject="Refuse negative quantities in reserve",
        body="A negative quantity increased the stock instead of failing.",
        committed_at=None,
        profile=ProjectProfile("stocky", "stocky tracks stock levels for small shops."),
        units=(unit,),
        tests=(),
        tickets=(),
    )
