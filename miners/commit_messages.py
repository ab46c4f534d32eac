"""Facts read off a commit message: trailers, reverts, cherry-picks, bots and version bumps.

Trailers follow ``git interpret-trailers``: they are the ``Key: value`` lines of the message's last
paragraph, where every line is a trailer (or continues one), or at least a quarter are and one is
a trailer git writes itself (``Signed-off-by``, ``(cherry picked from commit …)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MESSAGES_VERSION = "messages-1"

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_CHERRY_PICK = re.compile(r"^\(cherry picked from commit ([0-9a-f]{7,40})\)\s*$", re.MULTILINE)
_REVERT = re.compile(r"^This reverts commit ([0-9a-f]{7,40})\b", re.MULTILINE)
_GIT_TRAILERS = ("signed-off-by",)
# Canonical spellings for the trailers goldmine reads; others keep the case they were written in.
_CANONICAL = {
    "signed-off-by": "Signed-off-by",
    "co-authored-by": "Co-authored-by",
    "fixes": "Fixes",
    "refs": "Refs",
    "closes": "Closes",
    "resolves": "Resolves",
    "reviewed-by": "Reviewed-by",
    "acked-by": "Acked-by",
    "tested-by": "Tested-by",
    "reported-by": "Reported-by",
}
PERSON_TRAILERS = frozenset(
    {"Signed-off-by", "Co-authored-by", "Reviewed-by", "Acked-by", "Tested-by", "Reported-by"}
)
_PERSON = re.compile(r"^(.*?)\s*<([^>]*)>\s*$")
_BOT_NAMES = re.compile(
    r"\[bot\]|^(?:dependabot|renovate|greenkeeper|snyk-bot|imgbot|mergify|pre-commit-ci|github-act"
    r"ions|"
    r"allcontributors|semantic-release-bot|weblate)\b|(?:^|[\s_-])bot$",
    re.IGNORECASE,
)
_BOT_EMAILS = re.compile(r"\[bot\]@|^bot@|@renovateapp\.com$|^noreply@weblate\.org$", re.IGNORECASE)
_VERSION = r"v?\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|dev|post|alpha|beta)\.?\d*)?"
# Subjects of commits that only move the project's own version (a trailing "(#123)" is ignored).
_VERSION_BUMPS = tuple(
    re.compile(rf"^(?:chore(?:\(release\))?!?:\s*|\[release\]\s*)?{pattern}\s*\.?$", re.IGNORECASE)
    for pattern in (
        rf"{_VERSION}",
        rf"(?:bump|bumped|bumps|set|update|updated)\s+(?:the\s+)?version(?:\s+number)?(?:\s+to\s+{_VERSION})?",
        rf"(?:bump|bumped|bumps|set)\s+to\s+(?:dev\s+version|{_VERSION})",
        rf"(?:release|released|releasing|prepare|prepared|preparing)(?:\s+for)?(?:\s+(?:the\s+)?release)?"
        rf"(?:\s+(?:of\s+)?version)?\s+{_VERSION}",
        r"(?:prepare|prepared|preparing)\s+(?:for\s+)?(?:the\s+)?(?:next\s+)?release",
        rf"(?:start|started)\s+(?:version\s+)?{_VERSION}(?:\s+(?:changelog|development))?",
        rf"version\s+{_VERSION}",
    )
)
_PULL_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")


@dataclass(frozen=True, slots=True)
class Trailer:
    """One ``Key: value`` trailer (continuation lines folded into the value)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Person:
    """A name and address from a ``Signed-off-by``-style trailer (either may be empty)."""

    name: str
    email: str


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What a commit message says about the commit beyond its subject and body."""

    trailers: tuple[Trailer, ...]
    reverts: str | None
    cherry_picked_from: str | None
    is_bot: bool
    is_version_bump: bool

    def values(self, key: str) -> list[str]:
        """The values of every trailer called ``key`` (case-insensitive), in order."""
        wanted = key.lower()
        return [t.value for t in self.trailers if t.key.lower() == wanted]

    def people(self, key: str) -> list[Person]:
        """The people named by trailers called ``key`` (``Co-authored-by``, ``Signed-off-by`` …)."""
        return [parse_person(value) for value in self.values(key)]


def read_message(message: str, author_name: str = "", author_email: str = "") -> MessageFacts:
    """The facts of one commit message; the author's identity tells bots apart."""
    subject = message.split("\n", 1)[0].strip()
    revert = _REVERT.search(message)
    picks = _CHERRY_PICK.findall(message)
    return MessageFacts(
        trailers=parse_trailers(message),
        reverts=revert.group(1) if revert else None,
        cherry_picked_from=picks[-1]
        if picks
        else None,  # the latest pick names the origin it came from
        is_bot=is_bot(author_name, author_email),
        is_version_bump=is_version_bump(subject),
    )


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of ``message``: its last paragraph, when that paragraph is a trailer block."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:  # a subject alone is never a trailer block
        return ()
    lines = paragraphs[-1].splitlines()
    trailers: list[Trailer] = []
    others = 0
    git_written = False
    for line in lines:
        match = _TRAILER.match(line)
        if line[:1] in (" ", "\t") and trailers:
            trailers[-1] = Trailer(trailers[-1].key, f"{trailers[-1].value} {line.strip()}")
        elif match:
            key = _CANONICAL.get(match.group(1).lower(), match.group(1))
            trailers.append(Trailer(key, match.group(2).strip()))
            git_written = git_written or key.lower() in _GIT_TRAILERS
        elif _CHERRY_PICK.match(line):
            git_written = True
        else:
            others += 1
    if not trailers or (others and not (git_written and len(trailers) * 3 >= others)):
        return ()
    return tuple(trailers)


def parse_person(value: str) -> Person:
    """``Name <address>`` split in two; a bare value is taken as the name."""
    match = _PERSON.match(value.strip())
    if match is None:
        return Person(value.strip(), "")
    return Person(match.group(1).strip(), match.group(2).strip())


def is_bot(name: str, email: str) -> bool:
    """True for identities of bots (``dependabot[bot]``, ``renovate``, ``release-bot`` …)."""
    return bool(_BOT_NAMES.search(name.strip()) or _BOT_EMAILS.search(email.strip()))


def is_version_bump(subject: str) -> bool:
    """True for subjects like ``Bump version to 1.2.3``, ``release version 3.1.3 (#5924)``,
    ``v2.0``."""
    text = _PULL_SUFFIX.sub("", subject.strip())
    return any(pattern.match(text) for pattern in _VERSION_BUMPS)
