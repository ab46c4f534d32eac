"""Links between tickets and the commits that mention them.

Key patterns are built from the keys the exports actually hold, so ``UTF-8`` or ``SHA-256`` never
become links unless a tracker really has a project called ``UTF`` with a ticket 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LINKS_VERSION = "links-1"

# Strongest evidence first: a commit linked twice keeps the best method.
_CONFIDENCE = {
    "closing_keyword": 0.95,
    "trailer": 0.95,
    "merge_pull_request": 0.9,
    "branch_name": 0.8,
    "subject_key": 0.7,
    "mention": 0.5,
}
_CLOSING = r"(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\s*:?\s+"
_TRAILER = re.compile(r"^(?:fixes|refs|closes|resolves|related-to)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)")
_BRANCH = re.compile(r"^Merge (?:branch|remote-tracking branch) '([^']+)'")


@dataclass(frozen=True, slots=True)
class TicketLink:
    """One ticket ↔ commit link and how it was found."""

    ticket_key: str
    sha: str
    method: str
    confidence: float


class KeyMatcher:
    """Finds references to known ticket keys (``#12``, ``GH-12``, ``PROJ-12``) in text."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = set(keys)
        prefixes = sorted({k.rsplit("-", 1)[0] for k in self.keys if re.fullmatch(r"[A-Za-z][\w]*-\d+", k)})
        alternatives = [r"(?:GH-|#)(?P<num>\d+)\b"]
        if prefixes:
            joined = "|".join(re.escape(p) for p in prefixes)
            alternatives.append(rf"\b(?P<key>(?:{joined})-\d+)\b")
        self._reference = "(?:" + "|".join(alternatives) + ")"
        self._any = re.compile(self._reference)
        self._closing = re.compile(_CLOSING + r"((?:[\w./-]*)" + self._reference + ")", re.IGNORECASE)

    def find(self, text: str) -> list[str]:
        """Known keys referenced anywhere in ``text``, in order of appearance."""
        return self._known(self._any.finditer(text))

    def find_closing(self, text: str) -> list[str]:
        """Known keys that ``text`` says it fixes, closes or resolves."""
        return self._known(self._closing.finditer(text))

    def _known(self, matches: Iterable[re.Match[str]]) -> list[str]:
        found: list[str] = []
        for match in matches:
            groups = match.groupdict()
            key = groups.get("key") or (f"#{groups['num']}" if groups.get("num") else None)
            if key and key in self.keys and key not in found:
                found.append(key)
        return found


def link_commit(matcher: KeyMatcher, sha: str, message: str) -> list[TicketLink]:
    """Every ticket this commit message refers to, each with its strongest method."""
    subject = message.split("\n", 1)[0]
    best: dict[str, str] = {}

    def offer(keys: Iterable[str], method: str) -> None:
        for key in keys:
            if key not in best or _CONFIDENCE[method] > _CONFIDENCE[best[key]]:
                best[key] = method

    offer(matcher.find(message), "mention")
    offer(matcher.find(subject), "subject_key")
    branch = _BRANCH.match(subject)
    if branch:
        offer(matcher.find(branch.group(1).replace("_", "-")), "branch_name")
    pull = _MERGE_PR.match(subject)
    if pull:
        offer([k for k in (f"#{pull.group(1)}",) if k in matcher.keys], "merge_pull_request")
    for trailer in _TRAILER.finditer(message):
        offer(matcher.find(trailer.group(1)), "trailer")
    offer(matcher.find_closing(message), "closing_keyword")
    return [TicketLink(key, sha, method, _CONFIDENCE[method]) for key, method in best.items()]
