"""Mining into the warehouse: message facts, symbols of several languages, Python details, what is
skipped and why, and the same rows whether one process mines or several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miners.errors import MiningWorkerFailed
from miners.git_history import list_commits, open_repository
from tests.builders import TEST_KEY, BuildRepo, git
from warehouse.landing.commit_rows import LandingOptions
from warehouse.landing.mining_pool import mine_rows, split_evenly
from warehouse.landing.repositories import land_repository, repository_source_id
from warehouse.outcomes import SkipCategory
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader
from warehouse.store import Warehouse

OPTIONS = LandingOptions(key=TEST_KEY)
PY_V1 = """import logging

logger = logging.getLogger(__name__)


def total(prices):
    return sum(prices)
"""
PY_V2 = '''import logging

logger = logging.getLogger(__name__)


@cached
def total(prices: list[float]) -> float:
    """Sum the prices; an empty cart costs nothing."""
    try:
        return sum(prices)
    except TypeError:
        logger.error("bad prices %r", prices)
        raise ValueError("prices must be numbers") from None
'''
JS_V1 = "export function checkout(basket) {\n  return basket.items.length;\n}\n"
JS_V2 = (
    "export function checkout(basket) {\n  if (!basket) throw new Error('no basket');\n  "
    "return basket.items.length;\n}\n"
)
GO_V1 = (
    "package shop\n\n// Reserve takes qty units.\nfunc Reserve(qty int) int {\n\treturn qty\n}\n"
)
GO_V2 = GO_V1.replace("\treturn qty\n", "\tif qty < 0 {\n\t\treturn 0\n\t}\n\treturn qty\n")


def _shop(make_repo: BuildRepo) -> Path:
    return make_repo(
        [
            {
                "message": "Start the shop",
                "date": "2024-01-01T10:00:00+00:00",
                "files": {
                    "shop.py": PY_V1,
                    "web/checkout.js": JS_V1,
                    "shop.go": GO_V1,
                    "README.md": "# shop\n",
                },
            },
            {
                "message": "Guard totals, checkout and reservations\n\nFixes #3\n\n"
                "Co-authored-by: Ana Lima <ana@corp.example>\nSigned-off-by: Bo Chen "
                "<bo@corp.example>",
                "date": "2024-01-02T10:00:00+00:00",
                "files": {
                    "shop.py": PY_V2,
                    "web/checkout.js": JS_V2,
                    "shop.go": GO_V2,
                    "README.md": "# shop\n\nv2\n",
                    "pyproject.toml": "[project]\nname = 'shop'\n",
                },
            },
            {
                "message": "Bump version to 1.1.0",
                "date": "2024-01-03T10:00:00+00:00",
                "author": "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
                "files": {"VERSION": "1.1.0\n"},
            },
        ],
        "shop",
    )


def test_changed_python_javascript_and_go_functions_have_before_and_after_code(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    summary = land_repository(warehouse, _shop(make_repo), "r1", OPTIONS)
    rows = warehouse.query(
        "SELECT s.lang, s.qualified_name, s.change, s.before_code, s.after_code FROM symbols s "
        "JOIN commits c ON c.id = s.commit_id WHERE c.subject LIKE 'Guard%' ORDER BY s.lang"
    ).rows
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("go", "Reserve", "modified"),
        ("javascript", "checkout", "modified"),
        ("python", "total", "modified"),
    ]
    by_lang = {r[0]: r for r in rows}
    assert "return 0" in by_lang["go"][4] and "return 0" not in by_lang["go"][3]
    assert "no basket" in by_lang["javascript"][4] and "no basket" not in by_lang["javascript"][3]
    assert by_lang["python"][4].startswith("@cached") and "try:" not in by_lang["python"][3]
    no_grammar = {
        skip.detail: n
        for skip, n in summary.skipped.items()
        if skip.category == SkipCategory.NO_GRAMMAR
    }
    assert no_grammar["no grammar for .md"] == 2 and no_grammar["no grammar for .toml"] == 1
    assert summary.skipped_by_category()["no_grammar"] == sum(no_grammar.values())
    assert any("no grammar for .md 2" in note for note in summary.notes)


def test_python_functions_get_their_libcst_details_when_a_task_needs_them(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    land_repository(warehouse, _shop(make_repo), "r1", OPTIONS)
    # mining leaves them for later: most commits never become a task
    assert warehouse.scalar("SELECT count(*) FROM symbols WHERE details IS NOT NULL") == 0
    select_tasks(warehouse, "r1")
    loader = ContextLoader(warehouse, TEST_KEY)
    units = [
        unit
        for (task_id,) in warehouse.query("SELECT id FROM tasks WHERE status = 'selected'").rows
        for unit in loader.load(task_id).units
    ]
    loader.close()
    [total] = [unit for unit in units if unit.name == "total"]
    assert total.signature == "def total(prices: list[float]) -> float"
    assert total.decorators == ("cached",) and total.fully_typed
    assert all(not unit.signature for unit in units if unit.lang != "python")


def test_message_facts_land_with_people_pseudonymised(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    land_repository(warehouse, _shop(make_repo), "r1", OPTIONS)
    facts = {
        subject: (json.loads(trailers), is_bot, bump)
        for subject, trailers, is_bot, bump in warehouse.query(
            "SELECT subject, trailers, is_bot, is_version_bump FROM commits"
        ).rows
    }
    trailers, is_bot, bump = facts["Guard totals, checkout and reservations"]
    assert [t["key"] for t in trailers] == ["Co-authored-by", "Signed-off-by"]
    assert trailers[0]["name"] == "Ana Lima" and len(trailers[0]["email_hash"]) == 32
    assert not is_bot and not bump
    assert facts["Bump version to 1.1.0"][1:] == (True, True)
    everything = str(warehouse.query("SELECT * FROM commits").rows)
    assert "ana@corp.example" not in everything and "bo@corp.example" not in everything


def test_without_author_names_people_keep_only_their_hashes(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    options = LandingOptions(key=TEST_KEY, keep_author_names=False)
    land_repository(warehouse, _shop(make_repo), "r1", options)
    assert warehouse.query("SELECT DISTINCT author FROM commits").rows == [("",)]
    trailers = json.loads(
        warehouse.scalar("SELECT trailers FROM commits WHERE subject LIKE 'Guard%'")
    )
    assert {t["name"] for t in trailers} == {""} and all(t["email_hash"] for t in trailers)


def test_reverts_and_cherry_picks_link_to_their_commits(
    warehouse: Warehouse, make_repo: BuildRepo
) -> None:
    repo = _shop(make_repo)
    git(repo, "checkout", "-q", "-b", "stable", "HEAD~1")
    git(repo, "cherry-pick", "-x", "main")
    git(repo, "checkout", "-q", "main")
    git(repo, "revert", "--no-edit", "HEAD")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'stable'", "stable")
    land_repository(warehouse, repo, "r1", OPTIONS)
    reverted, picked = warehouse.query(
        "SELECT (SELECT o.subject FROM commits o WHERE o.sha = c.reverts), "
        "(SELECT o.subject FROM commits o WHERE o.sha = c.cherry_picked_from) FROM commits c "
        "WHERE c.reverts IS NOT NULL OR c.cherry_picked_from IS NOT NULL ORDER BY c.reverts NULLS "
        "LAST"
    ).rows
    assert reverted[0] == "Bump version to 1.1.0"
    assert picked[1] == "Bump version to 1.1.0"


def test_one_process_or_several_land_the_same_rows(tmp_path: Path, make_repo: BuildRepo) -> None:
    repo = _shop(make_repo)
    for n in range(6):
        (repo / "shop.py").write_text(PY_V2.replace("nothing", f"nothing ({n})"))
        git(repo, "commit", "-qam", f"Reword total's docstring {n}")
    tables = {}
    for jobs in (1, 2):
        with Warehouse(tmp_path / f"jobs{jobs}.duckdb") as warehouse:
            options = LandingOptions(key=TEST_KEY, jobs=jobs, parallel_min_commits=2)
            summary = land_repository(warehouse, repo, "r1", options)
            assert summary.added["commits"] == 9
            tables[jobs] = {
                table: warehouse.query(f"SELECT * FROM {table} ORDER BY id").rows
                for table in ("commits", "file_changes", "symbols", "secret_findings")
            }
    assert tables[1] == tables[2] and tables[1]["symbols"]


def test_a_failing_worker_stops_the_run_with_its_error(make_repo: BuildRepo) -> None:
    repo = _shop(make_repo)
    info = open_repository(repo)
    shas = [*list_commits(info), "0" * 40]
    options = LandingOptions(key=TEST_KEY, jobs=2, parallel_min_commits=2)
    with pytest.raises(MiningWorkerFailed, match="git failed"):
        list(mine_rows(info, shas, repository_source_id(info), "r1", options, 10))


def test_split_evenly_keeps_order_and_sizes() -> None:
    assert split_evenly(list("abcdefg"), 3) == [list("abc"), list("de"), list("fg")]
    assert split_evenly(list("ab"), 2) == [["a"], ["b"]]


def test_files_too_large_to_parse_are_skipped_and_counted(
    warehouse: Warehouse, make_repo: BuildRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.landing import commit_rows

    big = "".join(f"def f{n}():\n    return {n}\n\n\n" for n in range(60))
    repo = make_repo(
        [
            {"message": "one", "files": {"small.py": PY_V1, "big.py": big}},
            {"message": "two", "files": {"small.py": PY_V2, "big.py": big + "X = 1\n"}},
        ]
    )
    monkeypatch.setattr(commit_rows, "MAX_SYMBOL_SOURCE_BYTES", 1_000)
    summary = land_repository(warehouse, repo, "r1", OPTIONS)
    assert summary.skipped_by_category() == {"file_too_large": 2}
    assert {row[0] for row in warehouse.query("SELECT path FROM symbols").rows} == {"small.py"}
    assert warehouse.scalar("SELECT count(*) FROM file_changes WHERE path = 'big.py'") == 2
