"""The seed's four principles as measured signals, one question per function.

Instruction side (is the request over-specific?): a role and context, numbered requirements,
explicit constraints, an input/output example where one is apt, concrete rather than vague wording.
Output side (is the answer production-ready?): code that parses (``code_syntax``), error handling,
logging, comments on key lines, a short explanation, and an answer that addresses what the
request names. A function returns None when its question does not apply to the record.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from miners.code_facts import facts_for, shows
from miners.code_facts.base import LanguageFacts
from warehouse.assay.checks.base import Verdict
from warehouse.assay.checks.code_syntax import syntax_problem
from warehouse.record_text import (
    CodeBlock,
    cjk_count,
    code_blocks,
    instruction_text,
    lowered,
    prompt_text,
    prose,
)
from warehouse.records import InstructionRecord, Record

# Task types whose answer is code that must be complete.
CODE_TASK_TYPES = frozenset(
    {"bugfix", "feature", "refactor", "performance", "change", "tests", "data_cleaning"}
)
# Task types whose code is production code: it handles errors and logs (tests and explanations need
# not).
PRODUCTION_TASK_TYPES = frozenset(
    {"bugfix", "feature", "refactor", "performance", "change", "data_cleaning", "review"}
)
# Task types where a worked input/output example belongs in the request (data in → data out).
EXAMPLE_TASK_TYPES = frozenset({"data_cleaning"})

_ROLE = re.compile(
    r"(?i)\byou(?:'re| are) (?:a|an|the|joining|working|part|on|in)\b|"
    r"\byou (?:maintain|work on|own|run|support|develop|build)\b|你是|你负责|你正在|作为一名"
)
_NUMBERED = re.compile(r"^[ \t]*\d+[.)、][ \t]+\S", re.MULTILINE)
# Explicit constraints, looked for as phrases in the lower-cased request (substring tests run at
# memory speed; a regex alternation of these runs at a few MB/s).
_VERSION = re.compile(r"\d+\.\d+|[<>=~^]=?\s?\d")
STACK_PHRASES = (
    "standard library",
    "standard-library",
    "stdlib",
    "标准库",
    "技术栈",
    "stack:",
    "version",
)
FORMAT_PHRASES = (
    "output format",
    "format:",
    "fenced",
    "code block",
    "block tagged",
    "in one ",
    "markdown",
    "json",
    "csv",
    "as a list",
    "as a table",
    "heading",
    "输出格式",
    "代码块",
    "格式：",
    "格式:",
    "形式",
)
BOUNDARY_PHRASES = (
    "edge case",
    "boundary",
    "boundaries",
    "corner case",
    "empty",
    "null",
    "none",
    "negative",
    "zero",
    "invalid",
    "missing",
    "at most",
    "at least",
    "exceed",
    "out of range",
    "raise",
    "throw",
    "must not",
    "never",
    "do not",
    "边界",
    "为空",
    "空值",
    "不存在",
    "非法",
    "超出",
    "超过",
    "抛出",
    "报错",
    "不能",
    "不要",
)
EXAMPLE_PHRASES = (
    "example",
    "e.g.",
    "expected output",
    "expected result",
    "→",
    "->",
    "示例",
    "例如",
    "期望输出",
    "输入输出",
)
VAGUE_PHRASES = (
    "improve it",
    "improve the code",
    "improve this",
    "make it better",
    "make it nicer",
    "make it work",
    "etc.",
    "and so on",
    "something like",
    "some stuff",
    "as needed",
    "if necessary",
    "whatever",
    "clean it up",
    "clean this up",
    "优化一下",
    "改进一下",
    "改一下",
    "等等",
    "之类的",
    "适当处理",
    "适当地处理",
)
_BACKTICKED = re.compile(r"`([^`\n]{1,200})`")
_TEMPLATE_MARKS = ("→", "->", "<", "|")
_FILE = re.compile(
    r"/|\.(?:py|pyi|js|jsx|mjs|ts|tsx|go|rs|java|c|h|cc|cpp|hpp|rb|php|cs|kt|md|rst|txt|json|toml|"
    r"ya?ml|ini|cfg|csv|sql|html|css|sh)$"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][\w]*(?:[./][A-Za-z_][\w]*)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
MIN_COMMENT_SHARE = 1 / 25
MIN_EXPLANATION_WORDS = 12
MIN_EXPLANATION_CJK = 24
MIN_MATCH_SHARE = 0.6


def check_role_context(record: Record) -> Verdict:
    """Does the request give the model a role and the situation it works in?"""
    request = f"{record.system}\n{instruction_text(record)}"
    has_role = bool(_ROLE.search(request))
    has_context = _context_words(record) >= 25
    if has_role and has_context:
        return Verdict.ok("states a role and context")
    missing = " and ".join(
        part for part, ok in (("a role", has_role), ("context", has_context)) if not ok
    )
    return Verdict.fail(
        f"no {missing} (e.g. 'You are a … working on … , which …')", 0.5 * (has_role + has_context)
    )


def _context_words(record: Record) -> int:
    """Words (or two CJK characters each) of prose that set the scene, before the first
    requirement."""
    text = f"{record.system}\n{prose(instruction_text(record))}"
    first_requirement = _NUMBERED.search(text)
    scene = text[: first_requirement.start()] if first_requirement else text
    return len(re.findall(r"[A-Za-z]{2,}", scene)) + cjk_count(scene) // 2


def check_numbered_requirements(record: Record) -> Verdict | None:
    """Does the instruction list its requirements as a numbered list?"""
    if not isinstance(record, InstructionRecord):
        return None
    count = len(_NUMBERED.findall(prose(record.instruction)))
    if count >= 2:
        return Verdict.ok(f"{count} numbered requirements")
    return Verdict.fail(
        "fewer than two numbered requirements (write them as 1. … 2. …)", 0.3 * count
    )


def check_constraints(record: Record) -> Verdict | None:
    """Does the instruction state its stack and versions, the output format and the boundary
    conditions?"""
    if not isinstance(record, InstructionRecord):
        return None
    text = lowered(f"{record.system}\n{prose(record.instruction)}")
    found = {
        "stack": bool(_VERSION.search(text)) or _any_in(STACK_PHRASES, text),
        "format": _any_in(FORMAT_PHRASES, text),
        "boundaries": _any_in(BOUNDARY_PHRASES, text),
    }
    count = sum(found.values())
    missing = [name for name, ok in found.items() if not ok]
    if count >= 2:
        return Verdict(True, count / 3, "states " + ", ".join(n for n, ok in found.items() if ok))
    return Verdict.fail(f"too few explicit constraints; missing: {', '.join(missing)}", count / 3)


def check_io_example(record: Record) -> Verdict | None:
    """Where data goes in and comes out, does the request show an input and the expected output?"""
    if not isinstance(record, InstructionRecord) or record.task_type not in EXAMPLE_TASK_TYPES:
        return None
    text = prompt_text(record)
    if _any_in(EXAMPLE_PHRASES, lowered(text)) and (code_blocks(text) or record.input.strip()):
        return Verdict.ok("shows an input/output example")
    return Verdict.fail("no input/output example for a data task", 0.3)


def check_specificity(record: Record) -> Verdict | None:
    """Is the request concrete (names, numbers, paths) rather than vague?"""
    if not isinstance(record, InstructionRecord):
        return None
    text = prose(record.instruction)
    anchors = text.count("`") // 2 + len(_NUMBER.findall(text))
    lower = lowered(text)
    vague = [phrase for phrase in VAGUE_PHRASES for _ in range(lower.count(phrase))]
    score = max(0.0, min(1.0, anchors / 6) - 0.25 * len(vague))
    if anchors >= 4 and len(vague) <= 1:
        return Verdict(True, score, f"{anchors} concrete names, numbers or paths")
    detail = (
        f"vague wording ({', '.join(vague[:3])})"
        if len(vague) > 1
        else f"only {anchors} concrete anchors"
    )
    return Verdict.fail(f"the request is not specific: {detail}", score)


def _any_in(phrases: tuple[str, ...], text: str) -> bool:
    return any(phrase in text for phrase in phrases)


def _parsed_blocks(record: Record) -> list[CodeBlock]:
    if not isinstance(record, InstructionRecord):
        return []
    return [b for b in code_blocks(record.output) if b.language not in (None, "json")]


def check_code_parses(record: Record) -> Verdict | None:
    """Is every code block of the output complete code that parses (and, for Python, compiles)?"""
    if not isinstance(record, InstructionRecord):
        return None
    blocks = code_blocks(record.output)
    parsed = [b for b in blocks if b.language is not None]
    if not parsed:
        if record.task_type in CODE_TASK_TYPES:
            return Verdict.fail(
                f"a {record.task_type} output without a code block in a known language"
            )
        return None
    problems = [p for p in (syntax_problem(b) for b in parsed) if p]
    if problems:
        return Verdict.fail(problems[0], 1 - len(problems) / len(parsed))
    return Verdict.ok(f"{len(parsed)} code block(s) parse")


def _production_code(record: Record) -> list[CodeBlock] | None:
    if record.task_type not in PRODUCTION_TASK_TYPES:
        return None
    return _parsed_blocks(record) or None


def check_error_handling(record: Record) -> Verdict | None:
    """Does the production code handle or signal errors (try/except, raise, err != nil …)?"""
    return _production_code_shows(
        record, _error_signal, "the code neither handles nor raises any error"
    )


def check_logging(record: Record) -> Verdict | None:
    """Does the production code log what an operator needs to see?"""
    return _production_code_shows(record, _log_signal, "the code logs nothing")


def _error_signal(facts: LanguageFacts) -> re.Pattern[str] | None:
    return facts.error_signal


def _log_signal(facts: LanguageFacts) -> re.Pattern[str] | None:
    return facts.log_signal


def _production_code_shows(
    record: Record, signal: Callable[[LanguageFacts], re.Pattern[str] | None], missing: str
) -> Verdict | None:
    """Passes when a production code block shows its language's signal (``miners/code_facts/``);
    None for other tasks."""
    blocks = _production_code(record)
    if blocks is None:
        return None
    for block in blocks:
        if shows(signal(facts_for(block.language)), block.code):
            return Verdict.ok()
    return Verdict.fail(missing, 0.2)


def check_comments(record: Record) -> Verdict | None:
    """Are the key lines of the code commented (comments or docstrings)?"""
    blocks = [b for b in _parsed_blocks(record) if len(b.code.splitlines()) >= 8]
    if not blocks:
        return None
    lines = [line for b in blocks for line in b.code.splitlines() if line.strip()]
    pattern = {b.language: facts_for(b.language).comment for b in blocks}
    commented = sum(
        1
        for b in blocks
        for line in b.code.splitlines()
        if line.strip() and pattern[b.language].search(line)
    )
    share = commented / len(lines)
    if share >= MIN_COMMENT_SHARE:
        return Verdict.ok(f"{commented} of {len(lines)} code lines commented")
    return Verdict.fail(
        f"only {commented} of {len(lines)} code lines carry a comment",
        min(1.0, share / MIN_COMMENT_SHARE),
    )


def check_explanation(record: Record) -> Verdict | None:
    """Does the output explain itself in a few sentences outside the code?"""
    if not isinstance(record, InstructionRecord):
        return None
    text = prose(record.output)
    words, chinese = len(re.findall(r"[A-Za-z]{2,}", text)), cjk_count(text)
    if words >= MIN_EXPLANATION_WORDS or chinese >= MIN_EXPLANATION_CJK:
        return Verdict.ok(f"{words} words, {chinese} CJK characters of explanation")
    return Verdict.fail("no explanation outside the code", 0.2)


def named_things(text: str) -> set[str]:
    """Identifiers the text names in backticks (at least three characters long).

    Format templates (`` `condition → exception ("message")` ``, `` `L<line> · <severity>` ``) name
    placeholders, not things, and file paths are answered by their code, not by their name.
    """
    names: set[str] = set()
    for span in _BACKTICKED.findall(prose(text)):
        if any(mark in span for mark in _TEMPLATE_MARKS):
            continue
        names.update(
            name
            for name in _IDENTIFIER.findall(span)
            if len(name) >= 3 and not name.isupper() and not _FILE.search(name)
        )
    return names


def check_instruction_match(record: Record) -> Verdict | None:
    """Does the output address what the instruction names (its functions, files, fields)?"""
    if not isinstance(record, InstructionRecord):
        return None
    named = named_things(record.instruction)
    if len(named) < 2:
        return None
    output = record.output
    addressed = {name for name in named if name in output or name.rsplit("/", 1)[-1] in output}
    share = len(addressed) / len(named)
    if share >= MIN_MATCH_SHARE:
        return Verdict(
            True,
            min(1.0, share / MIN_MATCH_SHARE),
            f"addresses {len(addressed)} of {len(named)} named",
        )
    missing = sorted(named - addressed)[:4]
    return Verdict.fail(
        f"the output ignores {len(named) - len(addressed)} of {len(named)} named: "
        f"{', '.join(missing)}",
        share,
    )
