"""The facts each non-code task family needs, read off its context (tests, docs, edge cases,
review).

Every value here comes from the repository: test names, the sections of a docstring the history
wrote, the guard clauses a fix added, the reason a revert gives. Nothing is phrased from
imagination, and when a fact is missing the family's task is skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from flows.draft.commit_text import explanation
from miners.code_symbols import GuardClause, extract_symbols, language_for_path, new_guards
from miners.commit_kinds import CODE_FAMILIES, is_test_case
from miners.errors import RepositoryMoved
from miners.git_objects import BlobReader, git_dir_of
from warehouse.outcomes import Skip, SkipCategory
from warehouse.selection.task_context import CodeUnit, TaskContext

_REVERTS_LINE = re.compile(r"This reverts commit [0-9a-f]{7,40}\.?")
_DOC_SECTIONS = (
    (
        "args",
        re.compile(
            r"^\s*(?:Args|Arguments|Parameters|Params)\s*:?\s*$|:param\s|@param\s", re.MULTILINE
        ),
    ),
    ("returns", re.compile(r"^\s*Returns?\s*:?\s*$|:returns?:|@returns?\s", re.MULTILINE)),
    ("yields", re.compile(r"^\s*Yields\s*:?\s*$|:yields?:", re.MULTILINE)),
    ("raises", re.compile(r"^\s*Raises\s*:?\s*$|:raises\s|@throws\s", re.MULTILINE)),
    ("example", re.compile(r"^\s*Examples?\s*:?\s*$|>>>|@example", re.MULTILINE)),
)
_FILLER = {
    "test",
    "must",
    "be",
    "is",
    "are",
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "or",
    "not",
    "if",
    "got",
    "raises",
    "rejects",
    "error",
    "with",
    "for",
    "in",
    "on",
    "none",
    "null",
    "true",
    "false",
}
# An added test is a deleted one renamed when its code, names aside, is this similar (token by
# token); and the tokens of code.
RENAMED_SIMILARITY = 0.6
_TOKEN = re.compile(r"\w+|\S")
_RAISES_IN_TEST = re.compile(
    r"(?:raises|assertRaises|toThrow|expectThrows|assertThrows)\(\s*([\w.]+)"
)


def task_problem(context: TaskContext, max_unit_lines: int) -> Skip | None:
    """Why a task cannot make a good record (for any drafter), or None."""
    if not context.units:
        return Skip(SkipCategory.NO_UNIT, "no changed function or class to teach")
    if context.family not in CODE_FAMILIES:
        return family_problem(context)
    if any(not unit.after.strip() for unit in context.units):
        return Skip(SkipCategory.UNIT_WITHOUT_CODE, "a unit has no code after the change")
    longest = max(len(unit.after.splitlines()) for unit in context.units)
    if longest > max_unit_lines:
        return Skip(
            SkipCategory.UNIT_TOO_LONG,
            f"unit too long for one record: {longest} lines (at most {max_unit_lines})",
        )
    if not context.tickets and not explanation(context.body) and not context.tests:
        return Skip(
            SkipCategory.TOO_LITTLE_CONTEXT,
            "too little context: no ticket, commit message body or test states what the "
            "change is for",
        )
    return None


def family_problem(context: TaskContext) -> Skip | None:
    """Why a task of a non-code family cannot make a good record, or None."""
    # Each skip's words are made only for the check that fails: some name what they found (renamed
    # tests, tests at the parent), which costs a comparison of every test's code.
    checks: list[tuple[str, Callable[[], bool], Callable[[], Skip]]] = [
        (
            "tests",
            lambda: not context.under_test,
            lambda: Skip(
                SkipCategory.NO_CODE_UNDER_TEST, "the code the tests exercise could not be found"
            ),
        ),
        (
            "tests",
            lambda: _moved_or_edited(context),
            lambda: Skip(
                SkipCategory.TESTS_NOT_NEW,
                "the tests were moved or edited, not written: no test is missing",
            ),
        ),
        (
            "tests",
            lambda: bool(_renamed(context)),
            lambda: Skip(
                SkipCategory.TESTS_NOT_NEW,
                "the tests were renamed, not written: "
                + ", ".join(f"`{old}` → `{new}`" for old, new in _renamed(context)[:3]),
            ),
        ),
        (
            "tests",
            lambda: not _untested(context),
            lambda: Skip(
                SkipCategory.TESTS_NOT_NEW,
                "the code under test has tests at the parent: "
                + ", ".join(f"`{name}`" for name in _tests_before(context)[:3]),
            ),
        ),
        (
            "tests",
            lambda: bool(_unshown_helpers(context)),
            lambda: Skip(
                SkipCategory.INCOMPLETE_ANSWER,
                "the tests call helpers of their class the record cannot show: "
                + ", ".join(_unshown_helpers(context)[:3]),
            ),
        ),
        (
            "docs",
            lambda: not any(u.doc for u in context.units),
            lambda: Skip(
                SkipCategory.DOCS_UNREADABLE,
                "the documentation the commit wrote could not be read",
            ),
        ),
        (
            "docs",
            lambda: not _wrote_doc(context.units),
            lambda: Skip(
                SkipCategory.DOCSTRING_ALREADY_THERE,
                "the commit wrote comments in the code; the docstring was already there",
            ),
        ),
        (
            "edge_cases",
            lambda: not _new_guards(context.units),
            lambda: Skip(SkipCategory.NO_NEW_GUARD, "no guard clause was added"),
        ),
        (
            "review",
            lambda: not _revert_reason(context),
            lambda: Skip(
                SkipCategory.REVERT_GIVES_NO_REASON, "the revert does not say what was wrong"
            ),
        ),
    ]
    return next(
        (skip() for family, fails, skip in checks if family == context.family and fails()), None
    )


_SELF_CALL = re.compile(r"\bself\.(\w+)\(")
_UNITTEST_METHODS = re.compile(r"^(?:assert|fail|skip|sub[Tt]est|add(?:Cleanup|TypeEqualityFunc))")


def _moved_or_edited(context: TaskContext) -> bool:
    """Tests that existed before (edited) or were deleted elsewhere in the commit (moved)."""
    return any(
        u.change != "added"
        or u.qualified_name in context.deleted_names
        or u.name in context.deleted_names
        for u in context.units
    )


def _renamed(context: TaskContext) -> list[tuple[str, str]]:
    """(old, new) names of the added tests that are tests the commit deleted, renamed: the same
    code but for the name (and a few edits)."""
    deleted = {
        name: code
        for name, code in _parent_tests(context)
        if name in context.deleted_names or name.rsplit(".", 1)[-1] in context.deleted_names
    }
    return [
        (old, test.qualified_name)
        for test in context.units
        if test.change == "added"
        for old, code in deleted.items()
        if _similar(_without_name(code, old), _without_name(test.after, test.qualified_name))
    ]


def _untested(context: TaskContext) -> tuple[CodeUnit, ...]:
    """The code under test of which the claim "its tests are missing" is true: no test named
    after it at the parent (``test_prepare_exec_for_file`` for ``prepare_exec_for_file``), or
    one the commit's tests are named after (``test_template_filter_with_template`` adds to
    ``test_template_filter``)."""
    before = [name.rsplit(".", 1)[-1] for name, _ in _parent_tests(context)]
    written = [test.name for test in context.units]
    return tuple(
        unit
        for unit in context.under_test
        if not any(_named_after(name, unit.name) for name in before)
        or any(_named_after(name, unit.name) for name in written)
    )


def _tests_before(context: TaskContext) -> list[str]:
    """The tests at the parent named after the code under test."""
    names = [name for name, _ in _parent_tests(context)]
    return [
        name
        for name in names
        if any(_named_after(name.rsplit(".", 1)[-1], u.name) for u in context.under_test)
    ]


def _named_after(test_name: str, unit_name: str) -> bool:
    """``test_send_file_range`` and ``TestSendfile`` are named after ``send_file``; Go's
    ``ExampleGenMan`` after ``GenMan``."""
    test, unit = _name_key(test_name), _name_key(unit_name)
    return any(test.startswith(prefix + unit) for prefix in ("test", "example"))


def _name_key(name: str) -> str:
    return name.lower().replace("_", "")


def _without_name(code: str, qualified_name: str) -> list[str]:
    """The code's tokens, its own name blanked."""
    name = qualified_name.rsplit(".", 1)[-1]
    return ["" if token == name else token for token in _TOKEN.findall(code)]


def _similar(first: list[str], second: list[str]) -> bool:
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    # the quick ratios are upper bounds of the ratio: most pairs are told apart by them
    return (
        matcher.real_quick_ratio() >= RENAMED_SIMILARITY
        and matcher.quick_ratio() >= RENAMED_SIMILARITY
        and matcher.ratio() >= RENAMED_SIMILARITY
    )


def _parent_tests(context: TaskContext) -> tuple[tuple[str, str], ...]:
    """The test cases of the task's test files as they were at the parent commit (qualified name,
    code), read from the repository: what "missing" is judged against."""
    return _read_parent_tests(context.source_location, context.sha, tuple(context.paths))


@lru_cache(maxsize=64)
def _read_parent_tests(
    location: str, sha: str, paths: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    try:
        reader = BlobReader(git_dir_of(location))
    except RepositoryMoved:
        return ()  # facts rendered without their repository (a stored prompt): nothing to judge
    with reader as blobs:
        for path in paths:
            language = language_for_path(path)
            data = blobs.read(f"{sha}^:{path}") if language else None
            if language is None or data is None:
                continue
            found += [
                (symbol.qualified_name, symbol.code)
                for symbol in extract_symbols(data, language)
                if is_test_case(symbol.qualified_name, language, symbol.code)
            ]
    return tuple(found)


def _unshown_helpers(context: TaskContext) -> list[str]:
    """Methods of their own class the tests call that are neither assertions nor shown."""
    shown = {u.name for u in (*context.units, *context.fixtures)}
    called = {name for u in context.units for name in _SELF_CALL.findall(u.after)}
    return sorted(n for n in called if not _UNITTEST_METHODS.match(n) and n not in shown)


def _wrote_doc(units: Sequence[CodeUnit]) -> bool:
    """The commit wrote a unit's docstring or doc comment (not only comments inside its body)."""
    return any(u.doc and _squeezed(u.doc) not in _squeezed(u.before) for u in units)


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def family_view(context: TaskContext) -> dict[str, Any]:
    """The variables of the family's template, beyond the common task view."""
    builders = {
        "tests": _tests_view,
        "docs": _docs_view,
        "edge_cases": _edge_view,
        "review": _review_view,
    }
    return builders[context.family](context)


def _tests_view(context: TaskContext) -> dict[str, Any]:
    under_test = [
        {
            "path": u.path,
            "qualified_name": u.qualified_name,
            "fence": u.lang,
            "code": u.after.rstrip(),
        }
        for u in _untested(context)  # the templates say their tests are missing
    ]
    return {
        "under_test": under_test,
        "test_paths": list(dict.fromkeys(u.path for u in context.units)),
        # test methods live in their class: the answer is written into it, not as free functions
        "test_classes": list(
            dict.fromkeys(
                u.qualified_name.rsplit(".", 1)[0]
                for u in context.units
                if u.kind == "method" and "." in u.qualified_name
            )
        ),
        "framework": _framework(context.units),
        "covers": [_behaviour(u.name) for u in context.units],
    }


def _framework(tests: tuple[CodeUnit, ...]) -> str:
    code = "\n".join(t.after for t in tests)
    lang = tests[0].lang if tests else ""
    if lang == "python":
        methods = any(t.kind == "method" and re.search(r"\(\s*self\b", t.after) for t in tests)
        return (
            "unittest"
            if "self.assert" in code or (methods and "TestCase" in code + _names(tests))
            else "pytest"
        )
    if lang == "go":
        return "the standard `testing` package"
    return ""


def _names(tests: tuple[CodeUnit, ...]) -> str:
    return " ".join(t.qualified_name for t in tests)


def _behaviour(test_name: str) -> str:
    """``test_round_money_rounds_halves_away_from_zero`` → ``round money rounds halves away from
    zero``."""
    words = re.sub(
        r"(?<=[a-z0-9])(?=[A-Z])", " ", test_name.removeprefix("test_").removeprefix("Test")
    )
    return words.replace("_", " ").strip().lower()


def _docs_view(context: TaskContext) -> dict[str, Any]:
    doc = "\n".join(u.doc for u in context.units)
    sections = [name for name, pattern in _DOC_SECTIONS if pattern.search(doc)]
    style = "Google" if re.search(r"^\s*(?:Args|Returns|Raises):\s*$", doc, re.MULTILINE) else ""
    style = style or ("reST" if ":param" in doc or ":returns" in doc else "")
    return {"sections": sections, "doc_style": style}


def _new_guards(units: tuple[CodeUnit, ...]) -> list[GuardClause]:
    """The raising guards the change added (the same test selection made the task with)."""
    guards: list[GuardClause] = []
    for unit in units:
        guards += new_guards(unit.before, unit.after, unit.lang)
    return list(dict.fromkeys(guards))


def _edge_view(context: TaskContext) -> dict[str, Any]:
    guards = _new_guards(context.units)
    return {
        "guards": guards,
        "pinning_tests": [t.qualified_name for t in context.tests if _pins(t, guards)],
    }


def _pins(test: CodeUnit, guards: list[GuardClause]) -> bool:
    """A test pins a guard when it expects the guard's error and its name speaks of the same
    thing."""
    raised = {name.rsplit(".", 1)[-1] for name in _RAISES_IN_TEST.findall(test.after)}
    named = set(re.findall(r"[a-z]+", test.name.lower())) - _FILLER
    for guard in guards:
        about = set(re.findall(r"[a-z]+", f"{guard.condition} {guard.message}".lower())) - _FILLER
        if guard.error.rsplit(".", 1)[-1] in raised and named & about:
            return True
    return False


def _revert_reason(context: TaskContext) -> str:
    if context.reverted_by is None:
        return ""
    return explanation(_REVERTS_LINE.sub("", context.reverted_by.body))


def _review_view(context: TaskContext) -> dict[str, Any]:
    kept = [u for u in context.units if u.before.strip()]
    return {
        "original": {"subject": context.subject},
        "diffs": context.diffs,
        "revert": context.reverted_by,
        "reason": _revert_reason(context),
        "kept": [
            {"qualified_name": u.qualified_name, "before": u.before.rstrip(), "fence": u.lang}
            for u in kept
        ],
    }
