"""Draw a stratified random sample of accepted records for a blind review.

    uv run python bench/blind_sample.py --workspace /tmp/ws/flask --size 60 --out /tmp/review/flask

writes ``sample.jsonl`` (one record per line, with its number, family, language and commit) and
``sample.md`` (the same records numbered, as a reviewer reads them). Strata are (family,
language); each gets a share of the sample proportional to its size (at least one record), drawn
with a fixed seed so the same workspace gives the same sample.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

_QUERY = """
SELECT c.id, t.family, c.record, coalesce(cm.sha, '') AS sha
FROM candidates c JOIN tasks t ON t.id = c.task_id LEFT JOIN commits cm ON cm.id = t.commit_id
WHERE c.status = 'accepted' AND c.record->>'kind' = ?
ORDER BY c.id
"""


def accepted(workspace: Path, kind: str) -> list[dict[str, Any]]:
    """Every accepted record of ``kind`` in the workspace, with its family and commit."""
    with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as db:
        rows = db.execute(_QUERY, [kind]).fetchall()
    return [
        {"candidate_id": cid, "family": family, "sha": sha, "record": json.loads(record)}
        for cid, family, record, sha in rows
    ]


def stratified(rows: list[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    """``size`` rows, each (family, language) stratum represented in proportion to its size."""
    strata: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        strata[(row["family"], row["record"]["lang"])].append(row)
    if size >= len(rows):
        chosen = list(rows)
    else:
        generator = random.Random(seed)
        shares = {
            key: max(1, round(size * len(group) / len(rows))) for key, group in strata.items()
        }
        while sum(shares.values()) > size:
            largest = max(shares, key=lambda key: shares[key])
            shares[largest] -= 1
        chosen = []
        for key in sorted(strata):
            chosen += generator.sample(strata[key], min(shares[key], len(strata[key])))
    random.Random(seed).shuffle(chosen)
    return [{"number": n, **row} for n, row in enumerate(chosen, 1)]


def as_markdown(sample: list[dict[str, Any]]) -> str:
    """The sample as a reviewer reads it: numbered records with their commit."""
    parts = []
    for row in sample:
        record = row["record"]
        head = (
            f"## Record {row['number']} · {row['family']} · {record['lang']} · commit "
            f"{row['sha'][:12]}"
        )
        body = [f"### instruction\n\n{record.get('instruction', '')}"]
        if record.get("input"):
            body.append(f"### input\n\n{record['input']}")
        body.append(f"### output\n\n{record.get('output', '')}")
        parts.append("\n\n".join([head, *body]))
    return "\n\n---\n\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--kind", default="instruction")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    sample = stratified(
        accepted(arguments.workspace, arguments.kind), arguments.size, arguments.seed
    )
    arguments.out.mkdir(parents=True, exist_ok=True)
    with (arguments.out / "sample.jsonl").open("w", encoding="utf-8") as file:
        for row in sample:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    (arguments.out / "sample.md").write_text(as_markdown(sample), encoding="utf-8")
    print(f"{len(sample)} records → {arguments.out}/sample.md")


if __name__ == "__main__":
    main()
