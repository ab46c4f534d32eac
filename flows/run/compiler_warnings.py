"""Warnings from compiling a project's historic code: counted, never printed.

Mining, drafting and the assay parse and compile code from every commit of a history. Old code
draws the compiler's warnings (``"is" with a literal``, an invalid escape sequence) — facts about
that code, not about goldmine, and noise on a person's terminal (``py.warnings - <record>:4:
SyntaxWarning …``). A run counts them by category and stores the count in ``runs.counts``;
worker processes drop them (:func:`quiet_compiler_warnings`).

Python reports them with the compiled text's pseudo file name (``<unknown>``, ``<record>``), so a
filter on the module ``<…>`` catches exactly these and leaves a warning of goldmine's own code or
a library alone. They are counted at ``warnings._showwarnmsg``, the one function every shown
warning passes, because ``detect_secrets`` sends warnings to ``logging`` when it is imported
(``logging.captureWarnings``), which replaces ``warnings.showwarning`` under any hook set there.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

COMPILER_CATEGORIES: tuple[type[Warning], ...] = (SyntaxWarning, DeprecationWarning)
# the module a warning from compile()/ast.parse() of a string is attributed to: "<unknown>" …
COMPILED_TEXT = r"<"
_lock = threading.Lock()


@dataclass(slots=True)
class CompilerWarnings:
    """How many compiler warnings a run hid, by category, with one example."""

    by_category: Counter[str] = field(default_factory=Counter)
    example: str = ""

    @property
    def count(self) -> int:
        return sum(self.by_category.values())

    def summary(self) -> dict[str, Any]:
        """What ``runs.counts`` stores: the counts and one message, as a note."""
        kinds = ", ".join(f"{n} {name}" for name, n in sorted(self.by_category.items()))
        return {
            **dict(sorted(self.by_category.items())),
            "notes": [f"{kinds} from compiling historic code, not shown; e.g. {self.example}"],
        }


def is_from_compiled_text(message: warnings.WarningMessage) -> bool:
    """A compiler warning about a string of code (not a file goldmine or a library runs)."""
    return issubclass(message.category, COMPILER_CATEGORIES) and str(message.filename).startswith(
        "<"
    )


@contextmanager
def counted_compiler_warnings() -> Iterator[CompilerWarnings]:
    """Count and hide compiler warnings about compiled text while the block runs (every thread
    of this process); show every other warning as before."""
    seen = CompilerWarnings()
    with _lock:
        previous: Callable[[warnings.WarningMessage], None] = warnings._showwarnmsg  # type: ignore[attr-defined]

    def show(message: warnings.WarningMessage) -> None:
        if not is_from_compiled_text(message):
            previous(message)
            return
        with _lock:
            seen.by_category[message.category.__name__] += 1
            if not seen.example:
                seen.example = f"{message.filename}:{message.lineno}: {message.message}"

    with warnings.catch_warnings():
        for category in COMPILER_CATEGORIES:
            # "always": each one reaches show() to be counted (the default shows it once)
            warnings.filterwarnings("always", category=category, module=COMPILED_TEXT)
        warnings._showwarnmsg = show  # type: ignore[attr-defined]
        try:
            yield seen
        finally:
            warnings._showwarnmsg = previous  # type: ignore[attr-defined]


def quiet_compiler_warnings() -> None:
    """In a worker process: drop compiler warnings about compiled text (its stderr is the
    terminal's)."""
    for category in COMPILER_CATEGORIES:
        warnings.filterwarnings("ignore", category=category, module=COMPILED_TEXT)
