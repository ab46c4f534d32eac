"""The code a test exercises: the functions its file imports (or shares a package with) and calls.

Given the test file and a way to read other files at the same commit, it follows the test's
imports — Python ``from x.y import a`` / ``import x.y``, JavaScript/TypeScript relative imports,
Go's same-package files — and keeps the definitions the test functions use: a method reached as
an attribute (``client.get``), a function by its name; the names in comments and strings, and
those the test binds to other projects (``click.group``, ``strings.Split``), aside.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from miners.code_symbols import SymbolFact, code_without_text, extract_symbols, language_for_path
from miners.commit_kinds import is_test_path

ReadFile = Callable[[str], bytes | None]
ListFolder = Callable[[str], list[str]]
_PY_FROM = re.compile(
    r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)", re.MULTILINE
)
_JS_IMPORT = re.compile(r"""(?:import\s[^'"]*from\s+|require\()\s*['"](\.{1,2}/[^'"]+)['"]""")
_PY_ROOTS = ("", "src/", "lib/", "python/")
_JS_SUFFIXES = ("", ".js", ".ts", ".tsx", ".jsx", ".mjs", "/index.js", "/index.ts")
_PY_IMPORT_AS = re.compile(r"^[ \t]*import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?", re.MULTILINE)
_GO_IMPORTS = re.compile(r'^import\s*(?:\(([^)]*)\)|((?:\w+\s+)?"[^"]+"))', re.MULTILINE)
_GO_IMPORT = re.compile(r'(?:(\w+)\s+)?"([^"]+)"')
# ``owner.name`` (each link of a chain: ``a.b.c`` gives a.b and b.c), and a name not after a dot.
_ATTRIBUTE = re.compile(r"(\w+)\s*\.\s*(?=([A-Za-z_]\w*))")
_BARE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")


def code_under_test(
    test_path: str, test_code: str, read: ReadFile, list_folder: ListFolder
) -> list[tuple[str, SymbolFact]]:
    """(path, definition) pairs the test code calls, from the files its test file depends on."""
    language = language_for_path(test_path)
    test_file = read(test_path)
    if language is None or test_file is None:
        return []
    text = test_file.decode("utf-8", "replace")
    folder_name = PurePosixPath(test_path).parent.name
    used = _used_names(test_code, language, _outside_names(text, language, read, folder_name))
    found: list[tuple[str, SymbolFact]] = []
    for path in _dependencies(test_path, text, language, read, list_folder):
        source = read(path)
        lang = language_for_path(path)
        if source is None or lang is None or is_test_path(path):
            continue  # the test suite's own helpers are not the code under test
        for symbol in extract_symbols(source, lang):
            if _reached(symbol, used) and not _test_machinery(symbol):
                found.append((path, symbol))
    return found


@dataclass(frozen=True, slots=True)
class _UsedNames:
    """What a test's code names, its comments and strings aside: bare names (``total(...)``,
    ``Args: NoArgs``) and names reached as an attribute (``.name``) of anything but another
    project's module."""

    bare: frozenset[str]
    attributes: frozenset[str]


def _used_names(test_code: str, language: str, outside: frozenset[str]) -> _UsedNames:
    """The names the test code uses. ``outside`` are the names the test file binds to other
    projects (``import click``, ``from click import group``): ``click.group(...)`` calls click,
    not a ``group`` method of the project (flask's ``AppGroup.group`` was once the code under test
    of a ``FlaskGroup`` test that only decorated with ``@click.group``)."""
    code = code_without_text(test_code, language)
    attributes = {name for owner, name in _ATTRIBUTE.findall(code) if owner not in outside}
    return _UsedNames(frozenset(set(_BARE.findall(code)) - outside), frozenset(attributes))


def _reached(symbol: SymbolFact, used: _UsedNames) -> bool:
    """A method is reached through an object (``.name``: a Go ``string`` type is not a
    ``String`` method's call); a function by its name, or as a module's attribute."""
    if symbol.kind == "method":
        return symbol.name in used.attributes
    return symbol.kind == "function" and (
        symbol.name in used.bare or symbol.name in used.attributes
    )


def _outside_names(text: str, language: str, read: ReadFile, folder_name: str) -> frozenset[str]:
    """The names a test file binds to modules outside the project: a Python import that no file
    of the repository answers, and what is imported from it; a Go file's imported packages but
    its own (``folder_name``: the code under test is the test's package)."""
    if language == "go":
        return frozenset(
            alias or path.rsplit("/", 1)[-1]
            for block, single in _GO_IMPORTS.findall(text)
            for alias, path in _GO_IMPORT.findall(block or single)
            if path.rsplit("/", 1)[-1] != folder_name  # an external test imports its package
        )
    if language != "python":
        return frozenset()
    names: set[str] = set()
    for module, alias in _PY_IMPORT_AS.findall(text):
        if not _python_file(module, read):
            names.add(alias or module.split(".")[0])
    for module, imported in _PY_FROM.findall(text):
        if not _python_file(module, read):
            names |= {n.split(" as ")[-1].strip() for n in imported.strip("()").split(",")}
    return frozenset(n for n in names if n)


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
    modules = [m for m, _ in _PY_FROM.findall(text)] + [m for m, _ in _PY_IMPORT_AS.findall(text)]
    for module in modules:
        found = _python_file(module, read)
        if found:
            yield found


def _python_file(module: str, read: ReadFile) -> str:
    """The repository's file of a dotted module name (under a usual source root), or ''."""
    relative = module.replace(".", "/")
    for root in _PY_ROOTS:
        for candidate in (f"{root}{relative}.py", f"{root}{relative}/__init__.py"):
            if read(candidate) is not None:
                return candidate
    return ""


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
