"""The ``real_code`` check: every labelled block of an output is the real change, token for token.

A drafter may write prose, never code: the code of an output must be what the commit wrote.
Each block is compared with its real counterpart — a ``unit`` block with that definition in the
file as it is after the commit, a ``module`` block statement by statement with the file's
top-level statements, a ``file`` block with the whole file — so that comments and layout do not
count:

- Python: the syntax trees (:mod:`ast`) are equal — comments, line breaks, parentheses, quotes
  and trailing commas are not in them; code that does not parse as Python 3 (flask's Python 2
  history) is compared as :mod:`tokenize` tokens without comments and line breaks inside
  brackets, indentation kept as structure, string literals by value;
- every other language: tree-sitter's leaves without comment nodes, a trailing comma before a
  closing bracket dropped (``gofmt`` adds it);
- a data file line by line, trailing spaces and blank edges aside.

Where a block differs, the verdict names it and shows the first tokens that part. Nothing here
reads the repository: the caller passes the real text of each file
(``warehouse.assay.commit_code`` reads it from the commit). A record whose code holds a
redaction placeholder is compared with the real text redacted the same way; one whose
placeholders became neutral values (``example-secret``) with the real text redacted and
neutralised.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Protocol

import tree_sitter as ts

from miners.code_symbols import Definition, language_for_path, outline, parse
from warehouse.assay.checks.base import Verdict
from warehouse.redacted_code import neutralised
from warehouse.redaction import PLACEHOLDER, redact
from warehouse.secret_assignments import NEUTRAL_EMAIL, NEUTRAL_SECRET

Tokens = tuple[str, ...]


class LabelledBlock(Protocol):
    """A block of an output and where it goes (``warehouse.assay.output_blocks`` reads them)."""

    @property
    def path(self) -> str: ...
    @property
    def part(self) -> str: ...  # "unit", "module" or "file"
    @property
    def symbol(self) -> str | None: ...
    @property
    def code(self) -> str: ...


FileAt = Callable[[str], str | None]
"""The real text of a path (after the commit, or before it for a review), or None when absent."""

_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_MARKERS = {tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>", tokenize.NEWLINE: "<newline>"}
_CLOSERS = frozenset({")", "]", "}"})
# A trailing comma makes a one-element tuple in Rust; elsewhere before a bracket it is layout.
_TUPLE_LANGUAGES = frozenset({"rust"})


def real_code_verdict(blocks: Sequence[LabelledBlock], real: FileAt, where: str) -> Verdict | None:
    """Is every block the real code of ``where`` (``abc1234567``, or ``abc1234567^``)? None when
    no block can be compared."""
    compared = 0
    for block in blocks:
        problem = block_problem(block, real)
        if problem is None:
            continue
        if problem:
            return Verdict.fail(f"{_name(block)} is not the code at {where}: {problem}")
        compared += 1
    if not compared:
        return None
    plural = "s" if compared > 1 else ""
    return Verdict.ok(f"{compared} block{plural} equal to the code at {where}")


def block_problem(block: LabelledBlock, real: FileAt) -> str | None:
    """Why ``block`` differs from the real code ("" when it does not; None when it cannot be
    compared: a part this check does not know, or a unit of a file without a grammar)."""
    language = language_for_path(block.path)
    if block.part not in ("unit", "module", "file") or (block.part != "file" and not language):
        return None
    text = real(block.path)
    if text is None:
        return f"{block.path} does not exist there"
    if PLACEHOLDER.search(block.code):
        text = redact(text, b"")[0]
    elif NEUTRAL_SECRET in block.code or NEUTRAL_EMAIL in block.code:
        text = neutralised(redact(text, b"")[0])  # the record's placeholders were spared
    if block.part == "file":
        return _file_problem(block.code, text, language)
    assert language is not None
    if block.part == "module":
        return _module_problem(block.code, text, language)
    return _unit_problem(block, text, language)


def same_code(given: str, real: str, language: str) -> bool:
    """Are two pieces of code the same once comments and layout are set aside?"""
    if given.strip() == real.strip():
        return True  # the common case, and the cheapest
    if language == "python":
        trees = _python_tree(given), _python_tree(real)
        if trees[0] is not None and trees[1] is not None:
            return trees[0] == trees[1]
    return code_tokens(given, language) == code_tokens(real, language)


def _name(block: LabelledBlock) -> str:
    if block.part == "unit":
        return f"the block `{block.path}` — `{block.symbol or 'its definitions'}`"
    if block.part == "module":
        return f"the module-level block of `{block.path}`"
    return f"the file block `{block.path}`"


def _file_problem(code: str, text: str, language: str | None) -> str:
    if language is None:
        return _line_difference(_data_lines(code), _data_lines(text))
    return "" if same_code(code, text, language) else _code_difference(code, text, language)


def _module_problem(code: str, text: str, language: str) -> str:
    """Each top-level statement of the block is one of the file's own (in any order)."""
    statements = _top_level(text, language)
    for given in _top_level(code, language):
        if not any(same_code(given, statement, language) for statement in statements):
            return f"the file has no statement `{_one_line(given)}`"
    return ""


def _unit_problem(block: LabelledBlock, text: str, language: str) -> str:
    """The block equals the named definition (one of them, when a name is defined twice, as a
    property's getter and setter are) or, unnamed, each definition it holds equals one of that
    name."""
    if block.symbol:
        named = _named(text, language, block.symbol)
        # a name defined twice (a property's getter and setter) may be shown as one unit
        candidates = [*named, "\n\n".join(named)] if len(named) > 1 else named
        pieces = [(block.symbol, textwrap.dedent(block.code), candidates)]
    else:
        inside = _outermost(textwrap.dedent(block.code), language)
        if not inside:
            return "it holds no definition"
        pieces = [(name, code, _named(text, language, name)) for name, code in inside]
    for name, code, real in pieces:
        if not real:
            return f"{block.path} defines no `{name}` there"
        if not any(same_code(code, candidate, language) for candidate in real):
            tokens = code_tokens(code, language)
            closest = max(
                real, key=lambda candidate: _common_prefix(tokens, code_tokens(candidate, language))
            )
            return _code_difference(code, closest, language)
    return ""


def _named(text: str, language: str, name: str) -> list[str]:
    """The definitions (dedented) of ``name`` in the text: of that qualified name, else of a
    qualified name ending with it (a method named without its class)."""
    source, definitions = _outline(text, language)
    exact = [d for d in definitions if d.qualified_name == name]
    found = exact or [d for d in definitions if d.qualified_name.endswith(f".{name}")]
    return [d.code(source) for d in found]


@lru_cache(maxsize=256)
def _outline(text: str, language: str) -> tuple[bytes, tuple[Definition, ...]]:
    """The file's definitions, read once a pass (their code only when asked for)."""
    source = text.encode("utf-8")
    return source, tuple(outline(parse(source, language), language))


def _outermost(code: str, language: str) -> list[tuple[str, str]]:
    """(qualified name, code) of each definition of ``code`` not nested in another."""
    source, found = _outline(code, language)
    return [
        (d.qualified_name, d.code(source))
        for d in found
        if not any(_encloses(o.target, d.target) for o in found)
    ]


def _encloses(outer: ts.Node, inner: ts.Node) -> bool:
    return outer != inner and outer.start_byte <= inner.start_byte <= inner.end_byte <= (
        outer.end_byte
    )


@lru_cache(maxsize=256)
def _top_level(text: str, language: str) -> tuple[str, ...]:
    """The texts of the top-level statements (comments aside)."""
    root = parse(text.encode("utf-8"), language).root_node
    return tuple(
        (node.text or b"").decode("utf-8", "replace")
        for node in root.named_children
        if "comment" not in node.type
    )


@lru_cache(maxsize=4_096)
def _python_tree(code: str) -> str | None:
    """The syntax tree of Python 3 code, without positions; None when it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an invalid escape in old code is still code
            return ast.dump(ast.parse(textwrap.dedent(code)))
    except (SyntaxError, ValueError):
        return None


def code_tokens(code: str, language: str) -> Tokens:
    """The code as tokens, without comments and layout (see the module docstring)."""
    return _located_tokens(code, language)[0]


@lru_cache(maxsize=4_096)
def _located_tokens(code: str, language: str) -> tuple[Tokens, tuple[int, ...]]:
    """The tokens and the 0-based line each starts on."""
    if language == "python":
        located = _python_tokens(code)
        if located is not None:
            return located
        lines = [(n, " ".join(line.split())) for n, line in enumerate(code.splitlines())]
        kept = [(text, n) for n, text in lines if text]
    else:
        kept = _tree_sitter_tokens(code, language)
    return tuple(text for text, _ in kept), tuple(n for _, n in kept)


def _python_tokens(code: str) -> tuple[Tokens, tuple[int, ...]] | None:
    """Python's tokens: ``INDENT``/``DEDENT`` as markers, strings by value (adjacent literals
    joined); None when the code does not tokenize (then its lines are compared)."""
    try:
        raw = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    kept: list[tuple[str, int]] = []
    strings: list[tokenize.TokenInfo] = []  # a run of adjacent literals, read as one
    for token in (t for t in raw if t.type not in _SKIPPED):
        if token.type == tokenize.STRING:
            strings.append(token)
            continue
        if strings:
            kept.append((_strings_value([s.string for s in strings]), strings[0].start[0] - 1))
            strings = []
        kept.append((_MARKERS.get(token.type, token.string), token.start[0] - 1))
    if strings:
        kept.append((_strings_value([s.string for s in strings]), strings[0].start[0] - 1))
    return tuple(text for text, _ in kept), tuple(n for _, n in kept)


def _strings_value(literals: list[str]) -> str:
    """Adjacent string literals by what they mean together (``'a' "b"`` is ``"ab"``: a formatter
    may split or join them, or change their quotes); as written when one is an f-string."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = [ast.literal_eval(literal) for literal in literals]
    except (ValueError, SyntaxError):
        return " ".join(literals)
    kinds = {type(value) for value in values}
    if kinds == {str}:
        return repr("".join(values))
    if kinds == {bytes}:
        return repr(b"".join(values))
    return " ".join(literals)


def _tree_sitter_tokens(code: str, language: str) -> list[tuple[str, int]]:
    """The leaves of the syntax tree without comments (and any text between children that no
    leaf covers, so that a grammar without string-content nodes still compares strings), each
    with its line."""
    source = code.encode("utf-8")
    leaves = list(_leaves(parse(source, language).root_node, source))
    return [
        (text, line)
        for n, (text, line) in enumerate(leaves)
        if not (
            text == ","
            and n + 1 < len(leaves)
            and leaves[n + 1][0] in _CLOSERS
            and (leaves[n + 1][0] != ")" or language not in _TUPLE_LANGUAGES)
        )
    ]


def _leaves(node: ts.Node, source: bytes) -> Iterator[tuple[str, int]]:
    if "comment" in node.type:
        return
    if node.child_count == 0:
        text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if text.strip():
            yield text, node.start_point[0]
        return
    position = node.start_byte
    for child in node.children:
        yield from _gap(source, position, child.start_byte, node)
        yield from _leaves(child, source)
        position = child.end_byte
    yield from _gap(source, position, node.end_byte, node)


def _gap(source: bytes, start: int, end: int, parent: ts.Node) -> Iterator[tuple[str, int]]:
    if end <= start:
        return
    text = source[start:end].decode("utf-8", "replace")
    if text.strip():
        line = source.count(b"\n", 0, start)
        yield (text if "string" in parent.type else text.strip()), line


def _data_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _line_difference(given: list[str], real: list[str]) -> str:
    """Where two files' lines part, in words ("" when they do not)."""
    for number, (mine, theirs) in enumerate(zip(given, real, strict=False), 1):
        if mine != theirs:
            return (
                f"line {number} reads `{_one_line(mine)}` where the file has `{_one_line(theirs)}`"
            )
    if len(given) == len(real):
        return ""
    return f"it has {len(given)} lines where the file has {len(real)}"


def _code_difference(given: str, real: str, language: str) -> str:
    """Where two pieces of code part: the line of each that holds the first differing token."""
    mine, mine_lines = _located_tokens(given, language)
    theirs, their_lines = _located_tokens(real, language)
    at = _common_prefix(mine, theirs)
    if at < min(len(mine), len(theirs)):
        return (
            f"`{_line(given, mine_lines[at])}` where the real code has "
            f"`{_line(real, their_lines[at])}`"
        )
    if len(mine) > len(theirs):
        return f"it adds `{_line(given, mine_lines[at])}` where the real code ends"
    if len(mine) < len(theirs):
        return f"it ends where the real code goes on with `{_line(real, their_lines[at])}`"
    return "its syntax tree differs (a docstring, parentheses or an operator)"


def _line(code: str, number: int) -> str:
    lines = textwrap.dedent(code).splitlines()
    return _one_line(lines[number]) if 0 <= number < len(lines) else ""


def _common_prefix(given: Tokens, real: Tokens) -> int:
    """How many tokens two sequences share from the start."""
    return next(
        (n for n, (mine, theirs) in enumerate(zip(given, real, strict=False)) if mine != theirs),
        min(len(given), len(real)),
    )


def _one_line(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
