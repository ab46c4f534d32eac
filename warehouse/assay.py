"""The assay: every pending candidate is checked, scored, and accepted or rejected with its reasons.

A check answers one question about one record and returns a :class:`Verdict` (passed, a 0–1
sub-score, and a detail a person can act on). A *hard* check rejects on failure; a soft one only
lowers the score. The runner writes one ``checks`` row per verdict, so "why was this rejected"
and "which check rejects most" are SQL queries.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from warehouse.ids import content_hash
from warehouse.records import AgentRecord, InstructionRecord, parse_record
from warehouse.store import Warehouse, in_chunks

ASSAY_VERSION = "assay-1"
Record = InstructionRecord | AgentRecord


@dataclass(frozen=True, slots=True)
class Verdict:
    """One check's answer for one candidate."""

    passed: bool
    score: float
    detail: str

    @classmethod
    def ok(cls, detail: str = "ok") -> Verdict:
        return cls(True, 1.0, detail)

    @classmethod
    def fail(cls, detail: str, score: float = 0.0) -> Verdict:
        return cls(False, score, detail)


@dataclass(frozen=True, slots=True)
class Check:
    """A named question asked of every record."""

    name: str
    run: Callable[[Record], Verdict]
    weight: float = 1.0
    hard: bool = True


@dataclass(slots=True)
class AssaySummary:
    """Counts of one assay pass."""

    accepted: int = 0
    rejected: int = 0
    failures: Counter[str] = field(default_factory=Counter)


_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_META_TALK = re.compile(
    r"(?i)\bas an ai\b|\bas a (?:large )?language model\b|\bI(?:'m| am) (?:sorry|unable)\b|"
    r"\bI can(?:not|'t) (?:help|assist)\b|\bhere is an example\b|^\s*(?:sure|certainly)[!,.]|"
    r"作为(?:一个)?(?:AI|人工智能|语言模型)|我无法(?:帮助|协助)"
)
_NUMBERED = re.compile(r"^\s*\d+[.)、]\s+\S", re.MULTILINE)
_ROLE = re.compile(
    r"(?i)\byou(?:'re| are) (?:a|an|the|joining|working|part)\b|\byou (?:maintain|work on|own|run|support)\b|"
    r"你是|你负责|你正在|作为一名"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _texts(record: Record) -> list[str]:
    if isinstance(record, InstructionRecord):
        return [record.instruction, record.input, record.output]
    texts = [record.system]
    for turn in record.conversation:
        content = turn.content
        texts.append(content if isinstance(content, str) else json.dumps(content.model_dump(), ensure_ascii=False))
    return texts


def _answer(record: Record) -> str:
    if isinstance(record, InstructionRecord):
        return record.output
    last = record.conversation[-1].content
    return getattr(last, "final_answer", None) or ""


def _prompt(record: Record) -> str:
    if isinstance(record, InstructionRecord):
        return record.instruction
    first = record.conversation[0].content
    return first if isinstance(first, str) else ""


def check_length(record: Record) -> Verdict:
    prompt, answer = _prompt(record), _answer(record)
    shortest = 40 if isinstance(record, InstructionRecord) else 8  # a user may ask an agent briefly
    if len(prompt) < shortest:
        return Verdict.fail(f"instruction too short ({len(prompt)} characters; at least {shortest})")
    if len(answer) < 20:
        return Verdict.fail(f"output too short ({len(answer)} characters; at least 20)")
    longest = max(len(text) for text in _texts(record))
    if longest > 40_000:
        return Verdict.fail(f"a field is too long ({longest} characters; at most 40000)")
    return Verdict.ok(f"instruction {len(prompt)}, output {len(answer)} characters")


def check_fences(record: Record) -> Verdict:
    for text in _texts(record):
        if len(_FENCE.findall(text)) % 2:
            return Verdict.fail("a code fence is opened and never closed")
    return Verdict.ok()


def check_repetition(record: Record) -> Verdict:
    answer = _answer(record)
    lines = [line.strip() for line in answer.splitlines() if len(line.strip()) >= 20]
    if lines:
        line, repeats = Counter(lines).most_common(1)[0]
        if repeats >= 4 and repeats / len(lines) >= 0.3:
            return Verdict.fail(f"the output repeats one line {repeats} times: {line[:60]!r}")
    if len(answer) > 1_000:
        ratio = len(zlib.compress(answer.encode("utf-8"))) / len(answer.encode("utf-8"))
        if ratio < 0.1:
            return Verdict.fail(f"the output loops (compresses to {ratio:.0%} of its size)")
    return Verdict.ok()


def check_meta_talk(record: Record) -> Verdict:
    match = _META_TALK.search(_answer(record))
    if match:
        return Verdict.fail(f"the output talks about itself or refuses: {match.group(0)!r}")
    return Verdict.ok()


def check_language(record: Record) -> Verdict:
    prose = _FENCE.split(_prompt(record))[0]
    has_chinese = bool(_CJK.search(prose))
    if record.lang == "zh" and not has_chinese:
        return Verdict.fail("lang is zh but the instruction has no Chinese text")
    if record.lang == "en" and len(_CJK.findall(prose)) > len(prose) * 0.2:
        return Verdict.fail("lang is en but the instruction is mostly Chinese")
    return Verdict.ok()


def check_role_context(record: Record) -> Verdict:
    if _ROLE.search(record.system + "\n" + _prompt(record)):
        return Verdict.ok("states a role")
    return Verdict.fail("no role or context (e.g. 'You are a … working on …')", 0.3)


def check_numbered_requirements(record: Record) -> Verdict:
    if isinstance(record, AgentRecord):
        return Verdict.ok("not required of agent records")
    count = len(_NUMBERED.findall(record.instruction))
    if count >= 2:
        return Verdict.ok(f"{count} numbered requirements")
    return Verdict.fail("fewer than two numbered requirements", 0.3)


DEFAULT_CHECKS: tuple[Check, ...] = (
    Check("length", check_length),
    Check("code_fences", check_fences),
    Check("repetition", check_repetition),
    Check("meta_talk", check_meta_talk),
    Check("language", check_language),
    Check("role_context", check_role_context, weight=2.0, hard=False),
    Check("numbered_requirements", check_numbered_requirements, weight=2.0, hard=False),
)


def normalised_text_hash(record: Record) -> str:
    """A hash of the record's text with case and whitespace normalised (exact-duplicate key)."""
    text = "\n".join(_texts(record)).lower()
    return content_hash(re.sub(r"\s+", " ", text).strip())


def evaluate(record_json: str, checks: Sequence[Check] = DEFAULT_CHECKS) -> tuple[dict[str, Verdict], Record | None]:
    """All verdicts for one record; a record that fails the schema gets only that verdict."""
    try:
        record = parse_record(record_json)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return {"schema": Verdict.fail(f"{where}: {first['msg']}")}, None
    verdicts = {"schema": Verdict.ok()}
    for check in checks:
        verdicts[check.name] = check.run(record)
    return verdicts, record


def composite_score(verdicts: dict[str, Verdict], checks: Sequence[Check] = DEFAULT_CHECKS) -> float:
    """The weighted mean of the sub-scores, 0–100."""
    weights = {c.name: c.weight for c in checks} | {"schema": 1.0, "exact_duplicate": 1.0}
    total = sum(weights.get(name, 1.0) for name in verdicts)
    return round(100 * sum(weights.get(n, 1.0) * v.score for n, v in verdicts.items()) / total, 1)


def assay(
    warehouse: Warehouse,
    run_id: str,
    *,
    min_score: float = 60.0,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    progress: Callable[[int], None] | None = None,
) -> AssaySummary:
    """Check every pending candidate; write ``checks`` rows and each candidate's status and score."""
    hard = {c.name for c in checks if c.hard} | {"schema", "exact_duplicate"}
    known = _accepted_hashes(warehouse)
    summary = AssaySummary()
    pending = warehouse.query(
        "SELECT id, record, text_hash FROM candidates WHERE status = 'pending' ORDER BY created_at, id"
    ).rows
    for chunk in in_chunks(pending, 1_000):
        check_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for candidate_id, record_json, text_hash in chunk:
            verdicts, _ = evaluate(record_json, checks)
            verdicts["exact_duplicate"] = _duplicate_verdict(text_hash, known)
            score = composite_score(verdicts, checks)
            failed = sorted(name for name, v in verdicts.items() if not v.passed and name in hard)
            accepted = not failed and score >= min_score
            if accepted:
                known.add(text_hash)
                summary.accepted += 1
            else:
                summary.rejected += 1
                summary.failures.update(failed or ["min_score"])
            updates.append({"id": candidate_id, "status": "accepted" if accepted else "rejected", "score": score})
            check_rows += _check_rows(candidate_id, verdicts, run_id)
        warehouse.insert("checks", check_rows)
        _update_candidates(warehouse, updates)
        if progress is not None:
            progress(len(chunk))
    return summary


def _accepted_hashes(warehouse: Warehouse) -> set[str]:
    rows = warehouse.query("SELECT text_hash FROM candidates WHERE status = 'accepted'").rows
    return {row[0] for row in rows}


def _duplicate_verdict(text_hash: str, known: set[str]) -> Verdict:
    if text_hash in known:
        return Verdict.fail("the same text (ignoring case and spacing) is already accepted")
    return Verdict.ok()


def _check_rows(candidate_id: str, verdicts: dict[str, Verdict], run_id: str) -> Iterable[dict[str, Any]]:
    for name, verdict in verdicts.items():
        yield {
            "candidate_id": candidate_id,
            "check": name,
            "passed": verdict.passed,
            "score": verdict.score,
            "detail": verdict.detail,
            "run_id": run_id,
        }


def _update_candidates(warehouse: Warehouse, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    batch = pa.Table.from_pylist(updates)
    warehouse.connection.register("_goldmine_updates", batch)
    try:
        warehouse.execute(
            "UPDATE candidates SET status = u.status, score = u.score "
            "FROM _goldmine_updates u WHERE candidates.id = u.id"
        )
    finally:
        warehouse.connection.unregister("_goldmine_updates")
