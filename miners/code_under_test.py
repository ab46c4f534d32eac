"""The code a test exercises: the functions its file imports (or shares a package with) and calls.

Given the test file and a way to read other files at the same commit, it follows the test's
imports — Python ``from x.y import a`` / ``import x.y``, JavaScript/TypeScript relative imports,
Go's same-package files — and keeps the definitions whose names the test functions use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from miners.code_symbols import SymbolFact, extract_symbols, language_for_path
from miners.commit_kinds import is_test_path

ReadFile = Callable[[str], bytes | None]
ListFolder = Callable[[str], list[str]]
_PY_FROM = re.compile(
    r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)", re.MULTILINE
)
_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w.]+)", re.MULTILINE)
_JS_IMPORT = re.compile(r"""(?:import\s[^'"]*from\s+|require\()\s*['"](\.{1,2}/[^'"]+)['"]""")
_PY_ROOTS = ("", "src/", "lib/", "python/")
_JS_SUFFIXES = ("", ".js", ".ts", ".tsx", ".jsx", ".mjs", "/index.js", "/index.ts")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def code_under_test(
    test_path: str, test_code: str, read: ReadFile, list_folder: ListFolder
) -> list[tuple[str, SymbolFact]]:
    """(path, definition) pairs the test code calls, from the files its test file depends on."""
    language = language_for_path(test_path)
    test_file = read(test_path)
    if language is None or test_file is None:
        return []
    used = set(_IDENTIFIER.findall(test_code))
    found: list[tuple[str, SymbolFact]] = []
    for path in _dependencies(
        test_path, test_file.decode("utf-8", "replace"), language, read, list_folder
    ):
        source = read(path)
        lang = language_for_path(path)
        if source is None or lang is None or is_test_path(path):
            continue  # the test suite's own helpers are not the code under test
        for symbol in extract_symbols(source, lang):
            if (
                symbol.name in used
                and symbol.kind in ("function", "method")
                and not _test_machinery(symbol)
            ):
                found.append((path, symbol))
    return found


def _test_machinery(symbol: SymbolFact) -> bool:
    """A test, a method of a test base class (``TestFlask.assert_equal``), or a special method
    (``__init__``: every class has one, so its name says nothing about what the test calls)."""
    owner = symbol.qualified_name.rsplit(".", 1)[0] if "." in symbol.qualified_name else ""
    special = symbol.name.startswith("__") and symbol.name.endswith("__")
    return (
        special
        or symbol.name.startswith("test")
        or owner.startswith("Test")
        or owner.endswith("TestCase")
    )


def _dependencies(
    test_path: str, text: str, language: str, read: ReadFile, list_folder: ListFolder
) -> list[str]:
    if language == "python":
        return list(dict.fromkeys(_python_modules(text, read)))
    if language in ("javascript", "typescript", "tsx"):
        return list(dict.fromkeys(_js_modules(test_path, text, read)))
    if language == "go":
        folder = str(PurePosixPath(test_path).parent)
        return [p for p in list_folder(folder) if p.endswith(".go") and not p.endswith("_test.go")]
    return []


def _python_modules(text: str, read: ReadFile) -> Iterable[str]:
    modules = [m for m, _ in _PY_FROM.findall(text)] + _PY_IMPORT.findall(text)
    for module in modules:
        relative = module.replace(".", "/")
        for root in _PY_ROOTS:
            for candidate in (f"{root}{relative}.py", f"{root}{relative}/__init__.py"):
                if read(candidate) is not None:
                    yield candidate
                    break


def _js_modules(test_path: str, text: str, read: ReadFile) -> Iterable[str]:
    folder = PurePosixPath(test_path).parent
    for spec in _JS_IMPORT.findall(text):
        base = _normalise(folder / spec)
        for suffix in _JS_SUFFIXES:
            if read(base + suffix) is not None:
                yield base + suffix
                break


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
