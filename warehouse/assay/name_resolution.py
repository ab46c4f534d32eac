"""Does every name a patched file's new code uses resolve?

**Python**: the patched file must ``compile()``, and pyflakes must find no undefined name in it
that it does not also find in the parent (old code may lean on a star import or a Python 2
builtin; only what the output adds counts).

**The other languages** (tree-sitter): every function the new code calls by a bare name, and (Go)
every package a qualified call ``pkg.Func()`` names, must be known: an identifier the patched file
or a sibling file of its folder declares, imports or binds anywhere (a parameter, a local), or a
builtin of the language. The question stays conservative: where a file can bring in names
goldmine cannot list (a Go dot import, a Java superclass or wildcard import, a Rust glob ``use``,
a C system header, a JavaScript script without imports), bare calls are not judged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts
from pyflakes import checker, messages

from miners.code_symbols import LANGUAGES, parse


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GO_BUILTINS = _words(
    "append cap clear close complex copy delete imag len make max min new panic print println "
    "real recover bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 "
    "rune string uint uint8 uint16 uint32 uint64 uintptr any comparable"
)
_JS_BUILTINS = _words(
    "require setTimeout setInterval setImmediate clearTimeout clearInterval clearImmediate "
    "queueMicrotask structuredClone parseInt parseFloat isNaN isFinite encodeURIComponent "
    "decodeURIComponent encodeURI decodeURI escape unescape eval String Number Boolean Array "
    "Object Symbol BigInt Date Error TypeError RangeError SyntaxError ReferenceError EvalError "
    "URIError AggregateError Promise Proxy RegExp Map Set WeakMap WeakSet WeakRef Function "
    "fetch atob btoa alert confirm prompt requestAnimationFrame cancelAnimationFrame "
    "requestIdleCallback getComputedStyle matchMedia postMessage importScripts define URL "
    "URLSearchParams TextEncoder TextDecoder AbortController Blob FormData Headers Request "
    "Response Event CustomEvent Buffer describe it test expect beforeEach afterEach beforeAll "
    "afterAll before after suite context xit xdescribe fit fdescribe"
)
_JAVA_BUILTINS = _words(
    "hashCode equals toString getClass wait notify notifyAll clone finalize values valueOf "
    "ordinal name compareTo"
)
_RUST_BUILTINS = _words("Some Ok Err drop Box Vec String Option Result")
_BARE_CALL = "(call_expression function: (identifier) @bare)"


@dataclass(frozen=True, slots=True)
class CallRules:
    """What counts as a name, a call and a builtin in one language."""

    names: str  # a query capturing every naming identifier as @id
    calls: str  # a query capturing bare callees as @bare (and Go package operands as @package)
    builtins: frozenset[str]
    unsure: str = ""  # a query whose match means names may come from elsewhere (@unsure)
    needs_module_syntax: bool = False  # JavaScript: a script without imports shares globals


_JS_RULES = CallRules(
    "[(identifier) (shorthand_property_identifier_pattern)] @id",
    _BARE_CALL,
    _JS_BUILTINS,
    needs_module_syntax=True,
)
_TS_RULES = CallRules(
    "[(identifier) (type_identifier) (shorthand_property_identifier_pattern)] @id",
    _BARE_CALL,
    _JS_BUILTINS,
    needs_module_syntax=True,
)
RULES: dict[str, CallRules] = {
    "go": CallRules(
        "[(identifier) (type_identifier) (package_identifier)] @id",
        _BARE_CALL
        + " (call_expression function: (selector_expression operand: (identifier) @package))",
        _GO_BUILTINS,
        "(import_spec name: (dot)) @unsure",
    ),
    "javascript": _JS_RULES,
    "typescript": _TS_RULES,
    "tsx": _TS_RULES,
    "java": CallRules(
        "[(identifier) (type_identifier)] @id",
        "(method_invocation !object name: (identifier) @bare)",
        _JAVA_BUILTINS,
        "[(superclass) (super_interfaces) (asterisk) (object_creation_expression (class_body))]"
        " @unsure",
    ),
    "rust": CallRules(
        "[(identifier) (type_identifier)] @id", _BARE_CALL, _RUST_BUILTINS, "(use_wildcard) @unsure"
    ),
    "c": CallRules(
        "[(identifier) (type_identifier)] @id",
        _BARE_CALL,
        frozenset(),
        "(preproc_include path: (system_lib_string)) @unsure",
    ),
    "cpp": CallRules(
        "[(identifier) (type_identifier) (namespace_identifier)] @id",
        _BARE_CALL,
        frozenset(),
        "[(preproc_include) (base_class_clause) (using_declaration)] @unsure",
    ),
}
_MODULE_SYNTAX = re.compile(rb"^\s*(?:import\b|export\b)|\brequire\s*\(", re.MULTILINE)
_GO_VERSION = re.compile(r"^v\d+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A name the new code uses that nothing defines: a function, or (Go) a package."""

    name: str
    kind: str  # "name" | "package"
    line: int


# ---- Python -----------------------------------------------------------------------------------


def python_compiles(text: str, path: str) -> str | None:
    """None when ``text`` compiles as Python 3, else the compiler's message and line."""
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", str(error))
        return f"{message} (line {line})" if line else str(message)
    return None


def undefined_python_names(text: str, path: str) -> frozenset[str]:
    """The names pyflakes reports undefined in ``text`` (which compiles)."""
    tree = ast.parse(text, filename=path)
    found = checker.Checker(tree, filename=path).messages
    return frozenset(
        str(message.message_args[0])
        for message in found
        if isinstance(message, messages.UndefinedName)
    )


# ---- the other languages ----------------------------------------------------------------------


def known_names(source: bytes, language: str) -> frozenset[str]:
    """Every identifier ``source`` declares, imports or binds (what it only calls is left out)."""
    return _read_names(parse(source, language), language)[0]


def unresolved_calls(
    source: bytes,
    language: str,
    new_lines: Sequence[tuple[int, int]],
    elsewhere: frozenset[str],
) -> list[Unresolved]:
    """The calls in ``new_lines`` of a patched file whose names nothing defines (``elsewhere``:
    the names the sibling files of its folder know)."""
    rules = RULES.get(language)
    if rules is None:
        return []
    tree = parse(source, language)
    known, bare, packages = _read_names(tree, language)
    known = known | elsewhere | rules.builtins
    judge_bare = not _unsure(tree, source, language, rules)
    imported, certain = _go_imports(tree) if language == "go" else (frozenset(), False)
    found: list[Unresolved] = []
    for node in bare if judge_bare else []:
        if _inside(node, new_lines) and _text(node) not in known:
            found.append(Unresolved(_text(node), "name", node.start_point[0] + 1))
    for node in packages if certain else []:
        name = _text(node)
        if _inside(node, new_lines) and name not in imported and name not in known:
            found.append(Unresolved(name, "package", node.start_point[0] + 1))
    return found


def _read_names(
    tree: ts.Tree, language: str
) -> tuple[frozenset[str], list[ts.Node], list[ts.Node]]:
    """The names a tree knows, its bare callees and its package operands."""
    names_query, calls_query, _ = _queries(language)
    calls = ts.QueryCursor(calls_query).captures(tree.root_node)
    bare, packages = calls.get("bare", []), calls.get("package", [])
    used = {node.start_byte for node in (*bare, *packages)}
    identifiers = ts.QueryCursor(names_query).captures(tree.root_node).get("id", [])
    known = frozenset(_text(node) for node in identifiers if node.start_byte not in used)
    return known, bare, packages


def _unsure(tree: ts.Tree, source: bytes, language: str, rules: CallRules) -> bool:
    """Whether the file can bring in names that cannot be listed."""
    if rules.needs_module_syntax and not _MODULE_SYNTAX.search(source):
        return True
    unsure_query = _queries(language)[2]
    return unsure_query is not None and bool(ts.QueryCursor(unsure_query).captures(tree.root_node))


def _go_imports(tree: ts.Tree) -> tuple[frozenset[str], bool]:
    """The package names a Go file imports, and whether each is certain (``gopkg.in/yaml.v3``
    may call itself ``yaml``; a name that cannot be derived makes every package call unsure)."""
    names: set[str] = set()
    certain = True
    declarations = [n for n in tree.root_node.named_children if n.type == "import_declaration"]
    for spec in (found for node in declarations for found in _nodes_of(node, "import_spec")):
        alias = spec.child_by_field_name("name")
        path = _text(spec.child_by_field_name("path") or spec).strip('"`')
        if alias is not None:
            names.add(_text(alias))
            continue
        derived = _go_package_names(path)
        names |= derived
        certain = certain and bool(derived)
    return frozenset(names), certain


def _go_package_names(path: str) -> set[str]:
    """What an import path's package is likely called: its last element, without a major version
    (``…/v2``, ``yaml.v3``) or a ``go-`` prefix or ``-go`` suffix."""
    parts = path.split("/")
    last = parts[-2] if len(parts) > 1 and _GO_VERSION.match(parts[-1]) else parts[-1]
    last = re.sub(r"\.v\d+$", "", last)
    candidates = {last, last.removeprefix("go-"), last.removesuffix("-go"), last.replace("-", "_")}
    return {name for name in candidates if _IDENTIFIER.match(name)}


@cache
def _queries(language: str) -> tuple[ts.Query, ts.Query, ts.Query | None]:
    rules = RULES[language]
    grammar = ts.Language(LANGUAGES[language].grammar())
    unsure = ts.Query(grammar, rules.unsure) if rules.unsure else None
    return ts.Query(grammar, rules.names), ts.Query(grammar, rules.calls), unsure


def _nodes_of(node: ts.Node, node_type: str) -> list[ts.Node]:
    if node.type == node_type:
        return [node]
    return [found for child in node.named_children for found in _nodes_of(child, node_type)]


def _inside(node: ts.Node, ranges: Sequence[tuple[int, int]]) -> bool:
    line = node.start_point[0] + 1
    return any(first <= line <= last for first, last in ranges)


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
