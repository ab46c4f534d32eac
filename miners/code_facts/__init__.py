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
    one_line,
)

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
UNKNOWN = LanguageFacts(None, None, None, None, C_COMMENT)

__all__ = [
    "BY_LANGUAGE",
    "RaisedError",
    "caught_errors",
    "facts_for",
    "log_calls",
    "new_items",
    "raised_errors",
    "shows",
    "signature",
]


def facts_for(lang: str | None) -> LanguageFacts:
    """What goldmine knows of ``lang`` (a tree-sitter language name)."""
    return BY_LANGUAGE.get(lang or "", UNKNOWN)


def signature(code: str, lang: str) -> str:
    """The declaration of a function on one line, without its body."""
    if lang == "python":
        return python.signature(code)
    head = code.split("{", 1)[0] if "{" in code else code.splitlines()[0] if code else ""
    return one_line(head)


def raised_errors(code: str, lang: str) -> list[RaisedError]:
    """Errors the code raises or returns, in order, each type once."""
    pattern = facts_for(lang).raise_pattern
    if pattern is None:
        return []
    found: dict[str, RaisedError] = {}
    for match in pattern.finditer(code):
        text = STRING.search(match.group("msg") or "")
        message = text.group(2) if text else ""
        found.setdefault(match.group(1), RaisedError(match.group(1), message))
    return list(found.values())


def caught_errors(code: str, lang: str) -> list[str]:
    """Exception types the code catches."""
    pattern = facts_for(lang).catch_pattern
    if pattern is None:
        return []
    names: list[str] = []
    for match in pattern.finditer(code):
        for part in match.group(1).split(","):
            name = part.split(" as ", 1)[0].strip()
            # `except IOError, e:` (Python 2) names a variable after the comma, not a type
            if name and name.rsplit(".", 1)[-1][:1].isupper() and name not in names:
                names.append(name)
    return names


def log_calls(code: str) -> list[str]:
    """Logging calls in the code (``logger.warning``, ``console.error`` …), each once."""
    return list(dict.fromkeys(match.group(1) for match in LOG_CALL.finditer(code)))


def shows(pattern: re.Pattern[str] | None, code: str) -> bool:
    """True when the language has the signal and the code shows it."""
    return pattern is not None and pattern.search(code) is not None


def new_items(before: list[str], after: list[str]) -> list[str]:
    """Items of ``after`` that ``before`` does not have, in order."""
    seen = set(before)
    return [item for item in after if item not in seen]
