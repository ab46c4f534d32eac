"""Human review verdicts: accept, reject with reasons, or edit — one ``reviews`` row each.

A verdict is written the moment it is given, so closing the browser loses nothing. The latest
verdict per candidate counts (the export reads it the same way). An edit is stored as a new
version in ``reviews.edited_record``; the drafted record in ``candidates`` is never changed.
Text a reviewer types passes through the same redaction as mined text, so an edit cannot bring a
secret or an e-mail address into the warehouse or an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from warehouse.errors import InvalidVerdict
from warehouse.ids import stable_id
from warehouse.outcomes import ReviewVerdict
from warehouse.records import AgentRecord, InstructionRecord, parse_record
from warehouse.redacted_code import spared_record
from warehouse.redaction import redact
from warehouse.store import Warehouse

VERDICTS = tuple(ReviewVerdict)
# Reason tags a reviewer can give a rejection, with the words the page shows.
REASONS: dict[str, str] = {
    "mismatch": "instruction/output mismatch",
    "not_over_specific": "not over-specific",
    "not_production_ready": "not production-ready",
    "wrong": "wrong",
    "leaks_data": "leaks data",
    "duplicate": "duplicate",
    "other": "other",
}
INSTRUCTION_FIELDS = ("system", "instruction", "input", "output")
# The latest review of every reviewed candidate, as a whole row: arg_max_null keeps a later
# verdict's NULLs (a plain arg_max would keep an earlier edit's record under a later accept).
LATEST_REVIEWS = (
    "SELECT candidate_id, arg_max_null(verdict, created_at) AS verdict, arg_max_null(reasons, "
    "created_at) AS reasons, "
    "arg_max_null(note, created_at) AS note, arg_max_null(edited_record, created_at) AS "
    "edited_record, "
    "arg_max_null(reviewer, created_at) AS reviewer, max(created_at) AS reviewed_at FROM reviews "
    "GROUP BY candidate_id"
)


# Candidates the assay found leaking data or copying the eval set, or that teach a change the
# project later reverted or fixed (warehouse/selection/history.py): no reviewer may bring them back.
UNSAFE = (
    "EXISTS (SELECT 1 FROM checks k WHERE k.candidate_id = c.id AND NOT k.passed "
    "AND k.\"check\" IN ('secrets', 'contamination', 'history', 'verification'))"
)


@dataclass(frozen=True, slots=True)
class VerdictGiven:
    """One verdict as a reviewer gave it. ``nonce`` identifies the form, so a double submit
    stores one row."""

    candidate_id: str
    verdict: str
    reviewer: str
    nonce: str
    reasons: tuple[str, ...] = ()
    note: str = ""
    edited_record: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """The latest verdict on a candidate."""

    verdict: str
    reasons: tuple[str, ...]
    note: str
    edited_record: str | None
    reviewer: str
    created_at: datetime


def record_verdict(warehouse: Warehouse, given: VerdictGiven, key: bytes) -> str:
    """Validate a verdict, redact any text it brings, and store it; return the review id."""
    _validate(given)
    review_id = stable_id("review", given.candidate_id, given.verdict, given.nonce)
    edited_json: str | None = None
    findings: list[dict[str, Any]] = []
    if given.verdict == ReviewVerdict.EDITED:
        assert given.edited_record is not None  # checked by _validate
        edited_json = _redacted_record(
            given.edited_record, key, f"reviews:{review_id}:edited_record", findings
        )
    warehouse.insert(
        "reviews",
        [
            {
                "id": review_id,
                "candidate_id": given.candidate_id,
                "verdict": given.verdict,
                "reasons": list(given.reasons),
                "note": given.note.strip() or None,
                "edited_record": edited_json,
                "reviewer": given.reviewer,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    warehouse.insert("secret_findings", findings)
    return review_id


def _validate(given: VerdictGiven) -> None:
    if given.verdict not in VERDICTS:
        raise InvalidVerdict(f"unknown verdict {given.verdict!r}: use one of {', '.join(VERDICTS)}")
    unknown = sorted(set(given.reasons) - set(REASONS))
    if unknown:
        raise InvalidVerdict(
            f"unknown rejection reason {unknown[0]!r}: use one of {', '.join(REASONS)}"
        )
    if given.verdict == ReviewVerdict.REJECTED and not given.reasons:
        raise InvalidVerdict(
            "a rejection needs at least one reason: tick the one that fits (or 'other' with a note)"
        )
    if "other" in given.reasons and not given.note.strip():
        raise InvalidVerdict("the reason 'other' needs a note saying what is wrong")
    if given.verdict == ReviewVerdict.EDITED and given.edited_record is None:
        raise InvalidVerdict("an edit needs the edited record")


def _redacted_record(
    record: dict[str, Any], key: bytes, location: str, findings: list[dict[str, Any]]
) -> str:
    """The record with every string redacted, validated against the record contract, as JSON."""
    cleaned = _redact_strings(record, key, location, findings)
    try:
        parsed = parse_record(cleaned)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        raise InvalidVerdict(
            f"the edited record is not valid at {where}: {first['msg']}; fix it, then save"
        ) from None
    spared = spared_record(parsed)  # a secret typed into code: a neutral value, or no edit
    if isinstance(spared, str):
        raise InvalidVerdict(
            f"the edit puts a secret into the record's code ({spared}); take it out, then save"
        )
    return spared.model_dump_json()


def _redact_strings(value: Any, key: bytes, location: str, findings: list[dict[str, Any]]) -> Any:
    if isinstance(value, str):
        text, found = redact(value, key)
        findings += [
            {
                "id": stable_id(location, f.kind, f.value_hash),
                "location": location,
                "kind": f.kind,
                "value_hash": f.value_hash,
                "run_id": "review",
            }
            for f in found
        ]
        return text
    if isinstance(value, Mapping):
        return {k: _redact_strings(v, key, location, findings) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v, key, location, findings) for v in value]
    return value


def edited_instruction(original: InstructionRecord, fields: Mapping[str, str]) -> dict[str, Any]:
    """An instruction record with the edited text fields replaced (line endings normalised)."""
    data = original.model_dump()
    for name in INSTRUCTION_FIELDS:
        if name in fields:
            data[name] = fields[name].replace("\r\n", "\n")
    return data


def edited_agent(original: AgentRecord, conversation_json: str) -> dict[str, Any]:
    """An agent record whose conversation is replaced by the edited JSON."""
    try:
        conversation = json.loads(conversation_json)
    except json.JSONDecodeError as error:
        raise InvalidVerdict(
            f"the edited conversation is not JSON (line {error.lineno}: {error.msg})"
        ) from None
    return {**original.model_dump(), "conversation": conversation}


def latest_verdicts(warehouse: Warehouse, candidate_ids: Iterable[str]) -> dict[str, StoredVerdict]:
    """The latest verdict per candidate, for the candidates that have one."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = warehouse.query(
        "SELECT candidate_id, verdict, reasons, note, edited_record, reviewer, reviewed_at FROM "
        f"({LATEST_REVIEWS}) "
        "WHERE candidate_id IN (SELECT unnest(?))",
        [ids],
    ).rows
    return {
        row[0]: StoredVerdict(
            row[1], tuple(row[2] or ()), row[3] or "", row[4], row[5] or "", row[6]
        )
        for row in rows
    }
