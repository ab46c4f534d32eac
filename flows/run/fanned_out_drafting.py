"""Drafting fanned out: batches of task contexts drafted by workers, candidates stored here.

The draft stage loads each task's context in the flow process (that needs the warehouse) and
hands them, grouped by source in batches, to the fan-out. A worker rebuilds the extractive
drafter from the settings and the workspace key (once per process), drafts its batch — for agent
records that means replaying git at each fix's parent commit — and returns the results. The draft
stage stores them as they come back (``flows/draft/drafting.py``), exactly as if they had been
drafted here: candidate ids depend on the task, kind, language, drafter and templates, never on
where.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flows.draft.drafters import extractive_drafters
from flows.draft.drafting import Deliver, Drafter, DraftResult
from flows.run.fanout import FanOut
from flows.settings import Settings
from warehouse.selection.task_context import Context

_drafters: dict[str, Drafter] = {}


@dataclass(frozen=True, slots=True)
class DrafterSpec:
    """What a worker needs to build the extractive drafter."""

    settings: Settings
    key: bytes

    def build(self) -> Drafter:
        """The drafter, built once per process for the same settings."""
        cache_key = self.settings.model_dump_json() + self.key.hex()
        if cache_key not in _drafters:
            _drafters[cache_key] = extractive_drafters(self.settings, self.key)
        return _drafters[cache_key]


@dataclass(frozen=True, slots=True)
class DraftBatch:
    """Task contexts of one source to draft as one kind in one language."""

    spec: DrafterSpec
    kind: str
    lang: str
    source: str
    number: int
    contexts: tuple[Context, ...]

    @property
    def label(self) -> str:
        """``draft flask agent/en #2``: the name of the task that drafts it."""
        return f"draft {self.source} {self.kind}/{self.lang} #{self.number}"


def draft_batch(batch: DraftBatch) -> list[tuple[str, DraftResult]]:
    """Draft every context of a batch in this process (a worker's whole job)."""
    drafter = batch.spec.build()
    return [
        (context.task_id, drafter.draft(context, batch.kind, batch.lang))
        for context in batch.contexts
    ]


class FannedOutDrafter:
    """A drafter whose ``draft_each`` sends batches of tasks to a fan-out (a
    ``ConcurrentDrafter``)."""

    def __init__(
        self, drafter: Drafter, spec: DrafterSpec, fanout: FanOut, batch_size: int
    ) -> None:
        self.drafter = drafter
        self.spec = spec
        self.fanout = fanout
        self.batch_size = max(batch_size, 1)

    @property
    def name(self) -> str:
        """The wrapped drafter's name (so candidates are the same wherever they were drafted)."""
        return self.drafter.name

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """Draft one task here."""
        return self.drafter.draft(context, kind, lang)

    def draft_each(
        self, contexts: Iterator[Context], kind: str, lang: str, deliver: Deliver
    ) -> None:
        """Draft every context on the fan-out; deliver each result here as its batch comes back."""
        loaded: dict[str, Context] = {}
        batches = self._batches(_remember(contexts, loaded), kind, lang)
        for results in self.fanout.each(draft_batch, batches, _label):
            for task_id, result in results:
                deliver(loaded.pop(task_id), result)

    def _batches(self, contexts: Iterable[Context], kind: str, lang: str) -> Iterator[DraftBatch]:
        """Contexts grouped by source, a batch as soon as a source has ``batch_size`` of them."""
        groups: dict[str, list[Context]] = {}
        numbers: dict[str, int] = {}
        for context in contexts:
            group = groups.setdefault(_source(context), [])
            group.append(context)
            if len(group) >= self.batch_size:
                yield self._batch(kind, lang, numbers, group)
                groups[_source(context)] = []
        for group in groups.values():
            if group:
                yield self._batch(kind, lang, numbers, group)

    def _batch(
        self, kind: str, lang: str, numbers: dict[str, int], group: list[Context]
    ) -> DraftBatch:
        source = _source(group[0])
        numbers[source] = numbers.get(source, 0) + 1
        return DraftBatch(
            self.spec, kind, lang, group[0].source_name, numbers[source], tuple(group)
        )


def _remember(contexts: Iterable[Context], loaded: dict[str, Context]) -> Iterator[Context]:
    for context in contexts:
        loaded[context.task_id] = context
        yield context


def _source(context: Context) -> str:
    """What groups a task with others of its source: a repository's location, a ticket export's
    name."""
    return getattr(context, "source_location", "") or context.source_name


def _label(batch: DraftBatch) -> str:
    return batch.label
