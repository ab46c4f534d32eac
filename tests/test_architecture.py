"""The dependency direction flows → warehouse → miners, and module names that cannot shadow
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
