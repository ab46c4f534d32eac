"""Snapshots of the records the extractive drafters make, one readable file per family, kind and
language: a change to a template in prompts/extractive/ shows as a diff of what it renders.

The records come from the real pipeline (``goldmine run --inline``, then ``goldmine feedback`` and
``goldmine draft``) on fixed histories: the demo project of flows/demo/fixtures (its commits, its
GitHub issues and its support desk's export), the calc history of tests/builders.py (the docs
family, which the demo lacks), and a file of four model failures. For each family, kind and
language the snapshot shows the record of the earliest commit (else ticket, else failure line).

Snapshots live in tests/flows/draft/snapshots/extractive/. After an intended template edit,
refresh them with ``GOLDMINE_UPDATE_SNAPSHOTS=1 uv run pytest
tests/flows/draft/test_extractive_snapshots.py`` and read the diff in git before committing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.commands.cli import main
from flows.demo.sample_repo import (
    DEMO_HISTORY,
    DEMO_SUPPORT_TICKETS,
    DEMO_TICKETS,
    build_repository,
    load_script,
)
from flows.draft.extractive_instruction import INSTRUCTION_TEMPLATE, OUTPUT_TEMPLATE
from flows.prompting import PROMPTS_DIR, template_sources
from tests.builders import UPDATE_SNAPSHOTS, assert_matches_snapshot, calc_history
from warehouse.records import AgentRecord, AssistantTurn, InstructionRecord, ToolTurn, parse_record
from warehouse.store import Warehouse

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "extractive"
LANGS = ("en", "zh")
# Every (kind, family) the fixture histories yield; a family that stops being drafted fails its
# snapshot test, one that starts fails test_every_drafted_family_has_a_snapshot.
FAMILIES = (
    ("instruction", "bugfix"),
    ("instruction", "feature"),
    ("instruction", "change"),
    ("instruction", "refactor"),
    ("instruction", "tests"),
    ("instruction", "docs"),
    ("instruction", "edge_cases"),
    ("instruction", "review"),
    ("instruction", "resolution"),
    ("instruction", "correction"),
    ("instruction", "counter_example"),
    ("agent", "bugfix"),
    ("agent", "feature"),
    ("agent", "change"),
    ("agent", "resolution"),
)
FAILURES = [
    {
        "prompt": "You are a Python developer on stockroom. Write `restock(levels, sku, qty)`.\n\n"
        "Requirements:\n1. Raise ValueError when qty is not positive.\n2. Return the new level.",
        "output": "def restock(levels, sku, qty):\n    levels[sku] += qty",
        "expected": "```python\ndef restock(levels: dict[str, int], sku: str, qty: int) -> int:\n"
        '    if qty <= 0:\n        raise ValueError(f"qty must be positive, got {qty}")\n'
        "    levels[sku] = levels.get(sku, 0) + qty\n    return levels[sku]\n```",
    },
    {
        "prompt": "You are a Python developer on stockroom. Fix `reserve` so it refuses to "
        "reserve more than the stock.",
        "output": "Just catch every exception in reserve and return 0.",
        "verdict": "It hides the error instead of refusing the reservation, and returns a "
        "made-up level.",
    },
    {
        "prompt": "你是一名 Python 开发工程师，负责 stockroom。请实现 `restock`："
        "数量不是正数时抛出 ValueError，并返回新的库存。",
        "output": "def restock(levels, sku, qty):\n    pass",
        "expected": "```python\ndef restock(levels, sku, qty):\n    if qty <= 0:\n"
        "        raise ValueError(qty)\n    levels[sku] = levels.get(sku, 0) + qty\n"
        "    return levels[sku]\n```",
    },
    {
        "prompt": "你是一名 Python 开发工程师，负责 stockroom。"
        "请修复 `reserve`，库存不足时拒绝预留。",
        "output": "在 reserve 里捕获所有异常并返回 0 即可。",
        "verdict": "它吞掉了错误，没有拒绝预留，还返回了编造的库存。",
    },
]
_DRAFTED = """
SELECT c.kind, c.task_type, c.lang, c.record,
       m.committed_at IS NULL, coalesce(epoch(m.committed_at), 0), coalesce(k.key, ''),
       coalesce(f.line, 0)
FROM candidates c JOIN tasks t ON t.id = c.task_id
LEFT JOIN commits m ON m.id = t.commit_id
LEFT JOIN tickets k ON k.id = t.ticket_id
LEFT JOIN feedback f ON f.id = json_extract_string(t.facts, '$.feedback_id')
WHERE c.drafter = 'extractive'
"""
Record = InstructionRecord | AgentRecord


@dataclass(frozen=True)
class Drafted:
    """The records of one fixture run, by (kind, family, language), earliest source first."""

    records: dict[tuple[str, str, str], list[Record]]
    tmp_root: Path


def _invoke(*args: str | Path) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Drafted:
    root = tmp_path_factory.mktemp("extractive-snapshots")
    stockroom = build_repository(root / "stockroom", load_script(DEMO_HISTORY))
    calc = build_repository(root / "calc", calc_history())
    workspace = root / "ws"
    _invoke(
        *("run", "--inline", "--lang", "both", "--kinds", "both", "--workspace", workspace),
        *("--repo", stockroom, "--repo", calc),
        *("--tickets", DEMO_TICKETS, "--tickets", DEMO_SUPPORT_TICKETS),
    )
    failures = root / "failures.jsonl"
    failures.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in FAILURES) + "\n",
        encoding="utf-8",
    )
    _invoke("feedback", failures, "--round", "1", "--workspace", workspace)
    _invoke("draft", "--workspace", workspace)
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(_DRAFTED).rows
    ordered: list[tuple[tuple[bool, float, str, int, str], tuple[str, str, str], Record]] = []
    for kind, family, lang, text, no_commit, committed, ticket, line in rows:
        record = parse_record(text)
        key = (bool(no_commit), float(committed), str(ticket), int(line), render(record, root))
        ordered.append((key, (kind, family, lang), record))
    records: dict[tuple[str, str, str], list[Record]] = {}
    for _, group, record in sorted(ordered, key=lambda entry: entry[0]):
        records.setdefault(group, []).append(record)
    return Drafted(records, root)


def snapshot_name(kind: str, family: str, lang: str) -> str:
    """``bugfix.en.md`` for an instruction record, ``bugfix.agent.en.md`` for a trajectory."""
    return f"{family}.{lang}.md" if kind == "instruction" else f"{family}.{kind}.{lang}.md"


def template_names(record: Record) -> list[str]:
    """The templates a record's provenance names (without their hashes), in prompts/."""
    first, *others = record.provenance.template.split("+")
    name = first.rsplit("@", 1)[0]
    names = [name]
    if others and name == INSTRUCTION_TEMPLATE.format(lang=record.lang):
        names.append(OUTPUT_TEMPLATE.format(lang=record.lang))  # ``a@hash+hash``: their pair
    return [n for n in names if (PROMPTS_DIR / n).is_file()]


def render(record: Record, tmp_root: Path) -> str:
    """A record as readable text: what it was made from, then every field or turn in order."""
    provenance = record.provenance
    templates = template_names(record) or [provenance.template]
    lines = [
        f"# {record.task_type} · {record.kind} · {record.lang}",
        "",
        f"templates: {' + '.join(templates)}",
        f"repository: {provenance.repo or '—'}",
        f"tickets: {', '.join(provenance.tickets) or '—'}",
        f"paths: {', '.join(provenance.paths) or '—'}",
        f"symbols: {', '.join(provenance.symbols) or '—'}",
    ]
    if provenance.observations:
        lines.append(f"observations: {provenance.observations}")
    if provenance.feedback is not None:
        failure = provenance.feedback
        lines.append(f"feedback: round {failure.round}, line {failure.line}")
    parts = ["\n".join(lines), *_sections(record)]
    text = "\n\n".join(parts).rstrip() + "\n"
    return text.replace(str(tmp_root), "<tmp>")


def _sections(record: Record) -> list[str]:
    sections = [_section("system", record.system)] if record.system else []
    if isinstance(record, InstructionRecord):
        return [
            *sections,
            _section("instruction", record.instruction),
            _section("input", record.input or "(empty)"),
            _section("output", record.output),
        ]
    sections.append(_section("tools", ", ".join(tool.name for tool in record.tools)))
    for turn in record.conversation:
        if isinstance(turn, AssistantTurn):
            step = turn.content
            body = [f"thought: {step.thought}"]
            if step.action is not None:
                arguments = json.dumps(step.action.parameters, ensure_ascii=False, sort_keys=True)
                body.append(f"action: {step.action.tool_name} {arguments}")
            if step.final_answer is not None:
                body.append(f"final answer:\n{step.final_answer}")
            sections.append(_section("assistant", "\n".join(body)))
        elif isinstance(turn, ToolTurn):
            sections.append(_section("tool", _result_text(turn.content.result)))
        else:
            sections.append(_section("user", turn.content))
    return sections


def _section(title: str, body: str) -> str:
    return f"─── {title} ───\n{body.rstrip()}"


def _result_text(result: object) -> str:
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("kind", "family"), FAMILIES)
def test_every_extractive_family_matches_its_snapshot(
    drafted: Drafted, kind: str, family: str, lang: str
) -> None:
    records = drafted.records.get((kind, family, lang))
    assert records, f"the fixture histories no longer yield a {kind} record of {family} in {lang}"
    text = render(records[0], drafted.tmp_root)
    assert str(drafted.tmp_root) not in text and "/tmp/" not in text
    assert_matches_snapshot(SNAPSHOTS / snapshot_name(kind, family, lang), text)


def test_every_drafted_family_has_a_snapshot(drafted: Drafted) -> None:
    expected = {(kind, family, lang) for kind, family in FAMILIES for lang in LANGS}
    assert set(drafted.records) <= expected, (
        "families drafted without a snapshot (add them to FAMILIES): "
        f"{sorted(set(drafted.records) - expected)}"
    )


def test_every_extractive_template_is_in_a_snapshot(drafted: Drafted) -> None:
    shown = {
        source
        for kind, family in FAMILIES
        for lang in LANGS
        for record in drafted.records.get((kind, family, lang), [])[:1]
        for name in template_names(record)
        for source in template_sources(name)
    }
    every = {f"extractive/{path.name}" for path in (PROMPTS_DIR / "extractive").glob("*.j2")}
    assert len(every) >= 20
    assert not every - shown, f"templates no snapshot exercises: {sorted(every - shown)}"


def test_no_snapshot_is_left_without_its_family() -> None:
    names = {snapshot_name(kind, family, lang) for kind, family in FAMILIES for lang in LANGS}
    stale = sorted(
        path.name
        for path in SNAPSHOTS.glob("*.md")
        if path.name not in names and path.name != "README.md"
    )
    if stale and os.environ.get(UPDATE_SNAPSHOTS) == "1":
        for name in stale:
            (SNAPSHOTS / name).unlink()
        stale = []
    assert not stale, f"snapshots of no family (delete them, or {UPDATE_SNAPSHOTS}=1): {stale}"
