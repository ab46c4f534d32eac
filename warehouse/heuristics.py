"""Cheap checks first: length bounds, looping output, refusals and meta-talk, unclosed fences, language.

Each function answers one question about one record and returns a :class:`Verdict`.
"""

from __future__ import annotations

import zlib
from collections import Counter

from warehouse.record_text import (
    Record,
    all_texts,
    answer_text,
    cjk_count,
    has_unclosed_fence,
    instruction_text,
    lowered,
    prose,
)
from warehouse.records import InstructionRecord
from warehouse.verdicts import Verdict

MIN_INSTRUCTION_CHARS = 40
MIN_AGENT_REQUEST_CHARS = 8  # a user may ask an agent briefly
MIN_ANSWER_CHARS = 20
MAX_FIELD_CHARS = 40_000
# Refusals and talk about the answer instead of the answer (matched on the lower-cased prose).
META_TALK = (
    "as an ai", "as a language model", "as a large language model", "i'm sorry", "i am sorry", "i'm unable",
    "i am unable", "i cannot help", "i can't help", "i cannot assist", "i can't assist", "here is an example",
    "i hope this helps", "i hope that helps", "as requested, here", "作为ai", "作为一个ai", "作为人工智能",
    "作为一个人工智能", "作为语言模型", "作为一个语言模型", "我无法帮助", "我无法协助", "希望对你有帮助",
    "希望这对你有帮助", "希望以上内容对你有帮助", "希望能帮到你",
)  # fmt: skip
_SURE = ("sure!", "sure,", "sure.", "certainly!", "certainly,", "certainly.", "当然！", "当然可以")
_LOOP_LINE_REPEATS = 5
_LOOP_TAIL_CHARS = 2_000


def check_length(record: Record) -> Verdict:
    """Is the request long enough to be specific, the answer long enough to teach, no field runaway?"""
    request, answer = instruction_text(record), answer_text(record)
    shortest = MIN_INSTRUCTION_CHARS if isinstance(record, InstructionRecord) else MIN_AGENT_REQUEST_CHARS
    if len(request) < shortest:
        return Verdict.fail(f"instruction too short ({len(request)} characters; at least {shortest})")
    if len(answer) < MIN_ANSWER_CHARS:
        return Verdict.fail(f"output too short ({len(answer)} characters; at least {MIN_ANSWER_CHARS})")
    longest = max(len(text) for text in all_texts(record))
    if longest > MAX_FIELD_CHARS:
        return Verdict.fail(f"a field is too long ({longest} characters; at most {MAX_FIELD_CHARS})")
    return Verdict.ok(f"instruction {len(request)}, output {len(answer)} characters")


def check_repetition(record: Record) -> Verdict:
    """Does the answer loop, as a small model does when it repeats a chunk until it runs out of tokens?"""
    answer = answer_text(record)
    lines = [line.strip() for line in answer.splitlines() if len(line.strip()) >= 20]
    if lines:
        line, repeats = Counter(lines).most_common(1)[0]
        if repeats >= _LOOP_LINE_REPEATS or (repeats >= 4 and repeats / len(lines) >= 0.3):
            return Verdict.fail(f"the output repeats one line {repeats} times: {line[:60]!r}")
    for text, limit in ((answer, 0.1), (answer[-_LOOP_TAIL_CHARS:], 0.12)):
        data = text.encode("utf-8")
        if len(data) > 1_000:
            ratio = len(zlib.compress(data, 1)) / len(data)
            if ratio < limit:
                return Verdict.fail(f"the output loops (compresses to {ratio:.0%} of its size)")
    return Verdict.ok()


def check_meta_talk(record: Record) -> Verdict:
    """Does the answer refuse, or talk about itself instead of doing the task?"""
    text = lowered(prose(answer_text(record)))
    found = [phrase for phrase in META_TALK if phrase in text]
    if text.lstrip().startswith(_SURE):
        found.insert(0, text.lstrip()[:10])
    if found:
        return Verdict.fail(f"the output talks about itself or refuses: {found[0]!r}")
    return Verdict.ok()


def check_fences(record: Record) -> Verdict:
    """Is every code fence that opens also closed?"""
    for text in all_texts(record):
        if has_unclosed_fence(text):
            return Verdict.fail("a code fence is opened and never closed")
    return Verdict.ok()


def check_language(record: Record) -> Verdict:
    """Is the request written in the record's ``lang``?"""
    text = prose(instruction_text(record))
    chinese = cjk_count(text)
    if record.lang == "zh" and chinese < 5:
        return Verdict.fail("lang is zh but the instruction has no Chinese text")
    if record.lang == "en" and chinese > len(text) * 0.2:
        return Verdict.fail("lang is en but the instruction is mostly Chinese")
    return Verdict.ok()
