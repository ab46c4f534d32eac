"""Choosing teachable moments: commits become ``tasks`` (selected, or skipped with a reason).

Each commit gives one main task (or a skip with its reason), and may give more:

- ``bugfix`` / ``feature`` / ``refactor`` / ``performance`` / ``change``: change this code
(positive);
- ``tests``: write the tests a tests-only commit added (positive);
- ``docs``: document a function whose docstring the commit wrote, code unchanged (positive);
- ``edge_cases``: the raising guard clauses a fix or feature added (edge);
- ``review``: a change that was later reverted, and why (negative), made when the revert is seen.

A commit too sprawling for one task is split into one task per file when each file stays small.
A typo, comment or layout change makes no task (``teachable.py``), a refactor that changes
behaviour is a ``change``, and a commit later reverted or fixed again soon makes no task but the
review (``history.py``) — on a later run too, when the revert or the fix arrives then.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from miners.code_symbols import language_for_path, new_guards, strip_docs
from miners.commit_kinds import (
    CODE_FAMILIES,
    ChangeShape,
    CommitKind,
    classify,
    is_test_path,
    whitespace_only,
)
from warehouse.ids import stable_id
from warehouse.outcomes import Skip, SkipCategory, TaskStatus, count_by_category
from warehouse.selection.commit_facts import CommitForSelection, Unit
from warehouse.selection.history import LATER_FIX_WINDOW, later_history, retire
from warehouse.selection.teachable import content_skip, fitting_kind
from warehouse.store import Warehouse, in_chunks

SELECTOR_VERSION = "select-1"
MAX_UNITS = 6
MAX_CHANGED_LINES = 600
MAX_SPLIT_FILES = 4
_REVERT_SUBJECT = re.compile(r'^Revert "(.+)"(?:\s*\(#\d+\))?\s*$')
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


def select_tasks(
    warehouse: Warehouse, run_id: str, *, later_fix_window: int = LATER_FIX_WINDOW
) -> SelectionSummary:
    """Make the tasks of every commit that has none yet; skipped commits keep their reason.

    What the new commits reveal about earlier ones (a revert, a fix of their lines within
    ``later_fix_window`` commits) skips those commits' selected tasks too, and their drafted
    candidates are rejected (``history.py``); the summary counts those skips with this run's.
    """
    pending = warehouse.query(
        f"SELECT {_COMMIT_COLUMNS} FROM commits c "
        "WHERE c.id NOT IN (SELECT commit_id FROM tasks WHERE selector_version = ? AND commit_id "
        "IS NOT NULL) "
        "ORDER BY c.committed_at, c.id",
        [SELECTOR_VERSION],
    ).rows_as(CommitForSelection)
    if not pending:
        return _summary([])
    history = later_history(warehouse, [c.id for c in pending], later_fix_window)
    rows: list[dict[str, Any]] = []
    for chunk in in_chunks(pending, 500):
        made: list[dict[str, Any]] = []
        for facts in _load_facts(warehouse, chunk):
            made += tasks_for_commit(facts, run_id, history.get(facts.id))
            made += _review_tasks(warehouse, facts, run_id)
        warehouse.insert("tasks", made)
        rows += made
    new = {c.id for c in pending}
    earlier = {commit_id: skip for commit_id, skip in history.items() if commit_id not in new}
    rows += retire(warehouse, earlier, SELECTOR_VERSION, run_id)
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
        facts[unit.commit_id].add_unit(unit)
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


def tasks_for_commit(
    facts: CommitForSelection, run_id: str, history: Skip | None = None
) -> list[dict[str, Any]]:
    """The main task of a commit (or its skip), plus its docs, tests and edge-case tasks; with a
    ``history`` verdict (reverted or fixed later), every task that would be selected is skipped
    for it instead."""
    kind, note = fitting_kind(classify(_shape(facts)), facts)
    rows = _commit_rows(facts, kind, note, run_id)
    if history is None:
        return rows
    return [
        _skipped_for(row, history) if row["status"] == TaskStatus.SELECTED else row for row in rows
    ]


def _commit_rows(
    facts: CommitForSelection, kind: CommitKind, note: str, run_id: str
) -> list[dict[str, Any]]:
    docs = _doc_only_units(facts)
    if docs and not kind.skipped:
        return [_row(facts, "docs", "positive", docs, [], run_id, main=True)]
    content = None if kind.skipped else content_skip(facts)
    if content is not None:
        return [_main_skip(facts, kind, facts.code_units, content, run_id)]
    if kind.family == "tests" and facts.test_units:
        return [
            _row(facts, "tests", "positive", facts.test_units, facts.test_units, run_id, main=True)
        ]
    rows = _main_rows(facts, kind, note, run_id)
    edge = _edge_units(facts, kind)
    if edge and any(row["status"] == TaskStatus.SELECTED for row in rows):
        rows.append(_row(facts, "edge_cases", "edge", edge, facts.test_units, run_id))
    return rows


def _skipped_for(row: dict[str, Any], skip: Skip) -> dict[str, Any]:
    """A selected task's row, skipped for ``skip`` instead."""
    return {
        **row,
        "status": TaskStatus.SKIPPED,
        "reason": skip.detail,
        "skip_category": skip.category,
    }


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
        and all(whitespace_only(diff, language_for_path(path)) for path, diff in facts.changes),
        ticket_labels=[label for _, _, labels in facts.links for label in labels],
        is_bot=facts.is_bot,
        is_version_bump=facts.is_version_bump,
        reverts=facts.reverts,
    )


def _main_rows(
    facts: CommitForSelection, kind: CommitKind, note: str, run_id: str
) -> list[dict[str, Any]]:
    units = facts.behaviour_units
    reason = _kind_skip(kind) or _no_units_reason(facts, units)
    if reason is None and facts.parents == 0:
        reason = Skip(
            SkipCategory.INITIAL_COMMIT, "initial commit: there is no earlier code to change"
        )
    if reason is not None:
        return [_main_skip(facts, kind, units, reason, run_id)]
    if len(units) <= MAX_UNITS and facts.changed_lines <= MAX_CHANGED_LINES:
        return [
            _row(
                facts,
                kind.family,
                "positive",
                units,
                facts.test_units,
                run_id,
                main=True,
                note=note,
            )
        ]
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
    if all(u.docs_only and _wrote_docs(u) for u in modified):
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
    """Units of a fix or feature that gained a guard clause that raises (the edge cases it now
    refuses): an ``if`` on a condition the old code did not test, whose block raises a named
    error (``miners.code_symbols.new_guards``)."""
    if kind.skipped or kind.family not in CODE_FAMILIES or kind.family == "refactor":
        return []
    return [
        unit
        for unit in facts.behaviour_units
        if unit.change == "modified" and new_guards(unit.before, unit.after, unit.lang)
    ]


def _review_tasks(
    warehouse: Warehouse, revert: CommitForSelection, run_id: str
) -> list[dict[str, Any]]:
    """A revert makes a negative task of the commit it reverts: review that change."""
    original = _reverted_commit(warehouse, revert)
    if original is None:
        return []
    reason_given = bool(re.sub(_REVERTED_SHA, "", revert.body).strip(" .\n"))
    [facts] = _load_facts(warehouse, [original])
    units = facts.behaviour_units
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
        "ORDER BY c.committed_at DESC, c.sha LIMIT 1",
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
    note: str = "",
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
        "reason": skip.detail
        if skip
        else _why_chosen(family, units, tests, facts.links, part, note),
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
    note: str = "",
) -> str:
    parts = [f"{family} touching {len(units)} unit(s) in {len({u.path for u in units})} file(s)"]
    if note:
        parts.append(note)
    if part:
        parts.append(f"the part of a larger commit in {part}")
    if tests and family != "tests":
        parts.append(f"with {len(tests)} test(s) changed")
    if links:
        parts.append(f"linked to {len(links)} ticket(s) by {links[0][1]}")
    return ", ".join(parts)
