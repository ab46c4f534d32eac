"""The record contract: what every candidate and every export row is (``docs/export.md``).

Field names are the seed's own (``instruction``/``output``; ``conversation`` with ``thought``,
``action.tool_name``, ``action.parameters``, ``result``, ``final_answer``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Lang = Literal["en", "zh"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedbackRef(_Strict):
    """The model failure a record was made from (``goldmine feedback``): a ``feedback`` row."""

    id: str
    round: int
    file: str
    line: int


class Provenance(_Strict):
    """Where a record came from: enough to find every fact it was built from."""

    repo: str = ""
    commits: list[str] = Field(default_factory=list)
    tickets: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)
    symbols: list[str] = Field(default_factory=list)
    drafter: str
    template: str
    seeds: list[str] = Field(default_factory=list)
    observations: Literal["replayed", "simulated", "none"] | None = None
    task_id: str = ""
    feedback: FeedbackRef | None = None
    # "executed": the task's acceptance tests failed at the parent and passed at the commit
    # ([verify]); "static": not run. Read from the verifications table (warehouse/verification.py).
    verification: Literal["executed", "static"] | None = None
    # Kinds of redacted secrets (or "email") whose placeholders in the record's code were replaced
    # by neutral stand-ins such as "example-secret" (warehouse/redacted_code.py).
    neutralised: list[str] | None = None


class InstructionRecord(_Strict):
    """A general ``instruction → output`` record."""

    id: str
    kind: Literal["instruction"] = "instruction"
    task_type: str
    lang: Lang
    system: str = ""
    instruction: str = Field(min_length=1)
    input: str = ""
    output: str = Field(min_length=1)
    provenance: Provenance


class ToolAction(_Strict):
    """One structured tool call."""

    tool_name: str = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)


class AssistantStep(_Strict):
    """An assistant turn: a thought plus either an action or the final answer."""

    thought: str = Field(min_length=1)
    action: ToolAction | None = None
    final_answer: str | None = None


class ToolResult(_Strict):
    """What a tool returned."""

    result: Any


class UserTurn(_Strict):
    role: Literal["user"]
    content: str = Field(min_length=1)


class AssistantTurn(_Strict):
    role: Literal["assistant"]
    content: AssistantStep


class ToolTurn(_Strict):
    role: Literal["tool"]
    content: ToolResult


Turn = Annotated[UserTurn | AssistantTurn | ToolTurn, Field(discriminator="role")]


class ToolSpec(_Strict):
    """A tool in the catalog: its name, purpose and JSON-Schema parameters."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    parameters: dict[str, Any]


class AgentRecord(_Strict):
    """An agent trajectory: think → act → observe, ending in a final answer."""

    id: str
    kind: Literal["agent"] = "agent"
    task_type: str
    lang: Lang
    system: str = ""
    tools: list[ToolSpec] = Field(min_length=1)
    conversation: list[Turn] = Field(min_length=2)
    provenance: Provenance


# Every record is one of the two kinds: the one alias the rest of goldmine imports.
Record = InstructionRecord | AgentRecord
RECORD_ADAPTER: TypeAdapter[Record] = TypeAdapter(
    Annotated[InstructionRecord | AgentRecord, Field(discriminator="kind")]
)


def parse_record(data: Any) -> InstructionRecord | AgentRecord:
    """Validate a record (a dict or JSON text); raises pydantic's ValidationError when it is not
    one."""
    if isinstance(data, str | bytes):
        return RECORD_ADAPTER.validate_json(data)
    return RECORD_ADAPTER.validate_python(data)


def record_json_schema() -> dict[str, Any]:
    """The JSON Schema of a record, for LLM structured output and for users' own validators."""
    return RECORD_ADAPTER.json_schema()
