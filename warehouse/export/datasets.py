"""Accepted records written in the formats LLaMA-Factory loads, with ``dataset_info.json``.

Each row is validated before it is written (LLaMA-Factory drops malformed rows with only a
warning). Files are written to a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.export.openai_rows import openai_row
from warehouse.ids import content_hash, stable_id
from warehouse.records import AgentRecord, InstructionRecord, parse_record
from warehouse.redacted_code import placeholder_in_code
from warehouse.review.counter_examples import write_counter_examples
from warehouse.review.verdicts import LATEST_REVIEWS, UNSAFE
from warehouse.store import Warehouse
from warehouse.verification import verification_counts, with_verification

EXPORT_VERSION = "export-1"
TOOL_CALL_WORDS = ("<tool_call>", "</tool_call>")
DATASET_PREFIX = "goldmine"
# The assay's split (table ``splits``): train keeps the plain file name, the holdout gets a suffix.
SPLITS = (("train", ""), ("holdout", "_holdout"))


class ExportRowError(ValueError):
    """Raised when a record cannot be written in a format (the row is reported, not written)."""


@dataclass(slots=True)
class ExportSummary:
    """What one export wrote."""

    files: dict[str, Path] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    manifest: Path | None = None


def alpaca_row(record: InstructionRecord) -> dict[str, Any]:
    """A LLaMA-Factory alpaca row."""
    if not record.instruction.strip() or not record.output.strip():
        raise ExportRowError(f"{record.id}: empty instruction or output")
    return {
        "instruction": record.instruction,
        "input": record.input,
        "output": record.output,
        "system": record.system,
    }


def sharegpt_row(record: AgentRecord) -> dict[str, Any]:
    """A LLaMA-Factory sharegpt row with tools: human/observation at even, gpt/function_call at
    odd positions."""
    conversations: list[dict[str, str]] = []
    for turn in record.conversation:
        content = turn.content
        if isinstance(content, str):
            conversations.append({"from": "human", "value": content})
        elif turn.role == "tool":
            result = getattr(content, "result", None)
            value = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
            conversations.append({"from": "observation", "value": value})
        else:
            conversations.append(_assistant_turn(content))
    _validate_sharegpt(record.id, conversations)
    tools = [tool.model_dump() for tool in record.tools]
    return {
        "conversations": conversations,
        "system": record.system,
        "tools": json.dumps(tools, ensure_ascii=False),
    }


def _assistant_turn(step: Any) -> dict[str, str]:
    if step.action is not None:
        return {
            "from": "function_call",
            "value": function_call_value(
                step.thought, step.action.tool_name, step.action.parameters
            ),
        }
    return {"from": "gpt", "value": f"{step.thought}\n\n{step.final_answer or ''}".strip()}


def function_call_value(thought: str, name: str, arguments: dict[str, Any]) -> str:
    """The thought, then the call wrapped in LLaMA-Factory's default tool-call words.

    LLaMA-Factory's FunctionFormatter takes the JSON between ``<tool_call>`` and ``</tool_call>``
    and keeps the text before it as the turn's thought, so the model learns to reason, then call.
    """
    call = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"{thought}\n{TOOL_CALL_WORDS[0]}{call}{TOOL_CALL_WORDS[1]}"


def _validate_sharegpt(record_id: str, conversations: list[dict[str, str]]) -> None:
    for position, message in enumerate(conversations):
        expected = ("human", "observation") if position % 2 == 0 else ("gpt", "function_call")
        if message["from"] not in expected:
            raise ExportRowError(
                f"{record_id}: turn {position} is {message['from']}, expected one of {expected}"
            )
    if not conversations or conversations[-1]["from"] != "gpt":
        raise ExportRowError(f"{record_id}: the conversation must end with the assistant's answer")


# format → (record kinds it holds, row converter, its dataset_info.json entry or None)
_FORMATS: dict[
    str, tuple[tuple[str, ...], Callable[[Any], dict[str, Any]], dict[str, Any] | None]
] = {
    "alpaca": (
        ("instruction",),
        alpaca_row,
        {
            "formatting": "alpaca",
            "columns": {
                "prompt": "instruction",
                "query": "input",
                "response": "output",
                "system": "system",
            },
        },
    ),
    "sharegpt": (
        ("agent",),
        sharegpt_row,
        {
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "observation_tag": "observation",
                "function_tag": "function_call",
            },
        },
    ),
    "openai": (("instruction", "agent"), openai_row, None),
}


def export_accepted(
    warehouse: Warehouse,
    target: Path,
    run_id: str,
    formats: Iterable[str] = ("alpaca", "sharegpt"),
    *,
    include_unreviewed: bool = True,
    require_executed: bool = False,
) -> ExportSummary:
    """Write every accepted record in each format, plus ``dataset_info.json`` and ``manifest.json``.

    Review verdicts win over the assay: a record a reviewer rejected is never written, one a
    reviewer accepted or edited is written (edited as edited), and ``include_unreviewed`` decides
    the records no reviewer has read yet. ``require_executed`` keeps only the records whose
    acceptance tests were run (``verification: executed``). Rejected records go to the
    counter-examples file.
    """
    target.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    dataset_info: dict[str, Any] = {}
    manifest_files = []
    exported: set[str] = set()
    for name in formats:
        kinds, to_row, info = _FORMATS[name]
        for split, suffix in SPLITS:
            rows, ids = _rows(
                warehouse,
                kinds,
                to_row,
                summary.problems,
                include_unreviewed,
                split,
                require_executed=require_executed,
            )
            exported.update(ids)
            dataset = f"{DATASET_PREFIX}_{name}{suffix}"
            path = target / f"{dataset}.jsonl"
            if not rows:
                # an earlier export's file must not outlive its records
                path.unlink(missing_ok=True)
                continue
            digest = _write_jsonl(path, rows)
            export_id = stable_id(name, digest)
            _record_export(warehouse, export_id, run_id, name, path, ids, digest)
            if info is not None:
                dataset_info[dataset] = {"file_name": path.name, **info}
            summary.files[f"{name}{suffix}"] = path
            summary.records[f"{name}{suffix}"] = len(rows)
            manifest_files.append(
                {
                    "format": name,
                    "split": split,
                    "file": path.name,
                    "records": len(rows),
                    "sha256": digest,
                }
            )
    counter_path, counter_count = write_counter_examples(warehouse, target)
    if counter_path is not None:
        summary.files["counter_examples"], summary.records["counter_examples"] = (
            counter_path,
            counter_count,
        )
    _write_json(target / "dataset_info.json", dataset_info)
    summary.manifest = target / "manifest.json"
    _write_json(
        summary.manifest, _manifest(warehouse, run_id, manifest_files, summary.problems, exported)
    )
    return summary


def _rows(
    warehouse: Warehouse,
    kinds: tuple[str, ...],
    to_row: Callable[[Any], dict[str, Any]],
    problems: list[str],
    include_unreviewed: bool,
    split: str = "train",
    *,
    require_executed: bool = False,
) -> tuple[list[dict[str, Any]], list[str]]:
    # The latest review counts as a whole row (arg_max_null: a later verdict without an edit
    # replaces an earlier edit).
    found = warehouse.query(
        "SELECT c.id, coalesce(r.edited_record, c.record), v.verification FROM candidates c "
        f"LEFT JOIN ({LATEST_REVIEWS}) r ON r.candidate_id = c.id LEFT JOIN splits s ON "
        "s.candidate_id = c.id JOIN record_verification v ON v.candidate_id = c.id "
        "WHERE list_contains(?, c.kind) AND c.record IS NOT NULL AND coalesce(s.split, 'train') = "
        "? AND (v.verification = 'executed' OR NOT ?) AND CASE "
        "  WHEN r.verdict = 'rejected' THEN false "
        "  WHEN r.verdict IN ('accepted', 'edited') THEN c.status IN ('accepted', 'rejected') "
        f"AND NOT {UNSAFE} "
        "  ELSE c.status = 'accepted' AND ? END "
        "ORDER BY c.task_type, c.id",
        [list(kinds), split, require_executed, include_unreviewed],
    ).rows
    rows, ids = [], []
    for candidate_id, record_json, verification in found:
        try:
            record = parse_record(record_json)
            if placeholder_in_code(record.model_dump()):  # a reviewer's edit, an old candidate
                raise ExportRowError("a redaction placeholder sits in its code; not exported")
            rows.append(to_row(with_verification(record, verification)))
            ids.append(candidate_id)
        except (ExportRowError, ValueError) as error:
            problems.append(f"{candidate_id}: {error}")
    return rows, ids


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
    warehouse: Warehouse,
    export_id: str,
    run_id: str,
    name: str,
    path: Path,
    ids: list[str],
    digest: str,
) -> None:
    row = {
        "id": export_id,
        "run_id": run_id,
        "format": name,
        "path": str(path),
        "records": len(ids),
        "sha256": digest,
        "created_at": datetime.now(UTC),
    }
    warehouse.insert("exports", [row])
    warehouse.insert("exported_records", [{"export_id": export_id, "candidate_id": c} for c in ids])


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
