"""Accepted records written in the formats LLaMA-Factory loads, with ``dataset_info.json``.

Each row is validated before it is written (LLaMA-Factory drops malformed rows with only a
warning) and counted in tokens (a row longer than the training window would be cut silently).
Files are written to a temporary name and renamed, so a crash never leaves half a file. The rows
themselves are made in ``llamafactory_rows.py`` and ``openai_rows.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.export.llamafactory_rows import (
    AGENT_OPENAI_INFO,
    ALPACA_INFO,
    SHAREGPT_INFO,
    ExportRowError,
    agent_openai_row,
    alpaca_row,
    sharegpt_row,
)
from warehouse.export.openai_rows import openai_row
from warehouse.export.thoughts import STYLE_SUFFIX, ThoughtStyle
from warehouse.export.tokens import (
    DROP_REASON,
    ByteEstimate,
    TokenCounter,
    distribution,
    row_tokens,
)
from warehouse.ids import content_hash, stable_id
from warehouse.records import AgentRecord, InstructionRecord, parse_record
from warehouse.redacted_code import placeholder_in_code
from warehouse.review.counter_examples import write_counter_examples
from warehouse.review.verdicts import LATEST_REVIEWS, UNSAFE
from warehouse.store import Warehouse
from warehouse.verification import verification_counts, with_verification

EXPORT_VERSION = "export-2"
DATASET_PREFIX = "goldmine"
# The assay's split (table ``splits``): train keeps the plain file name, the holdout gets a suffix.
SPLITS = (("train", ""), ("holdout", "_holdout"))


@dataclass(frozen=True, slots=True)
class DatasetFormat:
    """One export format: the record kinds it holds, how a record becomes a row, its
    ``dataset_info.json`` entry (None: not a LLaMA-Factory dataset), and whether the thought
    styles of ``[export] thoughts`` apply (each style is then a dataset of its own)."""

    kinds: tuple[str, ...]
    to_row: Callable[[Any, ThoughtStyle], dict[str, Any]]
    info: dict[str, Any] | None
    styled: bool = False


FORMATS: dict[str, DatasetFormat] = {
    "alpaca": DatasetFormat(("instruction",), alpaca_row, ALPACA_INFO),
    "sharegpt": DatasetFormat(("agent",), sharegpt_row, SHAREGPT_INFO, styled=True),
    "agent_openai": DatasetFormat(("agent",), agent_openai_row, AGENT_OPENAI_INFO, styled=True),
    "openai": DatasetFormat(("instruction", "agent"), lambda record, _: openai_row(record), None),
}


@dataclass(frozen=True, slots=True)
class TrainingWindow:
    """How rows are measured and what is too long: the counter, and ``max_tokens`` (0: no
    limit, rows are only counted)."""

    counter: TokenCounter = field(default_factory=ByteEstimate)
    max_tokens: int = 0


@dataclass(slots=True)
class ExportSummary:
    """What one export wrote."""

    files: dict[str, Path] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    manifest: Path | None = None


@dataclass(slots=True)
class _Dataset:
    """The rows of one dataset file, with each row's candidate and token count."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)


def export_accepted(
    warehouse: Warehouse,
    target: Path,
    run_id: str,
    formats: Iterable[str] = ("alpaca", "sharegpt"),
    *,
    include_unreviewed: bool = True,
    require_executed: bool = False,
    thoughts: Sequence[ThoughtStyle] = ("inline",),
    window: TrainingWindow | None = None,
) -> ExportSummary:
    """Write every accepted record in each format, plus ``dataset_info.json`` and ``manifest.json``.

    Review verdicts win over the assay: a record a reviewer rejected is never written, one a
    reviewer accepted or edited is written (edited as edited), and ``include_unreviewed`` decides
    the records no reviewer has read yet. ``require_executed`` keeps only the records whose
    acceptance tests were run (``verification: executed``). Rejected records go to the
    counter-examples file. Every row is counted in tokens; a row over ``window.max_tokens`` is
    not written, and the drop is stored with its reason.
    """
    window = window or TrainingWindow()
    styles = tuple(dict.fromkeys(thoughts))  # a style listed twice is one dataset
    target.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    dataset_info: dict[str, Any] = {}
    manifest_files = []
    exported: set[str] = set()
    for split, suffix in SPLITS:
        records = _accepted_records(
            warehouse, split, include_unreviewed, require_executed, summary.problems
        )
        for name in formats:
            spec = FORMATS[name]
            for style in styles if spec.styled else ("inline",):
                key = f"{name}{STYLE_SUFFIX[style]}{suffix}"
                dataset = _convert(f"{DATASET_PREFIX}_{key}", spec, style, records, window, summary)
                path = target / f"{dataset.name}.jsonl"
                if not dataset.rows:
                    # an earlier export's file must not outlive its records
                    path.unlink(missing_ok=True)
                    continue
                exported.update(dataset.ids)
                digest = _write_jsonl(path, dataset.rows)
                _record_export(warehouse, run_id, name, path, dataset, digest)
                if spec.info is not None:
                    dataset_info[dataset.name] = {"file_name": path.name, **spec.info}
                summary.files[key], summary.records[key] = path, len(dataset.rows)
                manifest_files.append(
                    {
                        "format": name,
                        "thoughts": style if spec.styled else None,
                        "split": split,
                        "file": path.name,
                        "records": len(dataset.rows),
                        "sha256": digest,
                        "tokens": distribution(dataset.tokens, window.max_tokens),
                    }
                )
    _record_drops(warehouse, run_id, summary.dropped, window)
    counter_path, counter_count = write_counter_examples(warehouse, target)
    if counter_path is not None:
        summary.files["counter_examples"], summary.records["counter_examples"] = (
            counter_path,
            counter_count,
        )
    _write_json(target / "dataset_info.json", dataset_info)
    summary.manifest = target / "manifest.json"
    manifest = _manifest(warehouse, run_id, manifest_files, summary.problems, exported)
    manifest["tokens"] = {
        "counter": window.counter.name,
        "max_tokens": window.max_tokens or None,
        "dropped": summary.dropped,
    }
    _write_json(summary.manifest, manifest)
    return summary


def _convert(
    name: str,
    spec: DatasetFormat,
    style: ThoughtStyle,
    records: list[tuple[str, InstructionRecord | AgentRecord]],
    window: TrainingWindow,
    summary: ExportSummary,
) -> _Dataset:
    """One dataset's rows: each record of the format's kinds converted, counted, and kept when it
    fits the window (else dropped with its reason)."""
    dataset = _Dataset(name)
    for candidate_id, record in records:
        if record.kind not in spec.kinds:
            continue
        try:
            row = spec.to_row(record, style)
        except (ExportRowError, ValueError) as error:
            _note(summary.problems, f"{candidate_id}: {error}")
            continue
        tokens = row_tokens(row, window.counter)
        if window.max_tokens and tokens > window.max_tokens:
            summary.dropped.append(
                {
                    "candidate_id": candidate_id,
                    "dataset": name,
                    "reason": DROP_REASON,
                    "tokens": tokens,
                }
            )
            continue
        dataset.rows.append(row)
        dataset.ids.append(candidate_id)
        dataset.tokens.append(tokens)
    return dataset


def _note(problems: list[str], problem: str) -> None:
    """A problem once, however many formats hit it."""
    if problem not in problems:
        problems.append(problem)


def _accepted_records(
    warehouse: Warehouse,
    split: str,
    include_unreviewed: bool,
    require_executed: bool,
    problems: list[str],
) -> list[tuple[str, InstructionRecord | AgentRecord]]:
    """The records to export from one split, read and parsed once for every format."""
    # The latest review counts as a whole row (arg_max_null: a later verdict without an edit
    # replaces an earlier edit).
    found = warehouse.query(
        "SELECT c.id, coalesce(r.edited_record, c.record), v.verification FROM candidates c "
        f"LEFT JOIN ({LATEST_REVIEWS}) r ON r.candidate_id = c.id LEFT JOIN splits s ON "
        "s.candidate_id = c.id JOIN record_verification v ON v.candidate_id = c.id "
        "WHERE c.record IS NOT NULL AND coalesce(s.split, 'train') = "
        "? AND (v.verification = 'executed' OR NOT ?) AND CASE "
        "  WHEN r.verdict = 'rejected' THEN false "
        "  WHEN r.verdict IN ('accepted', 'edited') THEN c.status IN ('accepted', 'rejected') "
        f"AND NOT {UNSAFE} "
        "  ELSE c.status = 'accepted' AND ? END "
        "ORDER BY c.task_type, c.id",
        [split, require_executed, include_unreviewed],
    ).rows
    records = []
    for candidate_id, record_json, verification in found:
        try:
            record = parse_record(record_json)
            if placeholder_in_code(record.model_dump()):  # a reviewer's edit, an old candidate
                raise ExportRowError("a redaction placeholder sits in its code; not exported")
            records.append((candidate_id, with_verification(record, verification)))
        except (ExportRowError, ValueError) as error:
            _note(problems, f"{candidate_id}: {error}")
    return records


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    _atomic_write(path, text)
    return content_hash(text)


def _write_json(path: Path, data: Any) -> None:
    _atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _record_export(
    warehouse: Warehouse, run_id: str, name: str, path: Path, dataset: _Dataset, digest: str
) -> None:
    export_id = stable_id(name, digest)
    row = {
        "id": export_id,
        "run_id": run_id,
        "format": name,
        "path": str(path),
        "records": len(dataset.ids),
        "sha256": digest,
        "created_at": datetime.now(UTC),
    }
    warehouse.insert("exports", [row])
    warehouse.insert(
        "exported_records",
        [
            {"export_id": export_id, "candidate_id": c, "tokens": n}
            for c, n in zip(dataset.ids, dataset.tokens, strict=True)
        ],
    )


def _record_drops(
    warehouse: Warehouse, run_id: str, dropped: list[dict[str, Any]], window: TrainingWindow
) -> None:
    """Each row kept out of a file, with its reason, in ``export_drops``: once per dataset,
    candidate, count and limit, so exporting an unchanged warehouse again adds no row."""
    now = datetime.now(UTC)
    warehouse.insert(
        "export_drops",
        [
            {
                "id": stable_id(
                    drop["dataset"],
                    drop["candidate_id"],
                    drop["tokens"],
                    window.max_tokens,
                    window.counter.name,
                ),
                "run_id": run_id,
                "max_tokens": window.max_tokens,
                "counter": window.counter.name,
                "created_at": now,
                **drop,
            }
            for drop in dropped
        ],
    )


def _manifest(
    warehouse: Warehouse,
    run_id: str,
    files: list[dict[str, Any]],
    problems: list[str],
    exported: set[str],
) -> dict[str, Any]:
    counts = warehouse.query(
        "SELECT kind, task_type, lang, count(*) FROM candidates WHERE status = 'accepted' GROUP "
        "BY ALL ORDER BY ALL"
    ).rows
    by_type: Counter[str] = Counter()
    by_lang: Counter[str] = Counter()
    for _, task_type, lang, n in counts:
        by_type[task_type] += n
        by_lang[lang] += n
    return {
        "run_id": run_id,
        "exporter": EXPORT_VERSION,
        "files": files,
        "accepted_by_task_type": dict(by_type),
        "accepted_by_lang": dict(by_lang),
        "exported_by_verification": verification_counts(warehouse, sorted(exported)),
        "rows_not_converted": problems,
    }
