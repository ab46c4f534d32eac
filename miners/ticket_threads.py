"""Reading a ticket thread the way a person does: who asked, who answered, and what the answer says.

Comments are cleaned before anything is counted: quoted replies (``>`` lines and the "On … wrote:"
line above them), signatures, greetings and sign-offs go, so a quote is never counted twice and a
"thanks, that worked" is not taken for the resolution. The resolution is the last substantive
comment by someone other than the reporter. Its sentences are sorted into causes, steps, checks
and error cases — each kept verbatim, so a record built from them says only what the thread said.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

MIN_SUBSTANTIVE_WORDS = 8
_QUOTE_HEADER = re.compile(r"^on .{4,120} wrote:\s*$", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^(?:--\s*|—|__+|best(?: regards)?,?|kind regards,?|regards,?|cheers,?|thanks,?|thank you,?)$",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"^(?:hi|hello|hey|dear|thanks|thank you|many thanks|cheers|sorry|hope (?:this|that) "
    r"helps|let me know|"
    r"glad (?:it|that)|you're welcome|no problem)\b",
    re.IGNORECASE,
)
_CAUSE = re.compile(
    r"\b(?:because|caused by|causes?|the (?:problem|issue|reason) is|root cause|happens when|is "
    r"due to|"
    r"comes from|that's why|this is why)\b",
    re.IGNORECASE,
)
_CHECK = re.compile(
    r"\b(?:check|verify|confirm|make sure|you should (?:now )?see|should (?:now "
    r")?(?:show|return|print)|"
    r"to see (?:that|whether|if))\b",
    re.IGNORECASE,
)
_ERROR_CASE = re.compile(
    r"\b(?:fails?|failing|errors?|exception|traceback|still|raise[sd]?|\w+Error)\b", re.IGNORECASE
)
_CONDITIONAL = ("if ", "when ", "should ", "in case ")
# A promise of future work is not part of an answer ("I'll fix it this week").
_PROMISE = re.compile(
    r"^(?:i'll|i will|i'm going to|we'll|we will|will do|i can|i could|good idea|great idea)\b",
    re.IGNORECASE,
)
_CODE_CHANGE_PROMISE = re.compile(
    r"\b(?:i'll|i will|we'll|we will|we should|i'm going to|we're going to|let me)\s+"
    r"(?!check\b|ask\b|look\b|know\b)\w+|\bfix(?:ed)? in\b|\b(?:pull request|PR|merge "
    r"request|MR)\s*[#!]?\d+",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'])")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•#])\s+")
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ThreadComment:
    """A comment with its author, cleaned of quotes and signatures."""

    author: str
    text: str
    created_at: str | None = None


@dataclass(slots=True)
class Resolution:
    """The answer a thread reached, sentence by sentence, and the code blocks it showed."""

    author: str
    causes: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    error_cases: list[str] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (language, code), as written


def clean_comment(body: str) -> str:
    """A comment without quoted lines, the quote header, trailing signature and leading greeting."""
    lines = _without_quotes(body.replace("\r\n", "\n").split("\n"))
    lines = [line for line in lines if not _QUOTE_HEADER.match(line.strip())]
    cut = next(
        (n for n, line in enumerate(lines) if _SIGNATURE.match(line.strip()) and n > 0), len(lines)
    )
    kept = "\n".join(lines[:cut]).strip()
    return re.sub(r"\n{3,}", "\n\n", kept)


def _without_quotes(lines: list[str]) -> list[str]:
    """Drop ``>`` quote lines outside code fences; ``>>>`` prompts and fenced text stay."""
    kept, in_fence = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        stripped = line.lstrip()
        if not in_fence and stripped.startswith(">") and not stripped.startswith(">>>"):
            continue
        kept.append(line)
    return kept


def is_substantive(text: str) -> bool:
    """At least a few words that are not only thanks or a greeting."""
    prose = _FENCE.sub(" ", text)
    sentences = [s for s in _sentences(prose) if not _PLEASANTRY.match(s) and not _PROMISE.match(s)]
    return len(" ".join(sentences).split()) >= MIN_SUBSTANTIVE_WORDS or bool(_FENCE.search(text))


def resolution_comment(
    comments: Sequence[ThreadComment], reporters: Collection[str]
) -> ThreadComment | None:
    """The last substantive comment by someone other than the reporter (known by any of their
    names)."""
    for comment in reversed(comments):
        if comment.author not in reporters and is_substantive(comment.text):
            return comment
    return None


def read_resolution(comment: ThreadComment) -> Resolution:
    """Sort the answer's sentences into causes, steps, checks and error cases (verbatim).

    A code block stays where the answer put it: right after the sentence that introduces it, in the
    same part of the answer (a command under its step, a shell session under its check).
    """
    resolution = Resolution(comment.author)
    current = resolution.steps
    position = 0
    for match in [*_FENCE.finditer(comment.text), None]:
        prose = comment.text[position : match.start() if match else len(comment.text)]
        for sentence in _sentences(prose):
            if (
                not _PLEASANTRY.match(sentence)
                and not _PROMISE.match(sentence)
                and len(sentence.split()) >= 3
            ):
                current = _placed(_bucket(resolution, sentence), sentence, resolution)
                if current and _explains_previous(current[-1], sentence):
                    current[-1] += " " + sentence  # "That is why …" belongs to the step it explains
                else:
                    current.append(sentence)
        if match is not None:
            block = f"```{match.group(1)}\n{match.group(2).rstrip()}\n```"
            current.append(block)
            resolution.blocks.append((match.group(1), match.group(2).rstrip()))
            position = match.end()
    return resolution


_ANAPHORIC = re.compile(r"^(?:that|this|these|those|it|otherwise|so)\b", re.IGNORECASE)


def _explains_previous(previous: str, sentence: str) -> bool:
    """A statement that refers back (``That is what … does``) to the sentence before it."""
    return not is_code(previous) and not is_step(sentence) and bool(_ANAPHORIC.match(sentence))


def _placed(bucket: list[str], sentence: str, resolution: Resolution) -> list[str]:
    """The part a sentence goes to (and a code block after it). A statement before the first step is
    not a step: it explains the problem, as a cause."""
    if bucket is resolution.steps and not resolution.steps and not is_step(sentence):
        return resolution.causes
    return bucket


def is_step(sentence: str) -> bool:
    """A sentence that tells the reader to do something: an imperative, an instruction addressed to
    them (``You can …``, ``Then …``), or the line that introduces a command or code."""
    return bool(
        _IMPERATIVE.match(sentence) or _ADDRESSED.match(sentence)
    ) or sentence.rstrip().endswith(":")


def _bucket(resolution: Resolution, sentence: str) -> list[str]:
    """Which part of the answer a sentence belongs to: cause, check, error case, or a step."""
    if _CAUSE.search(sentence):
        return resolution.causes
    if _CHECK.search(sentence):
        return resolution.checks
    if sentence.lower().startswith(_CONDITIONAL) and _ERROR_CASE.search(sentence):
        return resolution.error_cases
    return resolution.steps


_IMPERATIVE = re.compile(
    r"^(?:please\s+)?(?:use|run|set|add|call|keep|store|open|check|install|upgrade|downgrade|resta"
    r"rt|remove|delete|"
    r"update|change|create|configure|enable|disable|export|import|select|click|go|pass|wrap|replac"
    r"e|increase|"
    r"reduce|raise|lower|make|try|apply|edit|copy|move|rename|follow|contact|send|upload|download|"
    r"clear|reset|"
    r"turn|re-?run|rerun|re-?import|reimport|stop|start|kill|drop|grant|revoke|point|switch|pin|de"
    r"ploy|roll)\b",
    re.IGNORECASE,
)


_ADDRESSED = re.compile(
    r"^(?:you|then|next|first|finally|now|afterwards|after that|once|to\s+\w+)\b", re.IGNORECASE
)


def has_actionable_step(resolution: Resolution) -> bool:
    """The answer tells the user to do something: an imperative step or a command to run."""
    return bool(resolution.blocks) or any(
        _IMPERATIVE.match(step) for step in resolution.steps + resolution.checks
    )


def is_code(item: str) -> bool:
    """An item of a resolution that is a fenced code block, not a sentence."""
    return item.startswith("```")


def promises_a_code_change(text: str) -> bool:
    """The answer is a change to the product ("I'll fix it", "fixed in #12"): its commit teaches
    it."""
    return bool(_CODE_CHANGE_PROMISE.search(text))


def _sentences(text: str) -> list[str]:
    """List items and sentences, in order, without list markers; code spans kept whole."""
    pieces: list[str] = []
    for line in text.split("\n"):
        stripped = _LIST_ITEM.sub("", line).strip()
        if stripped:
            pieces += [part.strip() for part in _SENTENCE_END.split(stripped) if part.strip()]
    return _join_continuations(pieces)


def _join_continuations(pieces: list[str]) -> list[str]:
    """A hard-wrapped sentence across lines is one sentence."""
    joined: list[str] = []
    for piece in pieces:
        if joined and not re.search(r"[.!?:)`]$", joined[-1]) and piece[:1].islower():
            joined[-1] = f"{joined[-1]} {piece}"
        else:
            joined.append(piece)
    return joined


def referenced_keys(text: str, keys: Sequence[str]) -> list[str]:
    """Keys of other tickets the text names (``#104``, ``SUP-7``), in order, each once."""
    found = []
    for key in keys:
        pattern = rf"(?<![\w-]){re.escape(key)}(?![\w-])"
        match = re.search(pattern, text)
        if match:
            found.append((match.start(), key))
    return [key for _, key in sorted(found)]


def normalised(text: str) -> str:
    """Text reduced for comparison: lower case, markup and runs of space removed."""
    return re.sub(r"\s+", " ", re.sub(r"[`*_>#]", "", text)).strip().lower()


def untraced(sentences: Sequence[str], thread: str) -> list[str]:
    """The sentences that do not appear in the thread (after normalising both)."""
    haystack = normalised(thread)
    return [s for s in sentences if normalised(s) not in haystack]


def output_sentences(output: str, headings: Sequence[str]) -> list[str]:
    """The sentences of a resolution record's output: code blocks, headings and list markers left
    out."""
    prose = _FENCE.sub("\n", output)
    sentences: list[str] = []
    for line in prose.splitlines():
        text = _LIST_ITEM.sub("", line).strip()
        for heading in headings:
            text = text.removeprefix(heading).strip()
        if text:
            sentences += [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    return sentences
