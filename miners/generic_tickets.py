"""Any other ticket export — CSV, JSON or NDJSON — read through a column mapping.

The mapping comes from ``goldmine.toml``::

    [tickets]
    source = "zendesk"          # what the tickets' ``tracker`` says
    key_prefix = "SUP-"         # prepended to each key ("SUP-" + "123" → SUP-123)
    list_separator = ","        # how labels are joined in one CSV cell

    [tickets.mapping]           # normalised field = the export's column (JSON: dotted key path)
    key = "id"
    title = "subject"
    body = "description"
    comments = "thread"         # a JSON list of {author, created_at, body}, or plain text
    component = "product_area"  # any other name is kept in the ticket's fields

``key`` and ``title`` are required; the common fields are key, title, body, type, labels, state,
created, closed, url, comments, resolution and author.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from miners.errors import TicketExportError
from miners.ticket_facts import (
    CommentFact,
    TicketFact,
    compact,
    is_bot_author,
    open_or_closed,
    parse_time,
)
from miners.ticket_records import CsvRecord

COMMON_FIELDS = frozenset(
    {
        "key",
        "title",
        "body",
        "type",
        "labels",
        "state",
        "created",
        "closed",
        "url",
        "comments",
        "resolution",
        "author",
    }
)
_COMMENT_KEYS = {
    "author": ("author", "user", "by", "name", "from"),
    "created": ("created_at", "created", "date", "time", "timestamp"),
    "body": ("body", "text", "comment", "message", "content"),
}


@dataclass(frozen=True, slots=True)
class TicketMapping:
    """Where a generic export keeps each ticket field (normalised name → column or key path)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    source: str = "generic"
    key_prefix: str = ""
    list_separator: str = ","


def generic_reader(mapping: TicketMapping) -> Callable[[Any], TicketFact]:
    """A reader of records (JSON objects or CSV rows) through ``mapping``."""
    missing = sorted({"key", "title"} - set(mapping.columns))
    if missing:
        raise TicketExportError(
            f"goldmine.toml [tickets.mapping] lacks {' and '.join(missing)}: name their columns"
        )

    def read(record: dict[str, Any] | CsvRecord) -> TicketFact:
        values = record.as_dict() if isinstance(record, CsvRecord) else record
        return _ticket(
            mapping,
            lambda name: (
                _lookup(values, mapping.columns[name]) if name in mapping.columns else None
            ),
        )

    return read


def _ticket(mapping: TicketMapping, get: Callable[[str], Any]) -> TicketFact:
    key = _text(get("key"))
    if not key:
        raise ValueError(f"no key in column {mapping.columns['key']!r}")
    closed_at = parse_time(_text(get("closed")) or None)
    status = _text(get("state"))
    extra = {name: get(name) for name in mapping.columns if name not in COMMON_FIELDS}
    return TicketFact(
        source=mapping.source,
        key=f"{mapping.key_prefix}{key}" if not key.startswith(mapping.key_prefix) else key,
        title=_text(get("title")),
        body=_text(get("body")),
        type=_text(get("type")),
        labels=_list(get("labels"), mapping.list_separator),
        state=open_or_closed(status, closed_at),
        created_at=parse_time(_text(get("created")) or None),
        closed_at=closed_at,
        url=_text(get("url")),
        author=_person(get("author")),
        comments=_comments(get("comments")),
        resolution=_text(get("resolution")),
        fields=compact({"status": status, **extra}),
    )


def _lookup(values: Mapping[str, Any], path: str) -> Any:
    """``values[path]``, or for a dotted path the nested value (``fields.summary``)."""
    if path in values:
        return values[path]
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n\n".join(_text(item) for item in value)
    return str(value).strip()


def _list(value: Any, separator: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else str(value).split(separator)
    return tuple(text for text in (_person(item) for item in items) if text)


def _person(value: Any) -> str:
    if isinstance(value, Mapping):
        return _text(
            value.get("name")
            or value.get("login")
            or value.get("username")
            or value.get("displayName")
        )
    return _text(value)


def _comments(value: Any) -> tuple[CommentFact, ...]:
    """Comments from a list (of objects or strings), a JSON-encoded list, or one plain text."""
    if value in (None, "", []):
        return ()
    if isinstance(value, str) and value.lstrip().startswith("["):
        with contextlib.suppress(json.JSONDecodeError):  # then it is one comment's text
            value = json.loads(value)
    items = value if isinstance(value, list) else [value]
    return tuple(_comment(item) for item in items if item not in (None, ""))


def _comment(item: Any) -> CommentFact:
    if not isinstance(item, Mapping):
        return CommentFact("", None, _text(item), False)
    pick = {
        role: next((item[k] for k in keys if item.get(k) not in (None, "")), None)
        for role, keys in _COMMENT_KEYS.items()
    }
    author = _person(pick["author"])
    return CommentFact(
        author, parse_time(pick["created"]), _text(pick["body"]), is_bot_author(author)
    )
