"""Records from a fine-tuned model's failures (``warehouse/landing/feedback.py``), drafted in the
draft stage.

A ``correction`` becomes the record the model should have learned: the prompt it was given, as it
was given, and the expected answer. A ``counter_example`` becomes a review task: the prompt and the
model's answer, to be rejected for the reason the verdict gives. Both are instruction records in
the failure's own language, with the failure in their provenance; when the line names the goldmine
record its prompt came from, the facts that record was built from (repository, commits, paths)
are carried over. They wait for the assay like every other candidate.
"""

from __future__ import annotations

import json
from typing import Any

from flows.draft.drafting import candidate_row, spare_record
from flows.draft.extractive_instruction import DRAFTER
from flows.prompting import Phrasebook
from warehouse.ids import stable_id
from warehouse.landing.feedback import FEEDBACK_SELECTOR
from warehouse.outcomes import Skip
from warehouse.records import FeedbackRef, InstructionRecord, Lang, Provenance, parse_record
from warehouse.store import Warehouse

REVIEW_TEMPLATE = "extractive/feedback_to_review.{lang}.md.j2"
CORRECTION_TEMPLATE = (
    "feedback/expected-answer@1"  # no template: the prompt and the answer as given
)

_PENDING = f"""
SELECT t.id, t.family, f.id, f.round, f.file, f.line, f.prompt, f.model_output, f.expected,
       f.verdict, f.record_id, f.meta
FROM tasks t JOIN feedback f ON f.id = json_extract_string(t.facts, '$.feedback_id')
WHERE t.selector_version = '{FEEDBACK_SELECTOR}' AND t.status = 'selected'
  AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.task_id = t.id AND c.drafter = '{DRAFTER}')
ORDER BY t.id
"""


def draft_feedback(warehouse: Warehouse, run_id: str) -> int:
    """Draft a record from every feedback task that has none yet; return how many were stored."""
    rows = [feedback_record(warehouse, *row) for row in warehouse.query(_PENDING).rows]
    # A placeholder the record cannot spare stays, and the assay's secrets check rejects it.
    spared = [(r, spare_record(r)) for r in rows]
    return warehouse.insert(
        "candidates",
        [candidate_row(s if not isinstance(s, Skip) else r, run_id) for r, s in spared],
    )


def feedback_record(
    warehouse: Warehouse,
    task_id: str,
    family: str,
    feedback_id: str,
    round_: int,
    file: str,
    line: int,
    prompt: str,
    answer: str,
    expected: str | None,
    verdict: str | None,
    record_id: str | None,
    meta_json: str,
) -> InstructionRecord:
    """The record of one feedback task."""
    meta: dict[str, Any] = json.loads(meta_json or "{}")
    lang: Lang = "zh" if meta.get("lang") == "zh" else "en"
    origin = _origin(warehouse, record_id)
    if family == "correction" and expected:
        template, instruction, output = CORRECTION_TEMPLATE, prompt, expected
    else:
        phrases = Phrasebook(REVIEW_TEMPLATE.format(lang=lang))
        template = phrases.ref
        instruction = phrases.say("instruction", prompt=prompt, answer=answer)
        output = phrases.say("output", verdict=verdict or "")
    return InstructionRecord(
        id=stable_id(task_id, "instruction", lang, DRAFTER, template),
        task_type=family,
        lang=lang,
        system=str(meta.get("system") or "") if family == "correction" else "",
        instruction=instruction,
        output=output,
        provenance=Provenance(
            repo=origin.repo if origin else "",
            commits=origin.commits if origin else [],
            tickets=origin.tickets if origin else [],
            paths=origin.paths if origin else [],
            symbols=origin.symbols if origin else [],
            drafter=DRAFTER,
            template=template,
            task_id=task_id,
            feedback=FeedbackRef(id=feedback_id, round=round_, file=file, line=line),
        ),
    )


def _origin(warehouse: Warehouse, record_id: str | None) -> Provenance | None:
    """The provenance of the goldmine record a failing prompt came from, when it is stored."""
    if not record_id:
        return None
    stored = warehouse.scalar(
        "SELECT record FROM candidates WHERE id = ? AND record IS NOT NULL", [record_id]
    )
    return parse_record(stored).provenance if stored else None
