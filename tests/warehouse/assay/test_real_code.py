"""``real_code`` against real repositories: each block of an output compared with its commit.

A real git history is mined into a real warehouse; planted records name a task of its last
commit. Every retyped block has a twin that differs only in layout and comments, so each case can
fail both ways. The extractive drafter's own records, drafted from a real history, must pass.
"""

from __future__ import annotations

import pickle
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import GOOD, BuildRepo, Cli, Commit, InstructionJson, candidate_row, git
from warehouse.assay.checks.real_code import code_tokens, same_code
from warehouse.assay.commit_code import CommitCode
from warehouse.assay.runner import assay
from warehouse.records import parse_record
from warehouse.seed_folder import SEEDS_DIR, read_seed_folder
from warehouse.store import Warehouse

PRICES = '''"""Prices in cents."""
import logging

logger = logging.getLogger(__name__)


class Basket:
    def __init__(self) -> None:
        self.items: dict[str, int] = {}

    def add(self, name: str, cents: int) -> None:
        self.items[name] = cents
'''
PRICES_AFTER = PRICES.replace(
    "import logging\n", "import logging\nfrom decimal import Decimal\n"
).replace(
    "        self.items[name] = cents\n",
    "        if cents < 0:\n"
    '            raise ValueError(f"negative price for {name}")\n'
    "        self.items[name] = cents\n\n"
    "    def total(self) -> Decimal:\n"
    "        # cents to units\n"
    '        return Decimal(sum(self.items.values())) / Decimal("100")\n',
)
TOTAL = (
    "def total(self) -> Decimal:\n"
    "    # cents to units\n"
    '    return Decimal(sum(self.items.values())) / Decimal("100")\n'
)
PATH = "shop/prices.py"
CONFIG = '{"currency": "EUR"}\n'
FORMAT_GO = 'package text\n\nimport "fmt"\n\nfunc Title(s string) string {\n\treturn s\n}\n'
FORMAT_GO_AFTER = FORMAT_GO.replace("return s", 'return fmt.Sprintf("# %s", s)')


def history() -> list[Commit]:
    """A basket module; then a commit that adds a total, a guard, an import and a config file."""
    return [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add the basket",
            "files": {"shop/__init__.py": "", PATH: PRICES, "text/format.go": FORMAT_GO},
        },
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "Total the basket and refuse negative prices",
            "files": {
                PATH: PRICES_AFTER,
                "shop/config.json": CONFIG,
                "text/format.go": FORMAT_GO_AFTER,
            },
        },
    ]


@pytest.fixture
def basket(cli: Cli, make_repo: BuildRepo, tmp_path: Path) -> Iterator[Warehouse]:
    """The history mined into a fresh warehouse, with a task for its last commit."""
    repo = make_repo(history(), "basket")
    workspace = tmp_path / "ws"
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    with Warehouse(workspace / "goldmine.duckdb") as warehouse:
        head = git(repo, "rev-parse", "HEAD").strip()
        commit_id, source_id = warehouse.query(
            "SELECT id, source_id FROM commits WHERE sha = ?", [head]
        ).rows[0]
        warehouse.insert(
            "tasks",
            [
                {
                    "id": f"task-{family}",
                    "source_id": source_id,
                    "commit_id": commit_id,
                    "family": family,
                    "polarity": "positive",
                    "status": "selected",
                    "reason": "planted",
                    "facts": "{}",
                    "selector_version": "test",
                    "run_id": "r",
                }
                for family in ("feature", "review")
            ],
        )
        yield warehouse


def _record(name: str, output: str, symbols: list[str], family: str = "feature") -> InstructionJson:
    record: InstructionJson = {**GOOD, "id": name, "output": output, "task_type": family}
    record["provenance"] = {
        "drafter": "llm:test",
        "template": "t@1",
        "commits": [],
        "paths": [PATH],
        "symbols": symbols,
        "task_id": f"task-{family}",
    }
    return record


def _unit(symbol: str, code: str, path: str = PATH, lang: str = "python") -> str:
    return f"`{path}` — `{symbol}`:\n\n```{lang}\n{code}```\n\n"


def _module(code: str) -> str:
    return f"`{PATH}` — module level:\n\n```python\n{code}```\n\n"


def _verdicts(warehouse: Warehouse, records: list[InstructionJson]) -> dict[str, str | None]:
    """Each record's verdict: "pass", "fail: <detail>", or None (not applicable)."""
    checker = CommitCode(warehouse, ["task-feature", "task-review"])
    found: dict[str, str | None] = {}
    try:
        for raw in records:
            verdict = checker.verdict(parse_record(raw))
            found[raw["id"]] = (
                None if verdict is None else "pass" if verdict.passed else f"fail: {verdict.detail}"
            )
    finally:
        checker.close()
    return found


EXPLAINED = "Totals were missing. The basket now sums its prices. A test pins it."


def test_a_line_the_model_retyped_differently_is_rejected_naming_the_block(
    basket: Warehouse,
) -> None:
    retyped = TOTAL.replace('Decimal("100")', "100")
    verdicts = _verdicts(
        basket,
        [
            _record("real", _unit("Basket.total", TOTAL) + EXPLAINED, ["Basket.total"]),
            _record("retyped", _unit("Basket.total", retyped) + EXPLAINED, ["Basket.total"]),
        ],
    )
    assert verdicts["real"] == "pass"
    assert verdicts["retyped"] == (
        "fail: the block `shop/prices.py` — `Basket.total` is not the code at "
        f"{_head(basket)}: `return Decimal(sum(self.items.values())) / 100` where the real "
        'code has `return Decimal(sum(self.items.values())) / Decimal("100")`'
    )


def test_a_reformatted_block_with_other_comments_is_the_same_code(basket: Warehouse) -> None:
    reformatted = (
        "def total(\n    self,\n) -> Decimal:\n"
        "    return (\n        Decimal(sum(self.items.values()))  # the sum\n"
        "        / Decimal('1' '00')\n    )\n"
    )
    indented = "".join(f"    {line}\n" for line in TOTAL.splitlines())
    verdicts = _verdicts(
        basket,
        [
            _record("reformatted", _unit("Basket.total", reformatted), ["Basket.total"]),
            _record("indented", _unit("Basket.total", indented), ["Basket.total"]),
        ],
    )
    assert verdicts == {"reformatted": "pass", "indented": "pass"}


def test_module_level_lines_are_the_file_s_own_statements(basket: Warehouse) -> None:
    verdicts = _verdicts(
        basket,
        [
            _record("real", _module("from decimal import Decimal\nimport logging\n"), []),
            _record("retyped", _module("from decimal import Decimal as D\n"), []),
        ],
    )
    assert verdicts == {
        "real": "pass",
        "retyped": "fail: the module-level block of `shop/prices.py` is not the code at "
        f"{_head(basket)}: the file has no statement `from decimal import Decimal as D`",
    }


def _file(path: str, code: str, fence: str) -> str:
    return f"`{path}`:\n\n```{fence}\n{code}```\n\n"


GOFMT_UNDONE = (
    'package text\nimport "fmt"\n// Title, as a heading\nfunc Title(s string) string {\n'
    '    return fmt.Sprintf(\n        "# %s",\n        s,\n    )\n}\n'
)


def test_whole_files_data_files_and_go_are_compared_as_they_are(basket: Warehouse) -> None:
    go_unit = GOFMT_UNDONE.split("\n", 3)[3]
    edited = go_unit.replace('"# %s"', '"## %s"')
    verdicts = _verdicts(
        basket,
        [
            _record("data", _file("shop/config.json", CONFIG + "\n", "json"), []),
            _record("data-edited", _file("shop/config.json", '{"currency": "USD"}\n', "json"), []),
            _record("whole-file", _file(PATH, PRICES_AFTER, "python"), []),
            _record("go", _unit("Title", go_unit, "text/format.go", "go"), ["Title"]),
            _record("go-file", _file("text/format.go", GOFMT_UNDONE, "go"), []),
            _record("go-edited", _unit("Title", edited, "text/format.go", "go"), ["Title"]),
            _record("missing", _file("shop/rates.json", "{}\n", "json"), []),
        ],
    )
    head = _head(basket)
    assert verdicts == {
        "data": "pass",
        "data-edited": f"fail: the file block `shop/config.json` is not the code at {head}: "
        'line 1 reads `{"currency": "USD"}` where the file has `{"currency": "EUR"}`',
        "whole-file": "pass",
        "go": "pass",
        "go-file": "pass",
        "go-edited": f"fail: the block `text/format.go` — `Title` is not the code at {head}: "
        '`"## %s",` where the real code has `return fmt.Sprintf("# %s", s)`',
        "missing": f"fail: the file block `shop/rates.json` is not the code at {head}: "
        "shop/rates.json does not exist there",
    }


def test_an_unlabelled_block_is_matched_by_the_definitions_it_holds(basket: Warehouse) -> None:
    plain = f"```python\n{TOTAL}```\n\n{EXPLAINED}"
    wrong = f"```python\n{TOTAL.replace('values', 'keys')}```\n\n{EXPLAINED}"
    two = ["Basket.add", "Basket.total"]  # two symbols, one block: its definitions name themselves
    verdicts = _verdicts(
        basket,
        [
            _record("plain", plain, two),
            _record("wrong", wrong, two),
            _record("prose", "No code at all, only words about it.", two),
        ],
    )
    assert verdicts["plain"] == "pass" and verdicts["prose"] is None
    assert str(verdicts["wrong"]).startswith(
        "fail: the block `shop/prices.py` — `its definitions` is not the code at "
    )


def test_a_review_shows_the_code_as_it_was_before_the_change(basket: Warehouse) -> None:
    before = "def add(self, name: str, cents: int) -> None:\n    self.items[name] = cents\n"
    after = "def add" + PRICES_AFTER.split("    def add", 1)[1].split("\n\n", 1)[0]
    verdicts = _verdicts(
        basket,
        [
            _record(
                "kept", f"Request changes.\n\n```python\n{before}```\n", ["Basket.add"], "review"
            ),
            _record(
                "after",
                f"Request changes.\n\n```python\n{textwrap.dedent(after)}\n```\n",
                ["Basket.add"],
                "review",
            ),
        ],
    )
    assert verdicts["kept"] == "pass"
    assert str(verdicts["after"]).startswith(
        f"fail: the block `shop/prices.py` — `Basket.add` is not the code at {_head(basket)}^: "
    )


def test_golds_and_records_without_a_commit_are_not_judged(basket: Warehouse) -> None:
    checker = CommitCode(basket, ["task-feature"])
    try:
        golds = read_seed_folder(SEEDS_DIR).seeds
        assert {checker.verdict(seed.record) for seed in golds} == {None}
        assert checker.verdict(parse_record(GOOD)) is None
    finally:
        checker.close()


def test_a_worker_process_s_copy_reaches_the_same_verdict(basket: Warehouse) -> None:
    record = parse_record(_record("real", _unit("Basket.total", TOTAL), ["Basket.total"]))
    checker = CommitCode(basket, ["task-feature"])
    copy = pickle.loads(pickle.dumps(checker))  # what a worker receives: facts, no git process
    try:
        verdict = checker.verdict(record)
        assert verdict is not None and copy.verdict(record) == verdict
    finally:
        checker.close()
        copy.close()


def test_the_assay_rejects_retyped_code(basket: Warehouse) -> None:
    codes = (("real", TOTAL), ("retyped", TOTAL.replace("values()", "values() or [0]")))
    rows = [
        candidate_row(_record(name, _unit("Basket.total", code) + EXPLAINED, ["Basket.total"]), n)
        | {"id": name, "task_id": "task-feature"}
        for n, (name, code) in enumerate(codes)
    ]
    basket.insert("candidates", rows)
    assay(basket, "r")
    checks = dict(
        basket.query("""SELECT candidate_id, passed FROM checks WHERE "check" = 'real_code'""").rows
    )
    statuses = dict(basket.query("SELECT id, status FROM candidates").rows)
    assert checks == {"real": True, "retyped": False}
    assert statuses["retyped"] == "rejected"


def test_the_extractive_drafter_s_records_are_the_real_code(
    cli: Cli, stock_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "stock"
    result = cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)
    assert result.exit_code == 0, result.output
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        verdicts = warehouse.query(
            """SELECT passed, detail FROM checks WHERE "check" = 'real_code'"""
        ).rows
    assert verdicts and all(passed for passed, _ in verdicts), verdicts


def test_tokens_set_comments_and_layout_aside_but_not_code() -> None:
    assert code_tokens("f(a,  b) # x\n", "python") == code_tokens("f(a,\n  b)\n", "python")
    assert code_tokens("x = 'a' 'b'\n", "python") == code_tokens('x = "ab"\n', "python")
    assert code_tokens("if a:\n    b()\nc()\n", "python") != code_tokens(
        "if a:\n    b()\n    c()\n", "python"
    )
    assert code_tokens("f(a, b,)", "javascript") == code_tokens("f(a, b) /* x */", "javascript")
    assert code_tokens("let t = (a,);", "rust") != code_tokens("let t = (a);", "rust")
    assert not same_code("x = (1,)\n", "x = (1)\n", "python")
    assert same_code("f(\n    1,\n)\n", "f(1)  # one\n", "python")


def _head(warehouse: Warehouse) -> str:
    sha = warehouse.scalar("SELECT sha FROM commits ORDER BY committed_at DESC LIMIT 1")
    return str(sha)[:10]
