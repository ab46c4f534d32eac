"""One commit as selection sees it: its message facts, file changes, changed units and tickets.

A unit whose before and after differ in layout alone (whitespace, a call re-wrapped over two
lines) did not change: it is kept apart in ``relaid`` and is never one of a task's units. A unit
whose code is the same but whose comments or docstring changed is ``docs_only``: a docs task may
teach it, a change task does not list it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from miners.code_symbols import same_code
from miners.commit_kinds import is_test_case, is_test_path

MAX_CLASS_LINES = 120
_UNIT_KINDS = ("function", "method", "class")


@dataclass(frozen=True, slots=True)
class Unit:
    """A changed definition as selection sees it."""

    symbol_id: str
    path: str
    kind: str
    change: str
    lang: str
    before: str
    after: str
    qualified_name: str = ""
    commit_id: str = ""
    # the code is the same before and after; only comments or the docstring changed
    docs_only: bool = False

    @property
    def relaid(self) -> bool:
        """True for a modified unit whose change is layout alone (whitespace, line breaks)."""
        return self.change == "modified" and same_code(self.before, self.after, self.lang)

    def with_docs_judged(self) -> Unit:
        """The unit, ``docs_only`` set: modified, and equal once comments and docstrings go."""
        docs_only = self.change == "modified" and same_code(
            self.before, self.after, self.lang, ignore_docs=True
        )
        return replace(self, docs_only=docs_only)


@dataclass(slots=True)
class CommitForSelection:
    """One commit and the facts selection looks at."""

    id: str
    source_id: str
    sha: str
    subject: str
    body: str
    author: str
    parents: int
    changed_lines: int
    is_bot: bool = False
    is_version_bump: bool = False
    reverts: str = ""  # the sha the message says it reverts
    changes: list[tuple[str, str]] = field(default_factory=list)
    symbols: list[Unit] = field(default_factory=list)
    # changed definitions whose change is layout alone: not changed units
    relaid: list[Unit] = field(default_factory=list)
    links: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def add_unit(self, unit: Unit) -> None:
        """Keep a changed definition: among ``symbols``, or in ``relaid`` when only its layout
        changed."""
        if unit.relaid:
            self.relaid.append(unit)
        else:
            self.symbols.append(unit.with_docs_judged())

    @property
    def code_units(self) -> list[Unit]:
        """Changed functions, methods and classes outside tests (a huge class is left to its
        methods; a unit whose layout alone changed is not changed)."""
        return [
            u
            for u in self.symbols
            if u.kind in _UNIT_KINDS
            and u.change != "deleted"
            and not is_test_path(u.path)
            and not (u.kind == "class" and u.after.count("\n") > MAX_CLASS_LINES)
        ]

    @property
    def behaviour_units(self) -> list[Unit]:
        """The code units whose code changed, not only their comments or docstring: the units a
        change task lists (and counts towards its limit)."""
        return [u for u in self.code_units if not u.docs_only]

    @property
    def test_units(self) -> list[Unit]:
        """The test cases the commit adds or changes (helpers and fixtures beside them are not
        tests; a test class whose test methods are listed is their container, not a test of its
        own)."""
        tests = [
            u
            for u in self.symbols
            if is_test_path(u.path)
            and u.change != "deleted"
            and is_test_case(u.qualified_name, u.lang, u.after)
        ]
        owners = {u.qualified_name.rsplit(".", 1)[0] for u in tests if "." in u.qualified_name}
        return [u for u in tests if not (u.kind == "class" and u.qualified_name in owners)]
