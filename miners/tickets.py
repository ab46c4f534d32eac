"""Ticket exports read into one normalised shape.

Readers recognise a file's shape by its content, not its name. A file that cannot be read at all
raises :class:`TicketExportError`; a file with some bad records keeps the good ones and reports
each bad one (file and record number) in :attr:`TicketBatch.problems`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from miners.errors import TicketExportError

TICKETS_VERSION = "tickets-1"
_BOT_MARKERS = ("[bot]", "-bot", "bot@", "dependabot", "renovate", "github-actions")


@dataclass(frozen=True, slots=True)
class CommentFact:
    """One comment in a ticket's thread."""

    author: str
    created_at: datetime | None
    body: str
    is_bot: bool


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One ticket, issue or pull request, whatever tracker it came from."""

    source: str
    key: str
    title: str
    body: str
    type: str
    labels: tuple[str, ...]
    state: str
    created_at: datetime | None
    closed_at: datetime | None
    url: str
    author: str
    comments: tuple[CommentFact, ...]
    resolution: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketBatch:
    """What one export file gave: its tickets and one line per record that could not be read."""

    path: Path
    format: str
    tickets: list[TicketFact]
    problems: list[str]


def read_ticket_export(path: str | Path) -> TicketBatch:
    """Read one export file, recognising its format from its content."""
    file = Path(path)
    if not file.is_file():
        raise TicketExportError(f"{file}: no such ticket export; check the path given to --tickets")
    rows = _load_json_rows(file)
    reader = _reader_for(rows, file)
    tickets: list[TicketFact] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        try:
            tickets.append(reader(row))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problems.append(f"{file}: record {number}: {type(error).__name__}: {error}")
    if rows and not tickets:
        raise TicketExportError(f"{file}: none of {len(rows)} records could be read ({problems[0]})")
    return TicketBatch(path=file, format=reader.__name__.removeprefix("_read_"), tickets=tickets, problems=problems)


def _load_json_rows(file: Path) -> list[Any]:
    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TicketExportError(
            f"{file}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "export the tickets as a JSON array"
        ) from None
    if isinstance(data, dict):
        for key in ("issues", "items", "data"):
            if isinstance(data.get(key), list):
                return list(data[key])
    if not isinstance(data, list):
        raise TicketExportError(f"{file}: expected a JSON array of tickets, found {type(data).__name__}")
    return data


def _reader_for(rows: list[Any], file: Path) -> Callable[[Any], TicketFact]:
    first = next((row for row in rows if isinstance(row, dict)), None)
    if first is None:
        raise TicketExportError(f"{file}: no ticket records found; export at least one ticket")
    if "number" in first and ("html_url" in first or "user" in first):
        return _read_github_rest
    if "number" in first and ("createdAt" in first or "url" in first):
        return _read_github_cli
    raise TicketExportError(
        f"{file}: unknown ticket export shape (keys: {', '.join(sorted(first)[:8])}); use a GitHub issues export"
    )


def _is_bot(author: str) -> bool:
    lowered = author.lower()
    return any(marker in lowered for marker in _BOT_MARKERS)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _labels(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v["name"] if isinstance(v, dict) else v) for v in values or ())


def _read_github_rest(row: dict[str, Any]) -> TicketFact:
    """A GitHub REST ``/issues`` item (comments inline as a list when the exporter added them)."""
    comments = row.get("comments")
    return TicketFact(
        source="github",
        key=f"#{int(row['number'])}",
        title=str(row["title"]),
        body=str(row.get("body") or ""),
        type="pull_request" if row.get("pull_request") else "issue",
        labels=_labels(row.get("labels", ())),
        state=str(row.get("state", "")).lower(),
        created_at=_when(row.get("created_at")),
        closed_at=_when(row.get("closed_at")),
        url=str(row.get("html_url", "")),
        author=str((row.get("user") or {}).get("login", "")),
        comments=tuple(_rest_comment(c) for c in comments) if isinstance(comments, list) else (),
        resolution=str(row.get("state_reason") or ""),
    )


def _rest_comment(row: dict[str, Any]) -> CommentFact:
    author = str((row.get("user") or {}).get("login", ""))
    return CommentFact(author, _when(row.get("created_at")), str(row.get("body") or ""), _is_bot(author))


def _read_github_cli(row: dict[str, Any]) -> TicketFact:
    """An item of ``gh issue list --json number,title,body,state,labels,createdAt,closedAt,url,author,comments``."""
    return TicketFact(
        source="github",
        key=f"#{int(row['number'])}",
        title=str(row["title"]),
        body=str(row.get("body") or ""),
        type="pull_request" if "mergedAt" in row or "headRefName" in row else "issue",
        labels=_labels(row.get("labels", ())),
        state=str(row.get("state", "")).lower(),
        created_at=_when(row.get("createdAt")),
        closed_at=_when(row.get("closedAt")),
        url=str(row.get("url", "")),
        author=str((row.get("author") or {}).get("login", "")),
        comments=tuple(_cli_comment(c) for c in row.get("comments") or ()),
        resolution=str(row.get("stateReason") or ""),
    )


def _cli_comment(row: dict[str, Any]) -> CommentFact:
    author = str((row.get("author") or {}).get("login", ""))
    return CommentFact(author, _when(row.get("createdAt")), str(row.get("body") or ""), _is_bot(author))
