"""The parts of a record that checks read: its prompt, its answer, its prose and its code blocks.

A record's *prompt* is what the model is asked (the instruction and its input, or the user's first
turn); its *answer* is what the model must produce (the output, or the final answer). Code blocks
are Markdown fences; a fence that is never closed still yields a block (marked ``closed=False``),
so a truncated output is parsed, and fails, instead of vanishing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from warehouse.ids import content_hash
from warehouse.records import InstructionRecord, Record

_FENCE_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$", re.MULTILINE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Fence tags → the tree-sitter language goldmine parses (or "json"); anything else is not parsed.
FENCE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "py3": "python",
    "javascript": "javascript",
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "node": "javascript",
    "typescript": "typescript",
    "ts": "typescript",
    "mts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "golang": "go",
    "java": "java",
    "rust": "rust",
    "rs": "rust",
    "c": "c",
    "h": "c",
    "cpp": "cpp",
    "c++": "cpp",
    "cc": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "json": "json",
}


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """One fenced block: its tag, the language goldmine parses it as (or None), and its code."""

    tag: str
    language: str | None
    code: str
    closed: bool


@lru_cache(maxsize=64)
def code_blocks(text: str) -> tuple[CodeBlock, ...]:
    """Every fenced block of ``text``, in order; an unclosed last fence runs to the end."""
    return tuple(block for _, block in located_code_blocks(text))


@lru_cache(maxsize=64)
def located_code_blocks(text: str) -> tuple[tuple[int, CodeBlock], ...]:
    """Every fenced block of ``text`` with the offset of its opening fence line (what precedes a
    block, such as the label naming its file, is read from there)."""
    blocks: list[tuple[int, CodeBlock]] = []
    for opening, closing in _fence_pairs(text):
        indent, tag = opening.group(1), opening.group(3).lower()
        end = closing.start() if closing else len(text)
        code = _dedent_by(text[opening.end() + 1 : end], len(indent))
        block = CodeBlock(tag, FENCE_LANGUAGES.get(tag), code, closing is not None)
        blocks.append((opening.start(), block))
    return tuple(blocks)


def code_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) of each fenced block's code in ``text`` itself (not dedented), in order."""
    ranges = []
    for opening, closing in _fence_pairs(text):
        start = min(opening.end() + 1, len(text))
        ranges.append((start, max(start, closing.start() if closing else len(text))))
    return ranges


@lru_cache(maxsize=64)
def prose(text: str) -> str:
    """``text`` without its fenced blocks."""
    pieces: list[str] = []
    position = 0
    for opening, closing in _fence_pairs(text):
        pieces.append(text[position : opening.start()])
        position = closing.end() if closing else len(text)
    pieces.append(text[position:])
    return "".join(pieces)


@lru_cache(maxsize=64)
def lowered(text: str) -> str:
    """``text`` in lower case (cached: several checks look at the same text)."""
    return text.lower()


def has_unclosed_fence(text: str) -> bool:
    """Whether a code fence in ``text`` opens and never closes."""
    pairs = _fence_pairs(text)
    return bool(pairs) and pairs[-1][1] is None


@lru_cache(maxsize=64)
def _fence_pairs(text: str) -> list[tuple[re.Match[str], re.Match[str] | None]]:
    """Opening and closing fence lines; only lines holding ``` or ~~~ are looked at."""
    lines = [m for m in (_fence_line(text, at) for at in _fence_marks(text)) if m is not None]
    pairs: list[tuple[re.Match[str], re.Match[str] | None]] = []
    opening: re.Match[str] | None = None
    for line in lines:
        if opening is None:
            opening = line
        elif (
            line.group(2)[0] == opening.group(2)[0]
            and len(line.group(2)) >= len(opening.group(2))
            and not line.group(3)
        ):
            pairs.append((opening, line))
            opening = None
    if opening is not None:
        pairs.append((opening, None))
    return pairs


def _fence_marks(text: str) -> list[int]:
    """Start offsets of the lines that contain a run of three backticks or tildes."""
    starts: set[int] = set()
    for mark in ("```", "~~~"):
        at = text.find(mark)
        while at >= 0:
            starts.add(text.rfind("\n", 0, at) + 1)
            line_end = text.find("\n", at)
            at = text.find(mark, line_end) if line_end >= 0 else -1
    return sorted(starts)


def _fence_line(text: str, start: int) -> re.Match[str] | None:
    return _FENCE_OPEN.match(text, start)


def _dedent_by(body: str, width: int) -> str:
    if not width:
        return body
    return "\n".join(
        line[width:] if line[:width].isspace() else line.lstrip() for line in body.split("\n")
    )


def prompt_text(record: Record) -> str:
    """What the model is asked: the instruction and its input, or the user's turns."""
    if isinstance(record, InstructionRecord):
        return f"{record.instruction}\n\n{record.input}".strip()
    return "\n\n".join(
        turn.content for turn in record.conversation if isinstance(turn.content, str)
    )


def instruction_text(record: Record) -> str:
    """The request alone: the instruction, or the user's first turn."""
    if isinstance(record, InstructionRecord):
        return record.instruction
    first = record.conversation[0].content
    return first if isinstance(first, str) else ""


def answer_text(record: Record) -> str:
    """What the model must produce: the output, or the last final answer."""
    if isinstance(record, InstructionRecord):
        return record.output
    for turn in reversed(record.conversation):
        answer = getattr(turn.content, "final_answer", None)
        if answer:
            return str(answer)
    return ""


def all_texts(record: Record) -> list[str]:
    """Every text field of the record (tool turns and actions as JSON)."""
    if isinstance(record, InstructionRecord):
        return [record.system, record.instruction, record.input, record.output]
    texts = [record.system]
    for turn in record.conversation:
        content = turn.content
        texts.append(
            content
            if isinstance(content, str)
            else json.dumps(content.model_dump(), ensure_ascii=False)
        )
    return texts


def is_chinese(text: str, share: float = 0.05) -> bool:
    """Whether at least ``share`` of the text's characters are CJK ideographs."""
    if not text:
        return False
    return len(_CJK.findall(text)) >= max(1, int(len(text) * share))


def cjk_count(text: str) -> int:
    """How many CJK ideographs ``text`` has."""
    return len(_CJK.findall(text))


def raw_turns(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation of a raw (possibly invalid) agent record, as dicts."""
    turns = raw.get("conversation")
    if not isinstance(turns, list):
        return []
    return [turn for turn in turns if isinstance(turn, dict)]


def string_values(value: Any) -> list[str]:
    """Every string inside a JSON value (keys excluded), depth first."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in string_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in string_values(item)]
    return []


def normalised_text_hash(record: Record) -> str:
    """A hash of the record's text with case and whitespace normalised (the exact-duplicate key)."""
    text = "\n".join(all_texts(record)).lower()
    return content_hash(" ".join(text.split()))
