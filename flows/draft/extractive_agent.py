"""Agent trajectories replayed from history: think → act → observe, with real observations.

For a selected task the agent starts from the request (the ticket, with only the discussion
written before the fix, or the commit's own request), searches and reads the code **at the
parent commit**, applies the commit's real patch, runs the tests when the user enabled a test
command, and answers. Every observation is what the tool really returns at that point (see
``miners/replay_tools.py``); variety comes only from what really happens — a term from the ticket
that the code does not contain, a first search hit in the wrong file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows.draft.drafting import ROOT_COMMIT, DraftResult, DraftSkipped
from flows.draft.extractive_instruction import task_view
from flows.draft.extractive_tickets import draft_ticket_trajectory
from flows.prompting import Phrasebook
from miners.code_symbols import SymbolFact, extract_symbols, language_for_path
from miners.commit_kinds import CODE_FAMILIES, is_test_path
from miners.git_objects import git_dir_of
from miners.replay_tools import SnapshotSession, commit_patch, first_parent, patched_files
from miners.tool_results import (
    DirectoryListing,
    PatchApplied,
    Renderer,
    SearchHit,
    SearchHits,
    TestRun,
    ToolResult,
    render,
)
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory
from warehouse.records import AgentRecord
from warehouse.redaction import redact
from warehouse.selection.task_context import CodeUnit, Context, TaskContext
from warehouse.selection.ticket_context import TicketContext
from warehouse.tool_catalog import ToolCatalog

DRAFTER = "extractive"
TEMPLATE = "extractive/commit_to_trajectory.{lang}.md.j2"
AGENT_FAMILIES = CODE_FAMILIES
MAX_READ_UNITS = 2
MAX_TICKET_TERMS = 3
MAX_PATCH_CHARS = 16_000
_BACKTICKED = re.compile(r"`([^`\n]{3,60})`")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*[A-Za-z0-9_]")
_TRACEBACK_FILE = re.compile(r'File "([^"\n]+\.\w+)", line \d+')
TestRunner = Callable[[SnapshotSession, str | None], TestRun]


@dataclass(slots=True)
class Trajectory:
    """The steps so far: assistant thoughts with their actions and the tools' results (as the
    renderer shows them)."""

    session: SnapshotSession
    key: bytes
    renderer: Renderer = render
    turns: list[dict[str, Any]] = field(default_factory=list)
    used_tools: list[str] = field(default_factory=list)
    pending: str = (
        ""  # a conclusion drawn from the last result, said at the start of the next thought
    )

    def act(
        self,
        thought: str,
        tool: str,
        parameters: dict[str, Any],
        result: ToolResult | None = None,
    ) -> ToolResult:
        """Record a thought and a call, run it (unless its result is given), record the result's
        text."""
        thought, self.pending = f"{self.pending} {thought}".strip(), ""
        observed = result if result is not None else self.session.call(tool, parameters)
        shown = {
            k: redact(v, self.key)[0] if isinstance(v, str) else v for k, v in parameters.items()
        }
        step = {"thought": thought, "action": {"tool_name": tool, "parameters": shown}}
        self.turns.append({"role": "assistant", "content": step})
        shown_result = redact(self.renderer(observed), self.key)[0]
        self.turns.append({"role": "tool", "content": {"result": shown_result}})
        if tool not in self.used_tools:
            self.used_tools.append(tool)
        return observed

    def finish(self, thought: str, answer: str) -> None:
        """Record the last step: a thought and the final answer."""
        thought, self.pending = f"{self.pending} {thought}".strip(), ""
        self.turns.append(
            {"role": "assistant", "content": {"thought": thought, "final_answer": answer}}
        )


class TrajectoryDrafter:
    """Drafts agent records whose observations are replayed from the repository.

    Every decision comes from the tools' results as data; ``renderer`` only makes the text the
    records show (the catalog's forms by default).
    """

    name = DRAFTER

    def __init__(
        self,
        catalog: ToolCatalog,
        key: bytes,
        test_runner: TestRunner | None = None,
        renderer: Renderer = render,
    ) -> None:
        self.catalog = catalog
        self.key = key
        self.test_runner = test_runner
        self.renderer = renderer

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """One agent record for the task in ``lang``, or why not."""
        if isinstance(context, TicketContext):
            return draft_ticket_trajectory(context, lang, self.catalog)
        problem = _unusable(context)
        if problem is not None:
            return DraftSkipped(problem)
        git_dir = git_dir_of(context.source_location)
        parent = first_parent(git_dir, context.sha)
        if parent is None:
            return DraftSkipped(ROOT_COMMIT)
        paths = list(
            dict.fromkeys([u.path for u in context.units] + [t.path for t in context.tests])
        )
        patch = commit_patch(git_dir, parent, context.sha, paths)
        if not patch.strip():
            return DraftSkipped(
                Skip(SkipCategory.EMPTY_PATCH, "the commit's patch for its units is empty")
            )
        if len(patch) > MAX_PATCH_CHARS:
            return DraftSkipped(
                Skip(
                    SkipCategory.NOT_REPLAYABLE,
                    f"patch too long for one trajectory: {len(patch)} characters (at most "
                    f"{MAX_PATCH_CHARS})",
                )
            )
        with SnapshotSession(git_dir, parent) as session:
            return self._record(context, lang, session, patch)

    def _record(
        self, context: TaskContext, lang: str, session: SnapshotSession, patch: str
    ) -> DraftResult:
        words = Phrasebook(TEMPLATE.format(lang=lang))
        view = task_view(context)
        trajectory = Trajectory(session, self.key, self.renderer)
        spans = _explore(trajectory, words, context, view)
        _read_before_patching(trajectory, words, patch)
        applied, test_exit = self._change(trajectory, words, context, view, patch, spans)
        if not applied:
            return DraftSkipped(
                Skip(
                    SkipCategory.PATCH_DOES_NOT_APPLY,
                    "the commit's patch does not apply at its parent",
                )
            )
        tests_run = test_exit is not None
        explanation = view["explanation"]
        trajectory.finish(
            words.say("final_thought", applied=applied, test_exit=test_exit),
            words.say(
                "final_answer",
                family=context.family,
                units=view["units"],
                raises=view["raises"],
                logs=view["logs"],
                tests=view["tests"],
                applied=applied,
                explanation=explanation,
                test_exit=test_exit,
            ),
        )
        tool_names = [
            t
            for t in self.catalog.tools
            if t in self.catalog.replayable and (t != "run_tests" or tests_run)
        ]
        request = words.say(
            "request", report=view["report"], family=context.family, has_tests=bool(context.tests)
        )
        system = words.say(
            "system", project=view["project"], stack=view["stack"], tools_run_tests=tests_run
        )
        return AgentRecord.model_validate(
            {
                "id": stable_id(context.task_id, "agent", lang, DRAFTER, words.ref),
                "task_type": context.family,
                "lang": lang,
                "system": system,
                "tools": [t.model_dump() for t in self.catalog.specs(tool_names)],
                "conversation": [{"role": "user", "content": request}, *trajectory.turns],
                "provenance": context.provenance(DRAFTER, words.ref, observations="replayed"),
            }
        )

    def _change(
        self,
        trajectory: Trajectory,
        words: Phrasebook,
        context: TaskContext,
        view: dict[str, Any],
        patch: str,
        spans: dict[str, str],
    ) -> tuple[list[str], int | None]:
        """Apply the real patch (tests first when tests can run); return the files changed and
        the exit code."""
        plan = words.say(
            "plan",
            family=context.family,
            units=view["units"],
            raises=view["raises"],
            catches=view["catches"],
            logs=view["logs"],
            tests=view["tests"],
            read_spans=spans,
        )
        if self.test_runner is None or not context.tests:
            result = trajectory.act(plan, "apply_patch", {"patch": patch})
            return _applied_lines(result), None
        return self._tests_first(trajectory, words, context, view, patch, plan)

    def _tests_first(
        self,
        trajectory: Trajectory,
        words: Phrasebook,
        context: TaskContext,
        view: dict[str, Any],
        patch: str,
        plan: str,
    ) -> tuple[list[str], int | None]:
        assert self.test_runner is not None
        test_paths = list(dict.fromkeys(t.path for t in context.tests))
        code_paths = [
            p for p in dict.fromkeys(u.path for u in context.units) if p not in test_paths
        ]
        test_patch, code_patch = _split_patch(patch, test_paths), _split_patch(patch, code_paths)
        first = trajectory.act(
            plan + "\n\n" + words.say("plan_tests_first", tests=view["tests"]),
            "apply_patch",
            {"patch": test_patch},
        )
        target = test_paths[0]
        failing = self.test_runner(trajectory.session, target)
        trajectory.act(
            words.say("run_new_tests", target=target), "run_tests", {"target": target}, failing
        )
        second = trajectory.act(
            words.say("after_failing_tests", exit_code=failing.exit_code, units=view["units"]),
            "apply_patch",
            {"patch": code_patch},
        )
        passing = self.test_runner(trajectory.session, None)
        trajectory.act(words.say("run_all_tests", target=None), "run_tests", {}, passing)
        applied = _applied_lines(first) + _applied_lines(second)
        return (applied if len(applied) >= 2 else []), passing.exit_code


def _unusable(context: TaskContext) -> Skip | None:
    if context.family not in AGENT_FAMILIES:
        return Skip(
            SkipCategory.NOT_AN_AGENT_TASK,
            f"{context.family} tasks are not drafted as agent trajectories",
        )
    if not context.units:
        return Skip(SkipCategory.NO_UNIT, "no changed function or class to work on")
    if not context.tickets and not context.tests:
        return Skip(
            SkipCategory.TOO_LITTLE_CONTEXT,
            "too little context: no ticket or test states the request",
        )
    return None


def _explore(
    trajectory: Trajectory, words: Phrasebook, context: TaskContext, view: dict[str, Any]
) -> dict[str, str]:
    """Search and read the code the task is about; return the line spans read per unit."""
    _read_reported_path(trajectory, words, context)
    missed = _search_ticket_terms(trajectory, words, context)
    modified = [u for u in context.units if u.change == "modified"]
    if modified:
        return _read_modified(trajectory, words, modified, missed)
    _read_for_new_code(trajectory, words, context.units[0], missed)
    return {}


def _read_reported_path(trajectory: Trajectory, words: Phrasebook, context: TaskContext) -> None:
    """A traceback in the ticket names a unit's file by the reporter's path: try it, as a person
    would.

    The read fails for real (the path is from the reporter's installation, not the repository),
    and the agent goes on from the error.
    """
    unit_paths = {u.path for u in context.units}
    for reported in _traceback_paths(context):
        tail = reported.lstrip("./").lstrip("/")
        owner = next((p for p in unit_paths if p.endswith("/" + tail) or p == tail), None)
        if owner is None or owner == tail or trajectory.session.file_bytes(tail) is not None:
            continue
        trajectory.act(words.say("read_reported_path", path=tail), "read_file", {"path": tail})
        trajectory.pending = words.say("after_reported_path", path=tail, name=context.units[0].name)
        return


def _traceback_paths(context: TaskContext) -> list[str]:
    if not context.tickets:
        return []
    text = context.tickets[0].body
    paths = [p.replace("...", "").replace("…", "") for p in _TRACEBACK_FILE.findall(text)]
    return [p for p in dict.fromkeys(paths) if "/" in p.strip("/")]


def _search_ticket_terms(
    trajectory: Trajectory, words: Phrasebook, context: TaskContext
) -> str | None:
    """Try the ticket's own code words; keep the first search that finds nothing (a real miss)."""
    names = {u.name for u in context.units}
    for term in _ticket_terms(context)[:MAX_TICKET_TERMS]:
        if any(name in term for name in names):
            continue
        result = trajectory.session.search_code(term)
        if not result.hits:
            trajectory.act(
                words.say("search_ticket_term", term=term), "search_code", {"query": term}, result
            )
            return term
    return None


def _ticket_terms(context: TaskContext) -> list[str]:
    if not context.tickets:
        return []
    ticket = context.tickets[0]
    spans = (
        span.removesuffix("()") for span in _BACKTICKED.findall(ticket.title + "\n" + ticket.body)
    )
    return list(dict.fromkeys(span for span in spans if _IDENTIFIER.fullmatch(span)))


def _read_modified(
    trajectory: Trajectory, words: Phrasebook, units: list[CodeUnit], missed: str | None
) -> dict[str, str]:
    first = units[0]
    # After a failed read the conclusion already says what to search for.
    said = (
        "" if trajectory.pending else words.say("search_unit", name=first.name, after_miss=missed)
    )
    hits = trajectory.session.search_code(first.name)
    trajectory.act(said, "search_code", {"query": first.name}, hits)
    detoured = _read_wrong_file_first(trajectory, words, first, hits)
    spans: dict[str, str] = {}
    for unit in units[:MAX_READ_UNITS]:
        symbol = _symbol_at(trajectory.session, unit)
        if symbol is None:
            continue
        cite_hits = unit is first and not detoured
        said = words.say(
            "read_unit", unit=unit, start=symbol.start_line, end=symbol.end_line, hits=cite_hits
        )
        trajectory.act(
            said,
            "read_file",
            {"path": unit.path, "start_line": symbol.start_line, "end_line": symbol.end_line},
        )
        spans[unit.qualified_name] = f"{symbol.start_line}–{symbol.end_line}"
    return spans


def _read_wrong_file_first(
    trajectory: Trajectory, words: Phrasebook, unit: CodeUnit, hits: SearchHits
) -> bool:
    """When the first hit is elsewhere but the unit's file is among the hits, read the first hit
    first."""
    first = first_hit_elsewhere(hits, unit.path, unit.name)
    if first is None:
        return False
    path, line = first.path, first.line
    how = how_the_hit_names(path, first.text, unit.name)
    trajectory.act(
        words.say("read_wrong_file", path=path, line=line, name=unit.name, how=how),
        "read_file",
        {"path": path, "start_line": max(line - 4, 1), "end_line": line + 4},
    )
    trajectory.pending = words.say(
        "after_wrong_file", path=path, name=unit.name, unit_path=unit.path, how=how
    )
    return True


# A hit that is itself a definition of the name (Python, JavaScript/TypeScript, Go, Rust …)
_DEFINES = (
    r"\b(?:def|class|function|func|fn|interface|struct|type|enum|trait)\s+(?:\([^)]*\)\s*)?{name}\b"
)


def first_hit_elsewhere(hits: SearchHits, unit_path: str, name: str) -> SearchHit | None:
    """The first search hit when it names ``name`` in another file than ``unit_path`` and
    ``unit_path`` is among the hits shown too: the agent reads it first, then turns to the
    definition.

    Only a hit that names the unit as a whole word counts (``_form`` inside ``response_format``
    does not): the thought after the detour says that file uses (code) or mentions (docs) it.
    """
    if not hits.hits:
        return None
    first = hits.hits[0]
    if first.path == unit_path or unit_path not in {hit.path for hit in hits.hits}:
        return None
    if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", first.text):
        return None
    return first


def how_the_hit_names(path: str, text: str, name: str) -> str:
    """``defines`` (another definition of the same name), ``uses`` (other code) or ``mentions``
    (docs)."""
    if language_for_path(path) is None:
        return "mentions"
    return "defines" if re.search(_DEFINES.format(name=re.escape(name)), text) else "uses"


def _read_for_new_code(
    trajectory: Trajectory, words: Phrasebook, unit: CodeUnit, missed: str | None
) -> None:
    folder = unit.path.rsplit("/", 1)[0] if "/" in unit.path else "."
    listing = trajectory.session.list_directory(folder)
    trajectory.act(
        words.say("list_folder", folder=folder, path=unit.path, after_miss=missed),
        "list_directory",
        {"path": folder},
        listing,
    )
    if trajectory.session.file_bytes(unit.path) is not None:
        name = unit.path.rsplit("/", 1)[-1]
        listed = isinstance(listing, DirectoryListing) and listing.has_file(name)
        trajectory.act(
            words.say("read_file_for_new", path=unit.path, listed=listed),
            "read_file",
            {"path": unit.path},
        )


def _read_before_patching(trajectory: Trajectory, words: Phrasebook, patch: str) -> None:
    """Read, in every existing file the patch changes that has not been read yet (a test file,
    most often), the lines its first hunk changes, with a few lines of context: an engineer reads
    before editing, tests included."""
    read = {
        str(turn["content"]["action"]["parameters"].get("path", ""))
        for turn in trajectory.turns
        if turn["role"] == "assistant" and turn["content"]["action"]["tool_name"] == "read_file"
    }
    for old_path, _ in patched_files(patch):
        if old_path is None or old_path in read:
            continue
        start, end = _first_hunk_span(patch, old_path)
        test = is_test_path(old_path)
        trajectory.act(
            words.say("read_before_patch", path=old_path, start=start, end=end, test=test),
            "read_file",
            {"path": old_path, "start_line": start, "end_line": end},
        )
        read.add(old_path)


def _first_hunk_span(patch: str, path: str) -> tuple[int, int]:
    """The old lines the first hunk of ``path`` in the patch covers, at least one."""
    section = patch.split(f"--- a/{path}\n", 1)[-1]
    found = _HUNK.search(section)
    if found is None:
        return 1, 40
    start, length = int(found.group(1)), int(found.group(2) or 1)
    return max(start, 1), max(start, 1) + max(length, 1) - 1


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.MULTILINE)


def _symbol_at(session: SnapshotSession, unit: CodeUnit) -> SymbolFact | None:
    """The unit's definition in the session's tree (the parent commit), with its line span."""
    source = session.file_bytes(unit.path)
    if source is None:
        return None
    return next(
        (s for s in extract_symbols(source, unit.lang) if s.qualified_name == unit.qualified_name),
        None,
    )


def _applied_lines(result: ToolResult) -> list[str]:
    """The files an applied patch changed, as its result names them (none when it did not
    apply)."""
    if not isinstance(result, PatchApplied):
        return []
    return [changed.render() for changed in result.files]


def _split_patch(patch: str, paths: list[str]) -> str:
    """The file sections of a unified diff that touch ``paths``."""
    sections = re.split(r"(?m)^(?=diff --git )", patch)
    wanted = [
        s for s in sections if s and any(f" b/{p}\n" in s.split("\n", 1)[0] + "\n" for p in paths)
    ]
    return "".join(wanted)
