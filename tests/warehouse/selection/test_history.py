"""History-aware selection: a commit later reverted, or whose lines a fix changes again soon, makes
no task; on a later run too, when the revert or the fix arrives then."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.demo.sample_repo import build_repository
from tests.builders import GOOD, TEST_KEY, BuildRepo, Commit, candidate_row
from warehouse.export.datasets import export_accepted
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.selection.commits import select_tasks
from warehouse.selection.history import ChangedLines, LaterCommit, fixed_later, reverted_later
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)
CART = '''"""Cart totals."""


def total(prices, rate):
    """The total of prices with the tax rate."""
    subtotal = sum(prices)
    return subtotal * (1 + rate)


def count(items):
    return len(items)
'''
ROUNDED = CART.replace(
    "    return subtotal * (1 + rate)",
    "    if rate < 0:\n        raise ValueError(f'negative tax rate {rate}')\n"
    "    return round(subtotal * (1 + rate), 3)",
)
ROUNDED_FIXED = ROUNDED.replace("(1 + rate), 3)", "(1 + rate), 2)")
ROUND_MESSAGE = "Add rounding to totals\n\nShops print totals; the raw float showed 12 digits."
NOTES = "def note(text):\n    return text.strip()\n"


def _dated(commits: list[Commit], apart: timedelta = timedelta(minutes=1)) -> list[Commit]:
    """The commits, one minute (or ``apart``) apart (selection orders commits by time)."""
    start = datetime(2024, 3, 1, 10, tzinfo=UTC)
    return [{**commit, "date": (start + n * apart).isoformat()} for n, commit in enumerate(commits)]


def _fillers(count: int, start: int = 0) -> list[Commit]:
    """Commits that change only notes.py, each teaching a little change of its own."""
    return [
        {
            "message": f"Strip note {n}\n\nNotes kept trailing spaces.",
            "files": {"notes.py": NOTES.replace("text.strip()", f"text.strip()[:{n + 100}]")},
        }
        for n in range(start, start + count)
    ]


def _tasks_of(warehouse: Warehouse, subject: str) -> list[tuple[str, str, str, str]]:
    """(family, status, skip category, reason) of every task of the commit with ``subject``."""
    return warehouse.query(
        "SELECT t.family, t.status, coalesce(t.skip_category, ''), t.reason FROM tasks t "
        "JOIN commits c ON c.id = t.commit_id WHERE c.subject = ? ORDER BY t.family",
        [subject],
    ).rows


def _sha(warehouse: Warehouse, subject: str) -> str:
    return str(warehouse.scalar("SELECT sha FROM commits WHERE subject = ?", [subject]))


def _select(warehouse: Warehouse, repo: Path, run: str = "r1", window: int = 20) -> None:
    land_repository(warehouse, repo, run, OPTIONS)
    select_tasks(warehouse, run, later_fix_window=window)


def test_a_reverted_commit_makes_no_task_but_the_review_of_it_stays(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                *_fillers(1),
                {
                    "message": 'Revert "Add rounding to totals"\n\nThe invoices must keep full '
                    "precision until the ledger rounds them.",
                    "files": {"cart.py": CART},
                },
            ]
        )
    )
    _select(warehouse, repo)
    revert_sha = _sha(warehouse, 'Revert "Add rounding to totals"')
    tasks = _tasks_of(warehouse, "Add rounding to totals")
    assert [row[:3] for row in tasks] == [
        ("edge_cases", "skipped", "reverted_later"),
        ("feature", "skipped", "reverted_later"),
        ("review", "selected", ""),
    ]
    assert tasks[1][3] == f"reverted by {revert_sha[:10]} on 2024-03-01"
    assert _tasks_of(warehouse, "Strip note 0")[0][1] == "selected"


def test_a_revert_that_is_reverted_itself_does_not_count(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                {"message": 'Revert "Add rounding to totals"', "files": {"cart.py": CART}},
                {
                    "message": 'Revert "Revert "Add rounding to totals""\n\nThe ledger agreed.',
                    "files": {"cart.py": ROUNDED},
                },
            ]
        )
    )
    _select(warehouse, repo)
    assert ("feature", "selected") in [
        row[:2] for row in _tasks_of(warehouse, "Add rounding to totals")
    ]


def test_a_commit_whose_line_a_typo_fix_changes_two_commits_later_makes_no_task(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                *_fillers(1),
                {"message": "Fix typo in the rounding digits", "files": {"cart.py": ROUNDED_FIXED}},
            ]
        )
    )
    _select(warehouse, repo)
    fix_sha = _sha(warehouse, "Fix typo in the rounding digits")
    tasks = _tasks_of(warehouse, "Add rounding to totals")
    assert {(family, status, category) for family, status, category, _ in tasks} == {
        ("feature", "skipped", "fixed_later"),
        ("edge_cases", "skipped", "fixed_later"),
    }
    assert tasks[0][3] == (
        f"lines changed again by {fix_sha[:10]} 'Fix typo in the rounding digits' 2 commit(s) later"
    )


@pytest.mark.parametrize(
    ("window", "apart", "status"),
    [
        (20, timedelta(days=1), "selected"),
        (30, timedelta(days=1), "skipped"),
        # 25 commits in an afternoon: within two weeks, the window does not matter
        (20, timedelta(minutes=10), "skipped"),
    ],
)
def test_a_fix_beyond_the_window_counts_only_within_two_weeks(
    warehouse: Warehouse, make_repo: BuildRepo, window: int, apart: timedelta, status: str
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                *_fillers(24),
                {"message": "Fix the rounding digits", "files": {"cart.py": ROUNDED_FIXED}},
            ],
            apart,
        )
    )
    _select(warehouse, repo, window=window)
    families = {row[0]: row[1] for row in _tasks_of(warehouse, "Add rounding to totals")}
    assert families["feature"] == status  # the fix is 25 commits later


def test_a_change_more_than_a_week_later_that_admits_no_mistake_leaves_the_task(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                {
                    "message": "Round totals to cents for the new invoices",
                    "files": {"cart.py": ROUNDED_FIXED},
                },
            ],
            timedelta(days=8),
        )
    )
    _select(warehouse, repo)
    assert ("feature", "selected") in [
        row[:2] for row in _tasks_of(warehouse, "Add rounding to totals")
    ]


def _commits(*subjects: str) -> list[LaterCommit]:
    return [
        LaterCommit(f"c{n}", "s", f"{n:040x}", subject, "", None)
        for n, subject in enumerate(subjects)
    ]


def test_the_same_line_in_another_function_is_not_the_line_the_commit_added() -> None:
    commits = _commits("Add the parser", "Fix the reader")
    added = ("app.py", "parse", "value = load(path)")
    lines = {
        "c0": ChangedLines(added={added}),
        "c1": ChangedLines(removed={("app.py", "read", "value = load(path)")}),
    }
    assert fixed_later(commits, lines, 20) == {}
    lines["c1"] = ChangedLines(removed={added})
    assert list(fixed_later(commits, lines, 20)) == ["c0"]


def test_a_revert_is_found_by_the_sha_it_names_or_the_subject_it_quotes() -> None:
    commits = _commits("Add cache (#12)", "Tidy", 'Revert "Add cache"', "Speed up", "Undo it")
    assert list(reverted_later(commits)) == ["c0"]  # the pull request's number is left out
    named = [*commits[:4], LaterCommit("c4", "s", "f" * 40, "Undo it", f"{3:040x}", None)]
    assert set(reverted_later(named)) == {"c0", "c3"}


def test_a_revert_on_a_later_night_skips_the_task_and_rejects_what_was_drafted(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    night_1 = _dated(
        [
            {"message": "Add cart totals", "files": {"cart.py": CART}},
            {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
        ]
    )
    repo = build_repository(tmp_path / "cart", night_1)
    _select(warehouse, repo, "night-1")
    [feature] = warehouse.query(
        "SELECT t.id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE c.subject = 'Add rounding to totals' AND t.family = 'feature' "
        "AND t.status = 'selected'"
    ).rows
    drafted = candidate_row(GOOD, 1) | {"task_id": feature[0], "status": "accepted"}
    warehouse.insert("candidates", [drafted])
    warehouse.insert(
        "reviews",
        [
            {
                "id": "v1",
                "candidate_id": "c1",
                "verdict": "accepted",
                "created_at": drafted["created_at"],
            }
        ],
    )
    export_accepted(warehouse, tmp_path / "export-1", "night-1")
    assert (tmp_path / "export-1" / "goldmine_alpaca.jsonl").exists()

    revert: Commit = {
        "message": 'Revert "Add rounding to totals"\n\nThe ledger rounds invoices itself.',
        "files": {"cart.py": CART},
        "date": "2024-03-02T10:00:00+00:00",
    }
    build_repository(repo, [revert])
    _select(warehouse, repo, "night-2")

    tasks = _tasks_of(warehouse, "Add rounding to totals")
    assert [row[:3] for row in tasks] == [
        ("edge_cases", "skipped", "reverted_later"),
        ("feature", "skipped", "reverted_later"),
        ("review", "selected", ""),
    ]
    assert warehouse.scalar("SELECT status FROM candidates WHERE id = 'c1'") == "rejected"
    check = warehouse.query(
        "SELECT passed, detail FROM checks WHERE candidate_id = 'c1' AND \"check\" = 'history'"
    ).rows
    assert check == [(False, tasks[1][3])] and check[0][1].startswith("reverted by ")
    export_accepted(warehouse, tmp_path / "export-2", "night-2")
    assert not (tmp_path / "export-2" / "goldmine_alpaca.jsonl").exists()  # the review lost


def test_a_fix_on_a_later_night_skips_the_task_of_an_earlier_one(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    night_1 = _dated(
        [
            {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
            {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
        ]
    )
    repo = build_repository(tmp_path / "cart", night_1)
    _select(warehouse, repo, "night-1")
    night_2: list[Commit] = [
        {**_fillers(1)[0], "date": "2024-03-02T10:00:00+00:00"},
        {
            "message": "Fix the rounding digits",
            "files": {"cart.py": ROUNDED_FIXED},
            "date": "2024-03-02T11:00:00+00:00",
        },
    ]
    build_repository(repo, night_2)
    _select(warehouse, repo, "night-2")
    statuses = {row[0]: row[1:3] for row in _tasks_of(warehouse, "Add rounding to totals")}
    assert statuses["feature"] == ("skipped", "fixed_later")
    run = warehouse.scalar(
        "SELECT t.run_id FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE c.subject = 'Add rounding to totals' AND t.family = 'feature'"
    )
    assert run == "night-2"
    assert json.loads(
        warehouse.scalar(
            "SELECT facts FROM tasks t JOIN commits c ON c.id = t.commit_id "
            "WHERE c.subject = 'Add rounding to totals' AND t.family = 'feature'"
        )
    )["symbol_ids"]


def test_a_fix_that_only_re_wraps_the_line_is_no_evidence(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    wrapped = ROUNDED.replace(
        "    return round(subtotal * (1 + rate), 3)",
        "    return round(\n        subtotal * (1 + rate), 3\n    )",
    )
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                {"message": "Fix the line lengths", "files": {"cart.py": wrapped}},
            ]
        )
    )
    _select(warehouse, repo)
    assert ("feature", "selected") in [
        row[:2] for row in _tasks_of(warehouse, "Add rounding to totals")
    ]


# The fix adds a case inside `total` without touching a line the commit added (the blind review's
# flask 6fbdeb80c7, whose `else:` branch 99afbb27 fixed 17 commits later by adding an `elif`).
ROUNDED_COMPLETED = ROUNDED.replace(
    "    subtotal = sum(prices)\n",
    "    subtotal = sum(prices)\n    if not prices:\n        return 0.0\n",
)


@pytest.mark.parametrize(("fillers", "status"), [(2, "skipped"), (12, "selected")])
def test_a_fix_to_the_same_function_soon_after_makes_no_task(
    warehouse: Warehouse, make_repo: BuildRepo, fillers: int, status: str
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
                *_fillers(fillers),
                {"message": "Fix totals of an empty cart", "files": {"cart.py": ROUNDED_COMPLETED}},
            ]
        )
    )
    _select(warehouse, repo)
    families = {row[0]: row[1] for row in _tasks_of(warehouse, "Add rounding to totals")}
    assert families["feature"] == status  # within SAME_DEFINITION_WINDOW (10) or beyond it


# The first version of rounding (five lines of arithmetic), and the one that lasted, written an
# hour later by a commit that admits no mistake (flask 08a283af, whose from_prefixed_env the next
# commit of its pull request reworked).
ROUNDED_BY_HAND = CART.replace(
    "    return subtotal * (1 + rate)\n",
    "    taxed = subtotal * (1 + rate)\n    cents = taxed * 100\n    whole = int(cents + 0.5)\n"
    "    rounded = whole / 100\n    return rounded\n",
)
ROUNDED_BY_ROUND = CART.replace("subtotal * (1 + rate)", "round(subtotal * (1 + rate), 2)")
ROUNDED_TEST = "from cart import total\n\n\ndef test_total():\n    assert total([1], 0.5) == 1.5\n"


@pytest.mark.parametrize(
    ("apart", "status"), [(timedelta(hours=1), "skipped"), (timedelta(days=3), "selected")]
)
def test_a_commit_whose_code_a_later_one_rewrites_within_a_week_makes_no_task(
    warehouse: Warehouse, make_repo: BuildRepo, apart: timedelta, status: str
) -> None:
    repo = make_repo(
        _dated(
            [
                {"message": "Add cart totals", "files": {"cart.py": CART, "notes.py": NOTES}},
                {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED_BY_HAND}},
                *_fillers(2),
                {"message": "Use round() for totals", "files": {"cart.py": ROUNDED_BY_ROUND}},
            ],
            apart,
        )
    )
    _select(warehouse, repo)
    [feature] = _tasks_of(warehouse, "Add rounding to totals")
    assert feature[:2] == ("feature", status)
    if status == "skipped":
        later = _sha(warehouse, "Use round() for totals")
        assert feature[2:] == (
            "rewritten_soon",
            f"5 of its 5 added lines rewritten by {later[:10]} 'Use round() for totals' "
            "3 hour(s) later",
        )


@pytest.mark.parametrize(
    ("rewrite", "status"),
    [("tests", "selected"), ("one line", "skipped"), ("one line, 8 days later", "selected")],
)
def test_one_rewritten_line_within_a_week_is_a_rewrite_rewritten_tests_are_not(
    warehouse: Warehouse, make_repo: BuildRepo, rewrite: str, status: str
) -> None:
    """A later commit that changes one line the commit added (a digit of the rounding, with no
    word of a mistake) shows its version did not last; one that only edits its tests, or
    changes the line after a week, does not."""
    fixed = ROUNDED if rewrite == "tests" else ROUNDED_FIXED
    commits: list[Commit] = [
        {"message": "Add cart totals", "files": {"cart.py": CART}},
        {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED, "test_cart.py": ROUNDED_TEST}},
        {
            "message": "Round totals to cents for the new invoices",
            "files": {"cart.py": fixed, "test_cart.py": ROUNDED_TEST.replace("1.5", "1.50")},
        },
    ]
    apart = timedelta(days=8) if "8 days" in rewrite else timedelta(minutes=1)
    repo = make_repo(_dated(commits, apart))
    _select(warehouse, repo)
    statuses = {row[1] for row in _tasks_of(warehouse, "Add rounding to totals")}
    assert statuses == {status}


def test_commits_of_one_time_are_judged_in_the_order_of_their_parents(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    """A rebased series shares its commit time: the fix comes after the commit it fixes, though
    its id sorts first here (cobra 3d89ed49 and the four commits that reworked it)."""
    same_time = "2024-03-01T10:00:00+00:00"
    commits: list[Commit] = [
        {"message": "Add cart totals", "files": {"cart.py": CART}},
        {"message": ROUND_MESSAGE, "files": {"cart.py": ROUNDED}},
        *_fillers(1),
        {"message": "Fix typo in the rounding digits", "files": {"cart.py": ROUNDED_FIXED}},
    ]
    repo = make_repo([{**commit, "date": same_time} for commit in commits])
    _select(warehouse, repo)
    assert {row[:3] for row in _tasks_of(warehouse, "Add rounding to totals")} == {
        ("feature", "skipped", "fixed_later"),
        ("edge_cases", "skipped", "fixed_later"),
    }
