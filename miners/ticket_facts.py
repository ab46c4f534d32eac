"""The normalised shape every ticket reader gives, and the small conversions they share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TICKETS_VERSION = "tickets-2"
_BOT_MARKERS = ("[bot]", "-bot", "bot@", "dependabot", "renovate", "github-actions")
# Jira writes dates as its instance is configured; these are its defaults and common variants.
_DATE_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M",
)
_CLOSED_STATES = {
    "closed",
    "done",
    "resolved",
    "fixed",
    "complete",
    "completed",
    "solved",
    "cancelled",
    "canceled",
    "rejected",
    "won't fix",
    "wont fix",
    "wontfix",
    "won't do",
    "duplicate",
    "merged",
    "released",
}


@dataclass(frozen=True, slots=True)
class CommentFact:
    """One comment in a ticket's thread."""

    author: str
    created_at: datetime | None
    body: str
    is_bot: bool


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One ticket, issue or pull request, whatever tracker it came from.

    ``state`` is ``open`` or ``closed`` (the tracker's own status name is in ``fields``);
    ``fields`` holds what only some trackers have: components, versions, fix_versions,
    environment, priority, milestone, reporter, assignee, status.
    """

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
    fields: Mapping[str, Any] = field(default_factory=dict)
    # Comments the tracker counts that the export does not carry (a GitHub REST item's
    # ``comments: 3`` without the texts): the export, not the ticket, lacks the thread.
    uncarried_comments: int = 0


def is_bot_author(author: str) -> bool:
    """True for accounts of bots (``dependabot[bot]``, ``renovate``, ``ci-bot`` …)."""
    lowered = author.lower()
    return any(marker in lowered for marker in _BOT_MARKERS)


def parse_time(value: Any) -> datetime | None:
    """A timestamp from ISO 8601, Jira's ``03/Jan/24 8:00 AM`` forms, or epoch seconds.

    Times written without a zone (Jira's CSV) are taken as UTC. A value that is none of these
    raises ValueError, so the record it is in is reported as bad.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse_with_formats(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_with_formats(text: str) -> datetime:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")


def names(values: Iterable[Any] | None) -> tuple[str, ...]:
    """Names of labels, components or versions given as strings or as ``{"name": …}`` objects."""
    out = []
    for value in values or ():
        name = value.get("name") or value.get("title") if isinstance(value, dict) else value
        if name not in (None, ""):
            out.append(str(name))
    return tuple(out)


def open_or_closed(status: str, closed_at: datetime | None = None) -> str:
    """``closed`` for statuses that end a ticket (Done, Resolved, Won't Fix …), else ``open``."""
    if status.strip().lower() in _CLOSED_STATES or closed_at is not None:
        return "closed"
    return "open" if status.strip() else ""


def compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` without empty values."""
    return {key: value for key, value in fields.items() if value not in (None, "", [], (), {})}


def plain_text(value: Any) -> str:
    """Text from a string or from Atlassian Document Format (Jira Cloud's REST API v3)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return re.sub(r"\n{3,}", "\n\n", _adf_text(value)).strip()
    return str(value)


def _adf_text(node: dict[str, Any]) -> str:
    kind = node.get("type", "")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    inner = "".join(
        _adf_text(child) for child in node.get("content", []) if isinstance(child, dict)
    )
    if kind == "codeBlock":
        return f"```\n{inner}\n```\n\n"
    if kind == "listItem":
        return f"- {inner.strip()}\n"
    if kind in ("paragraph", "heading", "blockquote"):
        return f"{inner}\n\n"
    return inner
