"""The ``llm_calls`` table: every LLM request with its reply, usage, cost, latency and error.

A call's id is the hash of its request payload (model, messages, sampling options, response
format), so the table doubles as a response cache: a payload that already has a successful reply
is replayed from here and never paid for twice. A call that failed (after its retries) keeps its
row, with the error, until a later run gets a reply for the same payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warehouse.ids import stable_id
from warehouse.store import Warehouse


def call_id(payload: dict[str, Any]) -> str:
    """The id of a request: a hash of everything that decides its reply."""
    return stable_id("llm-call", payload)


@dataclass(frozen=True, slots=True)
class LLMCall:
    """One request's final outcome, as stored."""

    id: str
    endpoint: str
    model: str
    request: dict[str, Any]
    reply: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    latency_ms: float
    error: str | None
    run_id: str
    attempts: int
    purpose: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> dict[str, Any]:
        """The ``llm_calls`` row."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "model": self.model,
            "request": json.dumps(self.request, ensure_ascii=False, sort_keys=True),
            "reply": self.reply,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "run_id": self.run_id,
            "attempts": self.attempts,
            "purpose": self.purpose,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class RecordedReply:
    """A successful reply found in ``llm_calls``."""

    reply: str
    prompt_tokens: int | None
    completion_tokens: int | None


def recorded_reply(warehouse: Warehouse, id_: str) -> RecordedReply | None:
    """The stored reply of a call that succeeded, or None (never called, or it failed)."""
    replies = warehouse.query(
        "SELECT reply, prompt_tokens, completion_tokens FROM llm_calls "
        "WHERE id = ? AND error IS NULL",
        [id_],
    ).rows_as(RecordedReply)
    return replies[0] if replies else None


def record_call(warehouse: Warehouse, call: LLMCall) -> None:
    """Store a call's outcome. It replaces an earlier failure of the same payload (the latest
    outcome is the one worth reading), never a stored reply (the insert ignores an existing id)."""
    warehouse.execute("DELETE FROM llm_calls WHERE id = ? AND error IS NOT NULL", [call.id])
    warehouse.insert("llm_calls", [call.row()])


def run_cost(warehouse: Warehouse, run_id: str) -> float:
    """What a run's calls cost, in US dollars."""
    return float(
        warehouse.scalar(
            "SELECT coalesce(sum(cost_usd), 0) FROM llm_calls WHERE run_id = ?", [run_id]
        )
    )
