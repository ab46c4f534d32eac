from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from miners import commit_kinds
from miners.commit_kinds import ChangeShape, classify, is_test_case, is_test_path, whitespace_only
from tests.builders import STOCK_V1, STOCK_V2, TEST_KEY, BuildRepo
from warehouse.landing.repositories import (
    LandingOptions,
    land_repository,
    land_ticket_export,
    link_tickets,
)
from warehouse.outcomes import SkipCategory
from warehouse.selection.commits import select_tasks
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)


class ShapeChanges(TypedDict, total=False):
    """What a case changes in the ordinary commit :func:`_shape` describes."""

    body: str
    author: str
    parents: int
    added_lines: int
    deleted_lines: int
    whitespace_only: bool
    ticket_labels: list[str]
    is_bot: bool
    is_version_bump: bool
    reverts: str


def _shape(subject: str, paths: list[str], **changes: Unpack[ShapeChanges]) -> ChangeShape:
    ordinary = ChangeShape(
        subject=subject,
        body="",
        author="Dev",
        parents=1,
        paths=paths,
        added_lines=10,
        deleted_lines=2,
        whitespace_only=False,
    )
    return replace(ordinary, **changes)


def test_commit_kinds() -> None:
    assert classify(_shape("Fix crash on empty cart", ["src/cart.py"])).family == "bugfix"
    assert classify(_shape("feat(api): add export endpoint", ["src/api.py"])).family == "feature"
    assert classify(_shape("Extract pricing helper", ["src/pricing.py"])).family == "refactor"
    assert (
        classify(_shape("Cover rounding edge cases", ["tests/test_pricing.py"])).family == "tests"
    )
    cases: list[tuple[str, list[str], ShapeChanges, str]] = [
        ("Merge branch 'x'", ["a.py"], {"parents": 2}, "merge"),
        ('Revert "Add cache"', ["a.py"], {}, "revert"),
        ("Bump version to 0.2.0", ["pyproject.toml"], {}, "version_bump"),
        ("Update deps", ["uv.lock"], {}, "generated"),
        ("Document the API", ["README.md", "docs/api.md"], {}, "docs"),
        ("Reformat", ["src/a.py"], {"whitespace_only": True}, "formatting"),
        ("Bump requests", ["src/a.py"], {"author": "dependabot[bot]"}, "bot"),
        ("bump werkzeug 2.3.7", ["src/a.py", "requirements/tests.txt"], {}, "dependency_bump"),
        ("update dev dependencies", ["requirements/dev.txt"], {}, "dependency_bump"),
        (
            "Pin the linters",
            ["requirements/dev.in", ".pre-commit-config.yaml"],
            {},
            "dependency_bump",
        ),
        ("WIP", ["src/a.py"], {}, "work_in_progress"),
        ("fixup! Add export endpoint", ["src/a.py"], {}, "work_in_progress"),
        ("python-modernize automated changes: fix_next", ["a.py"], {}, "mechanical_rewrite"),
        ("Reformat with black", ["src/a.py"], {}, "mechanical_rewrite"),
        ("apply pyupgrade", ["src/a.py"], {}, "mechanical_rewrite"),
    ]
    for subject, paths, changes, skipped_as in cases:
        kind = classify(_shape(subject, paths, **changes))
        assert (kind.family, kind.skipped) == (skipped_as, True), subject


def test_whitespace_only() -> None:
    assert whitespace_only("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a = 1 +  2\n+a = 1 + 2\n")
    assert not whitespace_only("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a = 1\n+a = 2\n")


def test_moving_a_block_or_a_python_statement_is_not_whitespace() -> None:
    moved = "--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a = 1\n b = 2\n@@ -9 +8,2 @@\n c = 3\n+a = 1\n"
    assert not whitespace_only(moved)
    out_of_the_if = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n if a:\n     b()\n-    c()\n+c()\n"
    assert whitespace_only(out_of_the_if) and not whitespace_only(out_of_the_if, "python")
    continuation = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n from a import b, \\\n-    c\n+     c\n"
    assert whitespace_only(continuation, "python")


def test_tasks_record_family_facts_and_skip_reasons(
    warehouse: Warehouse, stock_repo: Path, stock_tickets: Path
) -> None:
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    land_ticket_export(warehouse, stock_tickets, "r1", OPTIONS)
    link_tickets(warehouse)
    summary = select_tasks(warehouse, "r1")
    assert summary.families == {"bugfix": 1, "edge_cases": 1}
    assert summary.skipped == {"initial_commit": 1, "formatting": 1}
    rows = warehouse.query(
        "SELECT c.subject, t.family, t.polarity, t.status, t.reason, t.facts FROM tasks t "
        "JOIN commits c ON c.id = t.commit_id ORDER BY c.committed_at, t.family"
    ).rows
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("Add stock module", "feature", "positive", "skipped"),
        ("Reject negative and oversized reservations", "bugfix", "positive", "selected"),
        ("Reject negative and oversized reservations", "edge_cases", "edge", "selected"),
        ("Reformat stock module", "formatting", "positive", "skipped"),
    ]
    assert rows[0][4].startswith("initial commit") and rows[3][4].startswith("formatting only")
    facts = json.loads(rows[1][5])
    assert (
        len(facts["symbol_ids"]) == 1
        and len(facts["test_symbol_ids"]) == 1
        and len(facts["ticket_ids"]) == 1
    )
    assert "linked to 1 ticket(s) by closing_keyword" in rows[1][4]
    assert select_tasks(warehouse, "r2").selected == 0 and warehouse.count("tasks") == 4


def test_a_sprawling_commit_is_split_into_one_task_per_small_file(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    def module(prefix: str, count: int, body: str) -> str:
        return "\n\n".join(f"def {prefix}{n}(x):\n    return x {body}\n" for n in range(count))

    repo = make_repo(
        [
            {
                "message": "Add helpers",
                "files": {"a.py": module("a", 4, "+ 1"), "b.py": module("b", 4, "+ 1")},
            },
            {
                "message": "Fix every helper\n\nThey were off by one.",
                "files": {"a.py": module("a", 4, "+ 2"), "b.py": module("b", 4, "+ 2")},
            },
        ]
    )
    land_repository(warehouse, repo, "r1", OPTIONS)
    select_tasks(warehouse, "r1")
    rows = warehouse.query(
        "SELECT t.status, t.reason, len(json_extract(t.facts, '$.symbol_ids')::VARCHAR[]) FROM "
        "tasks t "
        "JOIN commits c ON c.id = t.commit_id WHERE c.subject LIKE 'Fix%' AND t.family <> "
        "'edge_cases' ORDER BY t.reason"
    ).rows
    main = [row for row in rows if row[0] == "skipped"]
    parts = [row for row in rows if row[0] == "selected"]
    assert [row[:2] for row in main] == [("skipped", "split: 2 tasks, one per file")]
    assert [units for _, _, units in parts] == [4, 4]
    assert {reason.split("the part of a larger commit in ")[1] for _, reason, _ in parts} == {
        "a.py",
        "b.py",
    }


def test_a_bot_known_only_by_its_email_is_skipped(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    # Only the miner sees the e-mail (the warehouse keeps a keyed hash): selection uses its flag.
    repo = make_repo(
        [
            {"message": "Add stock module", "files": {"src/stock.py": STOCK_V1}},
            {
                "message": "Update reservations\n\nKeeps reserve() in line with the new schema.",
                "author": "Platform Updates <49699333+platform[bot]@users.noreply.github.com>",
                "files": {"src/stock.py": STOCK_V2},
            },
        ]
    )
    assert _selected(warehouse, repo, "Update reservations") == [
        ("bot", "skipped", "made by a bot")
    ]


def _selected(warehouse: Warehouse, repo: Path, subject: str) -> list[tuple[str, str, str]]:
    """Land and select a repository; the family, status and reason of the tasks of one commit."""
    land_repository(warehouse, repo, "r1", OPTIONS)
    select_tasks(warehouse, "r1")
    return warehouse.query(
        "SELECT t.family, t.status, t.reason FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE c.subject = ?",
        [subject],
    ).rows


@pytest.mark.parametrize(
    ("name", "lang", "code", "runs"),
    [
        (
            "test_reserve_rejects_negative",
            "python",
            "def test_reserve_rejects_negative(): ...",
            True,
        ),
        ("TestCart.test_total", "python", "def test_total(self): ...", True),
        ("TestCart", "python", "class TestCart: ...", True),
        ("_check", "python", "def _check(name): ...", False),
        ("stock_levels", "python", "@pytest.fixture\ndef stock_levels(): ...", False),
        ("TestReserve", "go", "func TestReserve(t *testing.T) {}", True),
        ("newStore", "go", "func newStore() *Store {}", False),
        ("CartTest.rejectsNegative", "java", "@Test\nvoid rejectsNegative() {}", True),
        ("CartTest.cart", "java", "private Cart cart() {}", False),
        ("test_client", "python", "@pytest.fixture\ndef test_client(app): ...", False),
        (
            "CartTest.addsMany",
            "java",
            "@ParameterizedTest\n@ValueSource(ints = {1, 2})\nvoid addsMany(int n) {}",
            True,
        ),
        ("CartTest.repeats", "java", "@RepeatedTest(3)\nvoid repeats() {}", True),
        ("tests::rejects_negative", "rust", "fn rejects_negative() {}", True),
        ("helper", "c", "static int helper(void) { TEST_ASSERT(1); return 0; }", False),
        ("renderCart", "javascript", "function renderCart() {}", False),
    ],
)
def test_only_what_the_test_runner_runs_counts_as_a_test(
    name: str, lang: str, code: str, runs: bool
) -> None:
    assert is_test_case(name, lang, code) is runs


def test_a_commit_changing_only_test_helpers_teaches_no_test(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    helpers = (
        "def _levels():\n    return {'apple': 3}\n\n\ndef test_reserve():\n    assert "
        "_levels()['apple'] == 3\n"
    )
    repo = make_repo(
        [
            {
                "message": "Add stock tests",
                "files": {"src/stock.py": STOCK_V1, "tests/test_stock.py": helpers},
            },
            {
                "message": "Stock more apples in the test levels\n\nThe fixture now matches the "
                "demo data.",
                "files": {"tests/test_stock.py": helpers.replace("'apple': 3}", "'apple': 30}")},
            },
        ]
    )
    assert _selected(warehouse, repo, "Stock more apples in the test levels") == [
        ("tests", "skipped", "tests only: it changes helpers or fixtures, no test case")
    ]


def test_a_squash_merge_quoting_a_revert_is_not_a_revert() -> None:
    squash = _shape(
        "Add CSV export (#412)",
        ["src/export.py"],
        body='* Revert "wip"\n\nThis reverts commit 3f2a9c1d4e5b.',
        reverts="3f2a9c1d4e5b",
    )
    assert classify(squash).family == "feature"
    revert = _shape("Revert the CSV export", ["src/export.py"], reverts="3f2a9c1d4e5b")
    assert (classify(revert).family, classify(revert).skipped) == ("revert", True)


@pytest.mark.parametrize(
    ("path", "holds_tests"),
    [
        ("tests/test_cart.py", True),
        ("flask/testsuite/basic.py", True),  # Flask kept its tests here until 0.10
        ("spec/models/cart_spec.rb", True),
        ("web/src/__tests__/Cart.tsx", True),
        ("pkg/cart/cart_test.go", True),
        ("src/main/java/shop/CartTests.java", True),
        ("src/flask/testing.py", False),  # test helpers shipped to users are code
        ("src/cart.py", False),
    ],
)
def test_test_files_are_found_by_the_usual_conventions(path: str, holds_tests: bool) -> None:
    assert is_test_path(path) is holds_tests


def test_a_test_class_is_the_container_of_its_test_methods(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    tests = (
        "class TestReserve:\n    def test_reserve(self):\n        assert reserve({'a': 3}, 'a', "
        "1) == 2\n\n"
        "    def test_reserve_rejects_negative(self):\n        assert reserve({'a': 3}, 'a', -1) "
        "is None\n"
    )
    repo = make_repo(
        [
            {"message": "Add stock module", "files": {"src/stock.py": STOCK_V1}},
            {
                "message": "Cover reservations\n\nA negative quantity must not add stock.",
                "files": {"tests/test_stock.py": tests},
            },
        ]
    )
    land_repository(warehouse, repo, "r1", OPTIONS)
    select_tasks(warehouse, "r1")
    facts = json.loads(
        warehouse.scalar(
            "SELECT t.facts FROM tasks t JOIN commits c ON c.id = t.commit_id WHERE c.subject = "
            "'Cover reservations'"
        )
    )
    names = warehouse.query(
        "SELECT qualified_name FROM symbols WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1",
        [facts["symbol_ids"]],
    ).rows
    # the new class is where the two tests live, not a third test of its own
    assert names == [("TestReserve.test_reserve",), ("TestReserve.test_reserve_rejects_negative",)]


def test_rewording_a_skip_message_changes_no_count(
    warehouse: Warehouse, stock_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts are keyed on the skip's category: the sentence a person reads can change freely."""
    monkeypatch.setitem(commit_kinds._SKIP_REASONS, "formatting", "whitespace: nothing to teach")
    land_repository(warehouse, stock_repo, "r1", OPTIONS)
    summary = select_tasks(warehouse, "r1")
    assert summary.skipped == {"initial_commit": 1, "formatting": 1}
    reasons = warehouse.query(
        "SELECT skip_category, reason FROM tasks WHERE status = 'skipped' ORDER BY 1"
    ).rows
    assert ("formatting", "whitespace: nothing to teach") in reasons


def test_every_kind_of_commit_that_is_skipped_has_a_category() -> None:
    assert set(commit_kinds._SKIP_REASONS) <= {str(category) for category in SkipCategory}


def test_every_skip_category_is_used() -> None:
    """A category no code names is a count that can never move: every one is named in the code
    (``SkipCategory.X``) or is a commit kind the classifier gives."""
    code = "".join(
        path.read_text(encoding="utf-8")
        for folder in ("flows", "warehouse", "miners")
        for path in (Path(__file__).resolve().parents[3] / folder).rglob("*.py")
    )
    unused = [
        category
        for category in SkipCategory
        if f"SkipCategory.{category.name}" not in code
        and str(category) not in commit_kinds._SKIP_REASONS
    ]
    assert not unused
