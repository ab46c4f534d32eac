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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts
from pyflakes import checker, messages

from miners.code_symbols import LANGUAGES, parse
from warehouse.assay.patching import python_tree


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
    """A name the new code calls that nothing defines: a function, or (Go) the package or
    variable of a qualified call."""

    name: str
    line: int


# ---- Python -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PythonModule:
    """A Python file parsed once: its tree, or why it does not compile."""

    tree: ast.Module | None
    error: str | None


def read_python(text: str, path: str, *, compiled: bool = True) -> PythonModule:
    """``text`` parsed, and unless ``compiled`` is False compiled, as Python 3 (compiling the tree
    also catches what the parser lets through: ``return`` outside a function, a misplaced
    ``nonlocal`` …; a parent only needs to parse, to tell Python 3 from Python 2)."""
    try:
        tree = python_tree(text, path)
        if compiled:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a SyntaxWarning is style, not a failure
                compile(tree, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", str(error))
        return PythonModule(None, f"{message} (line {line})" if line else str(message))
    return PythonModule(tree, None)


def undefined_python_names(
    tree: ast.Module, path: str, new_lines: Sequence[tuple[int, int]] | None = None
) -> frozenset[str]:
    """The names pyflakes reports undefined in a module that compiles.

    Given ``new_lines``, only the new code is looked into: the bodies of functions that do not
    overlap it are hollowed first (their locals are no name the new code can miss, and pyflakes
    is the costliest step of the check); their ``global`` statements stay, since those bind
    module-level names. The tree is changed in place.
    """
    if new_lines is not None:
        _hollow_functions_outside(tree, new_lines)
    found = checker.Checker(tree, filename=path).messages
    return frozenset(
        str(message.message_args[0])
        for message in found
        if isinstance(message, messages.UndefinedName)
    )


def _hollow_functions_outside(tree: ast.Module, new_lines: Sequence[tuple[int, int]]) -> None:
    """Hollow every function that does not overlap ``new_lines`` (statements are walked, never
    expressions: this runs on whole files)."""
    for function in _functions(tree.body):
        end = function.end_lineno or function.lineno
        if not any(first <= end and function.lineno <= last for first, last in new_lines):
            kept: list[ast.stmt] = [
                n for n in _statements(function.body) if isinstance(n, ast.Global)
            ]
            function.body = [*kept, ast.copy_location(ast.Pass(), function)]


def _functions(body: list[ast.stmt]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The outermost functions among these statements (inside classes and blocks too)."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(statement)
        else:
            found += _functions(_inner_statements(statement))
    return found


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement among these, nested ones included."""
    found: list[ast.stmt] = []
    for statement in body:
        found.append(statement)
        found += _statements(_inner_statements(statement))
    return found


def _inner_statements(statement: ast.stmt) -> list[ast.stmt]:
    """The statements a compound statement holds (a class's or function's body, a block's
    branches, an exception handler's, a match case's)."""
    inner: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        value = getattr(statement, field, None)
        if isinstance(value, list):
            inner += value
    for part in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
        inner += part.body
    return inner


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
            found.append(Unresolved(_text(node), node.start_point[0] + 1))
    for node in packages if certain else []:
        name = _text(node)
        if _inside(node, new_lines) and name not in imported and name not in known:
            found.append(Unresolved(name, node.start_point[0] + 1))
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
