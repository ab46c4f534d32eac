"""Secrets known by their name, not their shape: assignments, command lines and prose.

A value assigned to a name that says it holds a secret (``AWS_SECRET_ACCESS_KEY = "…"``,
``password: …``, ``"client_secret": "…"``, ``--token=…``, ``mysql -pS3cret``) is a secret
whatever it looks like: a twelve-letter lowercase password has no shape a format detector knows.
So the name decides, and only a value that is plainly not a secret is spared:

- empty or too short to be one (under three characters);
- a reference to where the secret lives: ``os.environ[…]``, ``os.getenv(…)``, ``${VAR}``,
  ``$VAR``, ``{{ var }}``, ``%(name)s``, ``<your-token>``, an attribute such as
  ``settings.SECRET_KEY``, a path, an environment variable's name such as ``"SECRET_KEY"``;
- a word from a small list of stand-ins (``default``, ``changeme``, ``secret``, ``example``,
  ``dev``, ``test`` …; type names such as ``str`` for annotations), a value that starts with one
  (``example-secret``, ``test-token``), a phrase of plain words (``"development key"``), or no
  letter or digit at all (``"****"``);
- in code, a variable: ``connect(password=user_password)`` names another value, it does not
  hold one.

Names whose last word is ``password``, ``passwd``, ``passphrase``, ``secret``, ``credential(s)``
or a qualified key (``api_key``, ``secret_key``, ``access_key``, ``private_key`` …) take any other
value. ``token`` takes a value that is not a bare short word (lexers name their token kinds);
a bare ``key`` or ``pwd`` takes only a value that looks like one (six characters or more with a
digit or a symbol), since ``key: name`` and ``PWD=/home/ana`` are everyday code.

Prose states secrets too: "the password was hunter2-Prod-8841", "token is abc123…" — found when
the word after "is"/"was" looks like a value (the password "is wrong" is not one).

Every pattern runs on an ASCII-lowered copy of the text (same offsets); the spans cut the
original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NEUTRAL_SECRET = "example-secret"  # noqa: S105 - the stand-in, by design
"""The stand-in a redacted string literal becomes in a record's code (never itself redacted)."""
NEUTRAL_EMAIL = "user@example.com"
"""The stand-in a redacted address becomes in a record's code (example.com is never redacted)."""

# "key" alone holds names (cache_key, sort_key, primary_key); after one of these it holds a secret.
_KEY_QUALIFIER = re.compile(
    r"(?:api|access|secret|private|signing|auth|encryption|client|master|license|app|account|"
    r"service|consumer|subscription|webhook|deploy|ssh|gpg|pgp|bot|admin|root|db|aws|stripe)"
    r"[_.-]?\Z"
)
# At a name's last word: the word, the operator (an optional type annotation before "="), then
# the value: quoted (with an optional string prefix) or bare.
_NAMED_AT = re.compile(
    r"(?P<word>password|passwd|passphrase|secret|credentials?|token|key|pwd)(?![a-z0-9_])"
    r"[\"'`\]]?"
    r"(?P<op>[ \t]*:[ \t]*[a-z_][a-z0-9_.\[\], |]*?[ \t]*(?::=|=>|=(?!=))"
    r"|[ \t]*(?::=|=>|=(?!=))|[ \t]*:(?![:=]))"
    r"[ \t]*(?:(?:[rbuf]{1,2})?(?P<q>[\"'`])(?P<quoted>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)"
    r"|(?P<bare>[^\s\"'`,;)}\]]+))"
)
_PROSE_AT = re.compile(
    r"(?P<word>password|passwd|passphrase|passcode|token|secret|key)"
    r"\s+(?:is|was)(?:\s+now|\s+set\s+to|\s+changed\s+to)?\s+[\"'`]?(?P<bare>[^\s\"'`]+)"
)
_COMMAND = re.compile(
    r"(?:\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?\s-p"
    r"|\bsshpass\s+-p\s*"
    r"|\bcurl\b[^\n]*?\s(?:-u|--user)[\s=]+[\"']?[^\s:\"']+:)"
    r"[\"']?(?P<bare>[^\s\"']+)"
)
_COMMANDS = ("mysql", "mariadb", "sshpass", "curl")
_LONG_OPTION_AT = re.compile(
    r"--(?:password|passwd|token|secret|api-key|apikey|access-key|secret-key|auth-token)"
    r"(?P<op>=|[ \t]+)[\"']?(?P<bare>[^\s\"']+)"
)
_LONG_OPTIONS = ("--pass", "--token", "--secret", "--api", "--access", "--auth")
HINTS = ("pass", "secret", "credential", "token", "key", "pwd")
"""Where a name's last word or a prose statement can start (found with ``str.find``: the
patterns run only there, so a text is not scanned position by position)."""

_STAND_INS = frozenset(
    [
        "default",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secrets",
        "example",
        "dev",
        "develop",
        "development",
        "test",
        "testing",
        "tests",
        "password",
        "passwd",
        "pass",
        "token",
        "key",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "dummy",
        "fake",
        "mock",
        "sample",
        "placeholder",
        "foo",
        "bar",
        "baz",
        "xxx",
        "todo",
        "tbd",
        "redacted",
        "hidden",
        "admin",
        "root",
        "guest",
        "user",
        "username",
        "notasecret",
        "not-a-secret",
        "insecure",
        "unsafe",
        "mysecret",
        "mypassword",
        "secretkey",
        "secret-key",
        "secret_key",
        "str",
        "bytes",
        "int",
        "bool",
        "float",
        "string",
        "boolean",
        "number",
        "object",
        "any",
        "optional",
        "secretstr",
        "secretbytes",
    ]
)
_STAND_IN_PREFIXES = ("example", "dummy", "fake", "test", "sample", "your", "changeme", "my-")
_REFERENCE = re.compile(
    r"[${}()\[\]<>%]|^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+$|^(?:/|\./|\.\./|~/)|^\*+$|^\.\.\.$"
)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_LOOKS_LIKE_VALUE = re.compile(r"[0-9!@#$%^&*+/=~]")
_PHRASE = re.compile(r"[a-z]+(?: [a-z]+)+")
_REPEATED = re.compile(r"(.)\1*")
_TRAILING = ".,;:!?)"
# What may stand before a name that starts its line: indentation, a diff's +/-, "export", a
# quote, and the rest of the name.
_LINE_START = re.compile(r"[ \t+\-]*(?:export[ \t]+)?[\"']?[a-z0-9_.\-]*")


@dataclass(frozen=True, slots=True, order=True)
class NamedSecret:
    """Where a secret known by its name sits, and which rule found it."""

    start: int
    end: int
    kind: str


def named_secrets(text: str, lowered: str, *, guarded: bool = True) -> list[NamedSecret]:
    """Values of secret-named assignments, command-line passwords and secrets stated in prose.

    ``guarded``: run the command-line pattern only on texts that name a command it knows (tests
    turn it off to show the guard never makes the scan miss anything)."""
    found: set[NamedSecret] = set()
    for position in _positions(lowered, HINTS):
        found.update(_assignment_at(text, lowered, position))
        found.update(_prose_at(text, lowered, position))
    for position in _positions(lowered, _LONG_OPTIONS):
        found.update(_bare_value(text, _LONG_OPTION_AT.match(lowered, position), "cli-password"))
    if not guarded or any(command in lowered for command in _COMMANDS):
        for match in _COMMAND.finditer(lowered):
            found.update(_bare_value(text, match, "cli-password"))
    return sorted(found, key=lambda secret: (secret.start, secret.end))


def _positions(lowered: str, hints: tuple[str, ...]) -> list[int]:
    """Every offset where one of ``hints`` starts, in order."""
    positions = []
    for hint in hints:
        at = lowered.find(hint)
        while at >= 0:
            positions.append(at)
            at = lowered.find(hint, at + 1)
    return sorted(positions)


def plainly_not_secret(value: str) -> bool:
    """Is ``value`` empty, a reference to where a secret lives, or a stand-in word?"""
    lowered = value.lower()
    return (
        len(value) < 3
        or lowered in _STAND_INS
        or lowered.startswith(_STAND_IN_PREFIXES)
        or _REFERENCE.search(lowered) is not None
        or _ENV_NAME.fullmatch(value) is not None
        or _REPEATED.fullmatch(lowered) is not None
        or _PHRASE.fullmatch(lowered) is not None
        or not any(c.isalnum() for c in value)
        or value.startswith("<SECRET:")
    )


def looks_like_value(value: str) -> bool:
    """Six characters or more with a digit or a symbol: a password or a token, not a word (nor
    words joined by hyphens, dots or underscores)."""
    return len(value) >= 6 and _LOOKS_LIKE_VALUE.search(value) is not None


def _assignment_at(text: str, lowered: str, position: int) -> list[NamedSecret]:
    match = _NAMED_AT.match(lowered, position)
    if match is None:
        return []
    group = "quoted" if match.group("q") else "bare"
    start, end = match.span(group)
    value = text[start:end] if group == "quoted" else text[start:end].rstrip(_TRAILING)
    if not _is_secret(match, _strength(lowered, match), value, lowered):
        return []
    return [NamedSecret(start, start + len(value), "password-assignment")]


def _strength(lowered: str, match: re.Match[str]) -> str:
    """How much the name says secret: ``strong`` (any value), ``token``, ``weak`` (a value-like
    value only) or ``none`` (``monkey``, ``hotkey``)."""
    word, position = match.group("word"), match.start()
    if word not in ("key", "pwd"):
        return "token" if word == "token" else "strong"
    if word == "key" and _KEY_QUALIFIER.search(lowered, max(0, position - 14), position):
        return "strong"
    return "none" if position > 0 and lowered[position - 1].isalpha() else "weak"


def _is_secret(match: re.Match[str], strength: str, value: str, lowered: str) -> bool:
    """Whether the value assigned in ``match`` is a secret, by the rules of the module doc."""
    if strength == "none" or plainly_not_secret(value):
        return False
    quoted = bool(match.group("q"))
    if not quoted and _names_a_variable(match, value, lowered):
        return False
    if strength == "weak":
        return looks_like_value(value)
    if strength == "token" and value.isalpha() and len(value) <= 10:
        return False
    if quoted or _whole_line(match, lowered):
        return True
    return looks_like_value(value)


def _names_a_variable(match: re.Match[str], value: str, lowered: str) -> bool:
    """A bare identifier in code (``f(password=user_pw)``, ``token = next_token``): the name of
    another value, not a value. Letters and digits run together (``hunter2abc``) are a value."""
    if not _IDENTIFIER.fullmatch(value.lower()):
        return False
    if "_" in value:
        return True
    if any(c.isdigit() for c in value):
        return False
    operator = match.group("op")
    return "=" in operator and (" " in operator or not _whole_line(match, lowered))


def _whole_line(match: re.Match[str], lowered: str) -> bool:
    """Is the assignment the whole line (``.env``, YAML, INI), not a piece of code or prose?"""
    line_start = lowered.rfind("\n", 0, match.start()) + 1
    line_end = lowered.find("\n", match.end())
    before = lowered[line_start : match.start()]
    after = lowered[match.end() : len(lowered) if line_end < 0 else line_end].strip()
    return _LINE_START.fullmatch(before) is not None and (after in ("", ",") or after[0] == "#")


def _bare_value(text: str, match: re.Match[str] | None, kind: str) -> list[NamedSecret]:
    """The secret in a command line or a prose statement's ``bare`` group, unless it is plainly
    none (a prose value must also look like one)."""
    if match is None:
        return []
    start, end = match.span("bare")
    value = text[start:end].rstrip(_TRAILING)
    if plainly_not_secret(value) or value.startswith("-"):
        return []
    spaced = "op" in (match.groupdict()) and match.group("op") != "="
    if (kind == "secret-in-prose" or spaced) and not looks_like_value(value):
        return []
    return [NamedSecret(start, start + len(value), kind)]


def _prose_at(text: str, lowered: str, position: int) -> list[NamedSecret]:
    if position > 0 and lowered[position - 1].isalnum():
        return []
    return _bare_value(text, _PROSE_AT.match(lowered, position), "secret-in-prose")
