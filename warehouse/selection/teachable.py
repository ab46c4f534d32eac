"""Whether a commit's change is worth teaching, and which family fits it.

Not teachable, each skipped with its own category (a docs task, when the commit wrote
documentation, is made before these are asked):

- ``typo_only``: the subject names a typo and every changed line moves a few characters; or the
  code is the same once comments, docstrings and string literals are set aside, and each changed
  line moves a few characters (``miners.commit_kinds.typo_sized``);
- ``comment_only``: every changed unit keeps its code and changes only comments or its
  docstring, and nothing else changes but prose;
- ``formatting``: every changed unit changes its layout alone (whitespace, line breaks);
- ``moved_verbatim``: every changed unit is a definition the commit deleted elsewhere, with the
  same code: a move, with nothing to write;
- ``trivial_change``: the code (comments and docstrings aside) of the changed units differs by
  less than a senior engineer would set as a task: one boolean flipped (a default), called names
  moved to another module with the same arguments and the old import dropped
  (``imp.new_module(…)`` → ``types.ModuleType(…)``), messages reworded, or, in a commit that
  changes no test and says it removes or cleans up something, a few tokens deleted and none added
  (an unused loop variable, a workaround line).

Small is not trivial on its own: ``while True`` → ``while queue`` fixes a crash, a ``stacklevel=2``
or a value added to a tuple changes what users see; those stay tasks.

A family only where it fits: a commit the classifier calls a ``refactor`` is one only while it
keeps behaviour. When a unit's signature changes, a unit raises an error it did not raise or
returns a value where it returned none, or an existing test's assertion changes, the commit is a
``change`` (the reason says why). Guard clauses decide ``edge_cases`` in ``commits.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from miners.code_facts import raised_errors, signature
from miners.code_symbols import code_without_text, language_for_path, string_literals, strip_docs
from miners.commit_kinds import (
    CommitKind,
    diff_typo_sized,
    is_doc_path,
    is_test_path,
    says_typo,
    typo_sized,
)
from warehouse.outcomes import Skip, SkipCategory
from warehouse.selection.commit_facts import CommitForSelection, Unit

# A typo fix the subject names changes at most this many lines (added plus deleted).
MAX_TYPO_LINES = 12
_DEFINITIONS = ("function", "method", "class")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*|$)")
_RETURNS_VALUE = re.compile(r"^\s*return\s+(?!None\s*$)\S", re.MULTILINE)
# Text that reads as words (two words of letters at least), and the placeholders of a format.
_PROSE = re.compile(r"(?:[A-Za-z]{2,}[ ,;:.'-]+){2,}[A-Za-z]{2,}")
_OPENING = re.compile(r"^([A-Za-z]*)(['\"`]+)")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")
# Too small to teach: at most this many calls moved to another module; at most this many tokens
# deleted and none added (``for key, value in d.iteritems()`` → ``for key in d`` deletes six, a
# workaround line a dozen); a message of one line of at most this many characters reworded.
MAX_MIGRATED_CALLS = 3
MAX_DELETED_TOKENS = 40
MAX_MESSAGE_CHARS = 160
_SAYS_REMOVAL = re.compile(
    r"^(?:[\w/.-]+:\s*)?\W*"
    r"(?:remove[sd]?|delete[sd]?|drop(?:s|ped)?|get rid of|clean(?:s|ed)?[ -]?up|cleanups?)\b",
    re.IGNORECASE,
)
_BOOLEAN_PAIRS = ({"True", "False"}, {"true", "false"})
# Tokens of code whose comments and docstrings are gone: a string literal whole, a word, a sign.
_TOKEN = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`|\w+|\S")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_WORD = re.compile(r"[A-Za-z]{2,}")
_LINE_BREAK = re.compile(r"\n|\\n")
_ASSERTION = re.compile(r"\bassert\w*\b|\braises\b|\bexpect\w*\b|\bEqual\b")


def content_skip(facts: CommitForSelection) -> Skip | None:
    """Why the commit's change is not worth a task (a typo, comments, layout, a move, a trivial
    edit), or None."""
    return (
        _typo_named(facts)
        or _layout_only(facts)
        or _prose_only(facts)
        or _moved_verbatim(facts)
        or _trivial(facts)
    )


def _typo_named(facts: CommitForSelection) -> Skip | None:
    """A commit whose subject says typo and whose every changed line moves a few characters."""
    if not (says_typo(facts.subject) and 0 < facts.changed_lines <= MAX_TYPO_LINES):
        return None
    if not facts.changes or not all(diff_typo_sized(diff) for _, diff in facts.changes):
        return None
    return Skip(
        SkipCategory.TYPO_ONLY,
        f"typo fix: {facts.changed_lines} changed line(s), each by a few characters",
    )


def _layout_only(facts: CommitForSelection) -> Skip | None:
    """Every changed definition changes its layout alone."""
    if facts.symbols or not facts.relaid:
        return None
    return Skip(
        SkipCategory.FORMATTING,
        f"formatting only: {_names(facts.relaid)} change their layout, not their code",
    )


def _prose_only(facts: CommitForSelection) -> Skip | None:
    """Every changed definition keeps its code; only comments, docstrings (or, for a typo,
    string literals) changed, and the rest of the commit is prose too."""
    units = [u for u in facts.symbols if u.kind in _DEFINITIONS and u.change != "deleted"]
    if not units or any(u.change != "modified" for u in units) or not _rest_is_prose(facts, units):
        return None
    small = all(typo_sized(u.before, u.after) for u in units)
    if all(u.docs_only for u in units):
        if small:
            return Skip(
                SkipCategory.TYPO_ONLY,
                f"typo fix in the comments or docstrings of {_names(units)}",
            )
        return Skip(
            SkipCategory.COMMENT_ONLY,
            f"comments or docstrings only: the code of {_names(units)} is unchanged",
        )
    if small and all(_same_but_text(u) and not is_test_path(u.path) for u in units):
        return Skip(
            SkipCategory.TYPO_ONLY,
            f"typo fix in the text of {_names(units)}: the code is unchanged",
        )
    return None


def _moved_verbatim(facts: CommitForSelection) -> Skip | None:
    """Every changed unit was added with the code of a definition the commit deleted."""
    units = facts.behaviour_units
    deleted = [u for u in facts.symbols if u.change == "deleted" and u.kind in _DEFINITIONS]
    if not units or not deleted:
        return None
    if not all(u.change == "added" and _twin(u, deleted) is not None for u in units):
        return None
    moved = ", ".join(f"`{u.qualified_name}` from `{_twin(u, deleted)}`" for u in units[:3])
    return Skip(SkipCategory.MOVED_VERBATIM, f"moved verbatim: {moved}, with the same code")


def _twin(unit: Unit, deleted: list[Unit]) -> str | None:
    """The path of a deleted definition of the same name and code as ``unit``, or None."""
    code = _squeezed(strip_docs(unit.after, unit.lang))
    name = unit.qualified_name.rsplit(".", 1)[-1]
    for other in deleted:
        same_name = other.qualified_name.rsplit(".", 1)[-1] == name
        if same_name and _squeezed(strip_docs(other.before, other.lang)) == code:
            return other.path
    return None


@dataclass(frozen=True, slots=True)
class _Edit:
    """One run of tokens a unit's code changed: what was there, what is there, and the token
    after it in the new code."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    following: str


def _trivial(facts: CommitForSelection) -> Skip | None:
    """The changed units' code differs by an edit too small to teach (see the module's docs)."""
    units = facts.behaviour_units
    if not units or any(u.change != "modified" for u in units):
        return None
    edits = [edit for unit in units for edit in _edits(unit)]
    if not edits:
        return None
    why = (
        _flipped(edits)
        or _migrated_calls(edits, facts)
        or _reworded(edits)
        or ("" if facts.test_units else _removal(edits, facts.subject))
    )
    if not why:
        return None
    return Skip(SkipCategory.TRIVIAL_CHANGE, f"too small to teach: {why} in {_names(units)}")


def _edits(unit: Unit) -> list[_Edit]:
    """The token runs the unit's code changed, comments and docstrings aside."""
    old = _TOKEN.findall(strip_docs(unit.before, unit.lang))
    new = _TOKEN.findall(strip_docs(unit.after, unit.lang))
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [
        _Edit(tuple(old[i1:i2]), tuple(new[j1:j2]), new[j2] if j2 < len(new) else "")
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]


def _flipped(edits: list[_Edit]) -> str:
    """One boolean literal flipped, nothing else."""
    if len(edits) == 1 and {*edits[0].old, *edits[0].new} in _BOOLEAN_PAIRS:
        return f"one flag flipped ({edits[0].old[0]} → {edits[0].new[0]})"
    return ""


def _migrated_calls(edits: list[_Edit], facts: CommitForSelection) -> str:
    """Each edit renames a called function or the module it is called from, the arguments kept,
    and the commit drops the old module's import: a mechanical move to another API."""
    renamed = all(
        len(edit.old) == len(edit.new) == 1
        and _IDENTIFIER.fullmatch(edit.old[0])
        and _IDENTIFIER.fullmatch(edit.new[0])
        and edit.following in ("(", ".")
        for edit in edits
    )
    if not renamed:
        return ""
    modules = {edit.old[0] for edit in edits if edit.following == "."}
    if not modules or len(edits) > 2 * MAX_MIGRATED_CALLS:
        return ""
    removed = "\n".join(
        line for _, diff in facts.changes for line in diff.splitlines() if line.startswith("-")
    )
    if not all(_import_of(module).search(removed) for module in modules):
        return ""
    old = ", ".join(f"`{m}`" for m in sorted(modules))
    return f"calls moved from {old} to another module, the arguments kept"


def _import_of(module: str) -> re.Pattern[str]:
    """A removed diff line that imports ``module`` (Python's import or from, a Go import path)."""
    name = re.escape(module)
    return re.compile(
        rf"^-\s*(?:import\s+{name}\b|from\s+{name}\b|(?:\w+\s+)?\"[^\"]*\b{name}\")", re.MULTILINE
    )


def _reworded(edits: list[_Edit]) -> str:
    """Each edit rewords one message: a one-line string of words, with the same placeholders (a
    long or multi-line string is a template, a script: data, not a message)."""
    if all(
        len(edit.old) == len(edit.new) == 1
        and max(len(edit.old[0]), len(edit.new[0])) <= MAX_MESSAGE_CHARS
        and not _LINE_BREAK.search(edit.old[0] + edit.new[0])
        and _message_edit(edit.old[0], edit.new[0])
        for edit in edits
    ):
        return "only the text of one-line strings changed"
    return ""


def _message_edit(old: str, new: str) -> bool:
    """Both strings are messages of words (not raw or bytes), quoted alike, with the same
    placeholders."""
    opening = _OPENING.match(old)
    return (
        opening is not None
        and not re.search("[rRbB]", opening.group(1))
        and new.startswith(opening.group(0))
        and all(len(_WORD.findall(text)) >= 2 for text in (old, new))
        and _PLACEHOLDER.findall(old) == _PLACEHOLDER.findall(new)
    )


def _removal(edits: list[_Edit], subject: str) -> str:
    """A commit that says it removes or cleans up something, and only deletes a few tokens (and
    perhaps rewords a message): a dead name, a workaround line, an unused flag. A fix that deletes
    a token is not one: it says fix."""
    deleted = sum(len(edit.old) for edit in edits if not edit.new)
    if (
        _SAYS_REMOVAL.match(subject)
        and deleted
        and all(not edit.new or _reworded([edit]) for edit in edits)
        and deleted <= MAX_DELETED_TOKENS
    ):
        return f"only {deleted} token(s) deleted"
    return ""


def _same_but_text(unit: Unit) -> bool:
    """The unit's code is the same once comments, docstrings and string literals are set aside,
    and every string literal that changed is prose: a message of a few words, not data (a path,
    a raw-string pattern, bytes, a format whose placeholders moved). A test's strings are its
    expectations, so a test never qualifies (the caller asks)."""
    if code_without_text(unit.before, unit.lang) != code_without_text(unit.after, unit.lang):
        return False
    before = string_literals(unit.before, unit.lang)
    after = string_literals(unit.after, unit.lang)
    return len(before) == len(after) and all(
        _prose_edit(old, new) for old, new in zip(before, after, strict=True) if old != new
    )


def _prose_edit(old: str, new: str) -> bool:
    opening = _OPENING.match(old)
    return (
        opening is not None
        and not re.search("[rRbB]", opening.group(1))
        and new.startswith(opening.group(0))
        and bool(_PROSE.search(old))
        and bool(_PROSE.search(new))
        and _PLACEHOLDER.findall(old) == _PLACEHOLDER.findall(new)
    )


def _rest_is_prose(facts: CommitForSelection, units: list[Unit]) -> bool:
    """True when every line the commit changes outside ``units`` is prose: in a documentation
    file, or a comment line in a code file. A file that is neither (a template, a config file)
    is not prose."""
    for path, diff in facts.changes:
        if language_for_path(path) is None:
            if not is_doc_path(path):
                return False
            continue
        inside = {
            line.strip()
            for unit in units
            if unit.path == path
            for line in (unit.before + "\n" + unit.after).splitlines()
        }
        for line in _changed_lines(diff):
            if line.strip() not in inside and not _COMMENT_LINE.match(line):
                return False
    return True


def _changed_lines(diff: str) -> list[str]:
    return [
        line[1:]
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _names(units: list[Unit]) -> str:
    names = list(dict.fromkeys(f"`{u.qualified_name}`" for u in units))
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def fitting_kind(kind: CommitKind, facts: CommitForSelection) -> tuple[CommitKind, str]:
    """The commit's kind, with a ``refactor`` that changes behaviour re-labelled ``change``;
    and the reason for the re-label ('' when there is none)."""
    if kind.family != "refactor" or kind.skipped:
        return kind, ""
    change = behaviour_change(facts)
    if not change:
        return kind, ""
    return CommitKind("change"), f"not a refactor: {change}"


def behaviour_change(facts: CommitForSelection) -> str:
    """What the commit changes in behaviour, read off its units and tests, or ''."""
    for unit in facts.behaviour_units:
        if unit.change != "modified" or unit.kind == "class":
            continue
        change = _unit_behaviour_change(unit)
        if change:
            return change
    for test in facts.test_units:
        if test.change == "modified" and _assertions(test.before) - _assertions(test.after):
            return f"the assertions of `{test.qualified_name}` changed"
    return ""


def _unit_behaviour_change(unit: Unit) -> str:
    name = f"`{unit.qualified_name}`"
    if _squeezed(signature(unit.before, unit.lang)) != _squeezed(signature(unit.after, unit.lang)):
        return f"the signature of {name} changed"
    raised_before = {error.name for error in raised_errors(unit.before, unit.lang)}
    raised_now = [
        e.name for e in raised_errors(unit.after, unit.lang) if e.name not in raised_before
    ]
    if raised_now:
        return f"{name} now raises {', '.join(raised_now)}"
    if not _RETURNS_VALUE.search(unit.before) and _RETURNS_VALUE.search(unit.after):
        return f"{name} now returns a value"
    return ""


def _assertions(code: str) -> set[str]:
    return {" ".join(line.split()) for line in code.splitlines() if _ASSERTION.search(line)}


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)
