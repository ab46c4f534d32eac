"""The dependency direction flows → warehouse → miners, module names that cannot shadow
others."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from warehouse.outcomes import (
    CandidateStatus,
    ReviewVerdict,
    RunStatus,
    TaskStatus,
    VerificationStatus,
)

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "miners": {"flows", "warehouse", "prefect", "duckdb", "openai"},
    "warehouse": {"flows", "prefect", "openai"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_higher_ones(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_no_module_is_named_after_the_standard_library_or_a_dependency() -> None:
    taken = set(sys.stdlib_module_names) | {
        "git",
        "duckdb",
        "prefect",
        "openai",
        "jinja2",
        "click",
        "rich",
        "pydriller",
        "libcst",
        "pyarrow",
        "pydantic",
        "llm",
        "tree_sitter",
    }
    for package in ("flows", "miners", "warehouse"):
        for path in (ROOT / package).rglob("*.py"):
            assert path.stem not in taken, (
                f"{path.relative_to(ROOT)} shadows the module {path.stem}"
            )


# The rooms inside the packages, and what each may never import (a room is a subpackage; the
# modules at a package's root are the room "<package>"). Lower rooms never reach higher ones.
FLOWS_ROOMS = ("commands", "demo", "run", "verify", "draft", "llm", "review", "frameworks")
WAREHOUSE_ROOMS = ("landing", "selection", "assay", "assay.checks", "review", "export")
NEVER = {
    "flows": {f"flows.{room}" for room in FLOWS_ROOMS},
    "flows.demo": {"flows.commands"},
    "flows.run": {"flows.commands", "flows.demo", "flows.review", "flows.frameworks"},
    "flows.verify": {"flows.commands", "flows.demo", "flows.run", "flows.review", "flows.llm"},
    "flows.draft": {"flows.commands", "flows.demo", "flows.run", "flows.review"},
    "flows.llm": {f"flows.{room}" for room in FLOWS_ROOMS if room != "llm"},
    "flows.review": {f"flows.{room}" for room in FLOWS_ROOMS if room != "review"},
    "flows.frameworks": {f"flows.{room}" for room in FLOWS_ROOMS if room != "frameworks"},
    "warehouse": {f"warehouse.{room}" for room in WAREHOUSE_ROOMS},
    "warehouse.landing": {"warehouse.selection", "warehouse.assay", "warehouse.review"},
    "warehouse.selection": {"warehouse.landing", "warehouse.assay", "warehouse.review"},
    "warehouse.review": {"warehouse.assay", "warehouse.selection", "warehouse.export"},
    # A check answers one question about one record: no store, no repository, no other stage.
    "warehouse.assay.checks": {"warehouse.store", "warehouse.assay", "miners.git_objects"}
    | {f"warehouse.{room}" for room in WAREHOUSE_ROOMS if room != "assay.checks"},
}
OURS = ("flows", "miners", "warehouse")


def _product_modules() -> dict[str, Path]:
    modules = {}
    for package in OURS:
        for path in (ROOT / package).rglob("*.py"):
            if "fixtures" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _top_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The goldmine modules a module imports when it is imported (not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in OURS:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] in OURS}
    return found & modules.keys()


def _room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "warehouse" and parts[1:3] == ["assay", "checks"]:
        return "warehouse.assay.checks"
    if parts[0] in ("flows", "warehouse") and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def _forbidden(module: str, target: str) -> bool:
    never = NEVER.get(_room(module), set())
    return any(target == bad or target.startswith(bad + ".") for bad in never) or (
        _room(target) in never
    )


def test_rooms_import_only_rooms_below_them() -> None:
    modules = _product_modules()
    broken = [
        f"{module} imports {target}"
        for module, path in sorted(modules.items())
        for target in sorted(_top_level_imports(path, modules))
        if _room(target) != _room(module) and _forbidden(module, target)
    ]
    assert not broken, "\n".join(broken)


def test_no_import_circle() -> None:
    modules = _product_modules()
    graph = {name: _top_level_imports(path, modules) - {name} for name, path in modules.items()}
    circles = [sorted(group) for group in _strongly_connected(graph) if len(group) > 1]
    assert not circles, f"modules that import each other: {circles}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, set()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_circle_test_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [sorted(g) for g in _strongly_connected(graph) if len(g) > 1] == [["a", "b", "c"]]


def _function_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The goldmine modules a module imports inside its functions (when they run: lazily)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                if inner.module.split(".")[0] in OURS:
                    found.add(inner.module)
                    found |= {f"{inner.module}.{a.name}" for a in inner.names} & modules.keys()
            elif isinstance(inner, ast.Import):
                found |= {a.name for a in inner.names if a.name.split(".")[0] in OURS}
    return found & modules.keys()


def test_imports_inside_functions_keep_the_rooms_and_make_no_circle() -> None:
    """A module may import what only some of its functions need when they run (so ``goldmine
    --help`` loads no stage), but never a room above it, nor a module that imports it back."""
    modules = _product_modules()
    lazy = {name: _function_level_imports(path, modules) for name, path in modules.items()}
    broken = [
        f"{module} imports {target} in a function"
        for module, targets in sorted(lazy.items())
        for target in sorted(targets)
        if _room(target) != _room(module) and _forbidden(module, target)
    ]
    assert not broken, "\n".join(broken)
    graph = {
        name: (_top_level_imports(path, modules) | lazy[name]) - {name}
        for name, path in modules.items()
    }
    circles = [sorted(group) for group in _strongly_connected(graph) if len(group) > 1]
    assert not circles, f"modules that import each other (counting imports in functions): {circles}"


def _top_level_packages(path: Path) -> set[str]:
    """The top-level packages a module imports when it is imported."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_modules_that_import_prefect_are_imported_only_inside_functions() -> None:
    """Prefect loads once :func:`flows.workspace.configure_prefect` has pointed it at the
    workspace, and only for a run that is a flow."""
    modules = _product_modules()
    with_prefect = {
        name for name, path in modules.items() if "prefect" in _top_level_packages(path)
    }
    assert with_prefect, "no module imports Prefect: the check checks nothing"
    eager = [
        f"{module} imports {target} when it is imported"
        for module, path in sorted(modules.items())
        if module not in with_prefect
        for target in sorted(_top_level_imports(path, modules) & with_prefect)
    ]
    assert not eager, "\n".join(eager)


def test_every_status_spelled_in_sql_is_one_of_the_defined_ones() -> None:
    """Statuses are defined once (warehouse/outcomes.py); SQL may spell them, but only those."""
    enums = (CandidateStatus, ReviewVerdict, RunStatus, TaskStatus, VerificationStatus)
    known = {str(value) for enum in enums for value in enum}
    spelled = re.compile(
        r"\b(?:status|verdict)\s*(?:=|<>|IN)\s*\(?((?:'\w+'(?:,\s*)?)+)\)?", re.IGNORECASE
    )
    unknown = []
    for module, path in _product_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in spelled.finditer(node.value):
                    values = set(re.findall(r"'(\w+)'", match.group(1)))
                    unknown += [f"{module}: {value}" for value in values - known]
    assert not unknown, unknown


TESTS = ROOT / "tests"
HELPERS = {"tests.builders", "tests.damages", "tests.llm_server"}


def _module_of(path: Path, root: Path) -> str:
    """The dotted module name of a file under ``root``'s parent (``tests/flows/x.py`` →
    ``tests.flows.x``)."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_statements(path: Path, root: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in a file, relative imports resolved: ``import a``
    gives ``(n, "a", [])``, ``from a import b, c`` gives ``(n, "a", ["a.b", "a.c"])`` (``b`` may
    be a module)."""
    module = _module_of(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            found.append((node.lineno, base, [f"{base}.{alias.name}" for alias in node.names]))
    return found


def _is_test_code(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last == "conftest" or last.startswith("test_")


def helper_import_violations(root: Path) -> list[str]:
    """``file:line imports module`` for every import under ``root`` of a test module, a
    conftest, or a module of the ``root`` package that is not one of the shared helpers."""
    package = root.name
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, module, names in _import_statements(path, root):
            if module == package:  # `from tests import builders`: each name is a module
                offending = [name for name in names if name not in HELPERS]
            elif _is_test_code(module) or module.startswith(f"{package}."):
                offending = [
                    name
                    for name in sorted((module, *names), key=lambda n: not _is_test_code(n))
                    if _is_test_code(name)
                    or not any(name == h or name.startswith(f"{h}.") for h in HELPERS)
                ][:1]
            else:
                offending = [name for name in names if _is_test_code(name)]
            problems += [
                f"{path.relative_to(root.parent)}:{line} imports {name}" for name in offending
            ]
    return problems


def test_tests_import_shared_helpers_only_from_builders_damages_and_llm_server() -> None:
    problems = helper_import_violations(TESTS)
    assert not problems, (
        "test modules share helpers through tests/builders.py (or damages.py, llm_server.py), "
        "never by importing a test module or a conftest.py:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        ("from tests.warehouse.assay.test_runner import GOOD", "tests.warehouse.assay.test_runner"),
        ("from tests.conftest import git", "tests.conftest"),
        ("from tests.flows.review.conftest import SAMPLE", "tests.flows.review.conftest"),
        ("import tests.flows.draft.test_families", "tests.flows.draft.test_families"),
        ("from .conftest import SAMPLE", "tests.flows.conftest"),
        ("from . import test_other", "tests.flows.test_other"),
        ("from tests.flows import test_other", "tests.flows.test_other"),
        ("from conftest import git", "conftest"),
        ("from tests.fixtures import tickets", "tests.fixtures"),
    ],
)
def test_the_import_rule_catches_every_spelling_of_a_cross_import(
    tmp_path: Path, source: str, imported: str
) -> None:
    root = tmp_path / "tests"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "test_bad.py").write_text(f"{source}\n", encoding="utf-8")
    (root / "flows" / "test_good.py").write_text(
        "from tests.builders import git\nfrom tests import damages\nimport tests.llm_server\n",
        encoding="utf-8",
    )
    assert helper_import_violations(root) == [f"tests/flows/test_bad.py:1 imports {imported}"]
