"""What the review page shows about one candidate, read from the warehouse.

An instruction record becomes panes of prose and highlighted code; an agent record becomes a
timeline (user request, thoughts, tool calls with their parameters, observations, final answer).
Around either: the provenance (commits with their subjects, tickets with their titles, paths,
symbols), the assay's score and every check's verdict, the commit's own change as a diff, and the
latest review verdict (with the edit as a diff against the draft).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from flows.review.render import Block, DiffRow, blocks, diff_rows, highlight, json_html, text_diff
from warehouse.records import AgentRecord, InstructionRecord, ToolAction, ToolResult, parse_record
from warehouse.review.verdicts import INSTRUCTION_FIELDS, StoredVerdict
from warehouse.store import Warehouse

MAX_FILES = 20
SHORT_OBSERVATION_LINES = 12
_NUMBERED_LINE = re.compile(r"^\s*(\d+) \|(?: (.*))?$")
_DIFF_START = re.compile(r"^(?:diff --git |--- |@@ )", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Pane:
    """One field of an instruction record (system, instruction, input or output)."""

    name: str
    blocks: list[Block]


@dataclass(frozen=True, slots=True)
class LongParameter:
    """A multi-line parameter of a tool call (a patch, a file's content), shown as a diff or as
    code."""

    name: str
    rows: list[DiffRow] = field(default_factory=list)
    html: Markup | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of an agent timeline."""

    kind: str  # system | user | thought | action | observation | answer
    blocks: list[Block] = field(default_factory=list)
    tool: str = ""
    html: Markup | None = None  # the short parameters or the observation, highlighted
    lines: int = 0
    long_parameters: list[LongParameter] = field(default_factory=list)

    @property
    def short(self) -> bool:
        return self.lines <= SHORT_OBSERVATION_LINES


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of the commit's change."""

    path: str
    change_type: str
    added: int
    deleted: int
    truncated: bool
    rows: list[DiffRow]
    named: bool  # the record's provenance names this path


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    score: float
    detail: str


@dataclass(slots=True)
class ItemView:
    """Everything the page template needs about one candidate."""

    candidate_id: str
    kind: str
    task_type: str
    lang: str
    assay_status: str
    score: float | None
    record: InstructionRecord | AgentRecord
    panes: list[Pane] = field(default_factory=list)
    timeline: list[Step] = field(default_factory=list)
    tools: Any = None
    commits: list[tuple[str, str]] = field(default_factory=list)
    tickets: list[tuple[str, str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    verdict: StoredVerdict | None = None
    edit_diffs: list[tuple[str, list[DiffRow]]] = field(default_factory=list)
    edit_values: dict[str, str] = field(default_factory=dict)

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    @property
    def headline(self) -> str:
        """What the record is about, in the project's own words: a ticket's title, else a
        commit's subject."""
        for text in [title for _, title, _ in self.tickets] + [
            subject for _, subject in self.commits
        ]:
            if text:
                return text
        return f"{self.task_type} ({self.kind})"


def load_record(warehouse: Warehouse, candidate_id: str) -> InstructionRecord | AgentRecord:
    """The drafted record of a candidate."""
    return parse_record(
        warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [candidate_id])
    )


def load_item(warehouse: Warehouse, candidate_id: str, verdict: StoredVerdict | None) -> ItemView:
    """Read one candidate and everything around it."""
    row = warehouse.query(
        "SELECT kind, task_type, lang, status, score, record FROM candidates WHERE id = ?",
        [candidate_id],
    ).rows[0]
    record = parse_record(row[5])
    view = ItemView(candidate_id, row[0], row[1], row[2], row[3], row[4], record, verdict=verdict)
    code_lang = _language_of(record.provenance.paths)
    if isinstance(record, InstructionRecord):
        view.panes = instruction_panes(record, code_lang)
    else:
        view.timeline = agent_timeline(record)
        view.tools = json_html([tool.model_dump() for tool in record.tools])
    view.commits = _commits(warehouse, record.provenance.commits)
    view.tickets = _tickets(warehouse, record.provenance.tickets)
    view.checks = _checks(warehouse, candidate_id)
    view.changes = _changes(warehouse, record.provenance.commits, record.provenance.paths)
    _add_edit(view, record, verdict)
    return view


def instruction_panes(record: InstructionRecord, code_lang: str = "") -> list[Pane]:
    """The record's non-empty text fields as panes of prose and code."""
    return [
        Pane(name, blocks(getattr(record, name), code_lang))
        for name in INSTRUCTION_FIELDS
        if getattr(record, name)
    ]


def agent_timeline(record: AgentRecord) -> list[Step]:
    """The conversation as a timeline; an observation is highlighted as the file it read, where
    it read one."""
    steps = [Step("system", blocks(record.system))] if record.system else []
    last_path = ""
    for turn in record.conversation:
        content = turn.content
        if isinstance(content, str):
            steps.append(Step("user", blocks(content)))
        elif isinstance(content, ToolResult):
            steps.append(_observation(content.result, last_path))
        else:
            steps.append(Step("thought", blocks(content.thought)))
            if content.action is not None:
                last_path = str(content.action.parameters.get("path", ""))
                steps.append(_action(content.action, last_path))
            if content.final_answer is not None:
                steps.append(Step("answer", blocks(content.final_answer)))
    return steps


def _action(action: ToolAction, path: str) -> Step:
    """A tool call: short parameters as JSON; a patch as a diff; other multi-line text as code."""
    short = {name: value for name, value in action.parameters.items() if not _multiline(value)}
    long = [
        _long_parameter(name, value, path)
        for name, value in action.parameters.items()
        if _multiline(value)
    ]
    return Step(
        "action",
        tool=action.tool_name,
        html=json_html(short) if short else None,
        long_parameters=long,
    )


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.strip()


def _long_parameter(name: str, value: str, path: str) -> LongParameter:
    if _DIFF_START.search(value):
        return LongParameter(name, rows=diff_rows(value))
    return LongParameter(name, html=highlight(value, path=path))


def _observation(result: Any, path: str) -> Step:
    if isinstance(result, str):
        lines = result.split("\n")
        numbered = [_NUMBERED_LINE.match(line) for line in lines]
        # a file read with its line numbers: highlight the code itself
        if len(lines) > 1 and all(numbered):
            code = "\n".join(match.group(2) or "" for match in numbered if match)
            first = int(numbered[0].group(1)) if numbered[0] else 1
            return Step(
                "observation", html=highlight(code, path=path, first_line=first), lines=len(lines)
            )
        return Step("observation", html=highlight(result, path=path), lines=len(lines))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    return Step("observation", html=json_html(result), lines=text.count("\n") + 1)


def _language_of(paths: list[str]) -> str:
    """The language name Pygments knows for the record's first path with an extension."""
    names = {
        ".py": "python",
        ".js": "javascript",
        ".ts": "typescript",
        ".tsx": "tsx",
        ".go": "go",
        ".java": "java",
        ".rs": "rust",
        ".c": "c",
        ".h": "c",
        ".cpp": "cpp",
        ".cc": "cpp",
        ".hpp": "cpp",
    }
    for path in paths:
        suffix = PurePosixPath(path).suffix
        if suffix in names:
            return names[suffix]
    return ""


def _commits(warehouse: Warehouse, shas: list[str]) -> list[tuple[str, str]]:
    if not shas:
        return []
    found = dict(
        warehouse.query(
            "SELECT sha, subject FROM commits WHERE sha IN (SELECT unnest(?))", [shas]
        ).rows
    )
    return [(sha, found.get(sha, "")) for sha in shas]


def _tickets(warehouse: Warehouse, keys: list[str]) -> list[tuple[str, str, str]]:
    if not keys:
        return []
    rows = warehouse.query(
        "SELECT key, any_value(title), any_value(coalesce(url, '')) FROM tickets WHERE key IN "
        "(SELECT unnest(?)) "
        "GROUP BY key",
        [keys],
    ).rows
    found = {key: (title, url) for key, title, url in rows}
    return [(key, *found.get(key, ("", ""))) for key in keys]


def _checks(warehouse: Warehouse, candidate_id: str) -> list[Check]:
    return warehouse.query(
        'SELECT "check" AS name, passed, score, detail FROM checks WHERE candidate_id = ? '
        'ORDER BY passed, "check"',
        [candidate_id],
    ).rows_as(Check)


def _changes(warehouse: Warehouse, shas: list[str], paths: list[str]) -> list[FileChange]:
    if not shas:
        return []
    rows = warehouse.query(
        "SELECT f.path, f.change_type, f.added_lines, f.deleted_lines, f.truncated, f.diff FROM "
        "file_changes f "
        "JOIN commits c ON c.id = f.commit_id WHERE c.sha IN (SELECT unnest(?)) AND NOT "
        "f.is_binary "
        "ORDER BY list_contains(?, f.path) DESC, f.path LIMIT ?",
        [shas, paths, MAX_FILES],
    ).rows
    return [
        FileChange(path, change, added, deleted, truncated, diff_rows(diff), path in paths)
        for path, change, added, deleted, truncated, diff in rows
    ]


def _add_edit(
    view: ItemView, record: InstructionRecord | AgentRecord, verdict: StoredVerdict | None
) -> None:
    """The values the edit form starts from, and the diff of the latest edit against the draft."""
    edited = parse_record(verdict.edited_record) if verdict and verdict.edited_record else None
    if isinstance(record, InstructionRecord):
        current = edited if isinstance(edited, InstructionRecord) else record
        view.edit_values = {name: getattr(current, name) for name in INSTRUCTION_FIELDS}
        if edited is not None:
            view.edit_diffs = [
                (name, rows)
                for name in INSTRUCTION_FIELDS
                if (rows := text_diff(getattr(record, name), view.edit_values[name], name))
            ]
    else:
        current_agent = edited if isinstance(edited, AgentRecord) else record
        view.edit_values = {"conversation": _conversation_json(current_agent)}
        if edited is not None:
            rows = text_diff(
                _conversation_json(record), view.edit_values["conversation"], "conversation"
            )
            view.edit_diffs = [("conversation", rows)] if rows else []


def _conversation_json(record: AgentRecord) -> str:
    return json.dumps(
        record.model_dump(exclude_none=True)["conversation"], ensure_ascii=False, indent=2
    )
