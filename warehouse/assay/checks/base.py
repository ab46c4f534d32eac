"""What a check is and what it answers: the vocabulary every assay module shares.

A check answers one question about one record and returns a :class:`Verdict` (passed, a 0–1
sub-score, and a detail a person can act on), or None when the question does not apply to that
record (numbered requirements of an agent trajectory, say). A *hard* check rejects on failure; a
soft one only lowers the score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from warehouse.records import Record


@dataclass(frozen=True, slots=True)
class Verdict:
    """One check's answer for one candidate."""

    passed: bool
    score: float
    detail: str

    @classmethod
    def ok(cls, detail: str = "ok") -> Verdict:
        """A pass with the full sub-score."""
        return cls(True, 1.0, detail)

    @classmethod
    def fail(cls, detail: str, score: float = 0.0) -> Verdict:
        """A failure, with whatever partial sub-score the record earned."""
        return cls(False, max(0.0, min(1.0, score)), detail)


@dataclass(frozen=True, slots=True)
class Check:
    """A named question asked of every record.

    ``run`` reads the validated record (skipped when the record fails the schema); ``run_raw``
    reads the raw JSON object, so it answers even for a record that does not validate.
    """

    name: str
    run: Callable[[Record], Verdict | None] | None = None
    run_raw: Callable[[dict[str, Any]], Verdict | None] | None = None
    weight: float = 1.0
    hard: bool = True

    def verdict(self, raw: dict[str, Any], record: Record | None) -> Verdict | None:
        """This check's verdict on one record, or None when it does not apply."""
        if self.run_raw is not None:
            return self.run_raw(raw)
        if record is None or self.run is None:
            return None
        return self.run(record)
