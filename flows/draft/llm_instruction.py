"""The LLM drafter (``--drafter llm``): a task's facts and the closest golds → a model → a record.

The model writes what only a model can — the ``system`` line, the problem statement with its
numbered requirements, the explanation — and the code stays real: goldmine puts the code before
the change into ``input`` (as the extractive drafter does) and the change itself into
``output`` (``answer_code``: the commit's own module-level lines, definitions and data files),
followed by the model's explanation. The ``real_code`` check holds every record to that.

Drafting one task is two pure steps around one call (as in distilabel): :func:`build_prompt`
renders the messages, :func:`parse_draft` reads the reply's prose, :func:`record_of` makes the
record. A reply that is not a valid draft gets one repair request (the reply and what is wrong
with it); if that fails too, the task becomes an ``unparseable`` candidate that keeps the raw
reply and its call id. A task whose prompt cannot fit the endpoint's token budget is skipped.

Tasks are drafted concurrently: up to ``[llm] max_concurrency`` workers, each pulling the next
task, all in one event loop in the calling thread (so the warehouse is only ever touched from
that thread). When the budget cannot cover the next request the workers stop, the ones in flight
finish and are stored, and :class:`DraftingStopped` tells the stage; the next run picks up the rest.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flows.draft.answer_code import (
    answer_code,
    answer_problem,
    exercising_tests,
    fence_tag,
    new_tests,
)
from flows.draft.drafting import (
    Deliver,
    DraftDeferred,
    Drafted,
    Drafter,
    DraftingStopped,
    DraftResult,
    DraftSkipped,
    Unparseable,
    undrafted_tasks,
)
from flows.draft.extractive_tickets import draft_ticket_instruction
from flows.draft.families import task_problem
from flows.draft.llm_agent import MAX_STEPS, LLMTrajectoryDrafter
from flows.draft.llm_prompts import (
    FAMILIES,
    Prompt,
    PromptTooLarge,
    build_prompt,
    prompt_budget,
    repair_message,
)
from flows.draft.project_tests import command_runner
from flows.errors import ConfigError
from flows.llm.client import (
    Budget,
    BudgetReached,
    CallFailed,
    ChatClient,
    ChatReply,
    ChatRequest,
    estimate_tokens,
    resolve_endpoint,
)
from flows.settings import Settings, catalog_of, seeds_folder
from warehouse.assay.checks.code_syntax import syntax_problem
from warehouse.ids import stable_id
from warehouse.llm_calls import recorded_reply
from warehouse.outcomes import Skip, SkipCategory
from warehouse.record_drafts import (
    DraftInvalid,
    InstructionDraft,
    draft_json_schema,
    draft_kinds,
    instruction_record,
    parse_draft,
)
from warehouse.record_text import code_blocks
from warehouse.records import InstructionRecord, Provenance
from warehouse.seed_folder import SeedFolder, load_seeds
from warehouse.selection.task_context import CodeUnit, Context, ContextLoader, TaskContext
from warehouse.selection.ticket_context import TicketContext
from warehouse.store import Warehouse

MAX_UNIT_LINES = 300


class LLMDrafter:
    """Drafts records with a chat model behind any OpenAI-compatible endpoint."""

    def __init__(
        self,
        client: ChatClient,
        seeds: SeedFolder,
        few_shot_count: int = 1,
        trajectories: LLMTrajectoryDrafter | None = None,
    ) -> None:
        self.client = client
        self.seeds = seeds
        self.few_shot_count = few_shot_count
        self.trajectories = trajectories
        self.name = f"llm:{client.endpoint.model}"

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """One record (or why not), for callers that draft a single task."""
        results: list[DraftResult] = []
        self.draft_each(iter([context]), kind, lang, lambda _, result: results.append(result))
        return results[0]

    def draft_each(
        self, contexts: Iterator[Context], kind: str, lang: str, deliver: Deliver
    ) -> None:
        """Draft every context concurrently; ``deliver`` gets each result as soon as it is ready."""
        asyncio.run(self._draft_all(contexts, kind, lang, deliver))
        if self.client.budget.exhausted:
            spent = self.client.budget.spent
            raise DraftingStopped(
                f"budget of ${self.client.budget.limit_usd:g} reached (${spent:.4f} spent this "
                "run); "
                "the remaining tasks are drafted on the next run"
            )

    async def _draft_all(
        self, contexts: Iterator[Context], kind: str, lang: str, deliver: Deliver
    ) -> None:
        async def worker() -> None:
            while not self.client.budget.exhausted:
                context = next(contexts, None)  # loaded in this thread, between awaits
                if context is None:
                    return
                try:
                    result = await self.draft_one(context, kind, lang)
                except BudgetReached:
                    return
                deliver(context, result)

        try:
            async with self.client.session(), asyncio.TaskGroup() as group:
                for _ in range(self.client.endpoint.settings.max_concurrency):
                    group.create_task(worker())
        except ExceptionGroup as failed:
            raise _first(failed) from None

    async def draft_one(self, context: Context, kind: str, lang: str) -> DraftResult:
        """Prompt, call, parse; one repair request when the reply is not a record."""
        if kind == "agent" and self.trajectories is not None:
            return await self.trajectories.draft_one(context, lang)
        if isinstance(context, TicketContext):
            # A resolution record quotes its thread, so the model has nothing to add: drafted
            # extractively.
            return draft_ticket_instruction(context, lang)
        problem = unusable(context, kind)
        if problem is not None:
            return DraftSkipped(problem)
        try:
            prompt = self.prompt(context, kind, lang)
        except PromptTooLarge as too_large:
            return DraftSkipped(too_large.skip)
        request = ChatRequest(prompt.messages, f"{kind}_record", draft_json_schema(kind))
        reply = await self.client.chat(request)
        if isinstance(reply, CallFailed):
            return _failed(reply)
        try:
            return Drafted(self._record(context, kind, lang, prompt, reply), reply.call_id)
        except DraftInvalid as invalid:
            return await self._repair(context, kind, lang, prompt, reply, str(invalid))

    def prompt(
        self, context: TaskContext, kind: str, lang: str, template: str | None = None
    ) -> Prompt:
        """The messages this drafter sends for one task (``goldmine prompts render`` shows them),
        within the endpoint's token budget (:class:`PromptTooLarge` when they cannot fit)."""
        return build_prompt(
            context,
            kind,
            lang,
            self.seeds.seeds,
            few_shot_count=self.few_shot_count,
            template=template,
            budget=prompt_budget(self.client.endpoint.settings),
        )

    async def _repair(
        self,
        context: TaskContext,
        kind: str,
        lang: str,
        prompt: Prompt,
        reply: ChatReply,
        problem: str,
    ) -> DraftResult:
        messages = (
            *prompt.messages,
            {"role": "assistant", "content": reply.text},
            repair_message(problem, lang),
        )
        second = await self.client.chat(
            ChatRequest(messages, f"{kind}_record", draft_json_schema(kind), "repair")
        )
        if isinstance(second, CallFailed):
            if not second.rejected:
                return DraftDeferred(Skip(second.category, second.error))
            return Unparseable(
                reply.text,
                f"{problem}; the repair request failed: {second.error}",
                prompt.template,
                reply.call_id,
            )
        try:
            return Drafted(self._record(context, kind, lang, prompt, second), second.call_id)
        except DraftInvalid as again:
            return Unparseable(
                reply.text, f"{problem}; after one repair: {again}", prompt.template, reply.call_id
            )

    def _record(
        self, context: TaskContext, kind: str, lang: str, prompt: Prompt, reply: ChatReply
    ) -> InstructionRecord:
        draft = parse_draft(kind, reply.text)
        provenance = context.provenance(self.name, prompt.template, seeds=prompt.seeds)
        record_id = stable_id(
            context.task_id, kind, lang, self.name, prompt.template, reply.call_id
        )
        return record_of(draft, context, lang, record_id=record_id, provenance=provenance)


def record_of(
    draft: InstructionDraft,
    context: TaskContext,
    lang: str,
    *,
    record_id: str,
    provenance: Provenance,
) -> InstructionRecord:
    """The record: the model's prose around the exact code before the change (``input``) and
    the real change (``output``'s labelled blocks, then the explanation). A review's output is
    the model's review alone: its input is the diff under review."""
    code = "" if context.family == "review" else answer_code(context, lang, with_tests=True)
    return instruction_record(
        draft,
        given=record_input(context, lang),
        code=code,
        record_id=record_id,
        task_type=context.family,
        lang=lang,
        provenance=provenance,
    )


def record_input(context: TaskContext, lang: str) -> str:
    """What the task works on, exactly as it was: the diff under review; the code under test
    (and the fixtures) for tests; else the code before the change of every modified unit, and
    the fixtures its acceptance tests use."""
    if context.family == "review":
        return "\n\n".join(f"```diff\n{diff.rstrip()}\n```" for diff in context.diffs.values())
    if context.family == "tests":
        shown = [
            _labelled(
                f"Code under test, `{unit.qualified_name}` in `{unit.path}`:"
                if lang == "en"
                else f"被测代码：`{unit.path}` 中的 `{unit.qualified_name}`：",
                unit,
                unit.after,
            )
            for unit in context.under_test
        ]
        return "\n\n".join([*shown, *_fixture_blocks(context, lang)])
    before = [
        _labelled(
            f"Current code of `{unit.qualified_name}` in `{unit.path}`:"
            if lang == "en"
            else f"`{unit.path}` 中 `{unit.qualified_name}` 的当前代码：",
            unit,
            unit.before,
        )
        for unit in (*context.units, *context.test_edits)
        if unit.change == "modified" and unit.before.strip()
    ]
    tested = new_tests(context) or exercising_tests(context)
    fixtures = _fixture_blocks(context, lang, existing_only=True) if tested else []
    return "\n\n".join([*before, *fixtures])


def _fixture_blocks(context: TaskContext, lang: str, *, existing_only: bool = False) -> list[str]:
    """The fixtures the tests use, as the parent has them (``existing_only``: not those the
    commit adds, which the answer writes)."""
    return [
        _labelled(
            f"`{fixture.path}` — `{fixture.qualified_name}` (used by the tests):"
            if lang == "en"
            else f"`{fixture.path}` — `{fixture.qualified_name}`（测试会用到）：",
            fixture,
            fixture.after,
        )
        for fixture in context.fixtures
        if not (existing_only and fixture.change == "added")
    ]


def _labelled(label: str, unit: CodeUnit, code: str) -> str:
    return f"{label}\n\n```{fence_tag(unit.lang)}\n{code.rstrip()}\n```"


def _first(group: BaseExceptionGroup[Exception]) -> Exception:
    """The first error of a task group, so that a GoldmineError still reads as one line."""
    error = group.exceptions[0]
    return _first(error) if isinstance(error, BaseExceptionGroup) else error


def _failed(reply: CallFailed) -> DraftResult:
    """A request the endpoint refused is a recorded skip; one that kept failing is tried next
    run."""
    if reply.rejected:
        return DraftSkipped(
            Skip(SkipCategory.ENDPOINT_REJECTED, f"the endpoint rejected the prompt: {reply.error}")
        )
    return DraftDeferred(Skip(reply.category, reply.error))


def unusable(context: TaskContext, kind: str) -> Skip | None:
    """Why a task cannot make a good record of ``kind`` with a model, or None.

    The same rules as the extractive drafter's: a record needs code to teach and a stated purpose.
    """
    if kind not in draft_kinds():
        return Skip(
            SkipCategory.KIND_NOT_DRAFTED,
            f"the llm drafter makes {' and '.join(draft_kinds())} records, not {kind}",
        )
    if context.family not in FAMILIES:
        return Skip(
            SkipCategory.KIND_NOT_DRAFTED, f"no LLM template for the {context.family} family"
        )
    return task_problem(context, MAX_UNIT_LINES) or _answer_problem(context)


def _answer_problem(context: TaskContext) -> Skip | None:
    """Why the real change cannot make the answer: it edits its files outside the shown
    definitions, it needs a file too large to show, its code holds a redacted secret, or it does
    not parse (and compile) in its language."""
    if context.family == "review":
        return None
    incomplete = answer_problem(context)
    if incomplete is not None:
        return incomplete
    answer = answer_code(context, "en", with_tests=True)
    problem = next(filter(None, map(syntax_problem, code_blocks(answer))), "")
    if problem:  # Python 2 code, say: code_parses would reject the record whatever its prose
        return Skip(SkipCategory.UNPARSEABLE_CODE, f"the real change does not parse: {problem}")
    return None


def llm_drafter(
    settings: Settings,
    warehouse: Warehouse,
    run_id: str,
    key: bytes,
    environ: Mapping[str, str] | None = None,
) -> LLMDrafter:
    """The LLM drafter configured by the settings (and ``GOLDMINE_LLM_*`` / ``OPENAI_*``)."""
    endpoint = resolve_endpoint(settings.llm, os.environ if environ is None else environ)
    client = ChatClient(endpoint, warehouse, run_id, key, Budget(settings.llm.budget_usd, endpoint))
    seeds = load_seeds(seeds_folder(settings))
    agent = settings.agent
    runner = (
        command_runner(agent.test_command, agent.test_timeout_seconds)
        if agent.test_command
        else None
    )
    trajectories = LLMTrajectoryDrafter(
        client, catalog_of(settings), list(seeds.seeds), key, runner
    )
    return LLMDrafter(client, seeds, settings.llm.few_shots, trajectories)


@dataclass(slots=True)
class DryRun:
    """What drafting would send, counted without calling: requests, replays and estimated tokens."""

    tasks: int = 0
    requests: int = 0
    replayed: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    max_completion_tokens: int = 0
    agent_tasks: int = 0

    def report(self, drafter: LLMDrafter) -> dict[str, Any]:
        """The counts, with the cost estimate when the model has a price."""
        endpoint = drafter.client.endpoint
        cost = endpoint.cost(self.prompt_tokens, self.max_completion_tokens)
        return {
            "drafter": drafter.name,
            "tasks": self.tasks,
            "requests": self.requests,
            "replayed_from_llm_calls": self.replayed,
            "skipped": self.skipped,
            "estimated_prompt_tokens": self.prompt_tokens,
            "max_completion_tokens": self.max_completion_tokens,
            "max_cost_usd": round(cost, 4) if cost is not None else None,
            "agent_tasks": self.agent_tasks,
            "agent_requests": f"{self.agent_tasks} to {self.agent_tasks * MAX_STEPS} (one per "
            "step)",
        }


def plan_drafting(
    warehouse: Warehouse,
    loader: ContextLoader,
    drafter: Drafter,
    *,
    kinds: list[str],
    langs: list[str],
    limit: int,
) -> dict[str, Any]:
    """``--dry-run``: what drafting every undrafted task would send, without sending anything."""
    if not isinstance(drafter, LLMDrafter):
        raise ConfigError(
            "--dry-run counts the requests of the llm drafter: use it with --drafter llm"
        )
    totals = DryRun()
    for kind in kinds:
        for lang in langs:
            task_ids = undrafted_tasks(warehouse, kind, lang, drafter.name, limit)
            dry_run(drafter, (loader.load(task_id) for task_id in task_ids), kind, lang, totals)
    return totals.report(drafter)


def dry_run(
    drafter: LLMDrafter, contexts: Iterable[TaskContext], kind: str, lang: str, totals: DryRun
) -> None:
    """Render the prompt of every task and count what it would cost (repairs, if any, come on
    top)."""
    for context in contexts:
        totals.tasks += 1
        if kind == "agent":
            totals.agent_tasks += 1  # one request per step: known only when the model runs
            continue
        if unusable(context, kind) is not None:
            totals.skipped += 1
            continue
        try:
            prompt = drafter.prompt(context, kind, lang)
        except PromptTooLarge:
            totals.skipped += 1
            continue
        body, id_ = drafter.client.prepared(
            ChatRequest(prompt.messages, f"{kind}_record", draft_json_schema(kind))
        )
        if recorded_reply(drafter.client.warehouse, id_) is not None:
            totals.replayed += 1
            continue
        totals.requests += 1
        totals.prompt_tokens += sum(
            estimate_tokens(message["content"]) for message in body["messages"]
        )
        totals.max_completion_tokens += drafter.client.endpoint.settings.max_tokens
