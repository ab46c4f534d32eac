"""What a record may say about a change, read from evidence — never from the subject alone.

A commit subject names a change ("Fix typos", "python-modernize fix_next"); it is a title, not a
problem statement. The problem and the reason for the change come, in order, from the linked
ticket's report, the commit body's own reasons, and what the diff plainly shows (a guard that now
raises, a parameter with its default). This module reads the body as an editor would before
quoting it: trailers, ticket references, cherry-pick notes, reST markup and squash logs go; a
sentence in the first person singular or addressed to reviewers is not the project's voice and
is dropped. What is left is prose a record can state as its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.draft.commit_text import clip

MIN_SENTENCE_WORDS = 5
MAX_STATEMENT_CHARS = 700
MAX_WHY_SENTENCES = 2

_TRAILER = re.compile(r"^\s*[A-Z][\w-]*(?:-[Bb]y|-[Ii]d)?:\s+\S", re.MULTILINE)
_DROPPED_LINE = re.compile(
    r"^\s*(?:\(cherry picked from commit [0-9a-f]+\)|\[(?:ci skip|skip ci)\]|"
    r"(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?|refs?|see|related(?: to)?|ref)\b.*"
    r"(?:#\d+|issues?/\d+).*|\[\d+\]\s*[-:]?\s*https?://\S+|https?://\S+|[-*]\s*$|-{3,}|={3,})\s*$",
    re.IGNORECASE,
)
_INLINE_REFERENCE = re.compile(
    r"\s*\(?(?:(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?|refs?|see)\s+)?"
    r"(?:(?:in|from|by)\s+)?(?:(?:the\s+)?(?:issue|ticket|PR|pull request)\s*)?"
    r"(?:[\w.-]+/[\w.-]+)?(?:#|gh-|GH-)\d+\)?",
)
_FOOTNOTE = re.compile(r"\[\d+\]")
_RST_ROLE = re.compile(
    r":(?:py:)?(?:func|meth|class|attr|mod|data|exc|obj|ref|doc|envvar):`~?([^`]+)`"
)
_RST_LITERAL = re.compile(r"``([^`]+)``")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself)\b")
_ADDRESSED = re.compile(
    r"\b(?:PR|pull request|this patch|reviewers?|thanks?|thank you|sprints?|spelunking|"
    r"cherry[- ]pick\w*|cc|ping|@\w+|wip|todo|fixup|squash(?:ed)?|rebase[ds]?|merged?|changelog|"
    r"CHANGES|tests? (?:added|updated|fixed)|update[sd]? tests?|fix(?:ed)? tests?)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")
# Words that give a reason or name a failure, not only an action ("Use X for Y").
_WHY = re.compile(
    r"^As\b|\b(?:because|since|hence|thus|so that|otherwise|instead|however|but|previously|"
    r"before this|no longer|(?:is|was|were|are|does|did|do|can|could|would|will)(?:n't| not)|"
    r"cannot|fail(?:s|ed|ing|ure)?|break(?:s|ing)?|broke(?:n)?|crash\w*|raised?|wrong(?:ly)?|"
    r"incorrect(?:ly)?|missing|needs?|needed|requires?|required|expects?|expected|never|"
    r"caus(?:es|ed|ing)|leads? to|ignor(?:es|ed)|confus\w+|unexpected\w*|deprecated|"
    r"allows?|makes? it (?:easier|possible)|so (?:it|the|that|we|they|users?))\b",
    re.IGNORECASE,
)
# A sentence that tells what the author did ("Did not touch the tutorial", "Also altered …") is
# a diary of the commit, not a statement a record can make.
_DIARY = re.compile(
    r"^As (?:pointed out|discussed|mentioned|suggested|requested|noted)\b|"
    r"^(?:Also\s+)?(?i:Did|Added|Changed|Fixed|Moved|Removed|Altered|Updated|Made|Renamed|"
    r"Refactored|Cleaned|Tweaked|Reverted|Merged|Bumped|Implemented|Tried|Went)\b"
)
# What is left of a sentence whose reference was cut ("… config files via,.", "Partial revert
# of.", "Issue: …", "So that …"): not a sentence to state.
_FRAGMENT = re.compile(
    r",\.$|\b(?:of|via|in|by|from|to|for|with|see|and|the|a)\.$|^(?:Issue|Bug|Ticket|So that)\b|"
    r"…$|\.\.\.$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The problem as evidence states it: sentences the record may say in its own voice."""

    source: str  # "ticket" | "commit"
    statement: str  # what is wrong or missing, and what the result must do
    why: tuple[str, ...]  # the sentences that give a reason

    @property
    def has_reason(self) -> bool:
        """True when some sentence says why, not only what."""
        return bool(self.why)


def editorial_sentences(text: str) -> list[str]:
    """The sentences of ``text`` a record may say as its own, in order (may be empty)."""
    sentences: list[str] = []
    for paragraph in _paragraphs(_without_dropped_lines(text)):
        if _is_code_or_list(paragraph):
            continue
        prose = _plain(" ".join(line.strip() for line in paragraph.splitlines()))
        sentences += [s for s in _sentences(prose) if _usable(s)]
    return sentences


def commit_evidence(body: str) -> Evidence | None:
    """The commit body's account of the problem, or None when it says nothing usable."""
    sentences = editorial_sentences(body)
    if not sentences:
        return None
    statement = clip(" ".join(sentences), MAX_STATEMENT_CHARS)
    why = tuple(s for s in sentences if _WHY.search(s))[:MAX_WHY_SENTENCES]
    return Evidence("commit", statement, why)


def ticket_evidence(title: str, body: str) -> Evidence | None:
    """The ticket's report (kept as the reporter's words, quoted), with the reasons it gives."""
    sentences = editorial_sentences(body)
    if not body.strip():
        return None
    why = tuple(s for s in sentences if _WHY.search(s))[:MAX_WHY_SENTENCES]
    return Evidence("ticket", clip(body.strip(), MAX_STATEMENT_CHARS), why or (title.strip(),))


def plain_title(subject: str) -> str:
    """The subject as a title: markup and ticket references removed, first letter upper-cased."""
    title = _plain(_INLINE_REFERENCE.sub("", subject)).strip(" .:")
    return title[:1].upper() + title[1:]


def _without_dropped_lines(text: str) -> str:
    lines = [
        line
        for line in text.splitlines()
        if not _TRAILER.match(line) and not _DROPPED_LINE.match(line)
    ]
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _is_code_or_list(paragraph: str) -> bool:
    """A squash log ("* fix tests"), an indented code sample or a fenced block: not prose."""
    lines = paragraph.splitlines()
    return any(_BULLET.match(line) for line in lines) or any(
        line.startswith(("    ", "\t", "```", ">>>")) for line in lines
    )


def _plain(text: str) -> str:
    """reST roles and literals as Markdown code, footnote marks and inline references removed."""
    text = _RST_ROLE.sub(
        lambda m: f"`{m.group(1).split('.')[-1] if '~' in m.group(0) else m.group(1)}`", text
    )
    text = _RST_LITERAL.sub(r"`\1`", text)
    text = _FOOTNOTE.sub("", text)
    text = _INLINE_REFERENCE.sub("", text)
    text = re.sub(r"\s+([.,;:])(?=\s|$)", r"\1", re.sub(r"\s{2,}", " ", text))
    return re.sub(r",\.(?=\s|$)", ".", text).strip()


def _sentences(prose: str) -> list[str]:
    return [_finished(s.strip()) for s in _SENTENCE_END.split(prose) if s.strip()]


def _finished(sentence: str) -> str:
    """A sentence with a capital first letter and a full stop (commit bodies often drop both)."""
    first = sentence.split(" ", 1)[0]
    if not re.search(r"[_.()`]|[a-z][A-Z]", first):  # an identifier keeps its case
        sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith((".", "!", "?", ":")) else sentence + "."


def _usable(sentence: str) -> bool:
    """A complete sentence in the project's voice: long enough, ends like a sentence, no first
    person singular, nothing addressed to reviewers or about the pull request itself."""
    words = sentence.split()
    return (
        len(words) >= MIN_SENTENCE_WORDS
        and not sentence.endswith(":")
        and not sentence.startswith(("...", "…"))
        and not _FRAGMENT.search(sentence)
        and not _DIARY.match(sentence)
        and not _FIRST_PERSON.search(sentence)
        and not _ADDRESSED.search(sentence)
        and "http" not in sentence
    )
