"""Commit and ticket text made ready to quote: trailers and bare ticket lines dropped, prose
unwrapped."""

from __future__ import annotations

import re

_TRAILER = re.compile(r"^[A-Za-z][\w-]*:\s+\S.*$")
_TICKET_ONLY_LINE = re.compile(
    r"^\s*(?:(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?|refs?|see)\s*:?\s*)?(?:[\w./-]*#\d+|[A-Z][A-"
    r"Z0-9]+-\d+)[\s,.]*$",
    re.IGNORECASE,
)


def explanation(body: str) -> str:
    """The commit body as prose: trailers and bare ticket references removed, paragraphs
    unwrapped."""
    lines = [line for line in body.strip().splitlines() if not _TICKET_ONLY_LINE.match(line)]
    while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1])):
        lines.pop()
    paragraphs = "\n".join(lines).strip().split("\n\n")
    return clip("\n\n".join(_unwrap(p) for p in paragraphs if p.strip()), 1_200)


def _unwrap(paragraph: str) -> str:
    """Join a hard-wrapped prose paragraph into one line; lists and indented code keep their
    lines."""
    lines = paragraph.splitlines()
    if any(
        line.startswith((" ", "\t", "-", "*", "```")) or re.match(r"\d+[.)] ", line)
        for line in lines
    ):
        return paragraph
    return " ".join(line.strip() for line in lines)


def clip(text: str, limit: int) -> str:
    """``text`` cut at a line end before ``limit`` characters, marked with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit("\n", 1)[0] if "\n" in text[:limit] else text[:limit]
    if cut.count("```") % 2:  # never end inside a code block: cut before it opens
        cut = cut[: cut.rindex("```")].rstrip()
    return cut.rstrip() + " …"
