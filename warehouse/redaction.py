"""Secrets and personal data replaced by typed placeholders before text is stored.

Every mined text passes through :func:`redact` on its way into the warehouse, so nothing later —
drafting, prompts sent to an LLM, exports, the review page — can see what was found. A finding
keeps its kind, its place and a keyed hash of the value, never the value itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

REDACTION_VERSION = "redact-1"

# (kind, pattern, group holding the secret — 0 for the whole match)
_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"
        ),
        0,
    ),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"), 0),
    (
        "aws-secret-key",
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})\b"),
        1,
    ),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b"), 0),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), 0),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), 0),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"), 0),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b"), 0),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"), 0),
    ("url-credentials", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@"), 1),
    (
        "password-assignment",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|api_?key|access_?token|auth_?token|client_?secret)"
            r"\b\s*[:=]\s*[\"']([^\"'\s]{6,})[\"']"
        ),
        1,
    ),
    ("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), 0),
)
# Cheap tests that every match of a pattern passes: a text failing its pattern's test is not
# searched with it. Most texts fail most tests, and `in` is far faster than a regex scan.
# (Lower-case hints are looked for in the lowered text.) A pattern without a test is always run.
_HINTS: dict[str, tuple[str, ...]] = {
    "private-key": ("PRIVATE KEY",),
    "aws-access-key": ("AKIA", "ASIA", "ABIA", "ACCA"),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab-token": ("glpat-",),
    "slack-token": ("xox",),
    "google-api-key": ("AIza",),
    "jwt": ("eyJ",),
}
_LOWER_HINTS: dict[str, tuple[str, ...]] = {
    "aws-secret-key": ("aws_secret", "awssecret"),
}
# Patterns that begin with a literal, which re finds with a fast substring search.
_HINT_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "stripe-key": (re.compile(r"_live_[A-Za-z0-9]{16}"), re.compile(r"_test_[A-Za-z0-9]{16}")),
    "openai-key": (re.compile(r"sk-(?:proj-)?[A-Za-z0-9_-]{32}"),),
    "url-credentials": (re.compile(r"://[^\s:/@]+:[^\s@/]+@"),),
}
# Searched in the lowered text: without (?i) and a leading \b, re skips ahead by first letter.
_LOWER_HINT_PATTERNS: dict[str, re.Pattern[str]] = {
    "password-assignment": re.compile(
        r"(?:password|passwd|pwd|secret|api_?key|access_?token|auth_?token|client_?secret)\s*[:=]\s*[\"'][^\"'\s]{6}"
    ),
}
# All literal hints in one pattern: one scan of a text tells which of those kinds it may hold.
_LITERAL_HINTS = re.compile("|".join(re.escape(hint) for hints in _HINTS.values() for hint in hints))
_KIND_OF_HINT = {hint: kind for kind, hints in _HINTS.items() for hint in hints}
_LOCAL_PART = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
# Addresses that identify nobody and are part of the code's meaning.
_HARMLESS_EMAILS = re.compile(r"(?i)@(?:example\.(?:com|org|net)|localhost|users\.noreply\.github\.com)$|^noreply@")


@dataclass(frozen=True, slots=True)
class SecretFound:
    """One secret or personal datum found in a text: its kind, offset and keyed hash."""

    kind: str
    start: int
    value_hash: str


def _placeholder(kind: str) -> str:
    return f"<SECRET:{kind}>" if kind != "email" else "<EMAIL>"


def keyed_hash(key: bytes, value: str) -> str:
    """An HMAC-SHA256 of ``value`` under the workspace key: stable, and useless without the key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def redact(text: str, key: bytes) -> tuple[str, list[SecretFound]]:
    """Replace every finding in ``text`` with its placeholder; return the new text and findings."""
    if not text:
        return text, []
    findings: list[SecretFound] = []
    lowered = text.lower()
    hinted = {_KIND_OF_HINT[hint] for hint in _LITERAL_HINTS.findall(text)}
    for kind, pattern, group in _PATTERNS:
        if _may_hold(kind, text, lowered, hinted):
            found = len(findings)
            text = _redact_one(text, kind, pattern, group, key, findings)
            if len(findings) > found:
                lowered = text.lower()
    return text, findings


def _may_hold(kind: str, text: str, lowered: str, hinted: set[str]) -> bool:
    """False only when ``text`` cannot hold a match of the ``kind`` pattern (``hinted``: the kinds
    whose literal hints ``text`` contains)."""
    if kind in _HINTS:
        return kind in hinted
    if kind in _LOWER_HINTS:
        return any(hint in lowered for hint in _LOWER_HINTS[kind])
    if kind in _HINT_PATTERNS:
        return any(hint.search(text) is not None for hint in _HINT_PATTERNS[kind])
    if kind in _LOWER_HINT_PATTERNS:
        return _LOWER_HINT_PATTERNS[kind].search(lowered) is not None
    if kind == "email":
        return _has_address_shape(text)
    return True


def _has_address_shape(text: str) -> bool:
    """True when some ``@`` sits between a local-part character and a domain character (a diff's
    ``@@`` hunk headers and a decorator's ``@`` do not)."""
    at = text.find("@", 1)
    while at != -1:
        if text[at - 1] in _LOCAL_PART and text[at + 1 : at + 2] in _DOMAIN_START:  #  is in no set
            return True
        at = text.find("@", at + 1)
    return False


def _redact_one(
    text: str, kind: str, pattern: re.Pattern[str], group: int, key: bytes, findings: list[SecretFound]
) -> str:
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        value = match.group(group)
        if kind == "email" and _HARMLESS_EMAILS.search(value):
            continue
        start, end = match.span(group)
        pieces += [text[position:start], _placeholder(kind)]
        position = end
        findings.append(SecretFound(kind, start, keyed_hash(key, value)))
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)
