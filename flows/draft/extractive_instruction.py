"""The extractive drafter: records built straight from mined facts, with no model and no network.

The ticket (or the commit subject) becomes an over-specific instruction — role and context from
the repository, numbered requirements read off the real change, the acceptance test — and the
real code after the change, with the commit's own explanation, becomes the output.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from flows.draft.answer_code import (
    answer_code,
    answer_problem,
    data_fence,
    exercising_tests,
    fence_tag,
    module_texts,
    needed_files,
    removals_view,
)
from flows.draft.commit_text import clip
from flows.draft.drafting import DraftResult, DraftSkipped
from flows.draft.evidence import Evidence, commit_evidence, plain_title, ticket_evidence
from flows.draft.extractive_tickets import draft_ticket_instruction
from flows.draft.families import family_view, task_problem
from flows.prompting import Phrasebook, render, template_ref
from miners.code_facts import caught_errors, log_calls, new_items, raised_errors, signature
from miners.code_symbols import new_guards
from miners.commit_kinds import CODE_FAMILIES, is_test_case
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory
from warehouse.records import InstructionRecord
from warehouse.selection.task_context import CodeUnit, Context, TaskContext
from warehouse.selection.ticket_context import TicketContext

DRAFTER = "extractive"
# Families whose template holds `instruction`, `input` and `output` macros
# (flows/draft/families.py).
FAMILY_TEMPLATES = {
    "tests": "extractive/code_to_tests.{lang}.md.j2",
    "docs": "extractive/code_to_docstring.{lang}.md.j2",
    "edge_cases": "extractive/fix_to_edge_cases.{lang}.md.j2",
    "review": "extractive/reverted_change_to_review.{lang}.md.j2",
}
INSTRUCTION_TEMPLATE = "extractive/commit_to_instruction.{lang}.md.j2"
OUTPUT_TEMPLATE = "extractive/commit_to_output.{lang}.md.j2"
MAX_UNIT_LINES = 120
MAX_TEST_LINES = 40
MAX_REPORT_CHARS = 1_500
MAX_COMMENT_CHARS = 600
MAX_DECORATOR_CHARS = 60  # a longer decorator is named by its callee in a requirement
MAX_CONDITION_CHARS = 80  # a longer guard condition is not stated in a requirement

_ROLES = {
    "python": ("Python developer", "Python 开发工程师"),
    "javascript": ("JavaScript developer", "JavaScript 开发工程师"),
    "typescript": ("TypeScript developer", "TypeScript 开发工程师"),
    "tsx": ("TypeScript and React developer", "TypeScript/React 开发工程师"),
    "go": ("Go developer", "Go 开发工程师"),
    "java": ("Java developer", "Java 开发工程师"),
    "rust": ("Rust developer", "Rust 开发工程师"),
    "c": ("C developer", "C 开发工程师"),
    "cpp": ("C++ developer", "C++ 开发工程师"),
}
_KIND_ZH = {"function": "函数", "method": "方法", "class": "类"}
_CONVENTIONAL_PREFIX = re.compile(r"^\w+(?:\([^)]*\))?!?:\s*")
# "(#123)", "This fixes #105", "fixes GH-3", "closes PROJ-12" at the end of a subject
_TICKET_REFERENCE = re.compile(
    r"\s*(?:[.;,]?\s*(?:this\s+)?(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?|refs?|see)\s+)?"
    r"\(?(?:[\w./-]*#\d+|GH-\d+|[A-Z][A-Z0-9]+-\d+)\)?[\s.]*$",
    re.IGNORECASE,
)


class ExtractiveDrafter:
    """Drafts records from mined facts alone (no model, no network)."""

    name = DRAFTER

    def draft(self, context: Context, kind: str, lang: str) -> DraftResult:
        """One record of ``kind`` in ``lang``, or why not."""
        if isinstance(context, TicketContext):
            return (
                draft_ticket_instruction(context, lang)
                if kind == "instruction"
                else _not_instruction(kind)
            )
        if kind != "instruction":
            return _not_instruction(kind)
        return draft(context, lang)


def _not_instruction(kind: str) -> DraftSkipped:
    return DraftSkipped(
        Skip(
            SkipCategory.KIND_NOT_DRAFTED,
            f"ExtractiveDrafter makes instruction records, not {kind}",
        )
    )


def draft(context: TaskContext, lang: str) -> InstructionRecord | DraftSkipped:
    """One instruction record for the task in ``lang`` (``en`` or ``zh``), or why not."""
    problem = _unusable(context)
    if problem is not None:
        return DraftSkipped(problem)
    if context.family in FAMILY_TEMPLATES:
        return _draft_family(context, lang)
    view = task_view(context)
    instruction_template = INSTRUCTION_TEMPLATE.format(lang=lang)
    output_template = OUTPUT_TEMPLATE.format(lang=lang)
    template = f"{template_ref(instruction_template)}+{template_ref(output_template).split('@')[1]}"
    record_id = stable_id(context.task_id, "instruction", lang, DRAFTER, template)
    return InstructionRecord(
        id=record_id,
        task_type=context.family,
        lang="zh" if lang == "zh" else "en",
        instruction=render(instruction_template, view),
        input=_input_text(context, lang),
        output=render(output_template, {**view, "answer_code": answer_code(context, lang)}),
        provenance=context.provenance(DRAFTER, template),
    )


def _unusable(context: TaskContext) -> Skip | None:
    problem = task_problem(context, MAX_UNIT_LINES)
    if problem is not None or context.family not in (*CODE_FAMILIES, "edge_cases"):
        return problem
    return _code_task_problem(context)


def _code_task_problem(context: TaskContext) -> Skip | None:
    """Why a code task cannot make a record a reviewer keeps: no evidence of the problem, an
    answer that would not run, or code that holds a redaction placeholder."""
    evidence = task_evidence(context)
    if evidence is None or not evidence.has_reason:
        return Skip(
            SkipCategory.NO_EVIDENCE,
            "no ticket, and the commit body gives no reason for the change: the subject alone "
            "is not a problem statement",
        )
    problem = answer_problem(context)
    if problem is not None:
        return problem
    return None


def task_evidence(context: TaskContext) -> Evidence | None:
    """The problem as evidence states it: the linked ticket's report, else the commit body."""
    for ticket in context.tickets:
        found = ticket_evidence(ticket.title, ticket.body)
        if found is not None:
            return found
    return commit_evidence(context.body)


def _why(context: TaskContext, evidence: Evidence | None) -> tuple[str, ...]:
    """The reasons the explanation gives: the commit body's own, else the ticket's (the task's
    ``evidence``)."""
    from_commit = (
        commit_evidence(context.body)
        if evidence is None or evidence.source != "commit"
        else evidence
    )
    if from_commit is not None and from_commit.has_reason:
        return from_commit.why
    return evidence.why if evidence is not None else ()


def task_view(context: TaskContext) -> dict[str, Any]:
    """The variables every code-task template receives (listed in prompts/README.md)."""
    lang = context.units[0].lang
    befores = "\n".join(u.before for u in context.units)
    afters = "\n".join(u.after for u in context.units)
    return {
        "family": context.family,
        "role": _ROLES.get(lang, ("software developer", "软件开发工程师"))[0],
        "role_zh": _ROLES.get(lang, ("software developer", "软件开发工程师"))[1],
        "kind_zh": _KIND_ZH,
        "project": {"name": context.profile.name, "purpose": context.profile.purpose},
        "stack": [f"{name} {version}" for name, version in context.profile.runtimes.items()],
        "deps": list(context.profile.dependencies),
        "module_docs": {path: doc for path, doc in context.module_docs.items() if doc},
        "fence": fence_tag(lang),
        "units": [_unit_view(unit) for unit in context.units],
        "report": _report(context),
        "raises": [
            e
            for e in raised_errors(afters, lang)
            if e.name not in {b.name for b in raised_errors(befores, lang)}
        ],
        "catches": new_items(caught_errors(befores, lang), caught_errors(afters, lang)),
        "logs": new_items(log_calls(befores), log_calls(afters)),
        **_answer_view(context),
    }


def _answer_view(context: TaskContext) -> dict[str, Any]:
    """What the record states about this change: its evidence, what the answer must hold, and the
    facts read off the diff and the tests that exercise it."""
    evidence = task_evidence(context)
    why = _why(context, evidence)
    tests = exercising_tests(context)[:2]
    return {
        "tests": [_test_view(test) for test in tests],
        # only the body's sentences that give a reason, cleaned: never the body pasted
        "explanation": " ".join(why),
        "title": plain_title(context.subject),
        "evidence": evidence,
        "why": why,
        "module": module_texts(context),
        "removals": removals_view(context),
        "test_edits": [
            {"name": t.qualified_name, "path": t.path}
            for t in context.test_edits
            if is_test_case(t.qualified_name, t.lang, t.after)
        ],
        "data_files": [
            {"path": path, "fence": data_fence(path), "text": text.rstrip()}
            for path, text in needed_files(context).items()
            if text is not None
        ],
        "fixtures": [
            {"name": f.qualified_name, "path": f.path, "code": f.after.rstrip()}
            for f in context.fixtures
        ],
        "new_guards": _guard_views(context.units),
        "new_parameters": _new_parameters(context.units),
        "pins": [_pin(test, context.units) for test in tests],
    }


def _guard_views(units: tuple[CodeUnit, ...]) -> list[dict[str, str]]:
    """The guards the change added that raise a named error, short enough to state."""
    guards = [g for u in units for g in new_guards(u.before, u.after, u.lang)]
    return [
        {"condition": " ".join(g.condition.split()), "error": g.error, "message": g.message}
        for g in dict.fromkeys(guards)
        if g.error and len(g.condition) <= MAX_CONDITION_CHARS
    ]


def _new_parameters(units: tuple[CodeUnit, ...]) -> list[dict[str, str]]:
    """Parameters a modified Python function gained, with their defaults."""
    found = []
    for unit in units:
        if unit.change != "modified" or unit.lang != "python":
            continue
        before = _python_parameters(signature(unit.before, "python"))
        for name, default in _python_parameters(signature(unit.after, "python")).items():
            if name not in before and name not in {"self", "cls"}:
                found.append({"unit": unit.name, "name": name, "default": default})
    return found


def _python_parameters(header: str) -> dict[str, str]:
    try:
        tree = ast.parse(
            header.rstrip(":") + ": pass" if header.startswith(("def", "async")) else ""
        )
    except SyntaxError:
        return {}
    function = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None
    )
    if function is None:
        return {}
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    pairs = list(zip(positional, defaults, strict=True)) + list(
        zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    )
    return {a.arg: ast.unparse(d) if d is not None else "" for a, d in pairs}


_ASSERTION = re.compile(
    r"^\s*(assert\b.*|with pytest\.raises\(.*\).*:|self\.assert\w+\(.*\))\s*$", re.M
)


_EXPECTED_ERROR = re.compile(r"(?:pytest\.raises|assertRaises\w*)\(\s*([\w.]+)")


def _pin(test: CodeUnit, units: tuple[CodeUnit, ...]) -> dict[str, str]:
    """What a test checks, in one line of its own: its first assertion after it uses the change."""
    names = [u.name for u in units]
    lines = test.after.splitlines()
    start = next(
        (
            n
            for n, line in enumerate(lines)
            if any(re.search(rf"\b{re.escape(m)}\b", line) for m in names)
        ),
        0,
    )
    # the check can open just before the call (``with pytest.raises(…):`` then the call)
    assertion = next(
        (line.strip() for line in lines[max(start - 1, 0) :] if _ASSERTION.match(line)), ""
    )
    expected = _EXPECTED_ERROR.search(assertion)
    return {
        "name": test.qualified_name,
        "path": test.path,
        "assertion": "" if expected or len(assertion) > 120 else assertion,
        "expects": expected.group(1) if expected else "",
    }


def _unit_view(unit: CodeUnit) -> dict[str, Any]:
    after_signature = (
        (unit.signature or _signature(unit.after, unit.lang)) if unit.kind != "class" else ""
    )
    before_signature = (
        _signature(unit.before, unit.lang) if unit.before and unit.kind != "class" else ""
    )
    return {
        "path": unit.path,
        "name": unit.name,
        "qualified_name": unit.qualified_name,
        "kind": unit.kind,
        "change": unit.change,
        "fence": fence_tag(unit.lang),
        "after": unit.after.rstrip(),
        "before": unit.before.rstrip(),
        "lang": unit.lang,
        "signature": after_signature,
        "signature_kept": bool(before_signature) and before_signature == after_signature,
        "decorators": [_decorator(decorator) for decorator in unit.decorators],
        "fully_typed": unit.fully_typed,
    }


def _decorator(text: str) -> str:
    """A decorator as a requirement names it: whole when short, else its callee
    (``@click.option(…)``)."""
    if "\n" not in text and len(text) <= MAX_DECORATOR_CHARS:
        return f"@{text}"
    callee, has_arguments, _ = text.partition("(")
    return f"@{' '.join(callee.split())}{'(…)' if has_arguments else ''}"


def _signature(code: str, lang: str) -> str:
    """The declaration on one line: libcst's reading for Python (exact, annotations and defaults as
    written, decorators left out), the declaration text for other languages or unparseable code."""
    return signature(code, lang)


def _test_view(test: CodeUnit) -> dict[str, Any]:
    code = test.after.rstrip()
    return {
        "name": test.qualified_name,
        "path": test.path,
        "fence": fence_tag(test.lang),
        "code": code if len(code.splitlines()) <= MAX_TEST_LINES else "",
    }


def _report(context: TaskContext) -> dict[str, Any]:
    """The problem as its reporter wrote it: the linked ticket, else the commit's own account."""
    ticket = context.tickets[0] if context.tickets else None
    if ticket is not None:
        return {
            "key": ticket.key,
            "title": ticket.title.strip(),
            "text": clip(ticket.body.strip(), MAX_REPORT_CHARS),
            "comments": [
                clip(c.strip(), MAX_COMMENT_CHARS) for c in ticket.comments[:3] if c.strip()
            ],
        }
    title = _TICKET_REFERENCE.sub("", _CONVENTIONAL_PREFIX.sub("", context.subject)).strip(" .")
    return {"key": "", "title": plain_title(title), "text": "", "comments": []}


def _draft_family(context: TaskContext, lang: str) -> InstructionRecord | DraftSkipped:
    words = Phrasebook(FAMILY_TEMPLATES[context.family].format(lang=lang))
    view = {
        **task_view(context),
        **family_view(context),
        "answer_code": answer_code(context, lang),
    }
    instruction = words.say("instruction", **_arguments(words, "instruction", view))
    given = words.say("input", **_arguments(words, "input", view))
    if context.family == "tests" and context.fixtures:
        given = f"{given.rstrip()}\n\n{_fixtures_text(context, lang)}"
    output = words.say("output", **_arguments(words, "output", view))
    record_id = stable_id(context.task_id, "instruction", lang, DRAFTER, words.ref)
    return InstructionRecord(
        id=record_id,
        task_type=context.family,
        lang="zh" if lang == "zh" else "en",
        instruction=instruction,
        input=given,
        output=output,
        provenance=context.provenance(DRAFTER, words.ref),
    )


def _fixtures_text(context: TaskContext, lang: str) -> str:
    """The fixtures and ``setUp`` the tests use, as they are at the commit."""
    return "\n\n".join(
        _labelled_code(
            f"`{fixture.path}` — `{fixture.qualified_name}` (used by the tests):"
            if lang == "en"
            else f"`{fixture.path}` — `{fixture.qualified_name}`（测试会用到）：",
            "python",
            fixture.after,
        )
        for fixture in context.fixtures
    )


def _labelled_code(label: str, fence: str, code: str) -> str:
    return f"{label}\n\n```{fence}\n{code.rstrip()}\n```"


def _arguments(words: Phrasebook, macro: str, view: dict[str, Any]) -> dict[str, Any]:
    """The variables a macro declares, taken from the view."""
    return {name: view[name] for name in words.parameters(macro)}


def _input_text(context: TaskContext, lang: str) -> str:
    """The code before the change (of the tests it updates too), and the fixtures the acceptance
    tests use."""
    blocks = [
        _labelled_code(
            f"Current code of `{unit.qualified_name}` in `{unit.path}`:"
            if lang == "en"
            else f"`{unit.path}` 中 `{unit.qualified_name}` 的当前代码：",
            fence_tag(unit.lang),
            unit.before,
        )
        for unit in (*context.units, *context.test_edits)
        if unit.change == "modified" and unit.before.strip()
    ]
    if context.fixtures and exercising_tests(context):
        blocks.append(_fixtures_text(context, lang))
    return "\n\n".join(blocks)
