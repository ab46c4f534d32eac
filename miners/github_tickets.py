"""GitHub issues and pull requests: the REST API's ``/issues`` items and ``gh issue list
--json``."""

from __future__ import annotations

from typing import Any

from miners.ticket_facts import CommentFact, TicketFact, is_bot_author, names, parse_time


def is_rest(first: Any) -> bool:
    """True for a REST API issue object."""
    return (
        isinstance(first, dict) and "number" in first and ("html_url" in first or "user" in first)
    )


def is_cli(first: Any) -> bool:
    """True for an item of ``gh issue list --json …`` (or ``gh pr list``)."""
    return (
        isinstance(first, dict) and "number" in first and ("createdAt" in first or "url" in first)
    )


def read_rest(row: dict[str, Any]) -> TicketFact:
    """A GitHub REST ``/issues`` item (comments inline as a list when the exporter added them)."""
    comments = row.get("comments")
    milestone = row.get("milestone") or {}
    return TicketFact(
        source="github",
        key=f"#{int(row['number'])}",
        title=str(row["title"]),
        body=str(row.get("body") or ""),
        type="pull_request" if row.get("pull_request") else "issue",
        labels=names(row.get("labels", ())),
        state=str(row.get("state", "")).lower(),
        created_at=parse_time(row.get("created_at")),
        closed_at=parse_time(row.get("closed_at")),
        url=str(row.get("html_url", "")),
        author=str((row.get("user") or {}).get("login", "")),
        comments=tuple(_rest_comment(c) for c in comments) if isinstance(comments, list) else (),
        resolution=str(row.get("state_reason") or ""),
        fields={"milestone": milestone.get("title", "")} if milestone else {},
        uncarried_comments=_count(comments),
    )


def _count(comments: Any) -> int:
    """The REST API's comment count, when the export carries a number instead of the texts."""
    return comments if isinstance(comments, int) and not isinstance(comments, bool) else 0


def _rest_comment(row: dict[str, Any]) -> CommentFact:
    author = str((row.get("user") or {}).get("login", ""))
    return CommentFact(
        author, parse_time(row.get("created_at")), str(row.get("body") or ""), is_bot_author(author)
    )


def read_cli(row: dict[str, Any]) -> TicketFact:
    """An item of ``gh issue list --json
    number,title,body,state,labels,createdAt,closedAt,url,author,comments``."""
    return TicketFact(
        source="github",
        key=f"#{int(row['number'])}",
        title=str(row["title"]),
        body=str(row.get("body") or ""),
        type="pull_request" if "mergedAt" in row or "headRefName" in row else "issue",
        labels=names(row.get("labels", ())),
        state=str(row.get("state", "")).lower(),
        created_at=parse_time(row.get("createdAt")),
        closed_at=parse_time(row.get("closedAt")),
        url=str(row.get("url", "")),
        author=str((row.get("author") or {}).get("login", "")),
        comments=tuple(_cli_comment(c) for c in row.get("comments") or ()),
        resolution=str(row.get("stateReason") or ""),
    )


def _cli_comment(row: dict[str, Any]) -> CommentFact:
    author = str((row.get("author") or {}).get("login", ""))
    return CommentFact(
        author, parse_time(row.get("createdAt")), str(row.get("body") or ""), is_bot_author(author)
    )
