"""Whether a patched file's names resolve: pyflakes for Python, called names for the others."""

from __future__ import annotations

import pytest

from warehouse.assay.name_resolution import read_python, undefined_python_names, unresolved_calls

MODULE = """import os


def setup():
    global _cache
    _cache = {}


def old():
    return missing_in_old_code()


def new():
    return _cache, os.sep, forgotten
"""
NEW_LINES = [(13, 14)]  # `def new` and its body


def test_only_the_new_code_is_looked_into_and_globals_still_bind_module_names() -> None:
    def undefined(lines: list[tuple[int, int]] | None) -> frozenset[str]:
        tree = read_python(MODULE, "m.py").tree
        assert tree is not None
        return undefined_python_names(tree, "m.py", lines)

    assert undefined(None) == {"missing_in_old_code", "forgotten"}
    assert undefined(NEW_LINES) == {"forgotten"}


def test_python_2_does_not_parse_and_says_where() -> None:
    assert read_python('print "hello"\n', "old.py").error == (
        "Missing parentheses in call to 'print'. Did you mean print(...)? (line 1)"
    )
    assert read_python("x = 1\n", "new.py").error is None


def _calls(source: str, language: str, elsewhere: frozenset[str] = frozenset()) -> list[str]:
    lines = [(1, source.count("\n") + 1)]
    return [u.name for u in unresolved_calls(source.encode(), language, lines, elsewhere)]


@pytest.mark.parametrize(
    ("path", "package"),
    [
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/spf13/cobra/v2", "cobra"),
        ("github.com/mattn/go-sqlite3", "sqlite3"),
        ("net/http", "http"),
    ],
)
def test_a_go_package_is_called_by_its_import_path_s_last_element(path: str, package: str) -> None:
    source = f'package main\n\nimport "{path}"\n\nfunc f() {{ {package}.Run() }}\n'
    assert _calls(source, "go") == []
    assert _calls(source.replace(f"{package}.Run", "other.Run"), "go") == ["other"]


def test_go_locals_receivers_and_siblings_are_known() -> None:
    source = (
        "package text\n\nfunc (s *S) f(cb func()) {\n\tx := build()\n\tx.Run()\n\ts.g()\n\tcb()\n"
        "\thelper()\n}\n"
    )
    assert _calls(source, "go") == ["build", "helper"]
    assert _calls(source, "go", frozenset({"build", "helper"})) == []


@pytest.mark.parametrize(
    ("source", "language"),
    [
        ("function f() { return helper(); }\n", "javascript"),  # a script shares globals
        ("class A extends B { void f() { helper(); } }\n", "java"),  # inherited methods
        ("use super::*;\nfn f() { helper(); }\n", "rust"),  # a glob import
        ("#include <stdio.h>\nint f(void) { return helper(); }\n", "c"),  # a system header
        ('package a\n\nimport . "strings"\n\nfunc f() { helper() }\n', "go"),  # a dot import
    ],
)
def test_bare_calls_are_not_judged_where_names_can_come_from_elsewhere(
    source: str, language: str
) -> None:
    assert _calls(source, language) == []


@pytest.mark.parametrize(
    ("source", "language"),
    [
        ("import { a } from './a';\nfunction f() { return a() + helper(); }\n", "javascript"),
        ("class A { void f() { toString(); helper(); } }\n", "java"),
        ("fn f() -> Option<i32> { Some(helper()) }\n", "rust"),
        ('#include "local.h"\nint f(void) { return helper(); }\n', "c"),
    ],
)
def test_an_undefined_bare_call_is_found(source: str, language: str) -> None:
    assert _calls(source, language) == ["helper"]
