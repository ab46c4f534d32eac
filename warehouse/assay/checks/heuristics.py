"""Cheap checks first: length bounds, looping output, refusals and meta-talk, unclosed fences,
language.

Each function answers one question about one record and returns a :class:`Verdict`.
"""

from __future__ import annotations

import zlib
from collections import Counter

from warehouse.assay.checks.base import Verdict
from warehouse.record_text import (
    all_texts,
    answer_text,
    cjk_count,
    has_unclosed_fence,
    instruction_text,
    lowered,
    prose,
)
from warehouse.records import InstructionRecord, Record

MIN_INSTRUCTION_CHARS = 40
MIN_AGENT_REQUEST_CHARS = 8  # a user may ask an agent briefly
MIN_ANSWER_CHARS = 20
MAX_FIELD_CHARS = 40_000
# Refusals and talk about the answer instead of the answer (matched on the lower-cased prose).
META_TALK = (
    "as an ai",
    "as a language model",
    "as a large language model",
    "i'm sorry",
    "i am sorry",
    "i'm unable",
    "i am unable",
    "i cannot help",
    "i can't help",
    "i cannot assist",
    "i can't assist",
    "here is an example",
    "i hope this helps",
    "i hope that helps",
    "as requested, here",
    "作为ai",
    "作为一个ai",
    "作为人工智能",
    "作为一个人工智能",
    "作为语言模型",
    "作为一个语言模型",
    "我无法帮助",
    "我无法协助",
    "希望对你有帮助",
    "希望这对你有帮助",
    "希望以上内容对你有帮助",
    "希望能帮到你",
)
_SURE = ("sure!", "sure,", "sure.", "certainly!", "certainly,", "certainly.", "当然！", "当然可以")
_LOOP_REPEATS = 4  # a block repeated back to back this often at the end of the answer is a loop
_LOOP_MAX_PERIOD = 20
_LOOP_MIN_BLOCK_CHARS = 20
_LOOP_TAIL_CHARS = 2_000
_LOOP_TAIL_RATIO = 0.12


def check_length(record: Record) -> Verdict:
    """Is the request long enough to be specific, the answer long enough to teach, no field
    runaway?"""
    request, answer = instruction_text(record), answer_text(record)
    shortest = (
        MIN_INSTRUCTION_CHARS if isinstance(record, InstructionRecord) else MIN_AGENT_REQUEST_CHARS
    )
    if len(request) < shortest:
        return Verdict.fail(
            f"instruction too short ({len(request)} characters; at least {shortest})"
        )
    if len(answer) < MIN_ANSWER_CHARS:
        return Verdict.fail(
            f"output too short ({len(answer)} characters; at least {MIN_ANSWER_CHARS})"
        )
    longest = max(len(text) for text in all_texts(record))
    if longest > MAX_FIELD_CHARS:
        return Verdict.fail(
            f"a field is too long ({longest} characters; at most {MAX_FIELD_CHARS})"
        )
    return Verdict.ok(f"instruction {len(request)}, output {len(answer)} characters")


def check_repetition(record: Record) -> Verdict:
    """Does the answer loop, as a small model does when it repeats a chunk until it runs out of
    tokens?"""
    answer = answer_text(record)
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    period, times = _tail_loop(lines)
    if times >= _LOOP_REPEATS:
        return Verdict.fail(
            f"the output ends by repeating {period} line(s) {times} times: {lines[-1][:60]!r}"
        )
    long_lines = [line for line in lines if len(line) >= 20]
    if long_lines:
        line, repeats = Counter(long_lines).most_common(1)[0]
        if repeats >= 4 and repeats / len(long_lines) >= 0.3:
            return Verdict.fail(f"the output repeats one line {repeats} times: {line[:60]!r}")
    tail = answer[-_LOOP_TAIL_CHARS:].encode("utf-8")  # a loop runs to the end of the answer
    if len(tail) > 1_000:
        ratio = len(zlib.compress(tail, 1)) / len(tail)
        if ratio < _LOOP_TAIL_RATIO:
            return Verdict.fail(f"the output loops (its end compresses to {ratio:.0%} of its size)")
    return Verdict.ok()


def _tail_loop(lines: list[str]) -> tuple[int, int]:
    """The block of lines the text ends by repeating back to back, as (lines in it, repetitions)."""
    best = (0, 1)
    for period in range(1, min(_LOOP_MAX_PERIOD, len(lines) // 2) + 1):
        block = lines[-period:]
        if sum(map(len, block)) < _LOOP_MIN_BLOCK_CHARS:
            continue  # closing brackets repeat legitimately: `}` `}` `}` `}`
        times = 1
        while lines[len(lines) - (times + 1) * period : len(lines) - times * period] == block:
            times += 1
        if times > best[1]:
            best = (period, times)
    return best


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
