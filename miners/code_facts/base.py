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
from dataclasses import dataclass

# A call of a logger-like object (``logger.warning(``, ``console.error(``, ``log.Printf(``): what
# the drafter names as "log with …", in every language.
LOG_CALL = re.compile(
    r"\b((?:logger|logging|log|LOG|LOGGER|console|slog)\.(?:debug|info|warning|warn|error|exception"
    r"|critical|fatal|Printf|Println|Error|Warn|Info))\s*\("
)
# A string literal in quotes or backticks: the message of a raised error.
STRING = re.compile(r"""(?:f|r|b)?(["'`])(.*?)\1""")
# Comments of the C family (``//``, ``/* … */``, the ``*`` of a block comment's lines).
C_COMMENT = re.compile(r"//|/\*|^\s*\*")
# ``throw new Error("…")`` in JavaScript, TypeScript and Java.
THROW_NEW = re.compile(r"\bthrow\s+new\s+([A-Z]\w*)\((?P<msg>[^\n]*)\)")


@dataclass(frozen=True, slots=True)
class RaisedError:
    """An error a unit raises, with the literal text of its message when there is one."""

    name: str
    message: str


@dataclass(frozen=True, slots=True)
class LanguageFacts:
    """What goldmine knows of how one language raises, catches, logs and comments."""

    # A raise (or throw, or error return) of a named error; group 1 the name, ``msg`` its
    # message. None: the drafter names no raised errors in this language.
    raise_pattern: re.Pattern[str] | None
    # A catch of named error types; group 1 the names. None: none are named.
    catch_pattern: re.Pattern[str] | None
    # Any sign that code handles or signals errors (the assay's error_handling check).
    error_signal: re.Pattern[str] | None
    # Any sign that code logs (the assay's logging check).
    log_signal: re.Pattern[str] | None
    # A line that carries a comment (the assay's comments check).
    comment: re.Pattern[str] = C_COMMENT


def one_line(text: str) -> str:
    """Whitespace runs collapsed: a declaration as one line."""
    return re.sub(r"\s+", " ", text).strip()
