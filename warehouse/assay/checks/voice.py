"""Does a record mined from history speak as a record, not as the commit it came from?

Blind reviewers rejected records that pasted the commit: an explanation in the first person
("I added…"), with trailers, cherry-pick notes, issue numbers and reST markup; an explanation that
only lists what changed ("The change updates `X` in `y.py`. `test_z` covers it."); an instruction
whose whole problem is the commit subject ("Task: **Fix typos**") followed by "so that the problem
described above no longer occurs" when nothing is described; and a redaction placeholder inside
code. Each of these is a hard failure here. The checks read only records mined from a commit
(``provenance.commits``); the golds and ticket-only records are written by people.
"""

from __future__ import annotations

import re

from warehouse.assay.checks.base import Verdict
from warehouse.record_text import prose
from warehouse.records import InstructionRecord, Record
from warehouse.redacted_code import placeholder_in_code

_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)
_LABEL_LINE = re.compile(r"^`[^`\n]+`(?:\s*(?:—|-)\s*[^\n]*)?[:：]\s*$", re.MULTILINE)
_PASTED = (
    ("first person", re.compile(r"\b(?:I|I'm|I've|I'd|my|me)\b(?![-'/])")),
    ("a trailer", re.compile(r"^\s*(?:Signed-off-by|Co-authored-by|Reviewed-by|Change-Id):", re.M)),
    ("a cherry-pick note", re.compile(r"cherry[- ]picked from", re.IGNORECASE)),
    ("an issue number", re.compile(r"(?<![\w&`])(?:#\d{2,}|GH-\d+)\b")),
    (
        "reST markup",
        re.compile(r":(?:py:)?(?:func|meth|class|attr|mod|exc|ref|doc):`|``\w|`\w[^`]*`_"),
    ),
)
_FILLER_SENTENCE = re.compile(
    r"^(?:The change (?:updates|adds|changes) .*|"
    r"`[^`]+`(?:, `[^`]+`)* in the test suite covers? it\.?|"
    r"此修改(?:新增|更新)了.*|测试套件中的 .* 覆盖了这一修改。?)$"
)
_POINTS_AT_NOTHING = re.compile(
    r"so that the problem described above no longer occurs|使上述问题不再出现|实现上述变更|"
    r"to implement the change described above"
)
_PROBLEM_SECTION = re.compile(
    r"^(?:Problem:|Report:|A bug was reported|A change was requested|问题|有人报告|有人提出)", re.M
)


def check_record_voice(record: Record) -> Verdict | None:
    """Is a mined instruction record free of pasted commit text, filler and empty references,
    with a stated problem and no placeholder in its code?"""
    if not isinstance(record, InstructionRecord) or not record.provenance.commits:
        return None
    problems = [
        *_pasted_text(_own_prose(record.output), "explanation"),
        *_filler(record.output),
        *_empty_reference(record.instruction),
        *_placeholders(record),
        *_thin(record),
    ]
    if problems:
        return Verdict.fail("; ".join(problems[:3]))
    return Verdict.ok()


def _own_prose(text: str) -> str:
    """The record's own words: outside code, quotes and block labels."""
    return _LABEL_LINE.sub("", _QUOTED.sub("", prose(text)))


_WORD = re.compile(r"[\u3400-\u9fff]|[^\W\d_][\w'-]*")
_REQUIREMENT = re.compile(r"^\s*\d+[.)、]\s+\S", re.MULTILINE)
MIN_INSTRUCTION_WORDS = 40  # a role, the problem and what the result must do
MIN_EXPLANATION_WORDS = 12
_EXPLAINED_BY_ANSWER = {
    "docs",
    "edge_cases",
}  # what was wrong, what the change does: a sentence or two at least


def _thin(record: InstructionRecord) -> list[str]:
    """An instruction or explanation too thin to teach: a one-line task, no numbered
    requirements, an explanation of a few words (a small model's reply looks like this:
    "reject negative quantity" and "The change made a task to the module")."""
    if record.provenance.feedback is not None:
        return []  # a fine-tuned model's failure: the prompt and the answer are the user's
    problems = []
    words = len(_WORD.findall(_own_prose(record.instruction)))
    if words < MIN_INSTRUCTION_WORDS:
        problems.append(f"the instruction is {words} words: no stated problem and requirements")
    elif not _REQUIREMENT.search(record.instruction):
        problems.append("the instruction has no numbered requirements")
    explanation = len(_WORD.findall(_own_prose(record.output)))
    # a docs record's answer is the documented code, an edge-case record's its list of the inputs
    # refused: that is their explanation
    if record.task_type not in _EXPLAINED_BY_ANSWER and explanation < MIN_EXPLANATION_WORDS:
        problems.append(f"the explanation is {explanation} words: it explains nothing")
    return problems


def _pasted_text(text: str, where: str) -> list[str]:
    return [f"the {where} holds {name}" for name, pattern in _PASTED if pattern.search(text)]


def _filler(output: str) -> list[str]:
    """An explanation whose every sentence only lists what changed."""
    sentences = [
        s.strip()
        for s in re.split(r"(?<=\.)\s+|(?<=。)", _own_prose(output).strip())
        if s.strip() and len(s.strip()) > 1
    ]
    if sentences and all(_FILLER_SENTENCE.match(s) for s in sentences):
        return ["the explanation only lists what changed"]
    return []


def _empty_reference(instruction: str) -> list[str]:
    """A requirement that points at a problem the instruction never states."""
    if _POINTS_AT_NOTHING.search(instruction) and not _PROBLEM_SECTION.search(instruction):
        return ["a requirement points at a problem the instruction does not state"]
    return []


def _placeholders(record: InstructionRecord) -> list[str]:
    if placeholder_in_code(record.model_dump()):
        return ["a redaction placeholder sits inside code"]
    return []
