"""GitLab issues and merge requests, as the REST API (v4) returns them.

Issues are keyed ``#iid`` and merge requests ``!iid``, as GitLab references them. GitLab serves
comments separately (``/notes``); an exporter that inlines them as ``notes`` (or ``comments``)
gets them read, with GitLab's own system notes ("changed the description") marked as bot notes.
"""

from __future__ import annotations

from typing import Any

from miners.ticket_facts import CommentFact, TicketFact, compact, is_bot_author, names, parse_time


def is_gitlab(first: Any) -> bool:
    """True for a GitLab issue or merge request object."""
    return (
        isinstance(first, dict) and "iid" in first and ("project_id" in first or "web_url" in first)
    )


def read_gitlab(row: dict[str, Any]) -> TicketFact:
    """One issue or merge request."""
    is_merge_request = "source_branch" in row or "merged_at" in row
    state = str(row.get("state", "")).lower()
    return TicketFact(
        source="gitlab",
        key=f"{'!' if is_merge_request else '#'}{int(row['iid'])}",
        title=str(row["title"]),
        body=str(row.get("description") or ""),
        type="merge_request"
        if is_merge_request
        else str(row.get("issue_type") or row.get("type") or "issue").lower(),
        labels=names(row.get("labels", ())),
        state="open" if state in ("opened", "open", "reopened") else "closed" if state else "",
        created_at=parse_time(row.get("created_at")),
        closed_at=parse_time(row.get("closed_at") or row.get("merged_at")),
        url=str(row.get("web_url", "")),
        author=_username(row.get("author")),
        comments=tuple(
            _note(n) for n in row.get("notes") or row.get("comments") or () if isinstance(n, dict)
        ),
        resolution="merged" if state == "merged" else "",
        uncarried_comments=_uncarried_notes(row),
        fields=compact(
            {
                "status": state,
                "milestone": (row.get("milestone") or {}).get("title", ""),
                "severity": row.get("severity", ""),
                "assignee": ", ".join(_username(a) for a in row.get("assignees") or ()),
                "reference": (row.get("references") or {}).get("full", ""),
                "source_branch": row.get("source_branch", ""),
            }
        ),
    )


def _username(person: Any) -> str:
    return (
        str(person.get("username") or person.get("name") or "") if isinstance(person, dict) else ""
    )


def _note(row: dict[str, Any]) -> CommentFact:
    author = _username(row.get("author"))
    is_bot = bool(row.get("system")) or is_bot_author(author)
    return CommentFact(
        author, parse_time(row.get("created_at")), str(row.get("body") or ""), is_bot
    )


def _uncarried_notes(row: dict[str, Any]) -> int:
    """GitLab's ``user_notes_count`` when the export carries no notes (the API lists them
    apart)."""
    count = row.get("user_notes_count")
    if row.get("notes") or row.get("comments") or not isinstance(count, int):
        return 0
    return max(count, 0)
