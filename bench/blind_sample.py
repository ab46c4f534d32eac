"""Draw a stratified random sample of accepted records for a blind review, and mix samples into
batches for the reviewers.

    uv run python bench/blind_sample.py sample --workspace /tmp/ws/flask --size 60 \
        --out /tmp/review/flask-new
    uv run python bench/blind_sample.py batches --out /tmp/review/flask --batches 3 \
        new=/tmp/review/flask-new/sample.jsonl old=/tmp/review/flask-old/sample.jsonl

``sample`` writes ``sample.jsonl`` (one record per line, with its number, family, language and
commit) and ``sample.md`` (the same records numbered, as a reviewer reads them). Strata are (family,
language); each gets a share of the sample proportional to its size (at least one record), drawn
with a fixed seed so the same workspace gives the same sample.

``batches`` shuffles labelled samples together (fixed seed), numbers them and splits them into
``batch-N.md`` files a reviewer reads without knowing which drafter made what; ``key.jsonl``
keeps each number's label, candidate id and record for scoring afterwards (not for reviewers).
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
WHERE c.status = 'accepted' AND c.record->>'kind' = ? AND c.drafter LIKE ?
ORDER BY c.id
"""


def accepted(workspace: Path, kind: str, drafter: str = "") -> list[dict[str, Any]]:
    """Every accepted record of ``kind`` in the workspace (by a drafter whose name starts with
    ``drafter``), with its family and commit."""
    with duckdb.connect(str(workspace / "goldmine.duckdb"), read_only=True) as db:
        rows = db.execute(_QUERY, [kind, f"{drafter}%"]).fetchall()
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


def mixed(inputs: list[tuple[str, Path]], seed: int) -> list[dict[str, Any]]:
    """All rows of the inputs, labelled, shuffled and numbered from 1."""
    rows = []
    for label, path in inputs:
        for line in path.read_text(encoding="utf-8").splitlines():
            rows.append({**json.loads(line), "label": label})
    random.Random(seed).shuffle(rows)
    return [{**row, "number": n} for n, row in enumerate(rows, 1)]


def write_batches(rows: list[dict[str, Any]], out: Path, batches: int) -> None:
    """``key.jsonl`` and ``batch-N.md`` files of about equal size."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "key.jsonl").open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    size = -(-len(rows) // batches)
    for index in range(batches):
        batch = rows[index * size : (index + 1) * size]
        (out / f"batch-{index + 1}.md").write_text(as_markdown(batch), encoding="utf-8")
        print(f"batch-{index + 1}.md: records {batch[0]['number']}-{batch[-1]['number']}")


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if total == 0:
        return (0.0, 0.0)
    share = successes / total
    centre = share + z * z / (2 * total)
    margin = z * ((share * (1 - share) + z * z / (4 * total)) / total) ** 0.5
    scale = 1 + z * z / total
    return (max(0.0, (centre - margin) / scale), min(1.0, (centre + margin) / scale))


def scored(key: Path, verdicts: list[Path]) -> list[dict[str, Any]]:
    """Each reviewed row of ``key`` with the reviewer's verdict, tags and note."""
    given: dict[int, dict[str, Any]] = {}
    for path in verdicts:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                verdict = json.loads(line)
                given[int(verdict["number"])] = verdict
    rows = [json.loads(line) for line in key.read_text(encoding="utf-8").splitlines()]
    return [{**row, "review": given[row["number"]]} for row in rows if row["number"] in given]


def summary(rows: list[dict[str, Any]], by: str) -> list[str]:
    """ACCEPT / EDIT / REJECT counts with the Wilson interval of ACCEPT, per value of ``by``."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row.get(by) or row["record"].get(by, ""))].append(row)
    lines = [
        "| " + by + " | n | ACCEPT | EDIT | REJECT | ACCEPT 95% CI |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for value, group in sorted(groups.items()):
        counts = {
            v: sum(r["review"]["verdict"] == v for r in group) for v in ("ACCEPT", "EDIT", "REJECT")
        }
        low, high = wilson(counts["ACCEPT"], len(group))
        accepted, edited, rejected = counts["ACCEPT"], counts["EDIT"], counts["REJECT"]
        lines.append(
            f"| {value} | {len(group)} | {accepted} | {edited} | {rejected} "
            f"| {low:.0%}–{high:.0%} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample_command = commands.add_parser("sample", help="a stratified sample of one workspace")
    sample_command.add_argument("--workspace", type=Path, required=True)
    sample_command.add_argument("--size", type=int, default=60)
    sample_command.add_argument("--kind", default="instruction")
    sample_command.add_argument("--lang", default="", help="only records in this language")
    sample_command.add_argument("--drafter", default="", help="only records of this drafter")
    batches_command = commands.add_parser("batches", help="labelled samples mixed into batches")
    batches_command.add_argument("--batches", type=int, default=1)
    batches_command.add_argument("inputs", nargs="+", help="label=path/to/sample.jsonl")
    for command in (sample_command, batches_command):
        command.add_argument("--seed", type=int, default=20261203)
        command.add_argument("--out", type=Path, required=True)
    score_command = commands.add_parser("score", help="verdicts joined with the key, summed up")
    score_command.add_argument("--key", type=Path, required=True)
    score_command.add_argument("verdicts", nargs="+", type=Path)
    score_command.add_argument("--by", default="label,family")
    arguments = parser.parse_args()
    if arguments.command == "score":
        rows = scored(arguments.key, arguments.verdicts)
        for by in arguments.by.split(","):
            print("\n".join(summary(rows, by)) + "\n")
        return
    if arguments.command == "batches":
        inputs = [(item.split("=", 1)[0], Path(item.split("=", 1)[1])) for item in arguments.inputs]
        write_batches(mixed(inputs, arguments.seed), arguments.out, arguments.batches)
        return
    rows = accepted(arguments.workspace, arguments.kind, arguments.drafter)
    rows = [r for r in rows if not arguments.lang or r["record"]["lang"] == arguments.lang]
    sample = stratified(rows, arguments.size, arguments.seed)
    arguments.out.mkdir(parents=True, exist_ok=True)
    with (arguments.out / "sample.jsonl").open("w", encoding="utf-8") as file:
        for row in sample:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    (arguments.out / "sample.md").write_text(as_markdown(sample), encoding="utf-8")
    print(f"{len(sample)} records -> {arguments.out}/sample.md")


if __name__ == "__main__":
    main()
