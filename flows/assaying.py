"""The assay stage's configuration, and the seam where the optional LLM judge plugs in.

``[assay]`` in goldmine.toml becomes a :class:`warehouse.assay.AssaySettings`. The judge
(``--judge``) scores a record against one rubric question per principle, rendered from
``prompts/judge/``; it needs an LLM, which goldmine reaches only through its LLM client. Until
that client is part of this build, :func:`make_judge` says so in one line instead of guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from flows.errors import ConfigError
from flows.progress import progress_bar
from flows.prompting import render
from flows.workspace import AssayConfig, Settings
from warehouse.assay import AssaySettings, assay
from warehouse.near_duplicates import DedupSettings
from warehouse.record_text import Record
from warehouse.records import parse_record
from warehouse.seed_reference import gold_records
from warehouse.splits import EvalSet, SplitRule
from warehouse.store import Warehouse
from warehouse.verdicts import Verdict

JUDGE_TEMPLATE = "judge/rubric.{lang}.md.j2"
PRINCIPLES = ("scenario", "specific_instruction", "production_ready", "instruction_output_match")
JUDGE_PASS = 0.6
Complete = Callable[[str], str]


def assay_settings(config: AssayConfig) -> AssaySettings:
    """The warehouse's assay settings from the ``[assay]`` section."""
    eval_set = None
    if config.eval_set:
        eval_set = EvalSet.read(Path(config.eval_set), config.contamination_ngram, config.contamination_share)
    return AssaySettings(
        min_score=config.min_score,
        weights=dict(config.weights),
        hard=list(config.hard) if config.hard is not None else None,
        dedup=DedupSettings(threshold=config.near_duplicate_jaccard),
        split=SplitRule(config.holdout_percent, _moment(config.holdout_after)),
        eval_set=eval_set,
    )


def _moment(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class RubricJudge:
    """Asks a model to rate a record on each principle (0–5) and turns the answer into a verdict."""

    def __init__(self, complete: Complete) -> None:
        self.complete = complete

    def prompt(self, record: Record) -> str:
        """The rubric prompt for one record, in the record's language."""
        name = JUDGE_TEMPLATE.format(lang=record.lang)
        return render(name, {"record": record.model_dump_json(indent=2, exclude={"provenance"})})

    def __call__(self, record: Record) -> Verdict:
        """The judge's verdict: the mean rating scaled to 0–1, passing at ``JUDGE_PASS``."""
        reply = self.complete(self.prompt(record))
        ratings = parse_ratings(reply)
        if ratings is None:
            return Verdict.fail(f"the judge's reply is not a rating: {reply[:80]!r}", 0.5)
        score = sum(ratings.values()) / (5 * len(ratings))
        low = ", ".join(f"{name} {value}/5" for name, value in ratings.items() if value < 3)
        if score >= JUDGE_PASS:
            return Verdict(True, score, f"rubric {score:.0%}" + (f" (low: {low})" if low else ""))
        return Verdict.fail(f"rubric {score:.0%}; low: {low}", score)


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


def judge_agreement(judge: Callable[[Record], Verdict | None], golds: Sequence[dict[str, Any]]) -> float:
    """The share of gold records the judge passes: a judge that fails the golds is miscalibrated."""
    if not golds:
        return 0.0
    verdicts = [judge(parse_record(gold)) for gold in golds]
    return sum(1 for v in verdicts if v is not None and v.passed) / len(golds)


def make_judge(llm_base_url: str) -> RubricJudge:
    """The judge over the configured LLM endpoint."""
    if not llm_base_url:
        raise ConfigError("--judge needs an LLM endpoint: set [llm] base_url and model in goldmine.toml")
    raise ConfigError(
        "--judge needs goldmine's LLM client, which this build does not include yet: run the assay without --judge"
    )


def assay_pending(warehouse: Warehouse, run_id: str, settings: Settings) -> dict[str, Any]:
    """The assay stage: check every pending candidate and return the counts for ``runs.counts``."""
    judge = make_judge(settings.llm.base_url) if settings.assay.judge else None
    pending = warehouse.scalar("SELECT count(*) FROM candidates WHERE status = 'pending'")
    with progress_bar("assaying", pending) as advance:
        summary = assay(warehouse, run_id, settings=assay_settings(settings.assay), judge=judge, progress=advance)
    counts: dict[str, Any] = {
        "accepted": summary.accepted,
        "rejected": summary.rejected,
        "failures": dict(summary.failures),
        "near_duplicate_clusters": summary.clusters,
        "duplicates": summary.duplicates,
        "contaminated": summary.contaminated,
        "splits": summary.splits,
    }
    if judge is not None:
        counts["judge_gold_agreement"] = judge_agreement(judge, gold_records())
    return counts
