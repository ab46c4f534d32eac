"""``resolves`` against real repositories: outputs applied to the parent commit, then judged.

Each history is a real git repository (``make_repo``) mined into a real warehouse by the mine
stage; each planted record names a task of the history's last commit and says in its output what
it changes. Every planted defect has a twin without it, so each case can fail both ways.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import GOOD, BuildRepo, Cli, Commit, InstructionJson, candidate_row, git
from warehouse.assay.resolves import Resolver
from warehouse.assay.runner import assay
from warehouse.records import parse_record
from warehouse.seed_folder import SEEDS_DIR, read_seed_folder
from warehouse.store import Warehouse

CART = '''"""A shopping cart."""
import logging

logger = logging.getLogger(__name__)

_LIMIT = 10


class Cart:
    """Items and their prices."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float]] = []

    @property
    def size(self) -> int:
        return len(self.items)

    def add(self, name: str, price: float) -> None:
        if self.size >= _LIMIT:
            raise ValueError("the cart is full")
        self.items.append((name, price))
'''
CART_SORTED = (
    CART.replace("import logging\n", "import logging\nfrom operator import itemgetter\n")
    .replace("_LIMIT = 10\n", '_LIMIT = 10\n_CURRENCY = "EUR"\n')
    .replace(
        "        self.items.append((name, price))\n",
        "        logger.info('%s for %s %s', name, price, _CURRENCY)\n"
        "        self.items.append((name, price))\n\n"
        "    def sorted_items(self) -> list[tuple[str, float]]:\n"
        "        return sorted(self.items, key=itemgetter(1))\n",
    )
    + "\n\ndef cheapest(cart: Cart) -> str:\n    return cart.sorted_items()[0][0]\n"
)
CART_TESTS = "from shop.cart import Cart\n\n\ndef test_add():\n    Cart().add('tea', 2.0)\n"
LIMIT_TEST = (
    "def test_the_limit_comes_from_the_config():\n"
    '    config = json.loads((HERE / "static/config.json").read_text())\n'
    '    assert config["limit"] == 10\n'
)
TESTS_MODULE = "import json\nfrom pathlib import Path\n\nHERE = Path(__file__).parent\n"


def shop_history() -> list[Commit]:
    """A cart module, then a commit that sorts it, logs a currency and adds a config file."""
    return [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add the cart",
            "files": {
                "src/shop/__init__.py": "",
                "src/shop/cart.py": CART,
                "tests/test_cart.py": CART_TESTS,
            },
        },
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "Sort the cart by price and read the limit from a config file",
            "files": {
                "src/shop/cart.py": CART_SORTED,
                "tests/test_cart.py": TESTS_MODULE + "\n\n" + CART_TESTS + "\n\n" + LIMIT_TEST,
                "tests/static/config.json": '{"limit": 10}\n',
            },
        },
    ]


FORMAT_GO = """package text

import "fmt"

// Title formats a heading.
func Title(s string) string {
\treturn fmt.Sprintf("# %s", s)
}
"""
TRIM_GO = """package text

import "strings"

func trim(s string) string {
\treturn strings.TrimSpace(s)
}
"""


def go_history() -> list[Commit]:
    """A Go package of two files; then ``Title`` trims its argument with the sibling's helper."""
    return [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add the text package",
            "files": {
                "go.mod": "module example.com/textkit\n\ngo 1.22\n",
                "text/format.go": FORMAT_GO,
                "text/trim.go": TRIM_GO,
            },
        },
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "Trim titles",
            "files": {"text/format.go": FORMAT_GO.replace('fmt.Sprintf("# %s", s)', "trim(s)")},
        },
    ]


def python2_history() -> list[Commit]:
    """A Python 2 module (flask's early history is like this), then a change to it."""
    old = 'def greet(name):\n    print "hello", name\n\n\ndef shout(name):\n    return name\n'
    return [
        {"date": "2024-03-01T10:00:00+00:00", "message": "Add greet", "files": {"app.py": old}},
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "Shout louder",
            "files": {"app.py": old.replace("return name", "return name.upper()")},
        },
    ]


# ---- building the warehouse and the records --------------------------------------------------


def _mined(cli: Cli, repo: Path, workspace: Path) -> Warehouse:
    """The repository mined into a fresh warehouse, with a task for its last commit."""
    assert cli("mine", "--repo", repo, "--workspace", workspace).exit_code == 0
    warehouse = Warehouse(workspace / "goldmine.duckdb")
    head = git(repo, "rev-parse", "HEAD").strip()
    commit_id, source_id = warehouse.query(
        "SELECT id, source_id FROM commits WHERE sha = ?", [head]
    ).rows[0]
    task = {
        "id": "task-head",
        "source_id": source_id,
        "commit_id": commit_id,
        "family": "feature",
        "polarity": "positive",
        "status": "selected",
        "reason": "planted",
        "facts": "{}",
        "selector_version": "test",
        "run_id": "r",
    }
    warehouse.insert("tasks", [task])
    return warehouse


def _record(name: str, output: str, paths: list[str], symbols: list[str]) -> InstructionJson:
    record: InstructionJson = {**GOOD, "id": name, "output": output}
    record["provenance"] = {
        "drafter": "extractive",
        "template": "t@1",
        "commits": [],
        "paths": paths,
        "symbols": symbols,
    }
    return record


def _verdicts(warehouse: Warehouse, records: list[InstructionJson]) -> dict[str, str | None]:
    """Each record's resolves verdict: "pass", "fail: <detail>", or None (not applicable)."""
    resolver = Resolver(warehouse, ["task-head"])
    found: dict[str, str | None] = {}
    try:
        for raw in records:
            data = {**raw, "provenance": {**raw["provenance"], "task_id": "task-head"}}
            verdict = resolver.verdict(parse_record(data))
            found[raw["id"]] = (
                None if verdict is None else "pass" if verdict.passed else f"fail: {verdict.detail}"
            )
    finally:
        resolver.close()
    return found


def _unit(path: str, symbol: str, code: str, lang: str = "python") -> str:
    return f"`{path}` — `{symbol}`:\n\n```{lang}\n{code}```\n\n"


def _module(path: str, code: str, lang: str = "python") -> str:
    return f"`{path}` — module level:\n\n```{lang}\n{code}```\n\n"


EXPLAINED = "The cart sorts by price now. A test pins the order."
SORTED_ITEMS = (
    "def sorted_items(self) -> list[tuple[str, float]]:\n"
    "    return sorted(self.items, key=itemgetter(1))\n"
)
ADD = (
    "def add(self, name: str, price: float) -> None:\n"
    "    if self.size >= _LIMIT:\n"
    '        raise ValueError("the cart is full")\n'
    "    logger.info('%s for %s %s', name, price, _CURRENCY)\n"
    "    self.items.append((name, price))\n"
)
CHEAPEST = "def cheapest(cart: Cart) -> str:\n    return cart.sorted_items()[0][0]\n"
CART_PATH = "src/shop/cart.py"


@pytest.fixture
def shop(cli: Cli, make_repo: BuildRepo, tmp_path: Path) -> Iterator[Warehouse]:
    """The shop history, mined, with a task for the sorting commit."""
    with _mined(cli, make_repo(shop_history(), "shop"), tmp_path / "ws") as warehouse:
        yield warehouse


def test_a_missing_import_is_rejected_and_the_same_with_the_import_passes(
    shop: Warehouse,
) -> None:
    unit = _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS)
    imported = _module(CART_PATH, "from operator import itemgetter\n")
    verdicts = _verdicts(
        shop,
        [
            _record("no-import", unit + EXPLAINED, [CART_PATH], ["Cart.sorted_items"]),
            _record("import", imported + unit + EXPLAINED, [CART_PATH], ["Cart.sorted_items"]),
        ],
    )
    assert verdicts == {
        "no-import": "fail: undefined name 'itemgetter' in src/shop/cart.py after applying the "
        "output (missing import?)",
        "import": "pass",
    }


def test_a_missing_module_constant_is_rejected(shop: Warehouse) -> None:
    unit = _unit(CART_PATH, "Cart.add", ADD)
    # the commit's other import goes with it: the output's imports must be the commit's
    constant = _module(CART_PATH, 'from operator import itemgetter\n\n_CURRENCY = "EUR"\n')
    verdicts = _verdicts(
        shop,
        [
            _record("no-constant", unit + EXPLAINED, [CART_PATH], ["Cart.add"]),
            _record("constant", constant + unit + EXPLAINED, [CART_PATH], ["Cart.add"]),
        ],
    )
    assert verdicts["no-constant"] == (
        "fail: undefined name '_CURRENCY' in src/shop/cart.py after applying the output "
        "(missing import?)"
    )
    assert verdicts["constant"] == "pass"


def test_a_method_applied_into_its_class_and_an_added_function_resolve(shop: Warehouse) -> None:
    symbols = ["Cart.sorted_items", "cheapest"]
    whole = (
        _module(CART_PATH, "from operator import itemgetter\n")
        + _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS)
        + _unit(CART_PATH, "cheapest", CHEAPEST)
    )
    # an added function that calls a helper nobody defines
    outside = _unit(CART_PATH, "cheapest", CHEAPEST.replace("cart.sorted_items()", "sort(cart)"))
    verdicts = _verdicts(
        shop,
        [
            _record("whole", whole + EXPLAINED, [CART_PATH], symbols),
            _record("undefined-helper", outside + EXPLAINED, [CART_PATH], ["cheapest"]),
        ],
    )
    assert verdicts["whole"] == "pass"
    assert verdicts["undefined-helper"] == (
        "fail: undefined name 'sort' in src/shop/cart.py after applying the output "
        "(missing import?)"
    )


def test_a_data_file_the_test_reads_must_be_given(shop: Warehouse) -> None:
    tests_path = "tests/test_cart.py"
    code = (
        _module(CART_PATH, "from operator import itemgetter\n")
        + _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS)
        + _module(tests_path, TESTS_MODULE)
        + _unit(tests_path, "test_the_limit_comes_from_the_config", LIMIT_TEST)
    )
    data = '`tests/static/config.json` (new file):\n\n```json\n{"limit": 10}\n```\n\n'
    symbols = ["Cart.sorted_items", "test_the_limit_comes_from_the_config"]
    paths = [CART_PATH, tests_path]
    # the acceptance test is in the instruction; the output gives only the code
    in_instruction = _record(
        "test-in-instruction",
        _module(CART_PATH, "from operator import itemgetter\n")
        + _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS)
        + EXPLAINED,
        [CART_PATH],
        ["Cart.sorted_items"],
    )
    in_instruction["instruction"] += f"\n\nAcceptance test:\n\n```python\n{LIMIT_TEST}```"
    shown_in_input = _record(
        "shown-in-input", in_instruction["output"], [CART_PATH], ["Cart.sorted_items"]
    )
    shown_in_input["instruction"] = in_instruction["instruction"]
    shown_in_input["input"] = data.replace(" (new file)", "")
    verdicts = _verdicts(
        shop,
        [
            _record("no-data", code + EXPLAINED, paths, symbols),
            _record("data", code + data + EXPLAINED, paths, symbols),
            in_instruction,
            shown_in_input,
        ],
    )
    missing = (
        "fail: the code names tests/static/config.json but the output does not give it "
        "(add it as a file block)"
    )
    assert verdicts == {
        "no-data": missing,
        "data": "pass",
        "test-in-instruction": missing,
        "shown-in-input": "pass",
    }


def test_a_file_named_in_a_comment_or_by_a_code_file_s_base_name_is_not_needed(
    shop: Warehouse,
) -> None:
    def naming(name: str, line: str) -> InstructionJson:
        code = SORTED_ITEMS.replace("    return", f"    {line}\n    return")
        output = _module(CART_PATH, "from operator import itemgetter\n")
        return _record(
            name,
            output + _unit(CART_PATH, "Cart.sorted_items", code) + EXPLAINED,
            [CART_PATH],
            ["Cart.sorted_items"],
        )

    verdicts = _verdicts(
        shop,
        [
            naming("comment", "# the order is pinned in tests/test_cart.py and static/config.json"),
            naming("base-name", "logger.debug('see test_cart.py')"),
            naming("path", "logger.debug('see tests/test_cart.py')"),
        ],
    )
    assert verdicts == {
        "comment": "pass",
        "base-name": "pass",
        "path": "fail: the code names tests/test_cart.py but the output does not give it "
        "(add it as a file block)",
    }


def test_a_syntax_error_after_applying_is_rejected(shop: Warehouse) -> None:
    broken = _unit(CART_PATH, "Cart.add", "def add(self, name, price)\n    pass\n")
    verdict = _verdicts(shop, [_record("broken", broken + EXPLAINED, [CART_PATH], ["Cart.add"])])
    assert str(verdict["broken"]).startswith(
        "fail: src/shop/cart.py does not compile after applying the output: "
    )


def test_a_syntax_warning_is_not_a_failure(shop: Warehouse) -> None:
    # `is` with a literal warns (SyntaxWarning), and the test suite turns warnings into errors
    warned = _module(CART_PATH, "from operator import itemgetter\n") + _unit(
        CART_PATH, "Cart.add", "def add(self, name, price):\n    if price is 0:\n        pass\n"
    )
    verdict = _verdicts(shop, [_record("warned", warned + EXPLAINED, [CART_PATH], ["Cart.add"])])
    assert verdict == {"warned": "pass"}


def test_an_unlabelled_block_of_a_one_file_record_is_judged_as_that_file_s_unit(
    shop: Warehouse,
) -> None:
    plain = f"```python\n{SORTED_ITEMS}```\n\n{EXPLAINED}"
    two_files = _record("two-files", plain, [CART_PATH, "tests/test_cart.py"], ["x", "y"])
    verdicts = _verdicts(
        shop,
        [
            _record("old-format", plain, [CART_PATH], ["Cart.sorted_items"]),
            two_files,
            _record("prose-only", "Nothing to apply here, only words.", [CART_PATH], []),
        ],
    )
    assert verdicts == {
        "old-format": "fail: undefined name 'itemgetter' in src/shop/cart.py after applying the "
        "output (missing import?)",
        "two-files": None,
        "prose-only": None,
    }


def test_go_calls_resolve_through_sibling_files_and_imports(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    path = "text/format.go"
    title = "func Title(s string) string {\n\treturn {call}\n}\n"
    records = [
        _record(
            name,
            _unit(path, "Title", title.replace("{call}", call), "go") + EXPLAINED,
            [path],
            ["Title"],
        )
        for name, call in (
            ("sibling", "trim(s)"),
            ("undefined", "squash(s)"),
            ("builtin", "string(rune(len(s)))"),
            ("not-imported", "strings.ToUpper(s)"),
            ("imported", 'fmt.Sprintf("# %s", s)'),
        )
    ]
    with_import = _record(
        "import-given",
        _module(path, 'import "strings"\n', "go") + records[3]["output"],
        [path],
        ["Title"],
    )
    with _mined(cli, make_repo(go_history(), "textkit"), tmp_path / "ws") as warehouse:
        verdicts = _verdicts(warehouse, [*records, with_import])
    assert verdicts == {
        "sibling": "pass",
        "undefined": "fail: undefined name 'squash' in text/format.go after applying the output "
        "(missing import?)",
        "builtin": "pass",
        "not-imported": "fail: undefined name 'strings' in text/format.go after applying the "
        "output (missing import?)",
        "imported": "pass",
        "import-given": "pass",
    }


HANDLERS = '''"""Error handlers."""
from collections import deque
from itertools import chain


def find_handler(handlers, exc_class):
    queue = deque(exc_class.__mro__)
    while queue:
        cls = queue.popleft()
        if cls in handlers:
            return handlers[cls]
    return None


def all_handlers(*groups):
    return list(chain(*groups))


def _legacy(handlers):
    return handlers
'''
FIND_HANDLER = (
    "def find_handler(handlers, exc_class):\n"
    "    for cls in exc_class.__mro__:\n"
    "        if cls in handlers:\n"
    "            return handlers[cls]\n"
    "    return None\n"
)
HANDLERS_AFTER = (
    HANDLERS.replace("from collections import deque\n", "")
    .replace(HANDLERS.split("def find_handler")[1].split("\n\n\n")[0], FIND_HANDLER[16:-1])
    .replace("\n\n\ndef _legacy(handlers):\n    return handlers\n", "\n")
)
APP_PY = "from handlers import _legacy\n\n\ndef run(handlers):\n    return _legacy(handlers)\n"


def handlers_history() -> list[Commit]:
    """A handler lookup over a deque, then a commit that loops over the MRO instead: the deque
    import goes, and so does a helper (with the import of it in another file)."""
    return [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add error handlers",
            "files": {"handlers.py": HANDLERS, "app.py": APP_PY},
        },
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "Look handlers up along the MRO",
            "files": {
                "handlers.py": HANDLERS_AFTER,
                "app.py": "def run(handlers):\n    return handlers\n",
            },
        },
    ]


def test_what_the_commit_removes_must_be_removed_and_a_removal_must_name_something(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    path, symbols = "handlers.py", ["find_handler"]
    unit = _unit(path, "find_handler", FIND_HANDLER)
    removed = (
        "`handlers.py` — removed: `from collections import deque`\n\n"
        "`handlers.py` — removed: `_legacy`\n\n"
    )
    app = "`app.py` — removed: `from handlers import _legacy`\n\n" + _unit(
        "app.py", "run", "def run(handlers):\n    return handlers\n"
    )
    records = [
        _record("left-over", unit + app + EXPLAINED, [path, "app.py"], [*symbols, "run"]),
        _record(
            "helper-left",
            unit + removed.split("\n\n")[0] + "\n\n" + app + EXPLAINED,
            [path, "app.py"],
            [*symbols, "run"],
        ),
        _record("whole", unit + removed + app + EXPLAINED, [path, "app.py"], [*symbols, "run"]),
        _record("untouched-file", unit + removed + EXPLAINED, [path], symbols),
        _record(
            "nothing-to-remove",
            unit + removed + app + "`handlers.py` — removed: `import sys`\n\n" + EXPLAINED,
            [path, "app.py"],
            [*symbols, "run"],
        ),
    ]
    with _mined(cli, make_repo(handlers_history(), "handlers"), tmp_path / "ws") as warehouse:
        verdicts = _verdicts(warehouse, records)
    assert verdicts == {
        "left-over": "fail: handlers.py still imports `from collections import deque` after "
        "applying the output; the commit removes it (and 1 more)",
        "helper-left": "fail: handlers.py still defines `_legacy` after applying the output; the "
        "commit removes it",
        "whole": "pass",
        "untouched-file": "fail: the commit also changes the imports of app.py "
        "(`from handlers import _legacy`), which the output leaves as they were",
        "nothing-to-remove": "fail: the output removes `import sys` from handlers.py, which the "
        "parent does not have",
    }


SIGN = "def sign(n):\n    return 1 if n > 0 else -1\n"
SIGN_TESTS = "from sign import sign\n\n\ndef test_sign():\n    assert sign(0) == -1\n"


def test_an_existing_test_the_commit_edits_must_be_in_the_output(
    cli: Cli, make_repo: BuildRepo, tmp_path: Path
) -> None:
    fixed = SIGN.replace("else -1", "else (0 if n == 0 else -1)")
    edited = SIGN_TESTS.replace("sign(0) == -1", "sign(0) == 0")
    history: list[Commit] = [
        {
            "date": "2024-03-01T10:00:00+00:00",
            "message": "Add sign",
            "files": {"sign.py": SIGN, "tests/test_sign.py": SIGN_TESTS},
        },
        {
            "date": "2024-03-02T10:00:00+00:00",
            "message": "The sign of zero is zero",
            "files": {"sign.py": fixed, "tests/test_sign.py": edited},
        },
    ]
    code = _unit("sign.py", "sign", fixed)
    test = _unit("tests/test_sign.py", "test_sign", edited.split("\n\n\n")[1])
    records = [
        _record("code-only", code + EXPLAINED, ["sign.py"], ["sign"]),
        _record("with-test", code + test + EXPLAINED, ["sign.py"], ["sign"]),
    ]
    with _mined(cli, make_repo(history, "sign"), tmp_path / "ws") as warehouse:
        verdicts = _verdicts(warehouse, records)
    assert verdicts == {
        "code-only": "fail: the commit also edits the test `test_sign` in tests/test_sign.py, "
        "which the output leaves as it was",
        "with-test": "pass",
    }


def test_a_python_2_parent_is_not_judged(cli: Cli, make_repo: BuildRepo, tmp_path: Path) -> None:
    unit = _unit("app.py", "shout", "def shout(name):\n    return nme.upper()\n")
    with _mined(cli, make_repo(python2_history(), "py2"), tmp_path / "ws") as warehouse:
        verdicts = _verdicts(warehouse, [_record("py2", unit + EXPLAINED, ["app.py"], ["shout"])])
    assert verdicts == {"py2": None}


def test_golds_and_records_without_a_commit_are_not_judged(shop: Warehouse) -> None:
    golds = read_seed_folder(SEEDS_DIR).seeds
    resolver = Resolver(shop, ["task-head"])
    try:
        assert {resolver.verdict(seed.record) for seed in golds} == {None}
        assert resolver.verdict(parse_record(GOOD)) is None  # no task
    finally:
        resolver.close()


def test_a_worker_process_s_copy_reaches_the_same_verdict(shop: Warehouse) -> None:
    record = _record(
        "no-import", _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS), [CART_PATH], []
    )
    record["provenance"]["task_id"] = "task-head"
    resolver = Resolver(shop, ["task-head"])
    copy = pickle.loads(pickle.dumps(resolver))  # what a worker receives: facts, no git process
    try:
        assert copy.verdict(parse_record(record)) == resolver.verdict(parse_record(record))
        assert copy.verdict(parse_record(record)) is not None
    finally:
        resolver.close()
        copy.close()


def test_the_assay_rejects_an_output_that_does_not_resolve(shop: Warehouse) -> None:
    unit = _unit(CART_PATH, "Cart.sorted_items", SORTED_ITEMS)
    imported = _module(CART_PATH, "from operator import itemgetter\n")
    rows = []
    for n, (name, output) in enumerate((("no-import", unit), ("import", imported + unit))):
        record = _record(name, output + EXPLAINED, [CART_PATH], ["Cart.sorted_items"])
        record["provenance"]["task_id"] = "task-head"
        rows.append(candidate_row(record, n) | {"id": name, "task_id": "task-head"})
    shop.insert("candidates", rows)
    assay(shop, "r")
    checks = dict(
        shop.query("""SELECT candidate_id, passed FROM checks WHERE "check" = 'resolves'""").rows
    )
    statuses = dict(shop.query("SELECT id, status FROM candidates").rows)
    assert checks == {"no-import": False, "import": True}
    assert statuses == {"no-import": "rejected", "import": "accepted"}
