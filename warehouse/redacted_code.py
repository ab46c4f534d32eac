"""Redaction placeholders never land inside a record's code.

A placeholder in code (``PASSWORD = "<SECRET:password-assignment>"``) teaches a model to write
placeholders. So a record whose code would hold one is either made with a neutral stand-in in its
place, or not made at all:

- a placeholder inside a comment, or inside a string literal the code only passes on (no line
  compares, asserts or measures it), becomes a neutral value of its kind — ``example-secret``
  for a secret, ``user@example.com`` for an address — which redaction never flags again; the
  record's provenance lists the kinds replaced (``neutralised``);
- any other placeholder (``API_TOKEN=<SECRET:env-secret>`` in a ``.env`` file, a key file, a
  literal a test compares against) means the record is not made, with its reason.

A record's *code* is every fenced block of an instruction record's texts; for a trajectory, every
tool result, every action's parameters and the fenced blocks of its other turns. Prose keeps its
typed placeholders: there they say what was removed.

String literals and comments are found by a small lexer that knows no language: quotes (single,
double, back, triple), ``#`` and ``//`` to the end of the line, ``/* … */``. It errs towards
skipping: a literal it cannot close on its line is no literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from warehouse.record_text import code_ranges
from warehouse.records import Record, parse_record
from warehouse.redaction import PLACEHOLDER
from warehouse.secret_assignments import NEUTRAL_EMAIL, NEUTRAL_SECRET

_TOKEN = re.compile(r'"""|\'\'\'|["\'`]|#|//|/\*')
_KIND = re.compile(r"<SECRET:([a-z0-9-]+)>")
# A line that depends on a literal's value, not just passes it on: a comparison, an assertion,
# a test of its form or length.
_DEPENDS = re.compile(
    r"==|!=|\bassert|\bexpect\(|\.(?:startswith|endswith|match|fullmatch|search)\(|\blen\(|"
    r"\bstrcmp\(|\.equals\("
)


@dataclass(frozen=True, slots=True)
class Spared:
    """A record whose code holds no placeholder, and the kinds replaced by neutral values."""

    record: dict[str, Any]
    neutralised: tuple[str, ...]


def spare_code(raw: dict[str, Any]) -> Spared | str:
    """The record with each placeholder in its code replaced by a neutral value, or why that
    cannot be done (then the record is not made)."""
    codes = code_texts(raw)
    if not any(PLACEHOLDER.search(code) for code in codes):
        return Spared(raw, ())
    problem = spare_problem(codes)
    if problem is not None:
        return problem
    kinds = sorted({_kind(m.group(0)) for code in codes for m in PLACEHOLDER.finditer(code)})
    return Spared(_map_code(raw, neutralised), tuple(kinds))


def spared_record(record: Record) -> Record | str:
    """:func:`spare_code` for a validated record: its provenance names the kinds replaced."""
    spared = spare_code(record.model_dump(exclude_none=True))
    if isinstance(spared, str) or not spared.neutralised:
        return spared if isinstance(spared, str) else record
    changed = parse_record(spared.record)
    provenance = changed.provenance.model_copy(update={"neutralised": list(spared.neutralised)})
    return changed.model_copy(update={"provenance": provenance})


def spare_problem(codes: list[str]) -> str | None:
    """Why the placeholders in ``codes`` (the code of one record) cannot become neutral values:
    one sits outside any string literal or comment, or in a literal the code depends on (a line
    that compares, asserts or measures it). None when they can (or there are none)."""
    for code in codes:
        if not PLACEHOLDER.search(code):
            continue
        spans = literal_spans(code)
        for match in PLACEHOLDER.finditer(code):
            span = next((s for s in spans if s[0] <= match.start() and match.end() <= s[1]), None)
            kind = _kind(match.group(0))
            if span is None:
                return f"a redacted {kind} sits in code outside a string literal or comment"
            if span[2] and _DEPENDS.search(_line_of(code, match.start())):
                return f"the code compares or checks a string literal holding a redacted {kind}"
    return None


def neutralised(code: str) -> str:
    """``code`` with every placeholder replaced by the neutral value of its kind."""
    return PLACEHOLDER.sub(lambda m: _neutral(m.group(0)), code)


def placeholder_in_code(raw: dict[str, Any]) -> bool:
    """Does the record's code hold a redaction placeholder (the assay rejects it, the export
    leaves it out)?"""
    return any(PLACEHOLDER.search(code) for code in code_texts(raw))


def literal_spans(code: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_string) of every string literal's and comment's text in ``code``."""
    spans: list[tuple[int, int, bool]] = []
    position = 0
    while (token := _TOKEN.search(code, position)) is not None:
        start, mark = token.end(), token.group(0)
        if mark in ("#", "//"):
            end = _line_end(code, start)
            spans.append((start, end, False))
        elif mark == "/*":
            close = code.find("*/", start)
            end = len(code) if close < 0 else close
            spans.append((start, end, False))
            end += 2
        else:
            close = _closing_quote(code, start, mark)
            if close < 0:
                position = start  # no literal: an apostrophe, a lifetime, a stray quote
                continue
            spans.append((start, close, True))
            end = close + len(mark)
        position = end
    return spans


def code_texts(raw: dict[str, Any]) -> list[str]:
    """Every piece of the record's code (see the module doc), in order."""
    found: list[str] = []

    def keep(code: str) -> str:
        found.append(code)
        return code

    _map_code(raw, keep)
    return found


def _map_code(raw: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    """A copy of ``raw`` with ``change`` applied to each piece of its code."""
    record = dict(raw)
    if record.get("kind") != "agent":
        for key in ("instruction", "input", "output"):
            if isinstance(record.get(key), str):
                record[key] = _map_blocks(record[key], change)
        return record
    turns = []
    for turn in record.get("conversation") or []:
        turns.append(_map_turn(turn, change) if isinstance(turn, dict) else turn)
    record["conversation"] = turns
    return record


def _map_turn(turn: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    turn = dict(turn)
    content = turn.get("content")
    if turn.get("role") == "tool":
        turn["content"] = _map_strings(content, change)
    elif isinstance(content, str):
        turn["content"] = _map_blocks(content, change)
    elif isinstance(content, dict):
        step = dict(content)
        for key in ("thought", "final_answer"):
            if isinstance(step.get(key), str):
                step[key] = _map_blocks(step[key], change)
        action = step.get("action")
        if isinstance(action, dict):
            step["action"] = {
                **action,
                "parameters": _map_strings(action.get("parameters"), change),
            }
        turn["content"] = step
    return turn


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value


def _map_blocks(text: str, change: Callable[[str], str]) -> str:
    pieces, position = [], 0
    for start, end in code_ranges(text):
        pieces += [text[position:start], change(text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _closing_quote(code: str, start: int, mark: str) -> int:
    """Where the literal opened by ``mark`` closes; -1 when it does not (single quotes close on
    their line; triple quotes and backticks may span lines)."""
    position = start
    limit = len(code) if len(mark) == 3 or mark == "`" else _line_end(code, start)
    while position < limit:
        if code[position] == "\\":
            position += 2
            continue
        if code.startswith(mark, position):
            return position
        position += 1
    return -1


def _line_end(code: str, start: int) -> int:
    end = code.find("\n", start)
    return len(code) if end < 0 else end


def _line_of(code: str, at: int) -> str:
    """The line around ``at``, without a diff's or a listing's leading marks."""
    line = code[code.rfind("\n", 0, at) + 1 : _line_end(code, at)]
    return line.lstrip(" \t+-0123456789:|")


def _kind(placeholder: str) -> str:
    kind = _KIND.fullmatch(placeholder)
    return kind.group(1) if kind else "email"


def _neutral(placeholder: str) -> str:
    return NEUTRAL_EMAIL if placeholder == "<EMAIL>" else NEUTRAL_SECRET
