"""How an agent works, not only what its turns are: the method a senior engineer follows.

Blind reviewers rejected every replayed trajectory that patched a test file it never read, that
carried the commit's own blob ids in its patch, whose thoughts cited lines or hits no result had
shown, or whose final answer was a list of symbols. Each of those is a check here:

- ``agent_reads_before_patch`` (hard): every existing file an ``apply_patch`` changes was read
  with ``read_file`` earlier (a new file has nothing to read);
- ``agent_no_blob_ids`` (hard): no patch carries ``index <blob>..<blob>`` lines — they name the
  real commit's objects, which an agent writing the patch cannot know;
- ``agent_grounded_thoughts``: every path and line number a thought cites appears in what came
  before it (the request, an earlier result) or in its own action's parameters;
- ``agent_final_answer``: the final answer says what was done in sentences (not a list of names),
  and, when tests ran, how the run came out.

The checks read the raw record (a dict), as the agent contract's checks do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from warehouse.assay.checks.base import Verdict
from warehouse.record_text import cjk_count, raw_turns

_INDEX_LINE = re.compile(r"^index [0-9a-f]{7,}\.\.[0-9a-f]{7,}", re.MULTILINE)
_OLD_PATH = re.compile(r"^--- (?:a/(\S+)|/dev/null)$", re.MULTILINE)
_CITED_PATH = re.compile(r"`([\w.-]+(?:/[\w.-]+)*\.\w{1,5})`")
_CITED_LINES = re.compile(r"(?:\blines?\s+|第\s*)(\d+)(?:\s*[–-]\s*(\d+))?")
_RAN_OK = re.compile(r"\b(?:pass(?:es|ed)?|green|succeed(?:s|ed)?)\b|通过", re.IGNORECASE)
MIN_ANSWER_WORDS = 15
MIN_ANSWER_CJK = 25


def _is_agent(raw: dict[str, Any]) -> bool:
    return raw.get("kind") == "agent"


def _turns(raw: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(str(turn.get("role", "")), turn.get("content")) for turn in raw_turns(raw)]


def _action(content: Any) -> dict[str, Any] | None:
    action = content.get("action") if isinstance(content, dict) else None
    return action if isinstance(action, dict) else None


def _parameters(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def _patches(raw: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """(turn, patch text) of every ``apply_patch`` action."""
    for position, (role, content) in enumerate(_turns(raw)):
        action = _action(content) if role == "assistant" else None
        if action is not None and action.get("tool_name") == "apply_patch":
            yield position, str(_parameters(action).get("patch", ""))


def check_reads_before_patch(raw: dict[str, Any]) -> Verdict | None:
    """Was every existing file a patch changes read before it was patched?"""
    if not _is_agent(raw):
        return None
    read: set[str] = set()
    patched = 0
    for position, (role, content) in enumerate(_turns(raw)):
        action = _action(content) if role == "assistant" else None
        if action is None:
            continue
        if action.get("tool_name") == "read_file":
            read.add(str(_parameters(action).get("path", "")).strip("/"))
        elif action.get("tool_name") == "apply_patch":
            patch = str(_parameters(action).get("patch", ""))
            for path in _OLD_PATH.findall(patch):
                if path and path not in read:
                    return Verdict.fail(f"turn {position} patches `{path}`, which was never read")
                patched += 1
    return Verdict.ok(f"{patched} patched file(s), each read first") if patched else None


def check_no_blob_ids(raw: dict[str, Any]) -> Verdict | None:
    """Does any patch carry the real commit's ``index`` lines?"""
    if not _is_agent(raw):
        return None
    for position, patch in _patches(raw):
        found = _INDEX_LINE.search(patch)
        if found:
            return Verdict.fail(f"the patch in turn {position} carries `{found.group(0)}`")
    return Verdict.ok()


def check_grounded_thoughts(raw: dict[str, Any]) -> Verdict | None:
    """Does every thought cite only paths and line numbers that were shown before it (or that
    its own action names)?"""
    if not _is_agent(raw):
        return None
    seen = str(raw.get("system", ""))
    for position, (role, content) in enumerate(_turns(raw)):
        if role == "assistant" and isinstance(content, dict):
            thought = str(content.get("thought", ""))
            own = _as_text(_action(content) or {})
            problem = _ungrounded(thought, f"{seen}\n{own}")
            if problem:
                return Verdict.fail(f"the thought in turn {position} cites {problem}")
        seen += "\n" + _as_text(content)
    return Verdict.ok()


def _ungrounded(thought: str, shown: str) -> str:
    """The first path or line number the thought cites that ``shown`` does not hold."""
    for path in _CITED_PATH.findall(thought):
        if path not in shown and path.rsplit("/", 1)[-1] not in shown:
            return f"`{path}`, which nothing before it showed"
    numbers = set(re.findall(r"\d+", shown))
    for first, last in _CITED_LINES.findall(thought):
        for number in filter(None, (first, last)):
            if number not in numbers:
                return f"line {number}, which nothing before it showed"
    return ""


def check_final_answer(raw: dict[str, Any]) -> Verdict | None:
    """Does the final answer say in sentences what was done, and how the test run came out when
    tests ran?"""
    if not _is_agent(raw):
        return None
    turns = _turns(raw)
    answers = [
        str(content.get("final_answer", ""))
        for role, content in turns
        if role == "assistant" and isinstance(content, dict) and content.get("final_answer")
    ]
    if not answers:
        return None
    answer = answers[-1]
    if not _says_enough(answer):
        return Verdict.fail("the final answer is too short to say what was wrong and what changed")
    sentences = "\n".join(
        line for line in answer.splitlines() if not re.match(r"\s*(?:[-*•]|\d+\.)\s", line)
    )
    if not _says_enough(sentences):
        return Verdict.fail("the final answer is a list, not an account of the change", 0.5)
    ran = any(
        (_action(content) or {}).get("tool_name") == "run_tests"
        for role, content in turns
        if role == "assistant"
    )
    if ran and not _RAN_OK.search(answer):
        return Verdict.fail("tests ran, but the final answer does not say how they came out", 0.5)
    return Verdict.ok()


def _says_enough(text: str) -> bool:
    """Enough words (or Chinese characters) outside inline code to say what was done."""
    prose = re.sub(r"`[^`]*`", "", text)
    words = len(re.findall(r"[A-Za-z]\w*", prose))
    return words >= MIN_ANSWER_WORDS or cjk_count(prose) >= MIN_ANSWER_CJK


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
