"""What every language's facts are made of: the questions, and the answers several languages
share.

A language's module fills one :class:`LanguageFacts`: how the code raises and catches errors, how
it logs, and how it comments. Both sides of goldmine ask it: the extractive drafter, to state
requirements the real code meets ("raise ``ValueError`` when …", "log with ``logger.warning``"),
and the assay, to check that an answer's code handles errors and logs (``error_signal``,
``log_signal``).

The two sides do not yet ask the same question. A record's requirement names a *specific* error
or logging call; the assay asks whether there is *any* error handling or logging, with its own,
broader pattern. On pallets/flask the two disagree on 152 (errors) and 46 (logging) of 2,405 code
blocks; making them one rule changes which records are accepted, so it is measured with the
drafting work (see bench/README.md), not slipped into this file's move.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tree_sitter as ts

from miners.code_symbols import line_gap, parse
from miners.project_profile import sentences_within

# A call of a logger-like object (``logger.warning(``, ``console.error(``, ``log.Printf(``): what
# the drafter names as "log with …", in every language.
LOG_CALL = re.compile(
    r"\b((?:logger|logging|log|LOG|LOGGER|console|slog)\.(?:debug|info|warning|warn|error|exception"
    r"|critical|fatal|Print|Printf|Println|Fatal|Fatalf|Fatalln|Panicf|Errorf|Warnf|Infof|Debugf"
    r"|Error|Warn|Info|Debug)"
    r"|(?:log::|tracing::)?(?:trace|debug|info|warn|error)!)\s*\("  # Rust's logging macros
)
# A string literal in quotes or backticks: the message of a raised error.
STRING = re.compile(r"""(?:f|r|b)?(["'`])(.*?)\1""")
# Comments of the C family (``//``, ``/* … */``, the ``*`` of a block comment's lines).
C_COMMENT = re.compile(r"//|/\*|^\s*\*")


@dataclass(frozen=True, slots=True)
class ErrorForm:
    """One way a language signals an error: a pattern whose ``name`` group names the error (the
    form's ``default`` when that group is empty) and whose ``msg`` group holds its message, and
    how a record says it (``raise``, ``throw``, ``return`` an error value, ``panic``, ``reject`` a
    promise, pass to a ``callback``)."""

    pattern: re.Pattern[str]
    way: str
    default: str = ""


@dataclass(frozen=True, slots=True)
class RaisedError:
    """An error a unit raises (or throws, or returns), with the literal text of its message when
    there is one, and how it signals it (an :class:`ErrorForm`'s ``way``)."""

    name: str
    message: str
    way: str = "raise"


# ``throw new Error("…")`` in JavaScript, TypeScript and Java.
THROW_NEW = ErrorForm(
    re.compile(r"\bthrow\s+new\s+(?P<name>[A-Z][\w.]*)\((?P<msg>[^\n]*)\)"), "throw"
)


@dataclass(frozen=True, slots=True)
class LanguageFacts:
    """What goldmine knows of how one language raises, catches, logs and comments."""

    # The ways the language raises (or throws, or returns) a named error; none: the drafter
    # names no raised errors in this language.
    raises: tuple[ErrorForm, ...]
    # Catches of named error types (``except``, ``catch``, ``errors.Is``, a ``match`` arm on
    # ``Err(…)``); group 1 the names. Empty: none are named.
    catches: tuple[re.Pattern[str], ...]
    # Any sign that code handles or signals errors (the assay's error_handling check).
    error_signal: re.Pattern[str] | None
    # Any sign that code logs (the assay's logging check).
    log_signal: re.Pattern[str] | None
    # A line that carries a comment (the assay's comments check).
    comment: re.Pattern[str] = C_COMMENT


def one_line(text: str) -> str:
    """Whitespace runs collapsed: a declaration as one line."""
    return re.sub(r"\s+", " ", text).strip()


_DOC_LINE = re.compile(r"\s*(?://|/\*|\*|#\[|@\w)")
_OPENERS = {"(": ")", "[": "]"}


def head_before_body(code: str) -> str:
    """A declaration read without a grammar: the code after its comment, attribute and
    annotation lines, up to the first ``{`` outside parentheses and brackets, on one line."""
    lines = code.splitlines()
    while lines and (not lines[0].strip() or _DOC_LINE.match(lines[0])):
        lines.pop(0)
    text = "\n".join(lines)
    closing: list[str] = []
    for at, char in enumerate(text):
        if char in _OPENERS:
            closing.append(_OPENERS[char])
        elif closing and char == closing[-1]:
            closing.pop()
        elif char == "{" and not closing:
            return one_line(text[:at])
    return one_line(lines[0]) if lines else ""


# ---- a module's own description ------------------------------------------------------------

# A licence or copyright header describes the terms, not the module.
LICENCE = re.compile(
    r"^\s*(?:copyright\b|\(c\)|©)|\blicen[cs]ed? under\b|SPDX-License-Identifier"
    r"|\bpermission is hereby granted\b|\ball rights reserved\b"
    r"|\b(?:MIT|BSD|ISC|Apache|GPL)[- ]licen[cs]ed?\b|\bthe Apache License\b"
    r"|\bGNU (?:Lesser |Affero )?General Public License\b",
    re.I | re.M,
)
# Lines that instruct a tool, not a reader (``//go:build``, ``/* eslint-disable */``).
DIRECTIVE = re.compile(
    r"^\s*(?:go:\w+|\+build\b|eslint[-\w]*|jshint\b|jscs:|global\s|prettier-ignore"
    r"|@ts-|@flow\b|nolint\b|clang-format\b|NOLINT)"
)
MAX_DESCRIPTION_CHARS = 300


@dataclass(frozen=True, slots=True)
class CommentGroup:
    """Comments at a file's head with no blank line between them."""

    raw: str  # as written, markers included
    lines: tuple[str, ...]  # their text, comment markers removed
    attached_to: str  # the node type right below the group without a blank line, or ""


def uncommented(comment: str) -> list[str]:
    """A comment's lines without its markers (``//``, ``///``, ``//!``, ``/*``, `` * ``, ``*/``)."""
    text = comment.strip()
    if text.startswith("/*"):
        text = re.sub(r"^/\*+!?[ \t]?", "", text)
        text = re.sub(r"\*+/$", "", text)
    return [re.sub(r"^\s*(?://[/!]?|\*(?!/))\s?", "", line).rstrip() for line in text.splitlines()]


def leading_comments(
    text: str, lang: str, passed: Callable[[ts.Node], bool] | None = None
) -> list[CommentGroup]:
    """The comment groups before a file's first statement; nodes ``passed`` accepts (a hashbang,
    ``'use strict'``, Rust's ``#![…]``) are stepped over."""
    groups: list[CommentGroup] = []
    run: list[ts.Node] = []
    for node in parse(text.encode("utf-8"), lang).root_node.children:
        if node.type in COMMENT_TYPES:
            if run and line_gap(run[-1], node) > 1:
                groups.append(_group(run, ""))
                run = []
            run.append(node)
            continue
        if run:
            groups.append(_group(run, node.type if line_gap(run[-1], node) <= 1 else ""))
            run = []
        if passed is None or not passed(node):
            break
    if run:
        groups.append(_group(run, ""))
    return groups


COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})


def _group(nodes: list[ts.Node], attached_to: str) -> CommentGroup:
    raws = [(node.text or b"").decode("utf-8", "replace") for node in nodes]
    lines = [line for raw in raws for line in uncommented(raw)]
    return CommentGroup("\n".join(raws), tuple(lines), attached_to)


def described(lines: Sequence[str]) -> str:
    """What a doc comment's lines say of the module: its first prose paragraph (the summary, by
    every language's convention; no code example, heading or ``:copyright:`` field), in whole
    sentences up to 300 characters; "" for a licence or copyright notice, or a comment that only
    instructs tools."""
    kept = textwrap.dedent("\n".join(line for line in lines if not DIRECTIVE.match(line)))
    paragraphs = [p for p in _prose_paragraphs(kept.splitlines()) if not _FIELD.match(p)]
    if not paragraphs or LICENCE.search(paragraphs[0]):
        return ""
    return sentences_within(paragraphs[0], MAX_DESCRIPTION_CHARS)


# A reST field (``:copyright: 2010 by …``, ``:license: BSD``): metadata, not a description.
_FIELD = re.compile(r"^:\w+:")


def _prose_paragraphs(lines: list[str]) -> list[str]:
    """The runs of unindented text lines with at least three words, each squeezed to one line; an
    indented line (a code example), a blank line or a heading's underline ends a run."""
    paragraphs: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line.strip() and not line[:1].isspace() and not _is_heading_or_blank(line.strip()):
            run.append(line.strip())
            continue
        text = " ".join(" ".join(run).split())
        if len(text.split()) >= _MIN_WORDS:
            paragraphs.append(text)
        run = []
    return paragraphs


_MIN_WORDS = 3


def _is_heading_or_blank(line: str) -> bool:
    """A blank line, or an underline ("~~~~") under a heading: not prose."""
    return not line or bool(re.fullmatch(r"[=\-~^*#.:]+", line))


def free_standing_description(text: str, lang: str) -> str:
    """The first comment at a file's head that stands on its own (a blank line below it, or
    right above the package declaration) and describes rather than licenses: the module
    description of a language without a convention of its own (Java, C, C++)."""
    for group in leading_comments(text, lang):
        if group.attached_to in ("", "package_declaration"):
            description = described(group.lines)
            if description:
                return description
    return ""
