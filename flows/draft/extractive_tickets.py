"""Records from resolved tickets (the ``resolution`` family), with or without a repository.

The instruction is the problem as the reporter wrote it, with the tracker's context (product,
component, version, environment) and requirements that name what the answer covers. The output is
the resolution as the thread reached it — cause, steps, commands, checks, error cases — every
sentence copied from the thread, so the assay can trace each one back.

Agent records are made where the thread shows the resolver looking something up with a tool the
user declared in the catalog: another ticket (``search_tickets``), a query and the rows it returned
(``query_database``), the first rows of a file (``read_csv_sample``). Results come from the
thread's own evidence; a lookup without evidence is not invented.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from flows.draft.drafting import NO_CATALOG_LOOKUP, DraftResult, DraftSkipped
from flows.prompting import Phrasebook
from miners.ticket_threads import has_actionable_step
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory
from warehouse.records import AgentRecord, InstructionRecord, Provenance
from warehouse.selection.ticket_context import TicketContext
from warehouse.selection.tickets import reporters_of
from warehouse.tool_catalog import ToolCatalog

DRAFTER = "extractive"
INSTRUCTION_TEMPLATE = "extractive/ticket_to_instruction.{lang}.md.j2"
TRAJECTORY_TEMPLATE = "extractive/ticket_to_trajectory.{lang}.md.j2"
_SQL_THEN_RESULT = re.compile(
    r"```sql\n(?P<sql>.*?)```\s*(?:[^\n`]*\n)?```[\w-]*\n(?P<rows>.*?)```", re.DOTALL | re.I
)
_CSV_PATH = re.compile(r"(/[\w./-]+\.csv)\b")
_CSV_BLOCK = re.compile(r"```(?:csv|text)?\n(?P<rows>[^`]*?[,;\t][^`]*?)```", re.DOTALL)
Step = tuple[str, dict[str, Any], Any]  # tool, parameters, result


def product_of(context: TicketContext) -> str:
    """The product the ticket is about: a tracker field, else the repository in its URL, else the
    key's project."""
    for name in ("product", "project", "project_name"):
        if context.fields.get(name):
            return str(context.fields[name])
    parts = [p for p in urlparse(context.url).path.split("/") if p]
    if len(parts) >= 2 and parts[2:3] in (["issues"], ["-"], ["pull"]):
        return parts[1]
    return (
        context.key.rsplit("-", 1)[0]
        if "-" in context.key
        else context.source_name.rsplit(".", 1)[0]
    )


def draft_ticket_instruction(context: TicketContext, lang: str) -> DraftResult:
    """An instruction record from a resolved ticket, or why not."""
    if not context.answer.text:
        return DraftSkipped(Skip(SkipCategory.NO_ANSWER, "the thread no longer has an answer"))
    if not has_actionable_step(context.resolution):
        return DraftSkipped(
            Skip(
                SkipCategory.NO_STEP,
                "the answer gives no step to follow: it explains, but tells the user to do nothing",
            )
        )
    words = Phrasebook(INSTRUCTION_TEMPLATE.format(lang=lang))
    product = product_of(context)
    instruction = words.say(
        "instruction",
        tracker=context.tracker,
        product=product,
        context_fields=context.context_fields,
        key=context.key,
        title=context.title,
        body=context.body,
        follow_ups=list(context.follow_ups),
        environment=list(context.environment),
        resolution=context.resolution,
        linked_commits=list(context.linked_commits),
    )
    output = words.say(
        "output", resolution=context.resolution, linked_commits=list(context.linked_commits)
    )
    return InstructionRecord(
        id=stable_id(context.task_id, "instruction", lang, DRAFTER, words.ref),
        task_type=context.family,
        lang="zh" if lang == "zh" else "en",
        instruction=instruction,
        output=output,
        provenance=_provenance(context, words.ref, None),
    )


def draft_ticket_trajectory(context: TicketContext, lang: str, catalog: ToolCatalog) -> DraftResult:
    """An agent record whose tool calls are the lookups the thread shows, with the thread's
    results."""
    steps = evidence_steps(context, catalog)
    if not steps or not context.answer.text:
        return DraftSkipped(NO_CATALOG_LOOKUP)
    return ticket_trajectory(context, lang, catalog, steps, DRAFTER)


def evidence_steps(context: TicketContext, catalog: ToolCatalog) -> list[Step]:
    """The lookups the thread shows together with their results, as tool calls of the catalog."""
    return [step for finder in _FINDERS for step in finder(context, catalog)]


def ticket_trajectory(
    context: TicketContext,
    lang: str,
    catalog: ToolCatalog,
    steps: list[Step],
    drafter: str,
    simulated: int = 0,
) -> AgentRecord:
    """The record: the ticket, one thought-and-call per step with its result, the resolver's answer.

    The last ``simulated`` steps are lookups the thread only describes; their results were played
    by a model, and the record says so (``observations: simulated``).
    """
    words = Phrasebook(TRAJECTORY_TEMPLATE.format(lang=lang))
    request = words.say("request", title=context.title, body=context.body, key=context.key)
    turns: list[dict[str, Any]] = [{"role": "user", "content": request}]
    for number, (tool, parameters, result) in enumerate(steps):
        described = number >= len(steps) - simulated
        thought = (
            words.say("why_described", tool=tool)
            if described
            else words.say(f"why_{tool}", **parameters)
        )
        action = {"tool_name": tool, "parameters": parameters}
        turns.append({"role": "assistant", "content": {"thought": thought, "action": action}})
        turns.append({"role": "tool", "content": {"result": result}})
    final = words.say("final_thought", tools=[tool for tool, _, _ in steps])
    turns.append(
        {"role": "assistant", "content": {"thought": final, "final_answer": context.answer.text}}
    )
    used = list(dict.fromkeys(tool for tool, _, _ in steps))
    return AgentRecord.model_validate(
        {
            "id": stable_id(context.task_id, "agent", lang, drafter, words.ref),
            "task_type": context.family,
            "lang": lang,
            "system": words.say(
                "system", product=product_of(context), context_fields=context.context_fields
            ),
            "tools": [t.model_dump() for t in catalog.specs(used)],
            "conversation": turns,
            "provenance": _provenance(
                context, words.ref, "simulated" if simulated else "replayed", drafter
            ),
        }
    )


def described_lookups(
    context: TicketContext, catalog: ToolCatalog, done: set[str]
) -> list[tuple[str, str]]:
    """(tool, sentence) for each declared tool the resolver says they used but whose result is not
    shown.

    A sentence describes a tool when it uses at least two of the words of the tool's name
    (``query_database``: "I queried the database …").
    """
    sentences = [
        s
        for c in context.thread
        if c.author not in reporters_of(context.fields)
        for s in _prose(c.text)
    ]
    found = []
    for name in catalog.tools:
        if name in done or name in catalog.replayable:
            continue
        stems = {word[:4] for word in name.lower().split("_") if len(word) >= 3}
        match = next(
            (
                s
                for s in sentences
                if len(stems & {w[:4] for w in re.findall(r"[a-z]{3,}", s.lower())}) >= 2
            ),
            None,
        )
        if match is not None:
            found.append((name, match))
    return found


def _stems(sentence: str) -> set[str]:
    return {word[:4] for word in re.findall(r"[a-z]{3,}", sentence.lower())}


def _prose(text: str) -> list[str]:
    return [
        part.strip()
        for part in re.split(r"(?<=[.!?])\s+|\n+", re.sub(r"```.*?```", " ", text, flags=re.DOTALL))
        if part.strip()
    ]


def _provenance(
    context: TicketContext, template: str, observations: str | None, drafter: str = DRAFTER
) -> Provenance:
    return Provenance(
        repo=context.source_name,
        commits=[c.sha for c in context.linked_commits],
        tickets=[context.key],
        drafter=drafter,
        template=template,
        task_id=context.task_id,
        observations=observations,  # type: ignore[arg-type]
    )


def _resolver_text(context: TicketContext) -> str:
    """What the people answering wrote (the reporter's own words are the question, not lookups)."""
    reporters = reporters_of(context.fields)
    return "\n\n".join(c.text for c in context.thread if c.author not in reporters)


def _ticket_lookups(context: TicketContext, catalog: ToolCatalog) -> list[Step]:
    if "search_tickets" not in catalog.tools:
        return []
    text = _resolver_text(context)
    keys = [
        k for k in context.other_tickets if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)
    ]
    return [("search_tickets", {"query": key}, [context.other_tickets[key]]) for key in keys[:2]]


def _database_lookups(context: TicketContext, catalog: ToolCatalog) -> list[Step]:
    if "query_database" not in catalog.tools:
        return []
    steps: list[Step] = []
    for match in _SQL_THEN_RESULT.finditer(_resolver_text(context)):
        table = _text_table(match.group("rows"))
        if table is not None:
            steps.append(("query_database", {"sql": match.group("sql").strip()}, table))
    return steps[:2]


def _file_lookups(context: TicketContext, catalog: ToolCatalog) -> list[Step]:
    if "read_csv_sample" not in catalog.tools:
        return []
    text = _resolver_text(context)
    block = _CSV_BLOCK.search(text)
    path = _CSV_PATH.search(text[max(block.start() - 300, 0) : block.start()]) if block else None
    if path is None or block is None:
        return []
    sample = block.group("rows").strip()
    rows = list(csv.reader(io.StringIO(sample), delimiter=_delimiter(sample)))
    if len(rows) < 2:
        return []
    result = {"header": rows[0], "rows": rows[1:], "delimiter": _delimiter(sample)}
    return [("read_csv_sample", {"path": path.group(1), "rows": len(rows) - 1}, result)]


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _text_table(text: str) -> dict[str, Any] | None:
    """Rows pasted as a psql or Markdown table (``|`` separated) → columns, rows and row_count."""
    lines = [line.strip().strip("|") for line in text.strip().splitlines()]
    lines = [
        line
        for line in lines
        if line and not re.fullmatch(r"[-+:| ]+", line) and not line.startswith("(")
    ]
    if len(lines) < 2 or "|" not in lines[0]:
        return None
    columns = [cell.strip() for cell in lines[0].split("|")]
    rows = [[cell.strip() for cell in line.split("|")] for line in lines[1:]]
    if any(len(row) != len(columns) for row in rows):
        return None
    return {"columns": columns, "rows": rows, "row_count": len(rows)}


_FINDERS: tuple[Callable[[TicketContext, ToolCatalog], list[Step]], ...] = (
    _ticket_lookups,
    _database_lookups,
    _file_lookups,
)
