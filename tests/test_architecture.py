"""The dependency direction flows → warehouse → miners, module names that cannot shadow
others."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

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
