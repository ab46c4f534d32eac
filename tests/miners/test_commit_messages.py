from __future__ import annotations

import pytest

from miners.commit_messages import Person, is_bot, is_version_bump, parse_trailers, read_message

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_trailers_of_the_last_paragraph_with_continuations_and_canonical_keys() -> None:
    message = (
        "Handle empty carts\n\nThe total of an empty cart was None.\n\n"
        "fixes: #12\nRefs: PROJ-7\nCo-authored-by: Ana Lima <ana@corp.example>\n"
        "Signed-off-by: Bo Chen <bo@corp.example>\nReviewed-by: Kim\n  (second look)"
    )
    facts = read_message(message)
    assert [(t.key, t.value) for t in facts.trailers] == [
        ("Fixes", "#12"),
        ("Refs", "PROJ-7"),
        ("Co-authored-by", "Ana Lima <ana@corp.example>"),
        ("Signed-off-by", "Bo Chen <bo@corp.example>"),
        ("Reviewed-by", "Kim (second look)"),
    ]
    assert facts.values("fixes") == ["#12"]
    assert facts.people("Co-authored-by") == [Person("Ana Lima", "ana@corp.example")]


@pytest.mark.parametrize(
    "message",
    [
        "Fixes: #12",  # a subject alone is never a trailer block
        "Add a note\n\nThis paragraph says Note: something\nand goes on as prose.",
        "Explain\n\nSee the docs.\n\nWhy: because\nthis line is prose, not a trailer",
    ],
)
def test_prose_is_not_taken_for_trailers(message: str) -> None:
    assert parse_trailers(message) == ()


def test_a_mostly_prose_block_counts_when_git_wrote_a_trailer_into_it() -> None:
    message = (
        f"Fix it\n\nbackported by hand\n(cherry picked from commit {SHA})\nSigned-off-by: "
        "Bo <bo@x.example>"
    )
    facts = read_message(message)
    assert [t.key for t in facts.trailers] == ["Signed-off-by"]
    assert facts.cherry_picked_from == SHA


def test_reverts_name_the_reverted_commit() -> None:
    facts = read_message(f'Revert "Add caching"\n\nThis reverts commit {SHA}.\n')
    assert facts.reverts == SHA and facts.cherry_picked_from is None
    assert read_message("Revert the old idea by hand").reverts is None


def test_the_latest_cherry_pick_names_the_origin() -> None:
    other = "f" * 40
    facts = read_message(
        f"Fix\n\n(cherry picked from commit {other})\n(cherry picked from commit {SHA})"
    )
    assert facts.cherry_picked_from == SHA


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", True),
        ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com", True),
        ("Renovate Bot", "bot@renovateapp.com", True),
        ("release-bot", "ci@corp.example", True),
        ("Lowell Abbott", "lowell.abbott@gmail.com", False),
        ("Tery Lim", "kumabotz@users.noreply.github.com", False),
        ("Marc Hernandez Cabot", "noviluni@gmail.com", False),
    ],
)
def test_bots_by_name_and_address(name: str, email: str, expected: bool) -> None:
    assert is_bot(name, email) is expected
    assert read_message("x", name, email).is_bot is expected


@pytest.mark.parametrize(
    "subject",
    [
        "Bump version to 1.2.3",
        "release version 3.1.3 (#5924)",
        "v2.0.0",
        "1.2.3",
        "chore(release): 1.2.0",
        "start version 2.1.0.dev0",
        "Prepare release 1.0",
        "Bump to dev version",
        "Release 3.0.0rc1",
    ],
)
def test_version_bumps(subject: str) -> None:
    assert is_version_bump(subject)


@pytest.mark.parametrize(
    "subject",
    [
        "Bump requests from 2.0 to 2.1",
        "Release the GIL while parsing",
        "Fix release notes",
        "Update version check logic",
        "Add 1.2 compat shim",
        "bump werkzeug 2.3.7",
    ],
)
def test_not_version_bumps(subject: str) -> None:
    assert not is_version_bump(subject)
