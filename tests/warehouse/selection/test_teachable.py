"""What is not worth a task (typos, comments, layout, tool rewrites, version moves, work in
progress), and families only where they fit (edge cases need a raising guard, a refactor keeps
behaviour)."""

from __future__ import annotations

import json

import pytest

from tests.builders import TEST_KEY, BuildRepo, Commit
from warehouse.landing.repositories import LandingOptions, land_repository
from warehouse.selection.commits import select_tasks
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)
STOCK = '''"""Stock levels."""


def reserve(levels, sku, qty):
    """Reserve qty of sku and return what is left.

    The levels are changed in place.
    """
    # the caller checked that the sku exists
    if levels[sku] < qty:
        raise LookupError("not enough stock for the reservaton")
    levels[sku] = levels[sku] - qty
    return levels[sku]


def restock(levels, sku, qty):
    levels[sku] = levels.get(sku, 0) + qty
    return levels[sku]
'''
REQUIREMENTS = "werkzeug==2.3.6\n"


def _main_task(warehouse: Warehouse, subject: str) -> tuple[str, str, str, str]:
    """(family, status, skip category, reason) of the commit's main task."""
    rows = warehouse.query(
        "SELECT t.family, t.status, coalesce(t.skip_category, ''), t.reason FROM tasks t "
        "JOIN commits c ON c.id = t.commit_id WHERE c.subject = ? "
        "AND t.family NOT IN ('edge_cases', 'review')",
        [subject],
    ).rows
    assert len(rows) == 1, rows
    return rows[0]


def _select(warehouse: Warehouse, make_repo: BuildRepo, *later: Commit) -> None:
    """A repository whose first commit adds the stock module, then ``later``; land and select."""
    commits: list[Commit] = [
        {
            "message": "Add stock module",
            "files": {"stock.py": STOCK, "requirements.txt": REQUIREMENTS},
        },
        *later,
    ]
    dated: list[Commit] = [
        {**commit, "date": f"2024-04-{n + 1:02d}T10:00:00+00:00"}
        for n, commit in enumerate(commits)
    ]
    land_repository(warehouse, make_repo(dated), "r1", OPTIONS)
    select_tasks(warehouse, "r1")


@pytest.mark.parametrize(
    ("subject", "files", "category"),
    [
        (
            "Fix typo in the stock error",
            {"stock.py": STOCK.replace("reservaton", "reservation")},
            "typo_only",
        ),
        # no word of a typo in the subject: the docstring moved by two characters
        (
            "Polish the reserve docstring",
            {"stock.py": STOCK.replace("in place.", "in-place!")},
            "typo_only",
        ),
        (
            "Explain the reservation rules",
            {
                "stock.py": STOCK.replace(
                    "# the caller checked that the sku exists",
                    "# callers look the sku up first; an unknown sku is a KeyError from here",
                )
            },
            "comment_only",
        ),
        (
            "python-modernize automated changes: fix_dict",
            {"stock.py": STOCK.replace("levels.get(sku, 0)", "dict.get(levels, sku, 0)")},
            "mechanical_rewrite",
        ),
        (
            "Bump werkzeug 2.3.7",
            {
                "requirements.txt": REQUIREMENTS.replace("2.3.6", "2.3.7"),
                "stock.py": STOCK.replace("levels[sku] - qty", "levels[sku] - int(qty)"),
            },
            "dependency_bump",
        ),
        (
            "WIP",
            {"stock.py": STOCK.replace("return levels[sku]\n\n\ndef", "return -1\n\n\ndef")},
            "work_in_progress",
        ),
        # a test that fails until a later commit fixes the code is not an example to follow
        (
            "failing test for reserving unknown skus",
            {"stock.py": STOCK.replace("return levels[sku]\n\n\ndef", "return -2\n\n\ndef")},
            "work_in_progress",
        ),
    ],
)
def test_a_change_that_teaches_nothing_makes_no_task(
    warehouse: Warehouse,
    make_repo: BuildRepo,
    subject: str,
    files: dict[str, str],
    category: str,
) -> None:
    _select(warehouse, make_repo, {"message": f"{subject}\n\nSee the notes.", "files": files})
    family, status, skipped_as, reason = _main_task(warehouse, subject)
    assert (status, skipped_as) == ("skipped", category), reason
    assert reason and not reason.startswith(family)


def test_the_same_edit_in_code_is_a_task(warehouse: Warehouse, make_repo: BuildRepo) -> None:
    subject = "Reserve from the restocked level"
    after = STOCK.replace("levels[sku] - qty", "levels[sku] - qty - 0")
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    assert _main_task(warehouse, subject)[1] == "selected"


def test_a_whitespace_only_unit_is_not_a_changed_unit(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    subject = "Return the new level from restock"
    after = STOCK.replace(
        "def reserve(levels, sku, qty):", "def reserve(\n    levels, sku, qty\n):"
    ).replace("+ qty\n    return levels[sku]", "+ qty\n    return levels[sku] or 0")
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    facts = json.loads(
        warehouse.scalar(
            "SELECT t.facts FROM tasks t JOIN commits c ON c.id = t.commit_id WHERE c.subject = ?",
            [subject],
        )
    )
    names = warehouse.query(
        "SELECT qualified_name FROM symbols WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [facts["symbol_ids"]],
    ).rows
    changed = warehouse.query(
        "SELECT qualified_name FROM symbols s JOIN commits c ON c.id = s.commit_id "
        "WHERE c.subject = ? ORDER BY 1",
        [subject],
    ).rows
    assert changed == [("reserve",), ("restock",)]  # the miner saw both change
    assert names == [("restock",)]


def test_a_commit_that_only_re_lays_out_units_is_formatting(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    subject = "Wrap the reserve signature"
    after = STOCK.replace(
        "def reserve(levels, sku, qty):", "def reserve(\n    levels, sku, qty\n):"
    )
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    assert _main_task(warehouse, subject)[1:3] == ("skipped", "formatting")


def _edge_tasks(warehouse: Warehouse, subject: str) -> list[tuple[str]]:
    return warehouse.query(
        "SELECT t.status FROM tasks t JOIN commits c ON c.id = t.commit_id "
        "WHERE c.subject = ? AND t.family = 'edge_cases'",
        [subject],
    ).rows


@pytest.mark.parametrize(
    ("guard", "edge"),
    [
        ("    if qty <= 0:\n        raise ValueError(f'qty must be positive, got {qty}')\n", True),
        ("    if qty <= 0:\n        return levels[sku]\n", False),
        ("    if qty <= 0:\n        for _ in levels:\n            raise ValueError('no')\n", False),
    ],
)
def test_edge_cases_only_when_the_change_adds_a_guard_that_raises(
    warehouse: Warehouse, make_repo: BuildRepo, guard: str, edge: bool
) -> None:
    subject = "Fix reservations of nothing"
    after = STOCK.replace("    # the caller checked", guard + "    # the caller checked")
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    assert _main_task(warehouse, subject)[1] == "selected"
    assert _edge_tasks(warehouse, subject) == ([("selected",)] if edge else [])


def test_a_refactor_that_changes_a_signature_is_a_change(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    subject = "Refactor restock"
    after = STOCK.replace("def restock(levels, sku, qty):", "def restock(levels, sku, qty=1):")
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    family, status, _, reason = _main_task(warehouse, subject)
    assert (family, status) == ("change", "selected")
    assert "not a refactor: the signature of `restock` changed" in reason


def test_a_refactor_that_keeps_behaviour_stays_a_refactor(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    subject = "Refactor restock"
    after = STOCK.replace(
        "    levels[sku] = levels.get(sku, 0) + qty\n",
        "    current = levels.get(sku, 0)\n    levels[sku] = current + qty\n",
    )
    _select(warehouse, make_repo, {"message": subject, "files": {"stock.py": after}})
    assert _main_task(warehouse, subject)[:2] == ("refactor", "selected")


# A restock that caps deliveries and carries a workaround: the base of the too-small edits below.
CAPPED = STOCK.replace(
    "def restock(levels, sku, qty):\n",
    "def restock(levels, sku, qty, cap=True):\n"
    "    if cap and qty > 1000:\n"
    "        raise ValueError(f'a restock of {qty} is more than a pallet')\n"
    "    levels.pop(None, None)  # old callers passed None for a sku\n",
)
LOADER = '''import imp


def load_rules(name, text):
    """A module made of the rules' text."""
    module = imp.new_module(name)
    exec(text, module.__dict__)
    return module
'''
RESTOCK = "def restock" + CAPPED.split("def restock")[1]
WITHOUT_RESTOCK = CAPPED.split("\n\n\ndef restock")[0] + "\n"


@pytest.mark.parametrize(
    ("subject", "files", "category"),
    [
        (
            "Move restock into the levels module",
            {
                "stock.py": '"""Stock levels."""\nfrom levels import restock\n'
                + WITHOUT_RESTOCK.removeprefix('"""Stock levels."""\n'),
                "levels.py": '"""Level changes."""\n\n\n' + RESTOCK,
            },
            "moved_verbatim",
        ),
        (
            "Do not cap restocks unless asked",
            {"stock.py": CAPPED.replace("cap=True", "cap=False")},
            "trivial_change",
        ),
        (
            "Clearer stock error",
            {
                "stock.py": CAPPED.replace(
                    "not enough stock for the reservaton", "too little stock left to reserve"
                )
            },
            "trivial_change",
        ),
        (
            "Remove the None sku workaround",
            {
                "stock.py": CAPPED.replace(
                    "    levels.pop(None, None)  # old callers passed None for a sku\n", ""
                )
            },
            "trivial_change",
        ),
        (
            "imp is deprecated",
            {
                "loader.py": LOADER.replace("import imp", "import types").replace(
                    "imp.new_module", "types.ModuleType"
                )
            },
            "trivial_change",
        ),
    ],
)
def test_a_change_too_small_to_teach_makes_no_task(
    warehouse: Warehouse,
    make_repo: BuildRepo,
    subject: str,
    files: dict[str, str],
    category: str,
) -> None:
    base: Commit = {
        "message": "Cap restocks at a pallet\n\nA typo of 10000 emptied the warehouse budget.",
        "files": {"stock.py": CAPPED, "loader.py": LOADER},
    }
    _select(warehouse, make_repo, base, {"message": f"{subject}\n\nSee the notes.", "files": files})
    _, status, skipped_as, reason = _main_task(warehouse, subject)
    assert (status, skipped_as) == ("skipped", category), reason
    assert reason.startswith(("moved verbatim: `restock`", "too small to teach: ")), reason


@pytest.mark.parametrize(
    ("subject", "after"),
    [
        # one token, but the behaviour a user sees changes (flask's `while True` → `while queue`)
        ("Keep the last unit in stock", CAPPED.replace("levels[sku] < qty", "levels[sku] <= qty")),
        # a deletion that a fix makes is the fix
        (
            "Fix restocks of a None sku",
            CAPPED.replace("    levels.pop(None, None)  # old callers passed None for a sku\n", ""),
        ),
        # a message that now says more (a new placeholder) is not reworded only
        (
            "Say how much stock is left",
            CAPPED.replace(
                '"not enough stock for the reservaton"', 'f"only {levels[sku]} left of {sku}"'
            ),
        ),
        # a called name swapped within the module is a different call, not an API move
        (
            "Restock with setdefault",
            CAPPED.replace("levels.get(sku, 0)", "levels.setdefault(sku, 0)"),
        ),
    ],
)
def test_a_small_change_that_teaches_stays_a_task(
    warehouse: Warehouse, make_repo: BuildRepo, subject: str, after: str
) -> None:
    base: Commit = {
        "message": "Cap restocks at a pallet\n\nA typo of 10000 emptied the warehouse budget.",
        "files": {"stock.py": CAPPED},
    }
    _select(
        warehouse,
        make_repo,
        base,
        {"message": f"{subject}\n\nSee the notes.", "files": {"stock.py": after}},
    )
    assert _main_task(warehouse, subject)[1] == "selected"
