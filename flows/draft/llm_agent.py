"""Agent trajectories with a model (``--drafter llm --kinds agent``): the model thinks, goldmine
acts.

Each step the model writes a thought and picks one tool call (or the final answer); goldmine runs
a replayable tool against the repository **at the fix's parent commit** and feeds the real result
back, so the model never invents an observation it could have seen. A tool that cannot be replayed
(one of the user's own, declared in the catalog) is played by the model in a separate request,
and the record is marked ``observations: simulated``. Every request goes through the shared
:class:`ChatClient`: recorded in ``llm_calls``, replayed on the next run, paid for once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from flows.draft.drafting import (
    NO_CATALOG_LOOKUP,
    ROOT_COMMIT,
    DraftDeferred,
    Drafted,
    DraftResult,
    DraftSkipped,
    Unparseable,
)
from flows.draft.extractive_agent import AGENT_FAMILIES, MAX_PATCH_CHARS, TestRunner
from flows.draft.extractive_instruction import task_view
from flows.draft.extractive_tickets import (
    Step,
    described_lookups,
    evidence_steps,
    ticket_trajectory,
)
from flows.llm.client import CallFailed, ChatClient, ChatReply, ChatRequest
from flows.prompting import Phrasebook
from miners.git_objects import git_dir_of
from miners.replay_tools import SnapshotSession, first_parent
from miners.tool_results import PatchTooLong, render
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory
from warehouse.records import AgentRecord, ToolSpec
from warehouse.redaction import redact
from warehouse.seed_folder import Seed, few_shots
from warehouse.selection.task_context import Context, TaskContext
from warehouse.selection.ticket_context import TicketContext
from warehouse.tool_catalog import ToolCatalog

STEP_TEMPLATE = "llm/agent_step.{lang}.md.j2"
REQUEST_TEMPLATE = "extractive/commit_to_trajectory.{lang}.md.j2"
MAX_STEPS = 10
MAX_PLAYED_LOOKUPS = 2
_EXAMPLE_TURN_CHARS = 300


def step_schema(tool_names: list[str]) -> dict[str, Any]:
    """The JSON Schema of one step, in the subset strict structured output accepts."""
    return {
        "type": "object",
        "properties": {
            "thought": {"type": "string"},
            "tool_name": {"type": ["string", "null"], "enum": [*tool_names, None]},
            "arguments": {"type": ["string", "null"]},
            "final_answer": {"type": ["string", "null"]},
        },
        "required": ["thought", "tool_name", "arguments", "final_answer"],
        "additionalProperties": False,
    }


class StepInvalid(ValueError):
    """Raised when a model's step is not a valid thought-and-action (or thought-and-answer)."""


@dataclass(slots=True)
class _Run:
    """One trajectory in progress: the chat so far and the record's turns."""

    messages: list[dict[str, str]]
    turns: list[dict[str, Any]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    simulated: bool = False
    last_call: str | None = None


class LLMTrajectoryDrafter:
    """Drafts agent records by letting a model drive the replayable tools."""

    def __init__(
        self,
        client: ChatClient,
        catalog: ToolCatalog,
        seeds: list[Seed],
        key: bytes,
        test_runner: TestRunner | None,
    ) -> None:
        self.client = client
        self.catalog = catalog
        self.seeds = seeds
        self.key = key
        self.test_runner = test_runner
        self.name = f"llm:{client.endpoint.model}"

    def offered_tools(self) -> list[ToolSpec]:
        """The catalog's tools, without ``run_tests`` when no test command is configured."""
        return [
            t
            for name, t in self.catalog.tools.items()
            if name != "run_tests" or self.test_runner is not None
        ]

    async def draft_one(self, context: Context, lang: str) -> DraftResult:
        """Run the model's trajectory for one task against the parent-commit snapshot."""
        if isinstance(context, TicketContext):
            return await self._ticket(context, lang)
        if context.family not in AGENT_FAMILIES or not context.units:
            return DraftSkipped(
                Skip(
                    SkipCategory.NOT_AN_AGENT_TASK,
                    f"{context.family} tasks are not drafted as agent trajectories",
                )
            )
        if not context.tickets and not context.tests:
            return DraftSkipped(
                Skip(
                    SkipCategory.TOO_LITTLE_CONTEXT,
                    "too little context: no ticket or test states the request",
                )
            )
        git_dir = git_dir_of(context.source_location)
        parent = first_parent(git_dir, context.sha)
        if parent is None:
            return DraftSkipped(ROOT_COMMIT)
        with SnapshotSession(git_dir, parent) as session:
            return await self._trajectory(context, lang, session)

    async def _ticket(self, context: TicketContext, lang: str) -> DraftResult:
        """A ticket's lookups: the thread's evidence where it shows results, else played by the
        model."""
        steps = evidence_steps(context, self.catalog)
        described = described_lookups(context, self.catalog, {tool for tool, _, _ in steps})
        played: list[Step] = []
        last_call: str | None = None
        for tool, sentence in described[:MAX_PLAYED_LOOKUPS]:
            step, last_call = await self._play_lookup(
                context, self.catalog.tools[tool], sentence, lang
            )
            if step is not None:
                played.append(step)
        if not steps and not played:
            return DraftSkipped(NO_CATALOG_LOOKUP)
        record = ticket_trajectory(
            context, lang, self.catalog, steps + played, self.name, simulated=len(played)
        )
        return Drafted(record, last_call)

    async def _play_lookup(
        self, context: TicketContext, tool: ToolSpec, sentence: str, lang: str
    ) -> tuple[Step | None, str | None]:
        """The call and result of a lookup the thread only describes, consistent with the thread."""
        words = Phrasebook(STEP_TEMPLATE.format(lang=lang))
        prompt = words.say("play_lookup", tool=tool, sentence=sentence, thread=context.thread_text)
        schema = {
            "type": "object",
            "properties": {"arguments": {"type": "string"}, "result": {"type": "string"}},
            "required": ["arguments", "result"],
            "additionalProperties": False,
        }
        reply = await self.client.chat(
            ChatRequest(({"role": "user", "content": prompt},), "lookup", schema, "simulate_lookup")
        )
        if isinstance(reply, CallFailed):
            return None, None
        try:
            played = json.loads(reply.text)
            arguments = _arguments(played["arguments"])
        except (json.JSONDecodeError, KeyError, TypeError, StepInvalid):
            return None, reply.call_id
        if list(jsonschema.Draft202012Validator(tool.parameters).iter_errors(arguments)):
            return None, reply.call_id
        return (tool.name, arguments, _maybe_json(str(played["result"]))), reply.call_id

    async def _trajectory(
        self, context: TaskContext, lang: str, session: SnapshotSession
    ) -> DraftResult:
        words = Phrasebook(STEP_TEMPLATE.format(lang=lang))
        request = self._request(context, lang)
        run = _Run(
            [
                {"role": "system", "content": self._system(words, context, lang)},
                {"role": "user", "content": request},
            ]
        )
        schema = step_schema([t.name for t in self.offered_tools()])
        for _ in range(MAX_STEPS):
            reply = await self.client.chat(
                ChatRequest(tuple(run.messages), "agent_step", schema, "agent_step")
            )
            if isinstance(reply, CallFailed):
                return _failed(reply, words.ref)
            run.replies.append(reply.text)
            run.last_call = reply.call_id
            try:
                finished = await self._step(run, reply, words, session, request)
            except StepInvalid as invalid:
                return Unparseable("\n".join(run.replies), str(invalid), words.ref, reply.call_id)
            if finished:
                return Drafted(self._record(context, lang, request, run, words.ref), reply.call_id)
        return Unparseable(
            "\n".join(run.replies),
            f"no final answer after {MAX_STEPS} steps",
            words.ref,
            run.last_call,
        )

    async def _step(
        self, run: _Run, reply: ChatReply, words: Phrasebook, session: SnapshotSession, request: str
    ) -> bool:
        thought, tool, arguments, answer = self._parse(reply.text)
        if answer is not None:
            run.turns.append(
                {"role": "assistant", "content": {"thought": thought, "final_answer": answer}}
            )
            return True
        assert tool is not None and arguments is not None
        result = await self._observe(run, tool, arguments, session, request, words)
        action = {"tool_name": tool.name, "parameters": arguments}
        run.turns.append({"role": "assistant", "content": {"thought": thought, "action": action}})
        run.turns.append({"role": "tool", "content": {"result": result}})
        told = words.say("tool_result", tool=tool.name, result=result)
        run.messages += [
            {"role": "assistant", "content": reply.text},
            {"role": "user", "content": told},
        ]
        return False

    def _parse(self, text: str) -> tuple[str, ToolSpec | None, dict[str, Any] | None, str | None]:
        try:
            step = json.loads(text)
        except json.JSONDecodeError as error:
            raise StepInvalid(f"the step is not JSON: {error.msg}") from None
        if not isinstance(step, dict) or not str(step.get("thought") or "").strip():
            raise StepInvalid("every step needs a thought")
        thought = str(step["thought"]).strip()
        if step.get("final_answer"):
            return thought, None, None, str(step["final_answer"])
        tools = {t.name: t for t in self.offered_tools()}
        tool = tools.get(str(step.get("tool_name")))
        if tool is None:
            raise StepInvalid(
                f"tool {step.get('tool_name')!r} is not offered: use one of {', '.join(tools)}"
            )
        arguments = _arguments(step.get("arguments"))
        problems = sorted(
            jsonschema.Draft202012Validator(tool.parameters).iter_errors(arguments), key=str
        )
        if problems:
            raise StepInvalid(
                f"{tool.name}: arguments do not match the catalog's schema: {problems[0].message}"
            )
        return thought, tool, arguments, None

    async def _observe(
        self,
        run: _Run,
        tool: ToolSpec,
        arguments: dict[str, Any],
        session: SnapshotSession,
        request: str,
        words: Phrasebook,
    ) -> str:
        """The tool's real result, as text; only a tool that cannot be replayed is played by the
        model."""
        if tool.name == "run_tests" and self.test_runner is not None:
            tested = self.test_runner(session, arguments.get("target"))
            return redact(render(tested), self.key)[0]
        if tool.name in self.catalog.replayable and tool.name != "run_tests":
            if (
                tool.name == "apply_patch"
                and len(str(arguments.get("patch", ""))) > MAX_PATCH_CHARS
            ):
                return render(PatchTooLong(MAX_PATCH_CHARS))
            return redact(render(session.call(tool.name, arguments)), self.key)[0]
        run.simulated = True
        return await self._simulate(tool, arguments, request, words)

    async def _simulate(
        self, tool: ToolSpec, arguments: dict[str, Any], request: str, words: Phrasebook
    ) -> str:
        prompt = words.say("simulate", tool=tool, arguments=arguments, request=request)
        schema = {
            "type": "object",
            "properties": {"result": {"type": "string"}},
            "required": ["result"],
            "additionalProperties": False,
        }
        reply = await self.client.chat(
            ChatRequest(
                ({"role": "user", "content": prompt},), "tool_result", schema, "simulate_tool"
            )
        )
        if isinstance(reply, CallFailed):
            return f"Error: {tool.name} could not be simulated ({reply.error})"
        try:
            return str(json.loads(reply.text)["result"])
        except (json.JSONDecodeError, KeyError, TypeError):
            return reply.text

    def _request(self, context: TaskContext, lang: str) -> str:
        view = task_view(context)
        words = Phrasebook(REQUEST_TEMPLATE.format(lang=lang))
        return words.say(
            "request", report=view["report"], family=context.family, has_tests=bool(context.tests)
        )

    def _system(self, words: Phrasebook, context: TaskContext, lang: str) -> str:
        view = task_view(context)
        example = few_shots(self.seeds, "agent", context.family, lang, 1)
        return words.say(
            "system",
            project=view["project"],
            stack=view["stack"],
            tools=self.offered_tools(),
            can_run_tests=self.test_runner is not None,
            example=_example(example[0].record) if example else "",
        )

    def _record_system(self, context: TaskContext, lang: str) -> str:
        """What an agent is told at serving time: the same words as the replayed trajectories
        use."""
        view = task_view(context)
        words = Phrasebook(REQUEST_TEMPLATE.format(lang=lang))
        return words.say(
            "system",
            project=view["project"],
            stack=view["stack"],
            tools_run_tests=self.test_runner is not None,
        )

    def _record(
        self, context: TaskContext, lang: str, request: str, run: _Run, template: str
    ) -> AgentRecord:
        used = [t.model_dump() for t in self.offered_tools()]
        return AgentRecord.model_validate(
            {
                "id": stable_id(context.task_id, "agent", lang, self.name, template, run.last_call),
                "task_type": context.family,
                "lang": lang,
                "system": self._record_system(context, lang),
                "tools": used,
                "conversation": [{"role": "user", "content": request}, *run.turns],
                "provenance": context.provenance(
                    self.name, template, observations="simulated" if run.simulated else "replayed"
                ),
            }
        )


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(str(raw or "{}"))
    except json.JSONDecodeError as error:
        raise StepInvalid(f"the arguments are not a JSON object: {error.msg}") from None
    if not isinstance(parsed, dict):
        raise StepInvalid("the arguments must be a JSON object")
    return parsed


def _maybe_json(text: str) -> Any:
    """A played result as the tool would return it: JSON when it is JSON, else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _example(record: Any) -> str:
    """A gold trajectory, shortened: its shape, not its content, is the point."""
    lines = []
    for turn in record.conversation:
        content = (
            turn.content
            if isinstance(turn.content, str)
            else json.dumps(turn.content.model_dump(exclude_none=True), ensure_ascii=False)
        )
        short = (
            content if len(content) <= _EXAMPLE_TURN_CHARS else content[:_EXAMPLE_TURN_CHARS] + " …"
        )
        lines.append(f"{turn.role}: {short}")
    return "\n".join(lines)


def _failed(reply: CallFailed, template: str) -> DraftResult:
    if reply.rejected:
        return DraftSkipped(
            Skip(SkipCategory.ENDPOINT_REJECTED, f"the endpoint rejected the prompt: {reply.error}")
        )
    return DraftDeferred(Skip(reply.category, reply.error))
