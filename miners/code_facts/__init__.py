"""Small facts read off a unit of code, one module per language: the errors it raises and
catches, what it logs, its signature — asked by the drafter (to state requirements the real code
meets) and by the assay (to check an answer's code), from the same place.

``python.py`` also holds libcst's exact reading of one changed Python function (stored in
``symbols.details``). See ``base.py`` for how the drafter's and the assay's questions relate.
"""

from __future__ import annotations

import re

from miners.code_facts import c, go, java, javascript, python, rust
from miners.code_facts.base import (
    C_COMMENT,
    LOG_CALL,
    STRING,
    LanguageFacts,
    RaisedError,
    free_standing_description,
    head_before_body,
)
from miners.code_symbols import signature_of

BY_LANGUAGE: dict[str, LanguageFacts] = {
    "python": python.FACTS,
    "javascript": javascript.FACTS,
    "typescript": javascript.FACTS,
    "tsx": javascript.FACTS,
    "java": java.FACTS,
    "go": go.FACTS,
    "rust": rust.FACTS,
    "c": c.FACTS,
    "cpp": c.FACTS,
}
# A language goldmine has no facts for: nothing is named, comments are the C family's.
UNKNOWN = LanguageFacts((), (), None, None, C_COMMENT)

__all__ = [
    "BY_LANGUAGE",
    "RaisedError",
    "caught_errors",
    "facts_for",
    "log_calls",
    "module_description",
    "new_items",
    "raised_errors",
    "shows",
    "signature",
]


def facts_for(lang: str | None) -> LanguageFacts:
    """What goldmine knows of ``lang`` (a tree-sitter language name)."""
    return BY_LANGUAGE.get(lang or "", UNKNOWN)


def module_description(text: str, lang: str) -> str:
    """What a file says it is, by its language's own convention: a Python module docstring, Go's
    package comment, a JavaScript or TypeScript file's leading JSDoc, Rust's ``//!`` lines, else
    the first free-standing comment at the head; never a licence header ("" when there is none)."""
    if lang == "python":
        return python.module_description(text)
    if lang == "go":
        return go.module_description(text)
    if lang == "rust":
        return rust.module_description(text)
    if lang in ("javascript", "typescript", "tsx"):
        return javascript.module_description(text, lang)
    if lang in BY_LANGUAGE:
        return free_standing_description(text, lang)
    return ""


def signature(code: str, lang: str) -> str:
    """The declaration of a function on one line, without its doc comment, attributes or body:
    tree-sitter's reading (whole, whatever braces its parameters hold: ``PrintErrln(i
    ...interface{})``), else the text before the first brace outside brackets."""
    if lang == "python":
        return python.signature(code)
    return signature_of(code, lang) or head_before_body(code)


def raised_errors(code: str, lang: str) -> list[RaisedError]:
    """Errors the code raises, throws or returns, in order, each name once."""
    found: list[tuple[int, RaisedError]] = []
    for form in facts_for(lang).raises:
        for match in form.pattern.finditer(code):
            text = STRING.search(match.group("msg") or "")
            name = match.group("name") or form.default
            found.append(
                (match.start(), RaisedError(name, text.group(2) if text else "", form.way))
            )
    first: dict[str, RaisedError] = {}
    for _, error in sorted(found, key=lambda item: item[0]):
        first.setdefault(error.name, error)
    return list(first.values())


def caught_errors(code: str, lang: str) -> list[str]:
    """Error types (or sentinel errors, or error codes) the code catches or tests for, in order,
    each once."""
    found: list[tuple[int, str]] = []
    for pattern in facts_for(lang).catches:
        for match in pattern.finditer(code):
            for part in re.split(r"[,|]", match.group(1)):
                name = part.split(" as ", 1)[0].strip()
                # `except IOError, e:` (Python 2) names a variable after the comma, not a type
                if lang == "python" and not name.rsplit(".", 1)[-1][:1].isupper():
                    continue
                if name:
                    found.append((match.start(), name))
    return list(dict.fromkeys(name for _, name in sorted(found, key=lambda item: item[0])))


def log_calls(code: str) -> list[str]:
    """Logging calls in the code (``logger.warning``, ``console.error``, ``log.Printf``,
    ``warn!`` …), each once."""
    return list(dict.fromkeys(match.group(1) for match in LOG_CALL.finditer(code)))


def shows(pattern: re.Pattern[str] | None, code: str) -> bool:
    """True when the language has the signal and the code shows it."""
    return pattern is not None and pattern.search(code) is not None


def new_items(before: list[str], after: list[str]) -> list[str]:
    """Items of ``after`` that ``before`` does not have, in order."""
    seen = set(before)
    return [item for item in after if item not in seen]
