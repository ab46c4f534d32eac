"""Small facts read off a unit of code: its signature, the errors it raises, what it logs.

They let a drafted instruction state constraints the real code meets ("raise ``ValueError``
when …", "log with ``logger.warning``") without inventing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RAISE = {
    "python": re.compile(r"\braise\s+([A-Z]\w*)(?:\((?P<msg>[^\n]*)\))?"),
    "javascript": re.compile(r"\bthrow\s+new\s+([A-Z]\w*)\((?P<msg>[^\n]*)\)"),
    "typescript": re.compile(r"\bthrow\s+new\s+([A-Z]\w*)\((?P<msg>[^\n]*)\)"),
    "tsx": re.compile(r"\bthrow\s+new\s+([A-Z]\w*)\((?P<msg>[^\n]*)\)"),
    "java": re.compile(r"\bthrow\s+new\s+([A-Z]\w*)\((?P<msg>[^\n]*)\)"),
    "go": re.compile(r"\b(errors\.New|fmt\.Errorf)\((?P<msg>[^\n]*)\)"),
    "rust": re.compile(r"\b(Err)\((?P<msg>[^\n]*)\)"),
}
_CATCH = {
    "python": re.compile(r"\bexcept\s+\(?([A-Z][\w, ]*)\)?"),
    "java": re.compile(r"\bcatch\s*\(\s*([A-Z]\w*)"),
}
_LOG = re.compile(
    r"\b((?:logger|logging|log|LOG|LOGGER|console|slog)\.(?:debug|info|warning|warn|error|exceptio"
    r"n|critical"
    r"|fatal|Printf|Println|Error|Warn|Info))\s*\("
)
_STRING = re.compile(r"""(?:f|r|b)?(["'`])(.*?)\1""")


@dataclass(frozen=True, slots=True)
class RaisedError:
    """An error a unit raises, with the literal text of its message when there is one."""

    name: str
    message: str


def signature(code: str, lang: str) -> str:
    """The declaration line(s) of a function, without its body."""
    if lang == "python":
        lines = []
        for line in code.splitlines():
            lines.append(line)
            if line.rstrip().endswith(":") and not line.lstrip().startswith("@"):
                break
        header = " ".join(line.strip() for line in lines if not line.lstrip().startswith("@"))
        return re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", header))
    head = code.split("{", 1)[0] if "{" in code else code.splitlines()[0] if code else ""
    return re.sub(r"\s+", " ", head).strip()


def raised_errors(code: str, lang: str) -> list[RaisedError]:
    """Errors the code raises or returns, in order, each type once."""
    pattern = _RAISE.get(lang)
    if pattern is None:
        return []
    found: dict[str, RaisedError] = {}
    for match in pattern.finditer(code):
        text = _STRING.search(match.group("msg") or "")
        message = text.group(2) if text else ""
        found.setdefault(match.group(1), RaisedError(match.group(1), message))
    return list(found.values())


def caught_errors(code: str, lang: str) -> list[str]:
    """Exception types the code catches."""
    pattern = _CATCH.get(lang)
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
    return list(dict.fromkeys(match.group(1) for match in _LOG.finditer(code)))


def new_items(before: list[str], after: list[str]) -> list[str]:
    """Items of ``after`` that ``before`` does not have, in order."""
    seen = set(before)
    return [item for item in after if item not in seen]
