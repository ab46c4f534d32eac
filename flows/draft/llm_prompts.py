"""The LLM drafter's prompts: which templates, which golds, which facts, rendered into chat
messages.

Pure functions of a task's context and the seeds folder, so ``goldmine prompts render`` shows
exactly what the drafter would send, without a model. Templates live in ``prompts/llm/``: one per
(record kind × task family) and language, e.g. ``llm/bugfix_to_instruction.zh.md.j2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flows.draft.extractive_instruction import task_view
from flows.draft.families import family_view
from flows.errors import ConfigError
from flows.prompting import PROMPTS_DIR, bundle_ref, render
from miners.code_symbols import GuardClause
from miners.commit_kinds import CODE_FAMILIES
from warehouse.seed_folder import Seed, few_shots
from warehouse.selection.task_context import TaskContext

FAMILIES = (*CODE_FAMILIES, "tests", "docs", "edge_cases", "review")  # each has its own template
SYSTEM_TEMPLATE = "llm/drafter_system.{lang}.md.j2"
TASK_TEMPLATE = "llm/{family}_to_{kind}.{lang}.md.j2"
REPAIR_TEMPLATE = "llm/repair_reply.{lang}.md.j2"
_TEMPLATE_NAME = re.compile(r"^llm/(?P<family>\w+)_to_(?P<kind>\w+)\.(?P<lang>en|zh)\.md\.j2$")
Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class Prompt:
    """The messages of one drafting request, with what made them (for provenance)."""

    messages: tuple[Message, ...]
    template: str  # name@hash of the task template, its system message and every partial they use
    seeds: tuple[str, ...]


def task_template(family: str, kind: str, lang: str) -> str:
    """The template that drafts a ``kind`` record from a task of ``family`` (``change`` when
    unknown)."""
    family = family if family in FAMILIES else "change"
    return TASK_TEMPLATE.format(family=family, kind=kind, lang=lang)


def task_templates() -> list[str]:
    """Every task template shipped in ``prompts/llm/``."""
    found = (f"llm/{path.name}" for path in (PROMPTS_DIR / "llm").glob("*_to_*.md.j2"))
    return sorted(name for name in found if _TEMPLATE_NAME.match(name))


def template_language(name: str) -> str:
    """The language a task template writes in; :class:`ConfigError` for a name that is not one."""
    match = _TEMPLATE_NAME.match(name)
    if match is None or name not in task_templates():
        raise ConfigError(
            f"no task template named {name}: choose one of {', '.join(task_templates())}"
        )
    return match.group("lang")


def build_prompt(
    context: TaskContext,
    kind: str,
    lang: str,
    seeds: tuple[Seed, ...],
    *,
    few_shot_count: int = 1,
    template: str | None = None,
) -> Prompt:
    """The system and user messages that draft one ``kind`` record of ``context`` in ``lang``."""
    name = template or task_template(context.family, kind, lang)
    examples = few_shots(seeds, kind, context.family, lang, few_shot_count)
    view = prompt_view(context, examples)
    system = SYSTEM_TEMPLATE.format(lang=lang)
    messages = (
        {"role": "system", "content": render(system, {})},
        {"role": "user", "content": render(name, view)},
    )
    return Prompt(messages, bundle_ref([name, system]), tuple(seed.name for seed in examples))


def repair_message(problem: str, lang: str) -> Message:
    """The one follow-up message sent after a reply that is not a valid record."""
    return {
        "role": "user",
        "content": render(REPAIR_TEMPLATE.format(lang=lang), {"problem": problem}),
    }


def prompt_view(context: TaskContext, examples: list[Seed]) -> dict[str, Any]:
    """The variables every LLM task template receives (listed in prompts/README.md)."""
    view = task_view(context)
    for unit_view, unit in zip(view["units"], context.units, strict=True):
        unit_view["before"] = unit.before.rstrip() if unit.change == "modified" else ""
        unit_view["module_doc"] = context.module_docs.get(unit.path, "")
    view["commit"] = {"subject": context.subject.strip(), "body": context.body.strip()}
    view["examples"] = [_example(seed) for seed in examples]
    if context.family in FAMILIES and context.family not in CODE_FAMILIES:
        view.update(family_view(context))
        view["guard_lines"] = "\n".join(_guard_line(guard) for guard in view.get("guards", []))
    return view


def _guard_line(guard: GuardClause) -> str:
    return f"{guard.condition} → {guard.error}" + (f" ({guard.message})" if guard.message else "")


def _example(seed: Seed) -> dict[str, Any]:
    """A gold as plain text, field by field: only the fields a model writes, and only those with
    text.

    Plain text rather than JSON: the model should see what good content looks like, and escaped
    JSON would read worse (and trip the redaction seam: ``\\n@app.get`` looks like an address).
    """
    fields = {
        key: str(getattr(seed.record, key, "")).strip()
        for key in ("system", "instruction", "input", "output")
    }
    return {
        "name": seed.name,
        "demonstrates": seed.meta.get("demonstrates", ""),
        "fields": {key: text for key, text in fields.items() if text},
    }
