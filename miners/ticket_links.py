"""Links between tickets and the commits that mention them.

Key patterns are built from the keys the exports actually hold, so ``UTF-8`` or ``SHA-256`` never
become links unless a tracker really has a project called ``UTF`` with a ticket 8.

Methods, strongest first: a closing keyword (``fixes #12``, ``closes GH-3``, ``resolves
PROJ-12``), a ``Fixes:``/``Refs:``/``Closes:`` trailer, a merged pull or merge request (``Merge
pull request #14``, GitLab's ``See merge request group/project!12``), the branch name of a merge
commit (``feature/PROJ-30-csv``, GitLab's ``6-rounding``), a key at the start of the subject
(``PROJ-21 speed up export``) or anywhere in it, and a mention anywhere else.

``#12`` means a different ticket in every repository, so a ticket whose URL names its project
(``github.com/acme/shop/issues/12``) links only to the commits of repositories with a remote of that
project: :func:`ticket_project` and :func:`remote_project` name both sides the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from miners.commit_messages import parse_trailers

LINKS_VERSION = "links-2"

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
_LINK_TRAILERS = {
    "fixes",
    "closes",
    "resolves",
    "refs",
    "ref",
    "references",
    "related-to",
    "see",
    "issue",
    "jira",
}
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)")
_MERGE_REQUEST = re.compile(r"^See merge request \S*!(\d+)\s*$", re.MULTILINE)
_BRANCH = re.compile(
    r"^(?:Merge (?:remote-tracking )?branch '([^']+)'|Merge pull request #\d+ from (\S+)|Merged "
    r"in (\S+))"
)
# GitLab and GitHub name issue branches "<number>-<slug>" (also "issue-12", "gh-12")
# .../OWNER/REPO/issues/12 (github.com, GitHub Enterprise, gh's "url"),
# .../api/v3/repos/OWNER/REPO/...,
# api.github.com/repos/OWNER/REPO/..., GitLab's .../group/sub/project/-/issues/12 (or without "-/").
_API_REPOS = re.compile(r"^(?:api/v3/)?repos/([^/]+/[^/]+)/(?:issues|pulls)/")
_PROJECT_ITEM = re.compile(r"^(.+?)(?:/-)?/(?:issues|pull|pulls|merge_requests)/\d+")
_SCP_REMOTE = re.compile(r"^(?:[^@/]+@)?([^:/]{2,}):(?!//)(.+)$")  # git@github.com:acme/shop.git
_NUMBERED_BRANCH = re.compile(
    r"(?:^|/)(?:(?:issue|issues|gh|bug)[-_/]?)?(\d+)-[A-Za-z]", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class TicketLink:
    """One ticket ↔ commit link and how it was found."""

    ticket_key: str
    sha: str
    method: str
    confidence: float


class KeyMatcher:
    """Finds references to known ticket keys (``#12``, ``GH-12``, ``!12``, ``PROJ-12``) in text."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = set(keys)
        prefixes = sorted(
            {k.rsplit("-", 1)[0] for k in self.keys if re.fullmatch(r"[A-Za-z][\w]*-\d+", k)}
        )
        alternatives = [r"(?:\bGH-|#)(?P<num>\d+)\b"]
        if any(k.startswith("!") for k in self.keys):
            alternatives.append(r"(?<![\w!])!(?P<mr>\d+)\b")
        if prefixes:
            joined = "|".join(re.escape(p) for p in prefixes)
            alternatives.append(rf"\b(?P<key>(?:{joined})-\d+)\b")
        self._reference = "(?:" + "|".join(alternatives) + ")"
        self._any = re.compile(self._reference)
        self._closing = re.compile(
            _CLOSING + r"((?:[\w./-]*)" + self._reference + ")", re.IGNORECASE
        )

    def find(self, text: str) -> list[str]:
        """Known keys referenced anywhere in ``text``, in order of appearance."""
        return self._known(self._any.finditer(text))

    def find_closing(self, text: str) -> list[str]:
        """Known keys that ``text`` says it fixes, closes or resolves."""
        return self._known(self._closing.finditer(text))

    def find_numbered(self, number: str) -> list[str]:
        """Known keys for an issue number (``#12``, or ``!12`` for a merge request)."""
        return [key for key in (f"#{number}",) if key in self.keys]

    def _known(self, matches: Iterable[re.Match[str]]) -> list[str]:
        found: list[str] = []
        for match in matches:
            groups = match.groupdict()
            key = groups.get("key") or (
                f"#{groups['num']}"
                if groups.get("num")
                else f"!{groups['mr']}"
                if groups.get("mr")
                else None
            )
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
    offer(_branch_keys(matcher, subject), "branch_name")
    pull = _MERGE_PR.match(subject)
    offer(matcher.find_numbered(pull.group(1)) if pull else [], "merge_pull_request")
    offer(
        [k for k in (f"!{n}" for n in _MERGE_REQUEST.findall(message)) if k in matcher.keys],
        "merge_pull_request",
    )
    for trailer in parse_trailers(message):
        if trailer.key.lower() in _LINK_TRAILERS:
            offer(matcher.find(trailer.value), "trailer")
    offer(matcher.find_closing(message), "closing_keyword")
    return [TicketLink(key, sha, method, _CONFIDENCE[method]) for key, method in best.items()]


def _branch_keys(matcher: KeyMatcher, subject: str) -> list[str]:
    """Keys named by the branch a merge commit merged (``feature/proj-30-csv`` → PROJ-30)."""
    match = _BRANCH.match(subject)
    if match is None:
        return []
    branch = next(group for group in match.groups() if group)
    keys = matcher.find(branch.upper().replace("_", "-"))
    numbered = _NUMBERED_BRANCH.search(branch)
    return keys + (matcher.find_numbered(numbered.group(1)) if numbered else [])


def ticket_project(url: str) -> str | None:
    """The code-host project a ticket's URL names (``github.com/acme/shop``), or None (Jira, no
    URL)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host, path = parts.hostname.lower(), parts.path.strip("/")
    api = _API_REPOS.match(path)
    if api:
        return _project(host.removeprefix("api."), api.group(1))
    item = _PROJECT_ITEM.match(path)
    return _project(host, item.group(1)) if item else None


def remote_project(remote: str) -> str | None:
    """The project a git remote URL points at, named as :func:`ticket_project` names it."""
    remote = remote.strip()
    parts = urlsplit(remote)
    if parts.scheme and parts.hostname and parts.scheme not in ("file",):
        return _project(parts.hostname.lower(), parts.path.strip("/"))
    scp = _SCP_REMOTE.match(remote) if "://" not in remote else None
    return _project(scp.group(1).lower(), scp.group(2).strip("/")) if scp else None


def _project(host: str, path: str) -> str | None:
    path = path.lower().removesuffix(".git").strip("/")
    return f"{host}/{path}" if host and "/" in path else None
