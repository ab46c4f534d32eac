"""Commit headers of any shape: property tests over the fields of goldmine's ``git log`` framing.

The frames are built here the way ``git log --date=raw`` with ``miners/git_history.py``'s format
writes them; the repositories with such commits are in ``test_odd_histories.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from miners.commit_headers import read_header
from miners.git_log_parser import CommitFact, parse_log_stream

_SHAS = st.text("0123456789abcdef", min_size=40, max_size=40)
# what git can print in a name or an e-mail: any byte but the framing's and a line end
_IDENT_BYTES = st.binary(max_size=30).map(
    lambda b: bytes(c for c in b if c not in b"\x1e\x1f\x1d\n<>")
)
_SECONDS = st.integers(min_value=-(2**40), max_value=2**47)
_ZONES = st.tuples(st.sampled_from(["+", "-"]), st.integers(min_value=0, max_value=999_999))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _frame(
    sha: str,
    parents: list[str],
    names: tuple[bytes, bytes],
    emails: tuple[bytes, bytes],
    dates: tuple[bytes, bytes],
    message: bytes = b"subject",
) -> list[bytes]:
    header = b"\x1f".join(
        [
            sha.encode(),
            " ".join(parents).encode(),
            names[0],
            emails[0],
            dates[0],
            names[1],
            emails[1],
            dates[1],
        ]
    )
    body = [b" " + line + b"\n" for line in message.split(b"\n")] if message else []
    return [b"\x1e" + header + b"\n", *body, b"\x1d\n", b"\n"]


def _one(lines: list[bytes]) -> CommitFact:
    [commit] = parse_log_stream(lines)
    return commit


def _raw_date(seconds: int, zone: tuple[str, int]) -> bytes:
    return f"{seconds} {zone[0]}{zone[1]:04d}".encode()


@given(
    sha=_SHAS,
    parents=st.lists(_SHAS, max_size=3),
    name=_IDENT_BYTES,
    email=_IDENT_BYTES,
    seconds=_SECONDS,
    zone=_ZONES,
)
def test_every_header_gives_one_commit_at_its_exact_instant_or_a_named_oddity(
    sha: str,
    parents: list[str],
    name: bytes,
    email: bytes,
    seconds: int,
    zone: tuple[str, int],
) -> None:
    date = _raw_date(seconds, zone)
    commit = _one(_frame(sha, parents, (name, name), (email, email), (date, date)))
    assert commit.sha == sha
    assert commit.parents == tuple(dict.fromkeys(parents))
    assert ("duplicate_parents" in commit.oddities) == (len(set(parents)) != len(parents))
    offset = commit.authored_at.utcoffset()
    assert offset is not None and abs(offset) <= timedelta(hours=14)
    hours, minutes = divmod(zone[1], 100)
    wide = minutes >= 60 or hours * 60 + minutes > 14 * 60
    assert ("timezone_out_of_range" in commit.oddities) == wide
    if "date_out_of_range" not in commit.oddities:
        assert commit.authored_at == _EPOCH + timedelta(seconds=seconds)  # the instant is exact
    assert ("date_before_1970" in commit.oddities) == (seconds < 0)
    assert ("no_author_email" in commit.oddities) == (not email.strip())
    assert ("non_utf8_name" in commit.oddities) == (not _is_utf8(name) or not _is_utf8(email))
    assert commit.committed_at == commit.authored_at


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(header=st.binary(max_size=200), message=st.binary(max_size=50))
def test_no_frame_header_stops_the_stream(header: bytes, message: bytes) -> None:
    sha = "a" * 40
    framed = sha.encode() + b"\x1f" + header.replace(b"\n", b" ").replace(b"\x1e", b"")
    lines = [b"\x1e" + framed + b"\n", b" " + message.replace(b"\n", b" ") + b"\n", b"\x1d\n"]
    after = _frame("b" * 40, [], (b"B", b"B"), (b"b@x", b"b@x"), (b"1 +0000", b"1 +0000"))
    commits = list(parse_log_stream(lines + after))
    assert [c.sha for c in commits] == [sha, "b" * 40]


def test_a_zone_git_prints_as_518_hours_is_clamped_and_flagged() -> None:
    date = b"1315449038 +51800"  # git's raw form of the header's +051800
    commit = _one(_frame("c" * 40, [], (b"A", b"A"), (b"a@x", b"a@x"), (date, date)))
    assert commit.committed_at == datetime.fromtimestamp(1315449038, UTC)
    assert commit.committed_at.utcoffset() == timedelta(hours=14)
    assert commit.oddities == ("timezone_out_of_range",)


def test_a_header_git_left_empty_is_read_from_the_commit_object() -> None:
    # git log prints no date before 1970, and no identity written without <>
    raw = (
        b"tree " + b"1" * 40 + b"\nparent " + b"2" * 40 + b"\n"
        b"author Old Timer <old@x> -86400 +0100\ncommitter Nobody 1000000000 -0130\n\nmsg\n"
    )
    frame = _frame("d" * 40, ["2" * 40], (b"Old Timer", b""), (b"old@x", b""), (b"", b""))
    [commit] = parse_log_stream(frame, raw_header={"d" * 40: raw}.__getitem__)
    assert commit.authored_at == datetime(1969, 12, 31, tzinfo=UTC)
    assert commit.authored_at.utcoffset() == timedelta(hours=1)
    assert (commit.committer_name, commit.committer_email) == ("Nobody", "")
    assert commit.committed_at == datetime.fromtimestamp(1000000000, UTC)
    assert set(commit.oddities) == {"date_before_1970", "no_committer_email"}


def test_without_the_commit_object_a_missing_date_is_the_other_one() -> None:
    frame = _frame("e" * 40, [], (b"A", b""), (b"a@x", b""), (b"5 +0000", b""))
    commit = _one(frame)
    assert commit.committed_at == commit.authored_at == _EPOCH + timedelta(seconds=5)
    assert "no_committer_date" in commit.oddities


def test_a_frame_without_a_commit_id_is_dropped() -> None:
    assert read_header(b"not-a-sha\x1f\x1fA\x1fa@x\x1f1 +0000\x1fA\x1fa@x\x1f1 +0000") is None
