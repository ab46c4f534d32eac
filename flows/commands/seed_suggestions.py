"""Draft gold seeds from the project's own best records: the seed's first step, made easier.

"Pick the 10 most representative tasks of your project and hand-write 10 perfect records."
:func:`suggest_seeds` picks accepted candidates spread over kinds, task families, polarities,
languages and top-level modules — best assay score first within each — and writes them as seed
files with a ``meta`` block saying where each came from, for a person to polish.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class Choice:
    """An accepted candidate considered as a seed, with the traits that make a set diverse."""

    candidate_id: str
    record: dict[str, Any]
    score: float
    traits: tuple[str, ...]


def suggest_seeds(warehouse: Warehouse, count: int, target: Path) -> list[Path]:
    """Write up to ``count`` draft seed files into ``target``; return their paths."""
    chosen = pick_diverse(_choices(warehouse), count)
    target.mkdir(parents=True, exist_ok=True)
    return [_write(target, number, choice) for number, choice in enumerate(chosen, start=1)]


def _choices(warehouse: Warehouse) -> list[Choice]:
    rows = warehouse.query(
        "SELECT c.id, c.record, c.score, t.polarity FROM candidates c JOIN tasks t ON t.id = "
        "c.task_id "
        "WHERE c.status = 'accepted' ORDER BY c.score DESC, c.id"
    ).rows
    choices = []
    for candidate_id, record_json, score, polarity in rows:
        record = json.loads(record_json)
        module = next(iter(record["provenance"].get("paths") or ["."])).split("/", 1)[0]
        traits = (
            f"kind:{record['kind']}",
            f"type:{record['task_type']}",
            f"polarity:{polarity}",
            f"lang:{record['lang']}",
            f"module:{module}",
        )
        choices.append(Choice(candidate_id, record, float(score or 0), traits))
    return choices


def pick_diverse(choices: Iterable[Choice], count: int) -> list[Choice]:
    """Greedy: each pick covers the traits seen least so far; the better score wins a tie."""
    pool = list(choices)
    seen: Counter[str] = Counter()
    picked: list[Choice] = []
    while pool and len(picked) < count:
        best = min(pool, key=lambda c: (sum(seen[t] for t in c.traits), -c.score, c.candidate_id))
        picked.append(best)
        seen.update(best.traits)
        pool.remove(best)
    return picked


def _write(target: Path, number: int, choice: Choice) -> Path:
    record = dict(choice.record)
    slug = _slug(record)
    record["id"] = f"draft-{number:02d}-{slug}"
    meta = {
        "demonstrates": f"{record['task_type']} ({record['kind']}, {record['lang']}) from "
        f"{_origin(record)}",
        "template": record["task_type"],
        "why_gold": "DRAFT — suggested by goldmine (assay score "
        f"{choice.score:g}); read it, fix what is wrong or thin, then state here why it is gold",
        "suggested_from": choice.candidate_id,
    }
    path = target / f"{number:02d}-{slug}.json"
    path.write_text(
        json.dumps({"meta": meta, **record}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path


def _slug(record: dict[str, Any]) -> str:
    names = (
        record["provenance"].get("symbols")
        or record["provenance"].get("paths")
        or [record["task_type"]]
    )
    words = re.findall(r"[a-z0-9]+", f"{record['task_type']} {names[0]}".lower())
    return "-".join(words)[:48] or "record"


def _origin(record: dict[str, Any]) -> str:
    provenance = record["provenance"]
    commits = ", ".join(sha[:10] for sha in provenance.get("commits", []))
    tickets = ", ".join(provenance.get("tickets", []))
    return (
        "; ".join(part for part in (f"commit {commits}" if commits else "", tickets) if part)
        or "the warehouse"
    )
