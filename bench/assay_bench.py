"""The assay over 100,000 candidates of a real history; near-duplicate detection side by side.

    uv run python bench/assay_bench.py --repo /path/to/a/clone/of/flask

1. Mines the repository and selects tasks (once; cached in the bench workspace).
2. Drafts candidates with goldmine's extractive drafter from every changed function or class of
   the history, in English and Chinese; then tops them up to ``--candidates`` with the kinds of
   copies a real corpus holds: the same record with other spacing, the same record with renamed
   identifiers, and damaged records (a looping output, a refusal, a truncated block). Cached
   per size.
3. Times the whole assay (every check, grounding, duplicates, writes, splits; no LLM judge).
4. Times near-duplicate detection alone, goldmine's (shingles → rensa MinHash → LSH banding →
   true Jaccard) against datasketch's pure-Python MinHash + MinHashLSH, on the same shingle sets
   in the same run; the signature and index stage is also timed on its own for both.

Results are appended to bench/results/assay.md (ignored by git); copy the table to bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import resource
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.draft.drafting import candidate_row
from flows.draft.extractive_instruction import draft
from miners.project_profile import ProjectProfile, read_profile
from warehouse.assay.near_duplicates import (
    DedupSettings,
    candidate_pairs,
    dedup_text,
    hashed,
    hashed_jaccard,
    plausible,
    shingles,
    signatures_of,
)
from warehouse.assay.runner import AssaySettings, AssaySummary, assay
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.records import InstructionRecord
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import TaskContext, code_unit
from warehouse.store import Warehouse, in_chunks

# A row of SYMBOLS as QueryResult.rows gives it (warehouse/store.py): whatever DuckDB returns.
SymbolRow = tuple[Any, ...]
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SYMBOLS = """
SELECT s.id, s.path, s.lang, s.qualified_name, s.kind, s.change, coalesce(s.before_code, ''),
       s.after_code, coalesce(s.doc, ''), c.id, c.sha, c.subject, c.body, c.committed_at,
       c.source_id, coalesce(s.signature, ''), s.details
FROM symbols s JOIN commits c ON c.id = s.commit_id
WHERE s.after_code IS NOT NULL AND len(split(s.after_code, chr(10))) <= 120
ORDER BY c.committed_at, s.id
"""


def prepare_base(repo: Path, base: Path) -> None:
    """Mine the repository and select its tasks into ``base`` (skipped when it exists)."""
    if base.exists():
        return
    started = time.perf_counter()
    with Warehouse(base) as warehouse:
        land_repository(warehouse, repo, "bench-mine", LandingOptions(key=b"bench" * 8))
        select_tasks(warehouse, "bench-mine")
    print(f"mined {repo} in {time.perf_counter() - started:.0f} s")


def build_candidates(base: Path, target: Path, count: int, seed: int = 7) -> dict[str, int]:
    """Copy ``base`` to ``target`` and fill it with ``count`` pending candidates; return the mix."""
    shutil.copy(base, target)
    rng = random.Random(seed)
    with Warehouse(target) as warehouse:
        rows = warehouse.query(SYMBOLS).rows
        location = warehouse.scalar("SELECT location FROM sources LIMIT 1")
        records = _drafted(rows, _profile(Path(location)), count)
        mix = {"drafted": len(records)}
        records += _copies(records, count - len(records), rng, mix)
        by_task = rows_by_task(rows)
        task_ids = sorted({r.provenance.task_id for r in records})
        warehouse.insert("tasks", [_task_row(task_id, by_task) for task_id in task_ids])
        for chunk in in_chunks(records, 5_000):
            warehouse.insert("candidates", [candidate_row(r, "bench-draft") for r in chunk])
    return mix


def rows_by_task(rows: list[SymbolRow]) -> dict[str, SymbolRow]:
    """Each symbol row under the task id the bench gives it."""
    return {f"bench-{row[0]}": row for row in rows}


def _task_row(task_id: str, rows: dict[str, SymbolRow]) -> dict[str, object]:
    row = rows[task_id]
    return {
        "id": task_id,
        "source_id": row[14],
        "commit_id": row[9],
        "family": "change",
        "polarity": "positive",
        "status": "selected",
        "reason": "bench",
        "facts": "{}",
        "selector_version": "bench",
        "run_id": "bench",
    }


def _profile(repo: Path) -> ProjectProfile:
    def read(path: str) -> bytes | None:
        done = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, check=False
        )
        return done.stdout if done.returncode == 0 else None

    return read_profile(read, repo.name)


def _drafted(rows: list[SymbolRow], profile: ProjectProfile, limit: int) -> list[InstructionRecord]:
    """A record per changed unit of the history and language (the drafter skips what it cannot
    use)."""
    records: list[InstructionRecord] = []
    for row in rows:
        context = _context(row, profile)
        for lang in ("en", "zh"):
            drafted = draft(context, lang)
            if isinstance(drafted, InstructionRecord):
                records.append(drafted)
        if len(records) >= limit:
            return records[:limit]
    return records


def _context(row: SymbolRow, profile: ProjectProfile) -> TaskContext:
    symbol_id, path, name = row[0], row[1], row[3]
    # as drafting reads it: with libcst's signature and decorators
    unit = code_unit((*row[:9], *row[15:17]))
    return TaskContext(
        task_id=f"bench-{symbol_id}",
        family="change",
        polarity="positive",
        source_name="flask",
        source_location="",
        commit_id=row[9],
        sha=row[10],
        subject=row[11],
        body=row[12] or f"Change {name} in {path}.",
        committed_at=row[13],
        profile=profile,
        units=(unit,),
        tests=(),
        tickets=(),
    )


def _copies(
    records: list[InstructionRecord], count: int, rng: random.Random, mix: dict[str, int]
) -> list[InstructionRecord]:
    """Copies a real corpus holds: respaced (exact duplicates), renamed (near), damaged
    (rejected)."""
    made = []
    for n in range(max(0, count)):
        original = records[rng.randrange(len(records))]
        kind = rng.choice(
            ("respaced", "renamed", "renamed", "looping", "refusal", "truncated", "respaced")
        )
        mix[kind] = mix.get(kind, 0) + 1
        made.append(
            original.model_copy(
                update={"id": f"{original.id}-{kind}-{n}", "output": _spoil(original.output, kind)}
            )
        )
    return made


def _spoil(output: str, kind: str) -> str:
    if kind == "respaced":
        return output.replace("\n\n", "\n \n")
    if kind == "renamed":
        names = sorted(set(re.findall(r"\b[a-z_][a-z0-9_]{3,}\b", output)))[:5]
        for name in names:
            output = re.sub(rf"\b{name}\b", f"{name}_x", output)
        return output
    if kind == "looping":
        tail = "\n".join(output.strip().split("\n")[-2:])
        return output + ("\n" + tail) * 10
    if kind == "refusal":
        return "As an AI language model, I cannot be sure, but here is the code:\n\n" + output
    return output[: output.find("```", 10) + max(40, len(output) // 3)]


def time_assay(database: Path) -> tuple[float, float, AssaySummary]:
    """Wall seconds and CPU seconds (this process and its workers) of the whole assay, and its
    summary."""
    with Warehouse(database) as warehouse:
        cpu = _cpu_seconds()
        started = time.perf_counter()
        summary = assay(warehouse, "bench-assay", settings=AssaySettings())
        return time.perf_counter() - started, _cpu_seconds() - cpu, summary


def _cpu_seconds() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_near_duplicates(database: Path, sample: int) -> dict[str, float]:
    """Seconds for goldmine's near-duplicate detection and datasketch's, on the same shingle
    sets."""
    from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

    with Warehouse(database, read_only=True) as warehouse:
        texts = [
            dedup_text(json.loads(row[0]))
            for row in warehouse.query("SELECT record FROM candidates").rows
        ]
    settings = DedupSettings()
    result: dict[str, float] = {"docs": len(texts)}
    started = time.perf_counter()
    sets = [shingles(text, settings) for text in texts]
    result["shingles_s"] = time.perf_counter() - started
    started = time.perf_counter()
    hashes = hashed(sets)
    matrix = signatures_of(hashes, settings)
    pairs = candidate_pairs(matrix, settings)
    result["goldmine_index_s"] = time.perf_counter() - started
    checked = plausible(pairs, matrix, settings).tolist()
    verified = sum(
        1 for a, b in checked if hashed_jaccard(hashes[a], hashes[b]) >= settings.threshold
    )
    result["goldmine_verify_s"] = time.perf_counter() - started - result["goldmine_index_s"]
    result["pairs"], result["checked"], result["verified"] = len(pairs), len(checked), verified
    chosen = sets[:: max(1, len(sets) // sample)][:sample]
    result["sample"] = len(chosen)
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    for n, shingle_set in enumerate(chosen):
        minhash = MinHash(num_perm=settings.num_perm, seed=1)
        minhash.update_batch([s.encode("utf-8") for s in shingle_set])
        lsh.query(minhash)
        lsh.insert(str(n), minhash)
    result["datasketch_sample_s"] = time.perf_counter() - started
    few = chosen[: max(1, len(chosen) // 10)]  # update() per token is slow: a tenth of the sample
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    for n, shingle_set in enumerate(few):
        minhash = MinHash(num_perm=settings.num_perm, seed=1)
        for shingle in shingle_set:
            minhash.update(shingle.encode("utf-8"))
        lsh.query(minhash)
        lsh.insert(str(n), minhash)
    result["datasketch_update_docs"], result["datasketch_update_s"] = (
        len(few),
        time.perf_counter() - started,
    )
    started = time.perf_counter()
    candidate_pairs(signatures_of(hashed(chosen), settings), settings)
    result["goldmine_sample_s"] = time.perf_counter() - started
    return result


def report(
    mix: dict[str, int],
    seconds: float,
    cpu: float,
    load: str,
    summary: AssaySummary,
    near: dict[str, float],
) -> str:
    """A Markdown section with the numbers."""
    docs, sample = near["docs"], near["sample"]
    shingle_rate = docs / near["shingles_s"]
    ours = docs / (near["goldmine_index_s"] + near["goldmine_verify_s"])
    ours_sample, theirs_sample = (
        sample / near["goldmine_sample_s"],
        sample / near["datasketch_sample_s"],
    )
    per_token = near["datasketch_update_docs"] / near["datasketch_update_s"]
    ours_total = 1 / (1 / shingle_rate + 1 / ours)
    theirs_total = 1 / (1 / shingle_rate + 1 / theirs_sample)
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d} · {platform.processor() or platform.machine()} · "
        f"{_cores()} cores · Python {platform.python_version()}",
        "",
        f"Candidates: {int(docs):,} ({', '.join(f'{k} {v:,}' for k, v in mix.items())}).",
        "",
        "| measure | result |",
        "|---|---|",
        f"| whole assay of {int(docs):,} candidates (no judge), wall "
        f"| **{seconds:.1f} s** ({docs / seconds:,.0f} /s) |",
        f"| the same, CPU time of goldmine and its workers | {cpu:.1f} s (load average before: "
        f"{load}) |",
        f"| accepted / rejected | {summary.accepted:,} / {summary.rejected:,} |",
        f"| duplicates found / clusters | {summary.duplicates:,} / {summary.clusters:,} |",
        f"| shingling (word 4-grams, normalised code, CJK 3-grams), shared by both, {int(docs):,} "
        "docs | "
        f"{near['shingles_s']:.1f} s ({shingle_rate:,.0f} docs/s) |",
        "| goldmine: hash + rensa MinHash + LSH banding + true Jaccard of candidate pairs, "
        f"{int(docs):,} docs | "
        f"{near['goldmine_index_s'] + near['goldmine_verify_s']:.1f} s ({ours:,.0f} docs/s) |",
        f"| goldmine, MinHash + LSH, same {int(sample):,} docs as datasketch | {ours_sample:,.0f} "
        "docs/s |",
        f"| datasketch MinHash (update_batch) + MinHashLSH, {int(sample):,} docs | "
        f"{theirs_sample:,.0f} docs/s |",
        f"| datasketch MinHash.update per shingle (its documented loop) + MinHashLSH, "
        f"{int(near['datasketch_update_docs']):,} docs | {per_token:,.0f} docs/s |",
        "| **ratio, MinHash + LSH (goldmine / datasketch update_batch)** | "
        f"**{ours_sample / theirs_sample:.1f}×** |",
        "| **ratio, MinHash + LSH (goldmine / datasketch update loop)** | "
        f"**{ours_sample / per_token:.0f}×** |",
        "| ratio with the shared shingling counted on both sides | "
        f"{ours_total / theirs_total:.1f}× |",
        "| candidate pairs from LSH / compared in full / true Jaccard ≥ 0.8 | "
        f"{int(near['pairs']):,} / "
        f"{int(near['checked']):,} / {int(near['verified']):,} |",
        "",
    ]
    return "\n".join(lines)


def _load() -> str:
    import os

    return f"{os.getloadavg()[0]:.1f}"


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def main() -> None:
    """Parse the flags, run the three measurements and write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repo", type=Path, required=True, help="A clone of a real repository (e.g. flask)."
    )
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/goldmine-assay-bench"))
    parser.add_argument("--datasketch-sample", type=int, default=20_000)
    args = parser.parse_args()
    args.workspace.mkdir(parents=True, exist_ok=True)
    base = args.workspace / "mined.duckdb"
    prepare_base(args.repo.resolve(), base)
    built = args.workspace / f"candidates-{args.candidates}.duckdb"
    mix_file = built.with_suffix(".json")
    if not built.exists():
        started = time.perf_counter()
        mix = build_candidates(base, built, args.candidates)
        mix_file.write_text(json.dumps(mix))
        print(
            f"drafted {args.candidates:,} candidates in {time.perf_counter() - started:.0f} s: "
            f"{mix}"
        )
    mix = json.loads(mix_file.read_text())
    run = args.workspace / "run.duckdb"
    shutil.copy(built, run)
    load = _load()
    seconds, cpu, summary = time_assay(run)
    print(f"assay: {seconds:.1f} s; accepted {summary.accepted:,}, rejected {summary.rejected:,}")
    near = time_near_duplicates(built, args.datasketch_sample)
    text = report(mix, seconds, cpu, load, summary, near)
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "assay.md").open("a", encoding="utf-8") as out:
        out.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
