"""Which ``response_format`` a server accepts, read from how it answers.

OpenAI-compatible servers differ: OpenAI, vLLM, SGLang, LM Studio and llama.cpp's ``llama-server``
take ``json_schema``; llama-cpp-python takes only ``json_object`` (it answers ``json_schema`` with
HTTP 500 and a FastAPI validation message: "1 validation error … Input should be 'text' or
'json_object'"); some take neither. A request the server refuses as invalid — 400, 422, or a 5xx
whose message is a validation error — is never worth sending again as it is. This module says
whether a refusal is one (:func:`refusal_of`) and whether it names the response format, and in
which order the modes are tried (:data:`MODES`, strongest first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MODES = ("json_schema", "json_object", "none")

# A message that says the request did not validate (pydantic / FastAPI, TGI, vLLM wording).
_VALIDATION = re.compile(
    r"validation error|input should be|field required|extra inputs are not permitted|"
    r"literal_error|unprocessable|failed to deserialize|unknown variant",
    re.IGNORECASE,
)
# Words that put the blame on the response format.
_FORMAT = re.compile(
    r"response_format|json_schema|json_object|structured output|guided_json|'text'",
    re.IGNORECASE,
)
# The line of a long message that says what the server wanted instead.
_WANTED = re.compile(
    r"input should be|expected|must be|not supported|unknown variant|not permitted", re.IGNORECASE
)
# One error of pydantic's list as FastAPI prints it: "{'type': …, 'loc': ('body', 'a', 'b'),
# 'msg': "Input should be …", …}".
_PYDANTIC_ERROR = re.compile(r"'loc': \(([^)]*)\), 'msg': (\"[^\"]*\"|'[^']*')")
# Words that put the blame on the prompt: no weaker format would help.
_PROMPT = re.compile(
    r"context length|context window|maximum context|too many tokens|prompt is too long|"
    r"exceeds the (?:maximum|model)|n_ctx",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The server refused a request as invalid: what it said, and what it blamed."""

    status: int
    message: str

    @property
    def names_format(self) -> bool:
        """The message blames the response format (and not the prompt's length)."""
        return bool(_FORMAT.search(self.message)) and not self.names_prompt

    @property
    def names_prompt(self) -> bool:
        """The message blames the prompt (its length): a weaker format would be refused too."""
        return bool(_PROMPT.search(self.message))

    def gist(self, limit: int = 160) -> str:
        """The status and the telling part of the message, on one line: its first line, and the
        first later line that says what the server wanted instead (pydantic's ``[type=…]``
        details left out)."""
        lines = [_readable(line) for line in self.message.splitlines()]
        lines = [line for line in lines if line]
        wanted = [line for line in lines[1:] if _WANTED.search(line)]
        text = " … ".join((lines[:1] + wanted[:1]) or ["no message"])
        return f"{self.status} {text[:limit]}"


def _readable(line: str) -> str:
    """A line of an error message without pydantic's noise: ``loc: msg`` for one of its errors,
    and no ``[type=…]`` details."""
    error = _PYDANTIC_ERROR.search(line)
    if error:
        loc = [part.strip(" '\"") for part in error.group(1).split(",")]
        where = ".".join(part for part in loc if part and part != "body")
        return f"{where}: {error.group(2)[1:-1]}"
    return line.split(" [type=")[0].strip()


def refusal_of(status: int, message: str) -> Refusal | None:
    """The refusal in an error answer, or None when the answer is worth retrying (a plain 5xx)."""
    if status in (400, 422) or (status >= 500 and _VALIDATION.search(message)):
        return Refusal(status, message)
    return None


def error_text(body: object, fallback: str) -> str:
    """The whole message of an error body (``{"message": …}`` as OpenAI sends it, FastAPI's
    ``{"detail": …}``, or a bare string), every line of it."""
    if isinstance(body, dict):
        found: Any = body.get("message") or body.get("detail") or body.get("error")
        if isinstance(found, dict):
            return error_text(found, fallback)
        if found:
            return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)
    if isinstance(body, str) and body:
        return body
    return fallback


def weaker(mode: str) -> str | None:
    """The next weaker mode, or None after ``none``."""
    index = MODES.index(mode)
    return MODES[index + 1] if index + 1 < len(MODES) else None


def weakest(first: str, second: str) -> str:
    """The weaker of two modes (a configured mode caps the one remembered, and the other way)."""
    return MODES[max(MODES.index(first), MODES.index(second))]
