"""Secrets and personal data replaced by typed placeholders before text is stored.

Every mined text passes through :func:`redact` on its way into the warehouse, so nothing later —
drafting, prompts sent to an LLM, exports, the review page — can see what was found. A finding
keeps its kind, its place and a keyed hash of the value, never the value itself.

Two scanners run over each text and their findings are merged (the first one found wins an
overlap): goldmine's own patterns (private keys, cloud and forge tokens, credentials in URLs,
``.env``-style and credential assignments, secrets known by their name — secret-named
assignments whatever their value, command-line passwords, secrets stated in prose, in
:mod:`warehouse.secret_assignments` — and e-mail addresses) and the format-specific
detectors of Yelp's detect-secrets (AWS, Azure, Artifactory, Basic Auth, Cloudant, Discord, GitHub,
GitLab, IBM, JWT, Mailchimp, npm, OpenAI, PyPI, SendGrid, Slack, SoftLayer, Square, Stripe,
Telegram, Twilio). Left out of detect-secrets: its generic high-entropy detectors, which on
ordinary code flag identifiers, hashes and lock files by the hundred (measured: 636 hits on one
gold record's output) and would destroy real code; and its keyword detector (0.6 ms a line),
whose findings the named-secret rules cover. A value that is plainly not a secret (a reference such
as ``os.environ[...]``, a stand-in such as ``default``, the neutral ``example-secret`` a record's
code gets) is left as it is. The whole scan runs at 12–15 MB/s of diffs
(about a quarter of the speed of the thirteen patterns it replaced, for the twenty-odd detectors
it adds); cheap substring guards keep the slow patterns off texts that cannot match them.

:func:`quick_scan` is the assay's second look at drafted records: only the token-shaped patterns
that start with a literal (they run at hundreds of MB/s) and e-mail addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from warehouse.secret_assignments import NEUTRAL_SECRET, named_secrets, plainly_not_secret

REDACTION_VERSION = "redact-2"

# (kind, pattern, group holding the secret — 0 for the whole match). Each pattern starts with a
# literal, so the regex engine skips to candidates at memory speed; `_lowered` patterns run on an
# ASCII-lowered copy of the text (same offsets) instead of paying for (?i).
_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"
        ),
        0,
    ),
    ("aws-access-key", re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Za-z])"), 0),
    (
        "github-token",
        re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})(?!\w)"),
        0,
    ),
    ("gitlab-token", re.compile(r"glpat-[A-Za-z0-9_-]{20,}"), 0),
    ("slack-token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), 0),
    ("stripe-key", re.compile(r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"), 0),
    ("openai-key", re.compile(r"sk-(?:proj-)?[A-Za-z0-9_-]{32,}"), 0),
    ("google-api-key", re.compile(r"AIza[0-9A-Za-z_-]{35}(?![\w-])"), 0),
    ("jwt", re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), 0),
    ("url-credentials", re.compile(r"://[^\s:/@\"'<>]+:([^\s@/\"'<>]+)@"), 1),
    (
        "env-secret",
        re.compile(
            r"(?m)^[ \t+-]*(?:export[ \t]+)?[A-Z0-9_]*"
            r"(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)"
            r"[A-Z0-9_]*[ \t]*=[ \t]*([^\s\"'$(){}<>]{8,})[ \t]*$"
        ),
        1,
    ),
)
_LOWERED_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "aws-secret-key",
        re.compile(
            r"aws_?secret_?(?:access_?)?key\s*[:=]\s*[\"']?([a-z0-9/+=]{40})(?![a-z0-9/+=])"
        ),
        1,
    ),
    # What detect-secrets' Cloudant, IBM and SoftLayer keyword detectors look for (a credential
    # keyword assigned a long key), without their per-position lookbehinds that scan at 15 MB/s.
    (
        "credential-assignment",
        re.compile(
            r"(?:key|pwd|pw|password|pass|token)[\"'\]]* *(?:=|:|:=|=>|::) "
            r"*[\"']?([a-z0-9_-]{24,64})(?![a-z0-9_-])"
        ),
        1,
    ),
)
_ASSIGNMENT_KINDS = frozenset({"env-secret", "credential-assignment"})
# Kinds whose value a stand-in or a reference may be ("changeme", "${DB_PASSWORD}").
_STAND_IN_KINDS = frozenset({"env-secret", "credential-assignment", "aws-secret-key"})
_TOKEN_KINDS = (
    frozenset(kind for kind, _, _ in (*_PATTERNS, *_LOWERED_PATTERNS)) - _ASSIGNMENT_KINDS
)
_QUICK_KINDS = frozenset(
    {
        "private-key",
        "aws-access-key",
        "github-token",
        "gitlab-token",
        "slack-token",
        "openai-key",
        "google-api-key",
        "jwt",
        "url-credentials",
    }
)
# \Z: $ would also match before a newline
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}\Z")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Addresses that identify nobody and are part of the code's meaning.
# Every two-letter country domain, the generic ones people write addresses in, and the names
# companies give internal mail domains. A longer word after the last dot is code, not a domain.
_TOP_LEVEL_DOMAINS = frozenset(
    {a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"}
    | {
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "mil",
        "int",
        "info",
        "biz",
        "name",
        "pro",
        "dev",
        "app",
        "cloud",
        "tech",
        "online",
        "site",
        "xyz",
        "email",
        "mail",
        "company",
        "team",
        "systems",
        "solutions",
        "software",
        "digital",
        "global",
        "group",
        "agency",
        "studio",
        "works",
        "services",
        "network",
        "support",
        "store",
        "shop",
        "life",
        "live",
        "media",
        "news",
        "blog",
        "page",
        "space",
        "website",
        "ltd",
        "llc",
        "inc",
        "corp",
        "internal",
        "intra",
        "intranet",
        "lan",
        "local",
        "home",
        "office",
        "priv",
        "private",
        "example",
    }
)
_HARMLESS_EMAILS = re.compile(
    r"(?i)@(?:example\.(?:com|org|net)|localhost|users\.noreply\.github\.com)$|^noreply@"
)
# detect-secrets detectors left out: generic entropy (see above), public IP addresses (not secrets),
# and its keyword detector (0.6 ms a line; "password-assignment" and "credential-assignment" cover
# it).
_SKIPPED_DETECTORS = {
    "Base64HighEntropyString",
    "HexHighEntropyString",
    "IPPublicDetector",
    "KeywordDetector",
}
_LOOKBEHIND_DETECTORS = {
    "CloudantDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "SoftlayerDetector",
}
# Substrings every match of an assignment pattern contains (in the text it is searched in).
_ASSIGNMENT_HINTS = {
    "env-secret": ("PASS", "SECRET", "TOKEN", "KEY", "PWD"),
    "aws-secret-key": ("aws",),
    "credential-assignment": ("key", "pw", "pass", "token"),
}
_USE_GUARDS = True  # tests turn the guards off to show they never make the scan miss anything
# Cheap literal tests that must pass before a slow detect-secrets regex is worth running.
_GUARDS = {
    "AWSKeyDetector": re.compile(r"AKIA|ASIA|ABIA|ACCA|A3T|aws"),
    "ArtifactoryDetector": re.compile(r"(?:AKC|AP[0-9A-F])[a-zA-Z0-9]{8}"),
    "CloudantDetector": re.compile(r"cloudant"),
    "MailchimpDetector": re.compile(r"-us[0-9]"),
    "SlackDetector": re.compile(r"xox|hooks\.slack"),
    "SoftlayerDetector": re.compile(r"softlayer"),
    "StripeDetector": re.compile(r"k_live_"),
    "TelegramBotTokenDetector": re.compile(r":[0-9A-Za-z_-]{35}"),
}
PLACEHOLDER = re.compile(r"<SECRET:[a-z0-9-]+>|<EMAIL>")
"""What redaction puts where a secret or an address was."""


@dataclass(frozen=True, slots=True)
class SecretFound:
    """One secret or personal datum found in a text: its kind, offset and keyed hash."""

    kind: str
    start: int
    value_hash: str


@dataclass(frozen=True, slots=True)
class Span:
    """Where a secret sits in a text, and what kind it is."""

    start: int
    end: int
    kind: str


def _placeholder(kind: str) -> str:
    return f"<SECRET:{kind}>" if kind != "email" else "<EMAIL>"


def keyed_hash(key: bytes, value: str) -> str:
    """An HMAC-SHA256 of ``value`` under the workspace key: stable, and useless without the key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def redact(text: str, key: bytes) -> tuple[str, list[SecretFound]]:
    """Replace every finding in ``text`` with its placeholder; return the new text and findings."""
    if not text:
        return text, []
    spans = find_secrets(text)
    if not spans:
        return text, []
    pieces: list[str] = []
    findings: list[SecretFound] = []
    position = 0
    for span in spans:
        pieces += [text[position : span.start], _placeholder(span.kind)]
        findings.append(
            SecretFound(span.kind, span.start, keyed_hash(key, text[span.start : span.end]))
        )
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces), findings


def find_secrets(text: str) -> list[Span]:
    """Every secret and e-mail address in ``text``, in order, without overlaps.

    Where findings overlap, the most specific wins: goldmine's token patterns, then
    detect-secrets' format detectors, then the generic assignments, then e-mail addresses.
    """
    lowered = text.encode("ascii", "replace").decode("ascii").lower()  # same offsets as text
    found = [*_own_findings(text, lowered, _TOKEN_KINDS), *_detector_findings(text)]
    found += [
        *_own_findings(text, lowered, frozenset({"env-secret"})),
        *(Span(s.start, s.end, s.kind) for s in named_secrets(text, lowered, guarded=_USE_GUARDS)),
        *_own_findings(text, lowered, frozenset({"credential-assignment"})),
        *_email_findings(text),
    ]
    accepted: list[Span] = []
    for span in found:
        if all(span.end <= kept.start or span.start >= kept.end for kept in accepted):
            accepted.append(span)
    return sorted(accepted, key=lambda span: span.start)


def quick_scan(text: str) -> list[Span]:
    """The token-shaped secrets and e-mail addresses in ``text`` (a fast subset of
    :func:`find_secrets`)."""
    return [*_own_findings(text, "", _QUICK_KINDS), *_email_findings(text)]


def _own_findings(text: str, lowered: str, kinds: frozenset[str] | None = None) -> list[Span]:
    spans = []
    for source, patterns in ((text, _PATTERNS), (lowered, _LOWERED_PATTERNS)):
        if not source:
            continue
        for kind, pattern, group in patterns:
            if kinds is not None and kind not in kinds:
                continue
            hints = _ASSIGNMENT_HINTS.get(kind) if _USE_GUARDS else None
            if hints is not None and not any(hint in source for hint in hints):
                continue  # a cheap substring test: the pattern cannot match without one of these
            for match in pattern.finditer(source):
                start, end = match.span(group)
                if start > 0 and group == 0 and text[start - 1].isalnum():
                    continue  # inside a longer word, not a token of its own
                if not _spared(kind, text[start:end]):
                    spans.append(Span(start, end, kind))
    return spans


def _spared(kind: str, value: str) -> bool:
    """A value that is plainly no secret: a placeholder, the neutral stand-in a record's code
    gets, or (for an assignment) a reference or a stand-in word."""
    if PLACEHOLDER.fullmatch(value) or value == NEUTRAL_SECRET:
        return True
    return kind in _STAND_IN_KINDS and plainly_not_secret(value)


def _email_findings(text: str) -> list[Span]:
    """E-mail addresses, found from each ``@`` outwards (a left-anchored regex would scan every
    position)."""
    spans = []
    at = text.find("@")
    while (
        at >= 0
        # an "@" at position 0 (a decorator, an @mention) has no address before it, but later ones
        # may
    ):
        address = _address_at(text, at) if at > 0 else None
        if address is not None:
            spans.append(Span(address[0], address[1], "email"))
        at = text.find("@", at + 1)
    return spans


def _address_at(text: str, at: int) -> tuple[int, int] | None:
    """The span of the e-mail address around the ``@`` at ``at``, if it is one.

    The domain must end in a real top-level domain, so ``x@self.weight.T`` and ``q@k.transpose``
    (matrix products in Python) are code, not addresses.
    """
    local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
    domain = _EMAIL_DOMAIN.match(text, at + 1)
    if not local or not domain or (local.start() > 0 and text[local.start() - 1].isalnum()):
        return None
    if local.group(0) == NEUTRAL_SECRET:
        return None  # a neutralised password in a URL (``app:example-secret@db``), no address
    if domain.group(0).rsplit(".", 1)[-1].lower() not in _TOP_LEVEL_DOMAINS:
        return None
    address = text[local.start() : domain.end()].lstrip(".")
    if _HARMLESS_EMAILS.search(address):
        return None
    return domain.end() - len(address), domain.end()


@cache
def _detectors() -> tuple[tuple[str, re.Pattern[str] | None, tuple[re.Pattern[str], ...]], ...]:
    """detect-secrets' format-specific detectors as (kind, guard, regexes) (imported on the
    first text scanned: a run with nothing new never loads it)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    detectors = []
    plugins: dict[str, type[Any]] = dict(get_mapping_from_secret_type_to_class())
    for secret_type, plugin in sorted(plugins.items()):
        if plugin.__name__ in _SKIPPED_DETECTORS or not issubclass(plugin, RegexBasedDetector):
            continue
        regexes = tuple(plugin().denylist)
        if plugin.__name__ in _LOOKBEHIND_DETECTORS:
            regexes = tuple(regex for regex in regexes if "(?<=" not in regex.pattern)
        kind = re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")
        detectors.append((kind, _GUARDS.get(plugin.__name__), regexes))
    return tuple(detectors)


def _detector_findings(text: str) -> list[Span]:
    spans = []
    for kind, guard, regexes in _detectors():
        if _USE_GUARDS and guard is not None and guard.search(text) is None:
            continue
        for regex in regexes:
            for match in regex.finditer(text):
                group = _secret_group(match)
                start, end = match.span(group)
                value = text[start:end]
                if end > start and not PLACEHOLDER.search(value) and value != NEUTRAL_SECRET:
                    spans.append(Span(start, end, kind))
    return spans


def _secret_group(match: re.Match[str]) -> int:
    """The group that holds the secret: the last one that matched, else the whole match."""
    for group in range(len(match.groups()), 0, -1):
        if match.group(group):
            return group
    return 0
