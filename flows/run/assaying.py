"""The assay stage: ``[assay]`` settings, and the optional LLM judge (``--judge``).

The judge rates each record on one rubric question per principle (``prompts/judge/``) through
goldmine's LLM client, so every request is redacted once more before it leaves, recorded in
``llm_calls`` (a rerun replays it for free) and held to the run's budget. The ratings are asked
before the checks run, all at once (the client's adaptive limit sets the concurrency), and then
read as the ``llm_judge`` check. The stage also reports the judge's agreement with the golds: the
share of gold records it passes. A judge that fails the golds is miscalibrated, not the golds.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flows.llm.client import (
    Budget,
    BudgetReached,
    CallFailed,
    ChatClient,
    ChatRequest,
    resolve_endpoint,
)
from flows.progress import progress_bar
from flows.prompting import render
from flows.settings import Settings, catalog_of, seeds_folder
from warehouse.assay.checks.base import Verdict
from warehouse.assay.near_duplicates import DedupSettings
from warehouse.assay.runner import AssaySettings, assay
from warehouse.assay.splits import EvalSet, SplitRule
from warehouse.records import Record, parse_record
from warehouse.seed_folder import read_seed_folder
from warehouse.store import Warehouse

JUDGE_TEMPLATE = "judge/rubric.{lang}.md.j2"
PRINCIPLES = ("scenario", "specific_instruction", "production_ready", "instruction_output_match")
JUDGE_PASS = 0.6
RATINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"type": "integer", "minimum": 0, "maximum": 5} for name in PRINCIPLES},
    "required": list(PRINCIPLES),
    "additionalProperties": False,
}


def assay_settings(settings: Settings) -> AssaySettings:
    """The warehouse's assay settings from ``[assay]`` (and the seeds and tool catalog in use)."""
    config = settings.assay
    eval_set = None
    if config.eval_set:
        eval_set = EvalSet.read(
            Path(config.eval_set), config.contamination_ngram, config.contamination_share
        )
    return AssaySettings(
        min_score=config.min_score,
        weights=dict(config.weights),
        hard=list(config.hard) if config.hard is not None else None,
        dedup=DedupSettings(threshold=config.near_duplicate_jaccard),
        split=SplitRule(config.holdout_percent, _moment(config.holdout_after)),
        eval_set=eval_set,
        seeds=seeds_folder(settings),
        catalog=catalog_of(settings).schemas(),
    )


def _moment(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_ratings(reply: str) -> dict[str, int] | None:
    """The ratings in a judge's reply: the first JSON object with an integer 0–5 per principle."""
    match = re.search(r"\{.*\}", reply, re.DOTALL)
    if match is None:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    ratings = {name: data.get(name) for name in PRINCIPLES}
    if not all(isinstance(value, int) and 0 <= value <= 5 for value in ratings.values()):
        return None
    return {name: int(value) for name, value in ratings.items() if value is not None}


def ratings_verdict(reply: str) -> Verdict:
    """The judge's verdict from its reply: the mean rating scaled to 0–1, passing at
    ``JUDGE_PASS``."""
    ratings = parse_ratings(reply)
    if ratings is None:
        return Verdict.fail(f"the judge's reply is not a rating: {reply[:80]!r}", 0.5)
    score = sum(ratings.values()) / (5 * len(ratings))
    low = ", ".join(f"{name} {value}/5" for name, value in ratings.items() if value < 3)
    if score >= JUDGE_PASS:
        return Verdict(True, score, f"rubric {score:.0%}" + (f" (low: {low})" if low else ""))
    return Verdict.fail(f"rubric {score:.0%}; low: {low}", score)


class RubricJudge:
    """Asks a model, through the LLM client, to rate records on each principle."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client

    @staticmethod
    def prompt(record: Record) -> str:
        """The rubric prompt for one record, in the record's language."""
        return render(
            JUDGE_TEMPLATE.format(lang=record.lang),
            {"record": record.model_dump_json(indent=2, exclude={"provenance"})},
        )

    def rate_all(self, records: Sequence[Record]) -> dict[str, Verdict]:
        """Every record's verdict by record id (a failed call or the end of the budget gives
        none)."""
        return asyncio.run(self._rate_all(records))

    async def _rate_all(self, records: Sequence[Record]) -> dict[str, Verdict]:
        async with self.client.session():
            replies = await asyncio.gather(*(self._rate(record) for record in records))
        return {
            record.id: verdict
            for record, verdict in zip(records, replies, strict=True)
            if verdict is not None
        }

    async def _rate(self, record: Record) -> Verdict | None:
        request = ChatRequest(
            ({"role": "user", "content": self.prompt(record)},),
            "rubric_ratings",
            RATINGS_SCHEMA,
            purpose="judge",
        )
        try:
            reply = await self.client.chat(request)
        except BudgetReached:
            return None
        if isinstance(reply, CallFailed):
            return None
        return ratings_verdict(reply.text)


@dataclass(frozen=True, slots=True)
class Ratings:
    """The judge's verdicts by record id, asked as the ``llm_judge`` check (they travel to worker
    processes)."""

    verdicts: Mapping[str, Verdict]

    def __call__(self, record: Record) -> Verdict | None:
        return self.verdicts.get(record.id)


def judge_pending(
    warehouse: Warehouse,
    settings: Settings,
    run_id: str,
    key: bytes,
    environ: Mapping[str, str] | None = None,
) -> tuple[Ratings, float]:
    """Rate every pending candidate; return the ratings and the share of golds the judge passes."""
    endpoint = resolve_endpoint(settings.llm, os.environ if environ is None else environ)
    judge = RubricJudge(
        ChatClient(endpoint, warehouse, run_id, key, Budget(settings.llm.budget_usd, endpoint))
    )
    records = _pending_records(warehouse)
    golds = [seed.record for seed in read_seed_folder(seeds_folder(settings)).seeds]
    with progress_bar("judging", len(records) + len(golds)) as advance:
        ratings = judge.rate_all([*records, *golds])
        advance(len(records) + len(golds))
    passed = sum(1 for gold in golds if gold.id in ratings and ratings[gold.id].passed)
    return Ratings({r.id: ratings[r.id] for r in records if r.id in ratings}), passed / len(
        golds
    ) if golds else 0.0


def _pending_records(warehouse: Warehouse) -> list[Record]:
    records = []
    for (record_json,) in warehouse.query(
        "SELECT record FROM candidates WHERE status = 'pending'"
    ).rows:
        try:
            records.append(parse_record(record_json or "null"))
        except ValidationError:
            continue  # the schema check rejects it; there is nothing to rate
    return records


def assay_pending(
    warehouse: Warehouse, run_id: str, settings: Settings, key: bytes = b""
) -> dict[str, Any]:
    """The assay stage: check every pending candidate and return the counts for ``runs.counts``."""
    counts: dict[str, Any] = {}
    ratings = None
    if settings.assay.judge:
        ratings, counts["judge_gold_agreement"] = judge_pending(warehouse, settings, run_id, key)
    pending = warehouse.scalar("SELECT count(*) FROM candidates WHERE status = 'pending'")
    with progress_bar("assaying", pending) as advance:
        summary = assay(
            warehouse, run_id, settings=assay_settings(settings), judge=ratings, progress=advance
        )
    return {
        "accepted": summary.accepted,
        "rejected": summary.rejected,
        "failures": dict(summary.failures),
        "near_duplicate_clusters": summary.clusters,
        "duplicates": summary.duplicates,
        "contaminated": summary.contaminated,
        "splits": summary.splits,
        **counts,
    }
