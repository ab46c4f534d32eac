"""A fine-tuned model's failures, read from a JSONL file: one failure per line.

Each line is a JSON object with what the model was asked, what it answered, and either the answer
it should have given or a verdict saying what was wrong::

    {"prompt": "…", "output": "…", "expected": "…"}
    {"prompt": "…", "output": "…", "verdict": "the function ignores an empty list"}

LLaMA-Factory's ``generated_predictions.jsonl`` reads as it is (``prompt``, ``predict``,
``label``), as do alpaca-style lines (``instruction`` and ``input``). Optional keys: ``system``,
``lang`` (``en`` | ``zh``; otherwise read off the prompt), ``model``, ``record_id`` (the goldmine
record the prompt came from). Any other key is kept as it is.

A line that cannot be used is reported with its file and line number, and the others are kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miners.errors import FeedbackFileError

PROMPT_KEYS = ("prompt", "instruction", "question")
OUTPUT_KEYS = ("output", "predict", "prediction", "response", "model_output")
EXPECTED_KEYS = ("expected", "label", "reference", "expected_output", "answer")
VERDICT_KEYS = ("verdict", "feedback", "reason", "critique")
_KNOWN = {
    *PROMPT_KEYS,
    *OUTPUT_KEYS,
    *EXPECTED_KEYS,
    *VERDICT_KEYS,
    "input",
    "system",
    "lang",
    "model",
    "record_id",
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_CODE = re.compile(r"```.*?```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FailureFact:
    """One failure of a model, as its line gives it."""

    line: int
    prompt: str
    output: str
    expected: str = ""
    verdict: str = ""
    system: str = ""
    lang: str = "en"
    model: str = ""
    record_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FeedbackFile:
    """The failures a file holds, and its lines that could not be used (``file:line: why``)."""

    path: Path
    failures: list[FailureFact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_feedback_file(path: Path) -> FeedbackFile:
    """Read every line of a failures file; a bad line becomes a problem naming it."""
    if not path.is_file():
        raise FeedbackFileError(
            f"{path} is not a file: give the JSONL file of the model's failures"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise FeedbackFileError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start}): save it as UTF-8"
        ) from None
    found = FeedbackFile(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.failures.append(parse_failure(line, number))
        except ValueError as problem:
            found.problems.append(f"{path}:{number}: {problem}")
    return found


def parse_failure(line: str, number: int) -> FailureFact:
    """One line as a failure, or ``ValueError`` saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"a JSON object is expected, not {type(data).__name__}")
    prompt = _text(data, PROMPT_KEYS, "prompt")
    if _first(data, ("input",)):
        prompt = f"{prompt}\n\n{_text(data, ('input',), 'input')}"
    output = _text(data, OUTPUT_KEYS, "model output")
    expected = _optional(data, EXPECTED_KEYS)
    verdict = _optional(data, VERDICT_KEYS)
    if not expected and not verdict:
        raise ValueError(
            'neither an expected answer ("expected") nor a verdict ("verdict"): give one of them'
        )
    if expected and expected.strip() == output.strip() and not verdict:
        raise ValueError("the model's output equals the expected answer: not a failure")
    lang = str(data.get("lang") or guess_language(prompt))
    if lang not in ("en", "zh"):
        raise ValueError(f'"lang" is {lang!r}: use "en" or "zh"')
    return FailureFact(
        number,
        prompt,
        output,
        expected,
        verdict,
        _optional(data, ("system",)),
        lang,
        _optional(data, ("model",)),
        _optional(data, ("record_id",)),
        {key: value for key, value in data.items() if key not in _KNOWN},
    )


def guess_language(text: str) -> str:
    """``zh`` when Chinese carries the prose (code blocks aside), else ``en``."""
    prose = _CODE.sub(" ", text)
    chinese, latin = len(_CJK.findall(prose)), len(_LATIN.findall(prose))
    return "zh" if chinese >= 4 and chinese * 4 >= latin else "en"


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if data.get(key) not in (None, ""):
            return key, data[key]
    return None


def _text(data: dict[str, Any], keys: tuple[str, ...], what: str) -> str:
    found = _first(data, keys)
    if found is None:
        names = " or ".join(f'"{key}"' for key in keys[:2])
        raise ValueError(f"no {what}: give {names}")
    key, value = found
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'"{key}" must be non-empty text')
    return value


def _optional(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    found = _first(data, keys)
    if found is None:
        return ""
    key, value = found
    if not isinstance(value, str):
        raise ValueError(f'"{key}" must be text')
    return value.strip()
