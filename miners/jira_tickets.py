"""Jira issues: the CSV export Jira writes, and the REST search JSON (``issues[].fields``).

The CSV repeats a column once per value (``Labels``, ``Component/s``, ``Comment`` …) and writes
each comment as ``date;author;body``. Its times have no zone (they are in the exporting user's
zone) and are read as UTC. REST descriptions may be Atlassian Document Format (API v3): they are
flattened to text.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from miners.ticket_facts import (
    CommentFact,
    TicketFact,
    compact,
    names,
    open_or_closed,
    parse_time,
    plain_text,
)
from miners.ticket_records import CsvRecord

# Jira Cloud's "Automation for Jira" account; its comments are not the discussion.
_AUTOMATION_ACCOUNT = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
_NO_RESOLUTION = {"", "unresolved", "none"}


def is_csv(first: Any) -> bool:
    """True for a row of Jira's CSV export."""
    return isinstance(first, CsvRecord) and {"Issue key", "Summary"} <= set(first.columns())


def is_rest(first: Any) -> bool:
    """True for an issue of Jira's REST search (``/rest/api/2|3/search``)."""
    return isinstance(first, dict) and "key" in first and isinstance(first.get("fields"), dict)


def read_csv(row: CsvRecord) -> TicketFact:
    """One row of a Jira CSV export."""
    key = row.first("Issue key")
    if not key:
        raise ValueError("no Issue key")
    closed_at = parse_time(row.first("Resolved"))
    status = row.first("Status")
    category = row.first("Status Category")
    return TicketFact(
        source="jira",
        key=key.strip(),
        title=row.first("Summary"),
        body=wiki_to_markdown(row.first("Description")),
        type=row.first("Issue Type"),
        labels=tuple(row.all("Labels")),
        state=open_or_closed("done" if category.lower() == "done" else status, closed_at),
        created_at=parse_time(row.first("Created")),
        closed_at=closed_at,
        url="",
        author=row.first("Reporter"),
        comments=tuple(_csv_comment(value) for value in row.all("Comment")),
        resolution=_resolution(row.first("Resolution")),
        fields=compact(
            {
                "status": status,
                "priority": row.first("Priority"),
                "components": row.all("Component/s"),
                "versions": row.all("Affects Version/s"),
                "fix_versions": row.all("Fix Version/s"),
                "environment": row.first("Environment"),
                "reporter": row.first("Reporter"),
                "reporter_id": row.first("Reporter Id"),
                "assignee": row.first("Assignee"),
                "project": row.first("Project name"),
            }
        ),
    )


_WIKI_CODE = re.compile(
    r"\{(?:code|noformat)(?::([\w+-]+))?[^}]*\}\n?(.*?)\{(?:code|noformat)\}", re.DOTALL
)
_WIKI_MONOSPACE = re.compile(r"\{\{(.+?)\}\}")


def wiki_to_markdown(text: str) -> str:
    """Jira wiki markup's code blocks and monospace as Markdown, so every reader sees one
    notation."""
    fenced = _WIKI_CODE.sub(lambda m: f"```{m.group(1) or ''}\n{m.group(2).rstrip()}\n```", text)
    quoted = re.sub(r"(?m)^bq\.\s+", "> ", fenced)
    return _WIKI_MONOSPACE.sub(lambda m: f"`{m.group(1)}`", quoted)


def _csv_comment(value: str) -> CommentFact:
    """``03/Jan/24 9:15 AM;557058:abc;The body; which may hold semicolons``."""
    parts = value.split(";", 2)
    if len(parts) == 3:
        try:
            written = parse_time(parts[0])
        except ValueError:
            written = None
        if written is not None:
            return CommentFact(
                parts[1], written, wiki_to_markdown(parts[2].strip()), _is_automation(parts[1])
            )
    return CommentFact("", None, wiki_to_markdown(value.strip()), False)


def read_rest(issue: dict[str, Any]) -> TicketFact:
    """One issue of a REST search result."""
    fields = issue["fields"]
    status = fields.get("status") or {}
    closed_at = parse_time(fields.get("resolutiondate"))
    done = (status.get("statusCategory") or {}).get("key") == "done"
    return TicketFact(
        source="jira",
        key=str(issue["key"]),
        title=str(fields.get("summary") or ""),
        body=plain_text(fields.get("description")),
        type=str((fields.get("issuetype") or {}).get("name", "")),
        labels=names(fields.get("labels")),
        state=open_or_closed("done" if done else str(status.get("name", "")), closed_at),
        created_at=parse_time(fields.get("created")),
        closed_at=closed_at,
        url=_browse_url(str(issue.get("self", "")), str(issue["key"])),
        author=_display_name(fields.get("reporter")),
        comments=tuple(_rest_comment(c) for c in (fields.get("comment") or {}).get("comments", ())),
        resolution=_resolution(str((fields.get("resolution") or {}).get("name", ""))),
        fields=compact(
            {
                "status": status.get("name", ""),
                "priority": (fields.get("priority") or {}).get("name", ""),
                "components": list(names(fields.get("components"))),
                "versions": list(names(fields.get("versions"))),
                "fix_versions": list(names(fields.get("fixVersions"))),
                "environment": plain_text(fields.get("environment")),
                "reporter": _display_name(fields.get("reporter")),
                "assignee": _display_name(fields.get("assignee")),
                "project": (fields.get("project") or {}).get("name", ""),
            }
        ),
    )


def _rest_comment(row: dict[str, Any]) -> CommentFact:
    author = row.get("author") or {}
    name = _display_name(author)
    is_bot = (
        author.get("accountType") == "app"
        or _is_automation(str(author.get("accountId", "")))
        or (_is_automation(name))
    )
    return CommentFact(name, parse_time(row.get("created")), plain_text(row.get("body")), is_bot)


def _display_name(person: Any) -> str:
    return (
        str(person.get("displayName") or person.get("name") or "")
        if isinstance(person, dict)
        else ""
    )


def _browse_url(api_url: str, key: str) -> str:
    """``https://x.atlassian.net/rest/api/2/issue/10001`` →
    ``https://x.atlassian.net/browse/KEY``."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/browse/{key}" if parts.scheme and parts.netloc else ""


def _resolution(value: str) -> str:
    return "" if value.strip().lower() in _NO_RESOLUTION else value.strip()


def _is_automation(author: str) -> bool:
    return author == _AUTOMATION_ACCOUNT or "automation" in author.lower()
