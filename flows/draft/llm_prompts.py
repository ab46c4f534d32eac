"""The LLM drafter's prompts: which templates, which golds, which facts, rendered into chat
messages, cut to the endpoint's token budget.

Functions of a task's context, the repository at its commit (``llm_facts``) and the seeds
folder, so ``goldmine prompts render`` shows exactly what the drafter would send, without a
model. Templates live in ``prompts/llm/``: one per (record kind × task family) and language,
e.g. ``llm/bugfix_to_instruction.zh.md.j2``.

**The budget.** A prompt and the reply it asks for must fit the model's context
(``[llm] context_tokens``, less ``[llm] max_tokens`` for the reply). A prompt over it loses its
least useful facts first, in the order of :data:`CUTS` — the example record, then the fixtures,
the module-level lines the code uses, the data files, the updated code of the existing tests the
change edits, the ticket's comments, the tests' bodies, the module summaries and the project's
purpose — and says which it lost. The changed code, the commit message, the ticket's report,
the names of the tests and what the change adds or deletes at module level stay: a task whose
prompt is over budget even so is skipped with the reason (:class:`PromptTooLarge`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.draft.answer_code import exercising_tests, module_texts, new_fixtures, new_tests
from flows.draft.extractive_instruction import task_view
from flows.draft.families import family_view
from flows.draft.llm_facts import COMMIT_FILES, CommitFiles, changed, message_doubts, used_lines
from flows.errors import ConfigError
from flows.llm.client import estimate_tokens
from flows.prompting import PROMPTS_DIR, bundle_ref, render
from flows.settings import LLMConfig
from miners.code_symbols import GuardClause
from miners.commit_kinds import CODE_FAMILIES
from warehouse.outcomes import Skip, SkipCategory
from warehouse.seed_folder import Seed, few_shots
from warehouse.selection.task_context import CodeUnit, TaskContext

FAMILIES = (*CODE_FAMILIES, "tests", "docs", "edge_cases", "review")  # each has its own template
SYSTEM_TEMPLATE = "llm/drafter_system.{lang}.md.j2"
TASK_TEMPLATE = "llm/{family}_to_{kind}.{lang}.md.j2"
REPAIR_TEMPLATE = "llm/repair_reply.{lang}.md.j2"
_TEMPLATE_NAME = re.compile(r"^llm/(?P<family>\w+)_to_(?P<kind>\w+)\.(?P<lang>en|zh)\.md\.j2$")
Message = dict[str, str]
MAX_TESTS = 4  # acceptance tests shown with their bodies
MAX_TEST_LINES = 80


@dataclass(frozen=True, slots=True)
class Prompt:
    """The messages of one drafting request, with what made them (for provenance)."""

    messages: tuple[Message, ...]
    template: str  # name@hash of the task template, its system message and every partial they use
    seeds: tuple[str, ...]
    cut: tuple[str, ...] = ()  # the facts left out to fit the budget (keys of CUTS)
    tokens: int = 0  # the estimated prompt tokens


class PromptTooLarge(ValueError):
    """A task whose prompt is over the budget even with only its essential facts."""

    def __init__(self, tokens: int, budget: int) -> None:
        super().__init__(
            f"the prompt needs about {tokens} tokens even without its optional facts, over the "
            f"budget of {budget} ([llm] context_tokens less max_tokens): raise context_tokens "
            "for a model with a longer context"
        )
        self.skip = Skip(SkipCategory.PROMPT_TOO_LARGE, str(self))


def _drop_examples(view: dict[str, Any]) -> bool:
    return _emptied(view, "examples")


def _drop_fixtures(view: dict[str, Any]) -> bool:
    return _emptied(view, "fixtures")


def _drop_used(view: dict[str, Any]) -> bool:
    return _emptied(view, "used")


def _drop_data_files(view: dict[str, Any]) -> bool:
    return _emptied(view, "data_files")


def _drop_test_edit_bodies(view: dict[str, Any]) -> bool:
    if not any(test.get("code") for test in view["test_edits"]):
        return False
    view["test_edits"] = [{**test, "code": ""} for test in view["test_edits"]]
    return True


def _drop_comments(view: dict[str, Any]) -> bool:
    report = view["report"]
    if not report.get("comments"):
        return False
    view["report"] = {**report, "comments": []}
    return True


def _drop_test_bodies(view: dict[str, Any]) -> bool:
    if not any(test.get("code") for test in view["tests"]):
        return False
    view["tests"] = [{**test, "code": ""} for test in view["tests"]]
    return True


def _drop_summaries(view: dict[str, Any]) -> bool:
    had = bool(view["project"].get("purpose")) or any(u["module_doc"] for u in view["units"])
    view["project"] = {**view["project"], "purpose": ""}
    view["units"] = [{**unit, "module_doc": ""} for unit in view["units"]]
    return had


def _emptied(view: dict[str, Any], key: str) -> bool:
    had = bool(view.get(key))
    view[key] = []
    return had


# The optional facts of a prompt, least useful first: cut in this order to fit the budget.
CUTS: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
    ("examples", _drop_examples),
    ("fixtures", _drop_fixtures),
    ("module_lines_used", _drop_used),
    ("data_files", _drop_data_files),
    ("test_edit_bodies", _drop_test_edit_bodies),
    ("ticket_comments", _drop_comments),
    ("test_bodies", _drop_test_bodies),
    ("summaries", _drop_summaries),
)


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


def prompt_budget(settings: LLMConfig) -> int | None:
    """The tokens a prompt may take: the context less the reply's room (None: no limit)."""
    if not settings.context_tokens:
        return None
    return max(0, settings.context_tokens - settings.max_tokens)


def build_prompt(
    context: TaskContext,
    kind: str,
    lang: str,
    seeds: tuple[Seed, ...],
    *,
    few_shot_count: int = 1,
    template: str | None = None,
    budget: int | None = None,
    files: CommitFiles = COMMIT_FILES,
) -> Prompt:
    """The system and user messages that draft one ``kind`` record of ``context`` in ``lang``,
    within ``budget`` tokens (see the module docstring); :class:`PromptTooLarge` when even the
    essential facts do not fit."""
    name = template or task_template(context.family, kind, lang)
    examples = few_shots(seeds, kind, context.family, lang, few_shot_count)
    view = prompt_view(context, examples, files)
    system = SYSTEM_TEMPLATE.format(lang=lang)
    system_text = render(system, {})
    cut: list[str] = []

    def rendered() -> tuple[tuple[Message, ...], int]:
        view["cut"] = list(cut)
        messages = (
            {"role": "system", "content": system_text},
            {"role": "user", "content": render(name, view)},
        )
        return messages, sum(estimate_tokens(m["content"]) for m in messages)

    messages, tokens = rendered()
    for key, drop in CUTS:
        if budget is None or tokens <= budget:
            break
        if drop(view):
            cut.append(key)
            messages, tokens = rendered()
    if budget is not None and tokens > budget:
        raise PromptTooLarge(tokens, budget)
    seed_names = tuple(seed.name for seed in examples) if "examples" not in cut else ()
    return Prompt(messages, bundle_ref([name, system]), seed_names, tuple(cut), tokens)


def repair_message(problem: str, lang: str) -> Message:
    """The one follow-up message sent after a reply that is not a valid record."""
    return {
        "role": "user",
        "content": render(REPAIR_TEMPLATE.format(lang=lang), {"problem": problem}),
    }


def prompt_view(
    context: TaskContext, examples: list[Seed], files: CommitFiles = COMMIT_FILES
) -> dict[str, Any]:
    """The variables every LLM task template receives (listed in prompts/README.md)."""
    view = task_view(context)
    real = changed(context.units)
    units: list[dict[str, Any]] = []
    for unit_view, unit in zip(view["units"], context.units, strict=True):
        if unit not in real:
            continue  # its before and after differ in layout alone: not part of the change
        unit_view["before"] = unit.before.rstrip() if unit.change == "modified" else ""
        first_of_file = all(other["path"] != unit.path for other in units)
        unit_view["module_doc"] = context.module_docs.get(unit.path, "") if first_of_file else ""
        units.append(unit_view)
    view["units"] = units
    view["commit"] = {"subject": context.subject.strip(), "body": context.body.strip()}
    view["doubts"] = [{"kind": d.kind, "name": d.name} for d in message_doubts(context)]
    if context.family == "review":  # its answer is a review, not the change
        view["removals"], view["test_edits"] = [], []
    edited = {(t.path, t.qualified_name): t for t in context.test_edits}
    view["test_edits"] = [
        {**test, **_test(edited[(test["path"], test["name"])])}
        for test in view.get("test_edits", [])
        if (test["path"], test["name"]) in edited
    ]
    written = new_tests(context)
    view["tests"] = [_test(test) for test in [*new_fixtures(context), *written][:MAX_TESTS]]
    view["module"] = module_texts(context, with_tests=True)
    if context.family != "tests":  # the tests family's fixtures are given, new or not
        view["fixtures"] = [f for f in view.get("fixtures", []) if f["name"] in _existing(context)]
    if not (written or exercising_tests(context)) and context.family != "tests":
        view["fixtures"] = []  # the fixtures of tests that do not test the change
    view["used"] = [
        {"path": lines.path, "fence": lines.fence, "text": lines.text}
        for lines in used_lines(context, files)
    ]
    view["examples"] = [_example(seed) for seed in examples]
    view["cut"] = []
    if context.family in FAMILIES and context.family not in CODE_FAMILIES:
        view.update(family_view(context))
        view["guard_lines"] = "\n".join(_guard_line(guard) for guard in view.get("guards", []))
    return view


def _existing(context: TaskContext) -> set[str]:
    """The fixtures the tests use that the parent already has (the input shows them)."""
    return {f.qualified_name for f in context.fixtures if f.change != "added"}


def _test(test: CodeUnit) -> dict[str, Any]:
    """An acceptance test with its body (unless it is too long to show)."""
    code = test.after.rstrip()
    return {
        "name": test.qualified_name,
        "path": test.path,
        "fence": {"tsx": "tsx", "cpp": "cpp"}.get(test.lang, test.lang),
        "code": code if len(code.splitlines()) <= MAX_TEST_LINES else "",
    }


def _guard_line(guard: GuardClause) -> str:
    return f"{guard.condition} → {guard.error}" + (f" ({guard.message})" if guard.message else "")


def _example(seed: Seed) -> dict[str, Any]:
    """A gold as plain text, field by field, and only those with text.

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
