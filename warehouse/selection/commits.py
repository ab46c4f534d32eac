"""Choosing teachable moments: commits become ``tasks`` (selected, or skipped with a reason).

Each commit gives one main task (or a skip with its reason), and may give more:

- ``bugfix`` / ``feature`` / ``refactor`` / ``performance`` / ``change``: change this code
(positive);
- ``tests``: write the tests a tests-only commit added (positive);
- ``docs``: document a function whose docstring the commit wrote, code unchanged (positive);
- ``edge_cases``: the guard clauses a fix or feature added (edge);
- ``review``: a change that was later reverted, and why (negative), made when the revert is seen.

A commit too sprawling for one task is split into one task per file when each file stays small.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from miners.code_symbols import guard_clauses, strip_docs
from miners.commit_kinds import (
    CODE_FAMILIES,
    ChangeShape,
    CommitKind,
    classify,
    is_test_case,
    is_test_path,
    whitespace_only,
)
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory, TaskStatus, count_by_category
from warehouse.store import Warehouse, in_chunks

SELECTOR_VERSION = "select-1"
MAX_UNITS = 6
MAX_CHANGED_LINES = 600
MAX_SPLIT_FILES = 4
MAX_CLASS_LINES = 120
_UNIT_KINDS = ("function", "method", "class")
_REVERT_SUBJECT = re.compile(r'^Revert "(.+)"$')
_REVERTED_SHA = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
# CommitForSelection's columns, with the message facts the miner stored (bots are told by their
# e-mail, which only the miner sees: the warehouse keeps a keyed hash of it).
_COMMIT_COLUMNS = """
    c.id, c.source_id, c.sha, c.subject, c.body, coalesce(c.author, '') AS author,
    len(c.parents) AS parents, c.added_lines + c.deleted_lines AS changed_lines,
    coalesce(c.is_bot, false) AS is_bot, coalesce(c.is_version_bump, false) AS is_version_bump,
    coalesce(c.reverts, '') AS reverts
"""


@dataclass(frozen=True, slots=True)
class SelectionSummary:
    """How many tasks were selected per family, and why commits were skipped."""

    selected: int
    skipped: dict[str, int]
    families: dict[str, int] = field(default_factory=dict)

    def merged(self, other: SelectionSummary) -> SelectionSummary:
        """Both summaries added up (commit tasks and ticket tasks)."""
        skipped = dict(self.skipped)
        for reason, count in other.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
        families = dict(self.families)
        for family, count in other.families.items():
            families[family] = families.get(family, 0) + count
        return SelectionSummary(self.selected + other.selected, skipped, families)


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
    links: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def code_units(self) -> list[Unit]:
        """Changed functions, methods and classes outside tests (a huge class is left to its
        methods)."""
        return [
            u
            for u in self.symbols
            if u.kind in _UNIT_KINDS
            and u.change != "deleted"
            and not is_test_path(u.path)
            and not (u.kind == "class" and u.after.count("\n") > MAX_CLASS_LINES)
        ]

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


def select_tasks(warehouse: Warehouse, run_id: str) -> SelectionSummary:
    """Make the tasks of every commit that has none yet; skipped commits keep their reason."""
    pending = warehouse.query(
        f"SELECT {_COMMIT_COLUMNS} FROM commits c "
        "WHERE c.id NOT IN (SELECT commit_id FROM tasks WHERE selector_version = ? AND commit_id "
        "IS NOT NULL) "
        "ORDER BY c.committed_at, c.id",
        [SELECTOR_VERSION],
    ).rows_as(CommitForSelection)
    rows: list[dict[str, Any]] = []
    for chunk in in_chunks(pending, 500):
        made: list[dict[str, Any]] = []
        for facts in _load_facts(warehouse, chunk):
            made += tasks_for_commit(facts, run_id)
            made += _review_tasks(warehouse, facts, run_id)
        warehouse.insert("tasks", made)
        rows += made
    return _summary(rows)


def _summary(rows: list[dict[str, Any]]) -> SelectionSummary:
    """Selected tasks per family and skips per category (never read off the reason's words)."""
    families: dict[str, int] = defaultdict(int)
    skips = []
    for row in rows:
        if row["status"] == TaskStatus.SELECTED:
            families[row["family"]] += 1
        else:
            skips.append(Skip(SkipCategory(row["skip_category"]), row["reason"]))
    return SelectionSummary(sum(families.values()), count_by_category(skips), dict(families))


def _load_facts(
    warehouse: Warehouse, commits: list[CommitForSelection]
) -> list[CommitForSelection]:
    """The commits with their file changes, changed definitions and ticket links."""
    facts = {commit.id: commit for commit in commits}
    ids = list(facts)
    in_ids = "WHERE {column} IN (SELECT unnest(?::VARCHAR[]))"
    for commit_id, path, diff in warehouse.query(
        "SELECT commit_id, path, diff FROM file_changes "
        + in_ids.format(column="commit_id")
        + " ORDER BY position",
        [ids],
    ).rows:
        facts[commit_id].changes.append((path, diff))
    units = warehouse.query(
        "SELECT commit_id, id AS symbol_id, path, kind, change, lang, "
        "coalesce(before_code, '') AS before, coalesce(after_code, '') AS after, qualified_name "
        f"FROM symbols {in_ids.format(column='commit_id')} "
        "ORDER BY path, start_line, qualified_name",
        [ids],
    ).rows_as(Unit)
    for unit in units:
        facts[unit.commit_id].symbols.append(unit)
    for commit_id, ticket_id, method, labels in warehouse.query(
        "SELECT l.commit_id, l.ticket_id, l.method, coalesce(t.labels, []) || [coalesce(t.type, "
        "'')] "
        "FROM ticket_links l JOIN tickets t ON t.id = l.ticket_id "
        + in_ids.format(column="l.commit_id")
        + " ORDER BY l.confidence DESC, t.key",
        [ids],
    ).rows:
        facts[commit_id].links.append((ticket_id, method, list(labels)))
    return list(facts.values())


def tasks_for_commit(facts: CommitForSelection, run_id: str) -> list[dict[str, Any]]:
    """The main task of a commit (or its skip), plus its docs, tests and edge-case tasks."""
    kind = classify(_shape(facts))
    docs = _doc_only_units(facts)
    if docs and not kind.skipped:
        return [_row(facts, "docs", "positive", docs, [], run_id, main=True)]
    if kind.family == "tests" and facts.test_units:
        return [
            _row(facts, "tests", "positive", facts.test_units, facts.test_units, run_id, main=True)
        ]
    rows = _main_rows(facts, kind, run_id)
    edge = _edge_units(facts, kind)
    if edge and any(row["status"] == TaskStatus.SELECTED for row in rows):
        rows.append(_row(facts, "edge_cases", "edge", edge, facts.test_units, run_id))
    return rows


def _shape(facts: CommitForSelection) -> ChangeShape:
    return ChangeShape(
        subject=facts.subject,
        body=facts.body,
        author=facts.author,
        parents=facts.parents,
        paths=[path for path, _ in facts.changes],
        added_lines=facts.changed_lines,
        deleted_lines=0,
        whitespace_only=bool(facts.changes)
        and all(whitespace_only(diff) for _, diff in facts.changes),
        ticket_labels=[label for _, _, labels in facts.links for label in labels],
        is_bot=facts.is_bot,
        is_version_bump=facts.is_version_bump,
        reverts=facts.reverts,
    )


def _main_rows(facts: CommitForSelection, kind: CommitKind, run_id: str) -> list[dict[str, Any]]:
    units = facts.code_units
    reason = _kind_skip(kind) or _no_units_reason(facts, units)
    if reason is None and facts.parents == 0:
        reason = Skip(
            SkipCategory.INITIAL_COMMIT, "initial commit: there is no earlier code to change"
        )
    if reason is not None:
        return [_main_skip(facts, kind, units, reason, run_id)]
    if len(units) <= MAX_UNITS and facts.changed_lines <= MAX_CHANGED_LINES:
        return [_row(facts, kind.family, "positive", units, facts.test_units, run_id, main=True)]
    return _split_by_file(facts, kind, units, run_id)


def _main_skip(
    facts: CommitForSelection, kind: CommitKind, units: list[Unit], skip: Skip, run_id: str
) -> dict[str, Any]:
    """The commit's main task, skipped for ``skip`` (its row keeps the facts it would have used)."""
    return _row(
        facts, kind.family, "positive", units, facts.test_units, run_id, main=True, skip=skip
    )


def _kind_skip(kind: CommitKind) -> Skip | None:
    """The skip of a commit whose kind gives no task (a merge, a revert, formatting …)."""
    return Skip(SkipCategory(kind.family), kind.skip_reason) if kind.skipped else None


def _no_units_reason(facts: CommitForSelection, units: list[Unit]) -> Skip | None:
    if units:
        return None
    if facts.test_units:
        return Skip(SkipCategory.TESTS_UNREADABLE, "tests only, but no test function could be read")
    if any(is_test_path(u.path) and u.change != "deleted" for u in facts.symbols):
        return Skip(
            SkipCategory.TEST_HELPERS_ONLY,
            "tests only: it changes helpers or fixtures, no test case",
        )
    return Skip(
        SkipCategory.NO_PARSED_UNIT, "no function or class changed in a language goldmine parses"
    )


def _split_by_file(
    facts: CommitForSelection, kind: CommitKind, units: list[Unit], run_id: str
) -> list[dict[str, Any]]:
    """One task per changed file, when the commit is large but each file's part is small."""
    by_file: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        by_file[unit.path].append(unit)
    if len(by_file) > MAX_SPLIT_FILES or any(len(group) > MAX_UNITS for group in by_file.values()):
        reason = Skip(
            SkipCategory.SPRAWLING,
            f"sprawling change: {len(units)} functions or classes in {len(by_file)} files",
        )
        return [_main_skip(facts, kind, units, reason, run_id)]
    skip_main = Skip(SkipCategory.SPLIT, f"split: {len(by_file)} tasks, one per file")
    rows = [_main_skip(facts, kind, units, skip_main, run_id)]
    for path, group in sorted(by_file.items()):
        rows.append(
            _row(facts, kind.family, "positive", group, facts.test_units, run_id, part=path)
        )
    return rows


def _doc_only_units(facts: CommitForSelection) -> list[Unit]:
    """Definitions whose docstring or comments changed while their code stayed the same."""
    modified = [u for u in facts.code_units if u.change == "modified" and u.before]
    if not modified or len(modified) != len(facts.code_units):
        return []
    if all(
        strip_docs(u.before, u.lang) == strip_docs(u.after, u.lang) and _wrote_docs(u)
        for u in modified
    ):
        return modified
    return []


def _wrote_docs(unit: Unit) -> bool:
    """The commit wrote the documentation: the doc text at least doubled (a typo fix does not
    count)."""
    code_before = len(re.sub(r"\s+", "", strip_docs(unit.before, unit.lang)))
    code_after = len(re.sub(r"\s+", "", strip_docs(unit.after, unit.lang)))
    docs_before = len(re.sub(r"\s+", "", unit.before)) - code_before
    docs_after = len(re.sub(r"\s+", "", unit.after)) - code_after
    return docs_after >= 2 * docs_before + 20


def _edge_units(facts: CommitForSelection, kind: CommitKind) -> list[Unit]:
    """Units of a fix or feature that gained guard clauses (the edge cases it now handles)."""
    if kind.skipped or kind.family not in CODE_FAMILIES or kind.family == "refactor":
        return []
    gained = []
    for unit in facts.code_units:
        if unit.change != "modified":
            continue
        before = {(g.condition, g.error) for g in guard_clauses(unit.before, unit.lang)}
        if any((g.condition, g.error) not in before for g in guard_clauses(unit.after, unit.lang)):
            gained.append(unit)
    return gained


def _review_tasks(
    warehouse: Warehouse, revert: CommitForSelection, run_id: str
) -> list[dict[str, Any]]:
    """A revert makes a negative task of the commit it reverts: review that change."""
    original = _reverted_commit(warehouse, revert)
    if original is None:
        return []
    reason_given = bool(re.sub(_REVERTED_SHA, "", revert.body).strip(" .\n"))
    [facts] = _load_facts(warehouse, [original])
    units = facts.code_units
    skip = _review_skip(reason_given, bool(units))
    extra = {"revert_commit_id": revert.id}
    return [_row(facts, "review", "negative", units, [], run_id, skip=skip, extra=extra)]


def _review_skip(reason_given: bool, has_units: bool) -> Skip | None:
    if not reason_given:
        return Skip(SkipCategory.REVIEW_WITHOUT_REASON, "review: the revert gives no reason")
    if not has_units:
        return Skip(
            SkipCategory.REVIEW_WITHOUT_UNIT,
            "review: the reverted change has no function or class goldmine parses",
        )
    return None


def _reverted_commit(warehouse: Warehouse, revert: CommitForSelection) -> CommitForSelection | None:
    named = revert.reverts or (
        found.group(1) if (found := _REVERTED_SHA.search(revert.body)) else ""
    )
    subject = _REVERT_SUBJECT.match(revert.subject)
    if not named and subject is None:
        return None
    condition = "c.sha LIKE ? || '%'" if named else "c.subject = ?"
    reverted = named or (subject.group(1) if subject else "")
    commits = warehouse.query(
        f"SELECT {_COMMIT_COLUMNS} FROM commits c "
        f"WHERE c.source_id = ? AND {condition} "
        "AND c.committed_at <= (SELECT committed_at FROM commits WHERE id = ?) AND c.id <> ? "
        "ORDER BY c.committed_at DESC LIMIT 1",
        [revert.source_id, reverted, revert.id, revert.id],
    ).rows_as(CommitForSelection)
    return commits[0] if commits else None


def _row(
    facts: CommitForSelection,
    family: str,
    polarity: str,
    units: list[Unit],
    tests: list[Unit],
    run_id: str,
    *,
    main: bool = False,
    skip: Skip | None = None,
    part: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    # The main task keeps the id formula of the first selector, so workspaces keep their tasks.
    task_id = (
        stable_id(facts.id, SELECTOR_VERSION)
        if main
        else stable_id(facts.id, family, part, SELECTOR_VERSION)
    )
    facts_json = {
        "commit_id": facts.id,
        "symbol_ids": [u.symbol_id for u in units],
        "test_symbol_ids": [u.symbol_id for u in tests if u not in units],
        "ticket_ids": [ticket_id for ticket_id, _, _ in facts.links],
        "link_methods": [method for _, method, _ in facts.links],
        **(extra or {}),
    }
    return {
        "id": task_id,
        "source_id": facts.source_id,
        "commit_id": facts.id,
        "ticket_id": facts.links[0][0] if facts.links else None,
        "family": family,
        "polarity": polarity,
        "status": TaskStatus.SKIPPED if skip else TaskStatus.SELECTED,
        "reason": skip.detail if skip else _why_chosen(family, units, tests, facts.links, part),
        "skip_category": skip.category if skip else None,
        "facts": json.dumps(facts_json),
        "selector_version": SELECTOR_VERSION,
        "run_id": run_id,
    }


def _why_chosen(
    family: str,
    units: list[Unit],
    tests: list[Unit],
    links: list[tuple[str, str, list[str]]],
    part: str,
) -> str:
    parts = [f"{family} touching {len(units)} unit(s) in {len({u.path for u in units})} file(s)"]
    if part:
        parts.append(f"the part of a larger commit in {part}")
    if tests and family != "tests":
        parts.append(f"with {len(tests)} test(s) changed")
    if links:
        parts.append(f"linked to {len(links)} ticket(s) by {links[0][1]}")
    return ", ".join(parts)
