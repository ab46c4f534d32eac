"""What a model writes of a record, the JSON Schema it answers in, and how a reply becomes a record.

A model writes only what a model must: the ``system`` line, the ``instruction`` (the problem
and its numbered requirements) and the ``explanation`` of the change. The code stays real:
goldmine puts the code before the change into ``input`` and the change itself — labelled blocks
of the commit's own code — into ``output``, followed by the model's explanation, and adds the
id, kind, task type, language and provenance, so a reply can never retype the code or claim to
come from another commit, drafter or template. The schema fits OpenAI's strict structured output
(every property required, no extra ones); servers without structured output get the same
schema in the prompt, and the reply is validated here either way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warehouse.records import InstructionRecord, Provenance


class DraftInvalid(ValueError):
    """A reply that is not a valid draft; the message says what is wrong, for a repair prompt."""


class InstructionDraft(BaseModel):
    """The prose of an instruction record, as a model writes it (the code is goldmine's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = Field(
        description="A short system prompt for the model being trained; may be empty."
    )
    instruction: str = Field(
        min_length=1,
        description="The over-specific task statement: role and context, the problem, "
        "numbered requirements, the output format.",
    )
    explanation: str = Field(
        min_length=1,
        description="2-4 sentences after the code: what was wrong or missing and why, what the "
        "change does, what checks it. Prose only: no code block.",
    )


_DRAFTS: dict[str, type[BaseModel]] = {"instruction": InstructionDraft}
_FENCED = re.compile(r"^\s*```(?:json)?\s*\n(.*)\n\s*```\s*$", re.DOTALL)
_CODE_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


def draft_kinds() -> list[str]:
    """The record kinds a model can draft."""
    return sorted(_DRAFTS)


def draft_json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a ``kind`` draft, in the subset strict structured output accepts."""
    model = _DRAFTS[kind]
    properties = {
        name: {"type": "string", "description": info.description or name}
        for name, info in model.model_fields.items()
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def parse_draft(kind: str, reply: str) -> InstructionDraft:
    """The draft in a model's reply (bare JSON, or JSON in one code fence), or
    :class:`DraftInvalid`."""
    text = reply.strip()
    fenced = _FENCED.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text:
        raise DraftInvalid("the reply is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DraftInvalid(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict):
        raise DraftInvalid(f"expected one JSON object, got {type(data).__name__}")
    try:
        draft = _DRAFTS[kind].model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'object'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise DraftInvalid(f"not a valid {kind} record ({problems})") from None
    assert isinstance(draft, InstructionDraft)
    if _CODE_FENCE.search(draft.explanation):
        raise DraftInvalid(
            "the explanation holds a code block: goldmine puts the real code in the output "
            "itself, so explain in prose (inline `names` are fine)"
        )
    return draft


def instruction_record(
    draft: InstructionDraft,
    *,
    given: str,
    code: str,
    record_id: str,
    task_type: str,
    lang: str,
    provenance: Provenance,
) -> InstructionRecord:
    """The full record: the model's prose around goldmine's ``given`` input and real ``code``
    (the output's labelled blocks, followed by the explanation), with where it came from."""
    explanation = draft.explanation.strip()
    try:
        return InstructionRecord(
            id=record_id,
            task_type=task_type,
            lang="zh" if lang == "zh" else "en",
            system=draft.system.strip(),
            instruction=draft.instruction.strip(),
            input=given.strip(),
            output=f"{code.strip()}\n\n{explanation}" if code.strip() else explanation,
            provenance=provenance,
        )
    except ValidationError as error:
        raise DraftInvalid(f"not a valid record ({error.errors()[0]['msg']})") from None
