"""The draft stage: selected tasks become candidate records, one per (task, kind, language).

A drafter is anything with a ``name`` and a ``draft(context, kind, lang)`` method that returns a
record (or a :class:`Drafted` record with the LLM call that made it), a :class:`DraftSkipped`
(the task cannot make a good record of that kind, and why), an :class:`Unparseable` (an LLM
replied with something that is not a record; the reply is kept) or a :class:`DraftDeferred`
(nothing this time, e.g. the endpoint kept failing; nothing is stored and the next run retries).
A :class:`ConcurrentDrafter` also has ``draft_each``, which drafts many tasks at once and hands
each result back as it is ready; it may raise :class:`DraftingStopped` (a budget ran out) after
the results it delivered. Drafters do not write candidates: this module does.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from warehouse.ids import stable_id
from warehouse.landing.feedback import FEEDBACK_SELECTOR
from warehouse.outcomes import CandidateStatus, Skip, SkipCategory
from warehouse.record_text import normalised_text_hash
from warehouse.records import AgentRecord, InstructionRecord, Record
from warehouse.redacted_code import spared_record
from warehouse.selection.task_context import Context, ContextLoader
from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class DraftSkipped:
    """A task that cannot make a good record of the asked kind, and why."""

    reason: Skip


@dataclass(frozen=True, slots=True)
class Unparseable:
    """A drafter's reply that is not a valid record: kept with the call that produced it."""

    raw_reply: str
    reason: str
    template: str
    llm_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Drafted:
    """A record with the LLM call whose reply it was made from."""

    record: Record
    llm_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class DraftDeferred:
    """Nothing drafted this time (the endpoint failed after its retries); the next run tries
    again."""

    reason: Skip


# Skips several drafters give, worded once.
ROOT_COMMIT = Skip(SkipCategory.ROOT_COMMIT, "a root commit has no parent to replay from")
NO_CATALOG_LOOKUP = Skip(
    SkipCategory.NO_CATALOG_LOOKUP, "the thread shows no lookup with a tool the catalog declares"
)


class DraftingStopped(Exception):
    """A drafter stopped early on purpose (e.g. its budget is spent); the rest is drafted next
    run."""


DraftResult = InstructionRecord | AgentRecord | Drafted | DraftSkipped | Unparseable | DraftDeferred
Deliver = Callable[[Context, DraftResult], None]


class Drafter(Protocol):
    """Turns one task's context into one record of a kind, in a language."""

    @property
    def name(self) -> str:
        """``extractive`` or ``llm:<model>``: stored in ``candidates.drafter``."""
        ...

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """Draft one record (or say why not)."""
        ...


@runtime_checkable
class ConcurrentDrafter(Drafter, Protocol):
    """A drafter that drafts many tasks at once (e.g. concurrent LLM requests)."""

    def draft_each(
        self, contexts: Iterator[Context], kind: str, lang: str, deliver: Deliver
    ) -> None:
        """Draft every context, calling ``deliver`` (in this thread) with each result as it is
        ready."""
        ...


class ByKind:
    """One drafter name over several drafters, each making one kind of record."""

    def __init__(self, name: str, drafters: dict[str, Drafter]) -> None:
        self.name = name
        self.drafters = drafters

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """Delegate to the drafter of ``kind``; a kind nobody drafts is a recorded skip."""
        drafter = self.drafters.get(kind)
        if drafter is None:
            return DraftSkipped(
                Skip(
                    SkipCategory.KIND_NOT_DRAFTED,
                    f"the {self.name} drafter does not make {kind} records",
                )
            )
        return drafter.draft(context, kind, lang)


@dataclass(slots=True)
class DraftSummary:
    """Counts of one draft pass."""

    candidates: int = 0
    unparseable: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)
    # The first detail of each deferral category, for the run's notes.
    deferred_example: dict[str, str] = field(default_factory=dict)
    stopped: str = ""

    def skip(self, reason: Skip) -> None:
        """Count a recorded skip by its category."""
        self.skipped[reason.category] += 1

    def defer(self, reason: Skip) -> None:
        """Count a deferral by its category, keeping the first detail of each."""
        self.deferred[reason.category] += 1
        self.deferred_example.setdefault(reason.category, reason.detail)


def draft_tasks(
    warehouse: Warehouse,
    loader: ContextLoader,
    drafter: Drafter,
    *,
    kinds: list[str],
    langs: list[str],
    limit: int,
    run_id: str,
    progress: Callable[[int], None] | None = None,
) -> DraftSummary:
    """Draft every selected task that has no candidate of this kind, language and drafter yet.

    Each task's context is loaded once for all the kinds and languages it is drafted in: loading
    it (the files at the commit, their definitions, where the change sits) costs more than
    drafting from it. Candidates are written in batches (:class:`CandidateWriter`).
    """
    summary = DraftSummary()
    pending = {
        (kind, lang): undrafted_tasks(warehouse, kind, lang, drafter.name, limit)
        for kind in kinds
        for lang in langs
    }
    with CandidateWriter(warehouse, drafter.name, run_id, summary, progress) as writer:
        if isinstance(drafter, ConcurrentDrafter):
            return _draft_concurrently(drafter, loader, pending, writer, summary)
        for task_id, wanted in _by_task(pending):
            context = loader.load_any(task_id)
            for kind, lang in wanted:
                writer.store(context.task_id, kind, lang, drafter.draft(context, kind, lang))
    return summary


def _by_task(pending: dict[tuple[str, str], list[str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each task with the (kind, language) pairs it still needs, tasks in id order."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for pair, task_ids in pending.items():
        for task_id in task_ids:
            wanted.setdefault(task_id, []).append(pair)
    return sorted(wanted.items())


def _draft_concurrently(
    drafter: ConcurrentDrafter,
    loader: ContextLoader,
    pending: dict[tuple[str, str], list[str]],
    writer: CandidateWriter,
    summary: DraftSummary,
) -> DraftSummary:
    """One ``draft_each`` per kind and language; a context loaded for one pass is kept for the
    next ones (up to ``MAX_KEPT_CONTEXTS``)."""
    kept: dict[str, Context] = {}

    def load(task_id: str) -> Context:
        context = kept.get(task_id) or loader.load_any(task_id)
        if len(kept) < MAX_KEPT_CONTEXTS:
            kept[task_id] = context
        return context

    for (kind, lang), task_ids in pending.items():

        def deliver(
            context: Context, result: DraftResult, kind: str = kind, lang: str = lang
        ) -> None:
            writer.store(context.task_id, kind, lang, result)

        try:
            drafter.draft_each((load(task_id) for task_id in task_ids), kind, lang, deliver)
        except DraftingStopped as stop:
            summary.stopped = str(stop)
            return summary
    return summary


# Contexts a concurrent drafter's later passes reuse; past this many, later tasks are loaded again.
MAX_KEPT_CONTEXTS = 2_000


def undrafted_tasks(
    warehouse: Warehouse, kind: str, lang: str, drafter: str, limit: int = 0
) -> list[str]:
    """Selected tasks without a candidate (or a recorded skip) for this kind, language and
    drafter."""
    rows = warehouse.query(
        "SELECT t.id FROM tasks t WHERE t.status = 'selected' "
        # flows/draft/extractive_feedback.py drafts those
        f"AND t.selector_version <> '{FEEDBACK_SELECTOR}' "
        "AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.task_id = t.id AND c.kind = ? AND "
        "c.lang = ? "
        "                AND c.drafter = ?) "
        "AND NOT EXISTS (SELECT 1 FROM draft_skips s WHERE s.task_id = t.id AND s.kind = ? AND "
        "s.lang = ? "
        "                AND s.drafter = ?) "
        "ORDER BY t.id" + (f" LIMIT {int(limit)}" if limit else ""),
        [kind, lang, drafter, kind, lang, drafter],
    ).rows
    return [row[0] for row in rows]


class CandidateWriter:
    """Stores drafting results (candidates, unparseable replies, skips) in batches of
    ``BATCH_ROWS`` and counts them: one insert per record costs more than drafting an extractive
    one. What is not written when a run stops is drafted again by the next run, with the same
    ids (an LLM reply comes back from ``llm_calls``, unpaid)."""

    BATCH_ROWS = 100

    def __init__(
        self,
        warehouse: Warehouse,
        drafter: str,
        run_id: str,
        summary: DraftSummary,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.drafter = drafter
        self.run_id = run_id
        self.summary = summary
        self.progress = progress
        self._skips: list[dict[str, Any]] = []
        self._candidates: list[dict[str, Any]] = []
        self._unparseable: list[dict[str, Any]] = []

    def __enter__(self) -> CandidateWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()

    def store(self, task_id: str, kind: str, lang: str, result: DraftResult) -> None:
        """Queue one result's row (a deferral stores nothing) and count it."""
        drafter, run_id = self.drafter, self.run_id
        if isinstance(result, DraftSkipped):
            self._skips.append(
                {
                    "task_id": task_id,
                    "kind": kind,
                    "lang": lang,
                    "drafter": drafter,
                    "reason": result.reason.detail,
                    "category": result.reason.category,
                    "run_id": run_id,
                }
            )
            self.summary.skip(result.reason)
        elif isinstance(result, Unparseable):
            self._unparseable.append(_unparseable_row(task_id, kind, lang, drafter, result, run_id))
        elif isinstance(result, DraftDeferred):
            self.summary.defer(result.reason)
        else:
            record, call = (
                (result.record, result.llm_call_id)
                if isinstance(result, Drafted)
                else (result, None)
            )
            spared = spare_record(record)
            if isinstance(spared, Skip):
                self.store(task_id, kind, lang, DraftSkipped(spared))
                return
            self._candidates.append(candidate_row(spared, run_id, call))
        if len(self._skips) + len(self._candidates) + len(self._unparseable) >= self.BATCH_ROWS:
            self.flush()
        if self.progress is not None:
            self.progress(1)

    def flush(self) -> None:
        """Write the queued rows."""
        self.warehouse.insert("draft_skips", self._skips)
        self.summary.unparseable += self.warehouse.insert("candidates", self._unparseable)
        self.summary.candidates += self.warehouse.insert("candidates", self._candidates)
        self._skips, self._candidates, self._unparseable = [], [], []


def spare_record(record: Record) -> Record | Skip:
    """The record with the redaction placeholders in its code replaced by neutral values, or the
    skip that keeps it from being made (warehouse/redacted_code.py)."""
    spared = spared_record(record)
    return Skip(SkipCategory.REDACTED_CODE, spared) if isinstance(spared, str) else spared


def candidate_row(record: Record, run_id: str, llm_call_id: str | None = None) -> dict[str, Any]:
    """The ``candidates`` row of a drafted record, waiting for the assay."""
    return {
        "id": record.id,
        "task_id": record.provenance.task_id,
        "kind": record.kind,
        "task_type": record.task_type,
        "lang": record.lang,
        "drafter": record.provenance.drafter,
        "template": record.provenance.template,
        "status": CandidateStatus.PENDING,
        "score": None,
        "record": record.model_dump_json(exclude_none=True),
        "provenance": json.dumps(record.provenance.model_dump(), ensure_ascii=False),
        "raw_reply": None,
        "llm_call_id": llm_call_id,
        "text_hash": normalised_text_hash(record),
        "run_id": run_id,
        "created_at": datetime.now(UTC),
    }


def _unparseable_row(
    task_id: str, kind: str, lang: str, drafter: str, result: Unparseable, run_id: str
) -> dict[str, Any]:
    return {
        "id": stable_id(task_id, kind, lang, drafter, result.template),
        "task_id": task_id,
        "kind": kind,
        "task_type": "",
        "lang": lang,
        "drafter": drafter,
        "template": result.template,
        "status": CandidateStatus.UNPARSEABLE,
        "score": None,
        "record": None,
        "provenance": json.dumps({"task_id": task_id, "drafter": drafter, "reason": result.reason}),
        "raw_reply": result.raw_reply,
        "llm_call_id": result.llm_call_id,
        "text_hash": None,
        "run_id": run_id,
        "created_at": datetime.now(UTC),
    }
