"""A commit's header fields — id, parents, author, committer — read whatever shape they have.

Old and imported histories carry headers git accepts but no tidy format can say: time zones like
``+051800`` (518 hours), dates before 1970 or past year 9999, identities without an e-mail or
without ``<>`` at all, non-UTF-8 names, a parent listed twice. git's own ``log`` prints some of
these oddly and leaves others empty, so each field is read here as well as it can be, and what
was odd is named in the header's ``oddities`` (stored with the commit) instead of stopping a run:

- a time zone beyond ±14:00, or with 60 minutes or more, is clamped to a real one; the instant,
  which git stores in UTC seconds, is kept exactly;
- a date git printed empty (it cannot print one before 1970) is read from the commit object's own
  header when the caller can give it (``RawHeader``); a date past year 9999 is clamped;
- a missing committer date is the author's, and the other way round;
- a parent listed twice is kept once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

RawHeader = Callable[[str], bytes]  # a commit's object header by sha (``git cat-file commit``)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_MAX_OFFSET_MINUTES = 14 * 60  # the widest offset any real zone has had
_YEAR_TOO_LATE = 2100
_SHA = re.compile(rb"[0-9a-f]{40}([0-9a-f]{24})?")
_RAW_DATE = re.compile(rb"\s*(-?\d+)(?:\s+([+-]?)(\d+))?\s*")
_IDENT_WITH_EMAIL = re.compile(rb"(?P<name>[^<]*)<(?P<email>[^>]*)>(?P<date>.*)", re.DOTALL)
_IDENT_WITHOUT_EMAIL = re.compile(rb"(?P<name>.*?)(?P<date>(?:\s-?\d+(?:\s+[+-]?\d+)?)?)\s*")
_FRAME_FIELDS = 8  # sha, parents, then name, e-mail and raw date of author and of committer


@dataclass(frozen=True, slots=True)
class Identity:
    """Who wrote or committed a change, and when."""

    name: str
    email: str
    when: datetime


@dataclass(frozen=True, slots=True)
class CommitHeader:
    """A commit's header fields, each read as well as it could be, and what was odd about them."""

    sha: str
    parents: tuple[str, ...]
    author: Identity
    committer: Identity
    oddities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Read:
    """An identity as read, before a missing date is settled."""

    name: str
    email: str
    when: datetime | None


def read_header(framed: bytes, raw_header: RawHeader | None = None) -> CommitHeader | None:
    """The header of one ``git log`` frame (fields split by 0x1F); None when it has no commit id.

    The commit object's own header (``raw_header``) is read only when git left a field empty or
    the frame does not split into its fields.
    """
    fields = framed.split(b"\x1f")
    sha = fields[0].strip()
    if not _SHA.fullmatch(sha):
        return None
    oddities: list[str] = []
    parents_field = fields[1] if len(fields) > 1 else b""
    identities: list[_Read] = []
    raw: dict[bytes, list[bytes]] | None = None
    for role, start in ((b"author", 2), (b"committer", 5)):
        identity = _framed_identity(fields, start, oddities, role.decode())
        if identity is None:
            raw = raw if raw is not None else _raw_lines(raw_header, sha.decode())
            identity = _raw_identity(raw.get(role, []), oddities, role.decode())
        identities.append(identity)
    if len(fields) != _FRAME_FIELDS:
        raw = raw if raw is not None else _raw_lines(raw_header, sha.decode())
        parents_field = b" ".join(raw.get(b"parent", [])) or parents_field
    parents = _parents(parents_field, oddities)
    author, committer = _settled(identities[0], identities[1], oddities)
    return CommitHeader(sha.decode(), parents, author, committer, tuple(dict.fromkeys(oddities)))


def _framed_identity(
    fields: list[bytes], start: int, oddities: list[str], role: str
) -> _Read | None:
    """An identity as ``git log`` printed it; None when git left its date empty (it could not
    read the identity) or the frame has the wrong number of fields."""
    if len(fields) != _FRAME_FIELDS or not fields[start + 2].strip():
        return None
    name, email = fields[start], fields[start + 1]
    return _Read(
        _text(name, oddities),
        _email(email, oddities, role),
        _when(fields[start + 2], oddities),
    )


def _raw_lines(raw_header: RawHeader | None, sha: str) -> dict[bytes, list[bytes]]:
    """The commit object's header lines by keyword (empty when it cannot be read)."""
    if raw_header is None:
        return {}
    try:
        data = raw_header(sha)
    except (OSError, ValueError):
        return {}
    lines: dict[bytes, list[bytes]] = {}
    for line in data.split(b"\n\n", 1)[0].split(b"\n"):
        keyword, _, value = line.partition(b" ")
        lines.setdefault(keyword, []).append(value)
    return lines


def _raw_identity(values: list[bytes], oddities: list[str], role: str) -> _Read:
    """An identity read from an ``author``/``committer`` header line git itself could not read."""
    if not values:
        oddities.append(f"no_{role}")
        return _Read("", "", None)
    line = values[0]
    found = _IDENT_WITH_EMAIL.fullmatch(line)
    if found is None:
        oddities.append(f"no_{role}_email")
        found = _IDENT_WITHOUT_EMAIL.fullmatch(line)
        email = ""
    else:
        email = _email(found["email"], oddities, role)
    name = found["name"].strip() if found else line.strip()
    date = found["date"] if found else b""
    return _Read(_text(name, oddities), email, _when(date, oddities) if date.strip() else None)


def _text(data: bytes, oddities: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        oddities.append("non_utf8_name")
        return data.decode("utf-8", "replace")


def _email(data: bytes, oddities: list[str], role: str) -> str:
    email = _text(data, oddities).strip()
    if not email:
        oddities.append(f"no_{role}_email")
    return email


def _when(raw: bytes, oddities: list[str]) -> datetime | None:
    """``<seconds> <±hhmm>`` as a datetime in its own (clamped) zone; None if it is not a date."""
    found = _RAW_DATE.fullmatch(raw)
    if found is None:
        oddities.append("unreadable_date")
        return None
    instant = _instant(int(found[1]), oddities)
    zone = _zone(found[2] or b"+", found[3] or b"0", oddities)
    try:
        return instant.astimezone(zone)
    except OverflowError:  # the zone pushes a clamped instant past the calendar's edge
        return instant


def _instant(seconds: int, oddities: list[str]) -> datetime:
    if seconds < 0:
        oddities.append("date_before_1970")
    try:
        instant = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        oddities.append("date_out_of_range")
        return _LATEST if seconds > 0 else _EARLIEST
    if instant.year >= _YEAR_TOO_LATE:
        oddities.append("date_after_2100")
    return instant


def _zone(sign: bytes, digits: bytes, oddities: list[str]) -> timezone:
    """git's ``±hhmm`` (any number of hour digits) as a zone no wider than ±14:00."""
    hours, minutes = int(digits[:-2] or b"0"), int(digits[-2:])
    offset = hours * 60 + minutes
    if minutes >= 60 or offset > _MAX_OFFSET_MINUTES:
        oddities.append("timezone_out_of_range")
        offset = min(offset, _MAX_OFFSET_MINUTES)
    return timezone(timedelta(minutes=-offset if sign == b"-" else offset))


def _parents(field: bytes, oddities: list[str]) -> tuple[str, ...]:
    listed = [p.decode("ascii", "replace") for p in field.split() if _SHA.fullmatch(p)]
    unique = tuple(dict.fromkeys(listed))
    if len(unique) != len(listed):
        oddities.append("duplicate_parents")
    return unique


def _settled(author: _Read, committer: _Read, oddities: list[str]) -> tuple[Identity, Identity]:
    """Give both identities a date: each other's when one is missing, else the epoch."""
    roles = (("author", author), ("committer", committer))
    oddities += [f"no_{role}_date" for role, who in roles if who.when is None]
    fallback = author.when or committer.when or _EPOCH
    return (
        Identity(author.name, author.email, author.when or fallback),
        Identity(committer.name, committer.email, committer.when or fallback),
    )
