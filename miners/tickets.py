"""Ticket exports read into one normalised shape (:class:`TicketFact`).

A file's format is recognised by its content, not its name: GitHub issues (REST API JSON, or
``gh issue list --json …``), GitLab issues and merge requests (API JSON, NDJSON), Jira (the CSV
export Jira writes, or REST search JSON), and any other CSV/JSON/NDJSON export whose columns
``goldmine.toml`` maps (:class:`TicketMapping`).

A file that cannot be read at all raises :class:`TicketExportError` (one line naming the file and
what is wrong); a file with some bad records keeps the good ones and reports each bad one (file
and record number) in :attr:`TicketBatch.problems`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miners import github_tickets, gitlab_tickets, jira_tickets
from miners.errors import TicketExportError
from miners.generic_tickets import TicketMapping, generic_reader
from miners.ticket_facts import TICKETS_VERSION, CommentFact, TicketFact
from miners.ticket_records import CsvRecord

__all__ = [
    "TICKETS_VERSION",
    "CommentFact",
    "TicketBatch",
    "TicketFact",
    "TicketMapping",
    "missing_comments_note",
    "read_ticket_export",
]

Reader = Callable[[Any], TicketFact]
_LIST_KEYS = ("issues", "items", "data", "values")
_READ_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass(frozen=True, slots=True)
class TicketBatch:
    """What one export file gave: its tickets and one line per record that could not be read."""

    path: Path
    format: str
    tickets: list[TicketFact]
    problems: list[str]


def read_ticket_export(path: str | Path, mapping: TicketMapping | None = None) -> TicketBatch:
    """Read one export file, recognising its format from its content."""
    file = Path(path)
    if not file.is_file():
        raise TicketExportError(f"{file}: no such ticket export; check the path given to --tickets")
    text = file.read_bytes().decode("utf-8-sig", errors="replace")
    records, problems = _load_records(file, text)
    total = len(records) + len(problems)
    if not records and problems:
        raise TicketExportError(
            f"{file}: none of its {total} records could be read ({problems[0]})"
        )
    name, reader = _reader_for(records, file, mapping)
    tickets: list[TicketFact] = []
    for label, record in records:
        try:
            tickets.append(reader(record))
        except _READ_ERRORS as error:
            problems.append(f"{file}: {label}: {type(error).__name__}: {error}")
    if not tickets:
        first = f" ({problems[0]})" if problems else ""
        raise TicketExportError(f"{file}: none of its {total} records could be read{first}")
    return TicketBatch(path=file, format=name, tickets=tickets, problems=problems)


def missing_comments_note(batch: TicketBatch) -> str | None:
    """One line when the export's closed tickets count comments it does not carry, naming how to
    export them; None when the threads are there (or no ticket counts any).

    Without the comments every closed ticket is skipped as "no resolution in the thread", which
    reads as if the tickets, not the export, were the problem.
    """
    bare = [
        t for t in batch.tickets if t.state == "closed" and t.uncarried_comments and not t.comments
    ]
    if not bare:
        return None
    closed = sum(1 for t in batch.tickets if t.state == "closed")
    example = bare[0]
    return (
        f"{batch.path}: {len(bare)} of {closed} closed ticket(s) count comments the export does "
        f"not carry ({example.key} has {example.uncarried_comments}, none inline), so their "
        f"threads cannot be read; {_comments_command(example)}"
    )


def _comments_command(ticket: TicketFact) -> str:
    """How to export the tickets of ``ticket``'s tracker with their comments inline."""
    if ticket.source == "gitlab":
        return (
            "inline each issue's notes as `notes` (`glab api --paginate "
            "projects/ID/issues/IID/notes`) and export again"
        )
    parts = ticket.url.split("/")
    repo = "/".join(parts[3:5]) if len(parts) > 4 and "github" in ticket.url else "OWNER/REPO"
    return (
        f"export them with the comments: `gh issue list --repo {repo} --state all --limit 100000 "
        "--json number,title,body,state,labels,createdAt,closedAt,url,author,comments "
        "> issues.json` (or add each issue's `gh api --paginate "
        f"repos/{repo}/issues/NUMBER/comments` as its `comments` list)"
    )


def _load_records(file: Path, text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    """(label, record) pairs in file order, and a problem line for each record that did not
    parse."""
    stripped = text.lstrip()
    if not stripped:
        raise TicketExportError(f"{file}: the file is empty; export at least one ticket")
    if stripped[0] in "[{":
        return _json_records(file, text)
    return _csv_records(file, text)


def _json_records(file: Path, text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    """One JSON document; or many in a row (NDJSON, or pages concatenated as ``glab api
    --paginate`` writes them), where a line that is not JSON is a bad record, not a bad file."""
    try:
        return _numbered(_unwrap(file, json.loads(text))), []
    except json.JSONDecodeError as error:
        values = list(_json_values(text))
        if isinstance(values[0][1], json.JSONDecodeError):  # not even the first value parses
            raise TicketExportError(
                f"{file}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                "export the tickets as a JSON array or one JSON object per line"
            ) from None
    records: list[tuple[str, Any]] = []
    problems: list[str] = []
    for line, value in values:
        where = f"{file}: record {len(records) + len(problems) + 1} (line {line})"
        if isinstance(value, json.JSONDecodeError):
            problems.append(f"{where}: not valid JSON ({value.msg})")
        elif isinstance(value, dict | list):
            records += [
                (f"record {len(records) + len(problems) + 1}", record)
                for record in _unwrap(file, value)
            ]
        else:
            problems.append(f"{where}: a JSON {type(value).__name__}, not a ticket object")
    return records, problems


def _numbered(records: list[Any]) -> list[tuple[str, Any]]:
    return [(f"record {number}", record) for number, record in enumerate(records, start=1)]


def _json_values(text: str) -> Iterator[tuple[int, Any]]:
    """Each JSON value in ``text`` with its line; a value that does not parse yields its error
    and reading goes on at the next line."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield line, error
            next_line = text.find("\n", position)
            position = len(text) if next_line == -1 else next_line + 1
            continue
        yield line, value


def _unwrap(file: Path, value: Any) -> list[Any]:
    """The ticket records of one JSON value: an array, an object wrapping one (``{"issues": […]}``
    as Jira's search returns), or a single ticket object."""
    if isinstance(value, list):
        return [
            record for item in value for record in (_unwrap(file, item) if _wraps(item) else [item])
        ]
    if isinstance(value, dict):
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list):
                return list(value[key])
        return [value]
    raise TicketExportError(
        f"{file}: expected a JSON array of tickets, found {type(value).__name__}"
    )


def _wraps(item: Any) -> bool:
    return isinstance(item, dict) and any(isinstance(item.get(key), list) for key in _LIST_KEYS)


def _csv_records(file: Path, text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    """Rows of a CSV export with their header; repeated columns (Jira's ``Comment``, ``Labels``)
    keep every value. A row that does not fit the header is a bad record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[str, Any]] = []
    problems: list[str] = []
    try:
        header = next(reader)
        if len(header) < 2:
            raise TicketExportError(
                f"{file}: not a ticket export (neither JSON nor CSV with a header row)"
            )
        for number, row in enumerate(reader, start=1):
            label = f"record {number} (line {reader.line_num})"
            if not any(cell.strip() for cell in row):
                continue
            try:
                records.append((label, CsvRecord.of(header, row)))
            except ValueError as error:
                problems.append(f"{file}: {label}: {error}")
    except csv.Error as error:
        raise TicketExportError(
            f"{file}: not valid CSV (line {reader.line_num}: {error}); export it again"
        ) from None
    return records, problems


def _reader_for(
    records: list[tuple[str, Any]], file: Path, mapping: TicketMapping | None
) -> tuple[str, Reader]:
    first = next((record for _, record in records if isinstance(record, dict | CsvRecord)), None)
    if first is None:
        raise TicketExportError(f"{file}: no ticket records found; export at least one ticket")
    for name, matches, reader in _KNOWN_FORMATS:
        if matches(first):
            return name, reader
    if mapping is not None and mapping.columns:
        return "generic", generic_reader(mapping)
    keys = first.columns() if isinstance(first, CsvRecord) else sorted(first)
    raise TicketExportError(
        f"{file}: unknown ticket export shape (columns: {', '.join(keys[:8])}); export GitHub, "
        "GitLab "
        "or Jira tickets, or map the columns in goldmine.toml under [tickets.mapping]"
    )


_KNOWN_FORMATS: tuple[tuple[str, Callable[[Any], bool], Reader], ...] = (
    ("github_rest", github_tickets.is_rest, github_tickets.read_rest),
    ("github_cli", github_tickets.is_cli, github_tickets.read_cli),
    ("gitlab", gitlab_tickets.is_gitlab, gitlab_tickets.read_gitlab),
    ("jira_rest", jira_tickets.is_rest, jira_tickets.read_rest),
    ("jira_csv", jira_tickets.is_csv, jira_tickets.read_csv),
)
