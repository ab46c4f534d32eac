"""A commit judged with what came after it: reverted later, or its lines fixed or rewritten soon.

Three verdicts, each a :class:`Skip` for every task of the commit but the ``review`` task a revert
makes of it:

- ``reverted_later``: a later commit of the same source reverts it — its subject is
  ``Revert "<subject>"`` or its message says ``This reverts commit <sha>`` (``commits.reverts``).
  A revert that is itself reverted later does not count: the change came back.
- ``fixed_later``: one of the next ``window`` commits of the same source (in commit order), or a
  later one within ``LATER_FIX_DAYS`` (14) days, deletes or rewrites a line this commit added,
  and its subject admits a mistake (fix, typo, revert, oops, wrong, broken, bug …;
  ``miners.commit_kinds.admits_a_mistake``), and it is not reverted itself. A line is matched by
  its text within its definition (the innermost changed function or class that holds it, or the
  module), so the same boilerplate line elsewhere in the file is not "this line". Blank and
  trivial lines (``}``, ``)``, ``pass``, ``else:`` …), lines a commit moves or only re-wraps,
  imports it extends, and what merges, bots and formatters change are not evidence. A fix
  within ``SAME_DEFINITION_WINDOW`` commits that changes a definition the commit changed counts
  too.
- ``rewritten_soon``: a later commit by a person (not a merge, bot, formatter or revert), within
  ``REVISE_DAYS`` (7), deletes or changes a line the commit added outside tests, whatever its
  message says: the commit was a draft its pull request reworked (flask 08a283af, whose next
  commit rewrote 26 of its 33 lines as "more from_prefixed_env features"), or a fix that needed
  fixing (82b7983b, whose `current_app.config` call the same author changed two days later "to
  support when current_app is not available").

Commit order is commit time; a rebased series shares one commit time, and within it a commit
comes after its parents.

Selection is incremental, so history is too: each run judges the commits it selects and, for the
commits already selected, what the new commits reveal — every commit of a source with new
commits that a commit now reverts, and the ``window`` commits (or ``LATER_FIX_DAYS``) before the
first new one, whose lines a new fix may change. Their selected tasks become skipped
(:func:`retire`), and the candidates already drafted from them are rejected with a failed
``history`` check, so they are neither assayed nor exported (no review verdict brings them back).

Each file's diff is read once and its added lines indexed by (path, definition, text): one pass
in commit order, no commit compared with another.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from miners.commit_kinds import admits_a_mistake, is_test_path, looks_like_a_bot, mechanical_tool
from warehouse.outcomes import CandidateStatus, Skip, SkipCategory, TaskStatus

if TYPE_CHECKING:  # flows/settings.py reads LATER_FIX_WINDOW without loading DuckDB
    from warehouse.store import Warehouse

LATER_FIX_WINDOW = 20
# A fix this many days later counts even beyond the window (a busy week is many commits).
LATER_FIX_DAYS = 14
# A fix this close to a commit that changes a definition the commit changed (not only its lines)
# tells that the commit's version of it was not final either.
SAME_DEFINITION_WINDOW = 10
# A commit whose added code a later commit rewrites within a week was a draft: the version that
# lasted is the lesson. Calibrated on 119 reviewed flask commits: a week, any one line, catches
# 14 of the reviewers' 69 REJECTs and 1 of their 17 ACCEPTs (bench/README.md).
REVISE_DAYS = 7
HISTORY_CHECK = "history"
_REVERT_SUBJECT = re.compile(r'^Revert "(.+)"(?:\s*\(#\d+\))?\s*$')
_PULL_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")
_TRIVIAL_LINE = re.compile(
    r"^(?:[\W_]*|(?:pass|else|try|finally|except|do|return|break|continue|end|"
    r"return\s+(?:None|True|False|nil|null|0|1|-1|err|self))\W*)$"
)
# A line that only names things: an import, or a continuation line of an import's names.
_NAME_LIST = re.compile(
    r"^(?:from\s+[\w.]+\s+)?(?:import\s+)?\(?[\w.]+(?:\s+as\s+\w+)?"
    r"(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*,?\s*[\\(]?$"
)
_SUBJECT_SHOWN = 72

Key = tuple[str, str, str]
"""A line as history matches it: (path, definition it sits in or '', its squeezed text)."""


@dataclass(frozen=True, slots=True)
class LaterCommit:
    """A commit as history reads it: where it sits in its source's order, and its message."""

    id: str
    source_id: str
    sha: str
    subject: str
    reverts: str
    committed_at: datetime | None
    author: str = ""
    parents: int = 1
    is_bot: bool = False


@dataclass(slots=True)
class ChangedLines:
    """The lines one commit added and removed, as keys."""

    added: set[Key] = field(default_factory=set)
    removed: set[Key] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Definition:
    """A changed definition's lines before and after the commit."""

    name: str
    before: frozenset[str]
    after: frozenset[str]
    size_before: int
    size_after: int


def later_history(
    warehouse: Warehouse, pending: Collection[str], window: int = LATER_FIX_WINDOW
) -> dict[str, Skip]:
    """Commit id → why later history disqualifies it, for what the ``pending`` commits (the ones
    selection is about to judge) can reveal: reverts anywhere in their sources, fixes within
    ``window`` commits (0: fixes are not looked for)."""
    verdicts: dict[str, Skip] = {}
    new = set(pending)
    for commits in _commit_order(warehouse, new).values():
        first_new = min(i for i, commit in enumerate(commits) if commit.id in new)
        reverts: dict[str, str] = {}
        reverted = reverted_later(commits, reverts)
        found = [(reverted, reverts)]
        undone = set(reverted)
        if window > 0:
            judged = commits[_first_judged(commits, first_new, window) :]
            lines = _changed_lines(warehouse, judged)
            fixes: dict[str, str] = {}
            found.append((fixed_later(judged, lines, window, undone, fixes), fixes))
            rewrites: dict[str, str] = {}
            found.append((rewritten_soon(judged, lines, undone, rewrites), rewrites))
        verdicts.update(_earliest_evidence(commits, found))
    return verdicts


def _earliest_evidence(
    commits: Sequence[LaterCommit], found: list[tuple[dict[str, Skip], dict[str, str]]]
) -> dict[str, Skip]:
    """Per commit, the verdict whose evidence comes first in history (a revert before a fix
    before a rewrite by the same commit). A nightly run judges a commit as soon as its first
    evidence lands and keeps that verdict, so a run over the whole history must choose the same
    one, or the dataset would depend on where the runs were cut."""
    position = {commit.id: index for index, commit in enumerate(commits)}
    chosen: dict[str, tuple[tuple[int, int], Skip]] = {}
    for rank, (skips, evidence) in enumerate(found):
        for commit_id, skip in skips.items():
            key = (position.get(evidence.get(commit_id, ""), len(commits)), rank)
            if commit_id not in chosen or key < chosen[commit_id][0]:
                chosen[commit_id] = (key, skip)
    return {commit_id: skip for commit_id, (_, skip) in chosen.items()}


def _first_judged(commits: Sequence[LaterCommit], first_new: int, window: int) -> int:
    """The earliest commit whose lines a new commit may fix: ``window`` commits before the first
    new one, or earlier while within ``LATER_FIX_DAYS`` of it."""
    start = max(0, first_new - window)
    while start > 0 and _days_apart(commits[start - 1], commits[first_new]) <= LATER_FIX_DAYS:
        start -= 1
    return start


def _commit_order(warehouse: Warehouse, pending: Collection[str]) -> dict[str, list[LaterCommit]]:
    """Every commit of the sources the pending commits belong to, per source, in commit order.

    A rebased series shares one commit time: within it, a commit comes after its parents (and
    else in the order it was written), not in the order of its id."""
    rows = warehouse.query(
        "SELECT id, source_id, sha, subject, coalesce(reverts, '') AS reverts, committed_at, "
        "coalesce(author, '') AS author, len(parents) AS parents, "
        "coalesce(is_bot, false) AS is_bot, parents AS parent_shas FROM commits "
        "WHERE source_id IN (SELECT DISTINCT source_id FROM commits "
        "WHERE id IN (SELECT unnest(?::VARCHAR[]))) "
        "ORDER BY source_id, committed_at, authored_at, id",
        [list(pending)],
    ).dicts()
    by_source: dict[str, list[LaterCommit]] = defaultdict(list)
    parents: dict[str, list[str]] = {}
    for row in rows:
        parents[row["sha"]] = list(row.pop("parent_shas") or [])
        by_source[row["source_id"]].append(LaterCommit(**row))
    return {source: _parents_first(commits, parents) for source, commits in by_source.items()}


def _parents_first(commits: list[LaterCommit], parents: dict[str, list[str]]) -> list[LaterCommit]:
    """The commits (in time order) with each run of equal commit times put parents first."""
    ordered: list[LaterCommit] = []
    start = 0
    while start < len(commits):
        end = start + 1
        while end < len(commits) and commits[end].committed_at == commits[start].committed_at:
            end += 1
        ordered += _topological(commits[start:end], parents)
        start = end
    return ordered


def _topological(run: list[LaterCommit], parents: dict[str, list[str]]) -> list[LaterCommit]:
    """A run of commits with one commit time, each after its parents among them (else in the
    given order)."""
    left = list(run)
    placed: set[str] = set()
    shas = {commit.sha for commit in run}
    ordered = []
    while left:
        ready = next(
            (c for c in left if all(p in placed or p not in shas for p in parents[c.sha])),
            left[0],  # a cycle cannot happen in git; keep going whatever the data says
        )
        left.remove(ready)
        placed.add(ready.sha)
        ordered.append(ready)
    return ordered


def reverted_later(
    commits: Sequence[LaterCommit], evidence: dict[str, str] | None = None
) -> dict[str, Skip]:
    """The commits (of one source, in order) that a later commit reverts for good (``evidence``,
    when given, gets each one's reverting commit)."""
    reverters: dict[int, list[int]] = defaultdict(list)
    for index, original in _reverts(commits):
        reverters[original].append(index)
    reverted = [False] * len(commits)
    # a revert counts unless it is reverted itself; later commits are decided first
    for index in reversed(range(len(commits))):
        reverted[index] = any(not reverted[r] for r in reverters.get(index, ()))
    verdicts = {}
    for index, is_reverted in enumerate(reverted):
        if is_reverted:
            by = commits[next(r for r in reverters[index] if not reverted[r])]
            when = f" on {by.committed_at:%Y-%m-%d}" if by.committed_at else ""
            verdicts[commits[index].id] = Skip(
                SkipCategory.REVERTED_LATER, f"reverted by {by.sha[:10]}{when}"
            )
            if evidence is not None:
                evidence[commits[index].id] = by.id
    return verdicts


def _reverts(commits: Sequence[LaterCommit]) -> Iterable[tuple[int, int]]:
    """(revert, the earlier commit it reverts), by the sha its message names or else the
    subject it quotes (a pull request's ``(#123)`` left out on both sides, as GitHub's revert
    button quotes the title without it)."""
    by_sha = {commit.sha.lower(): index for index, commit in enumerate(commits)}
    latest_with_subject: dict[str, int] = {}
    for index, commit in enumerate(commits):
        original = _named_commit(commits, by_sha, commit.reverts.lower(), index)
        quoted = _REVERT_SUBJECT.match(commit.subject)
        if original is None and quoted is not None:
            original = latest_with_subject.get(_PULL_SUFFIX.sub("", quoted.group(1)))
        if original is not None and original != index:
            yield index, original
        latest_with_subject[_PULL_SUFFIX.sub("", commit.subject)] = index


def _named_commit(
    commits: Sequence[LaterCommit], by_sha: dict[str, int], sha: str, before: int
) -> int | None:
    """The index of the earlier commit whose sha starts with ``sha``, or None."""
    if len(sha) < 7:
        return None
    found = by_sha.get(sha)
    if found is None:
        found = next((i for i in range(before) if commits[i].sha.lower().startswith(sha)), None)
    return found if found is not None and found < before else None


def fixed_later(
    commits: Sequence[LaterCommit],
    lines: dict[str, ChangedLines],
    window: int,
    undone: Collection[str] = (),
    evidence: dict[str, str] | None = None,
) -> dict[str, Skip]:
    """The commits (of one source, in order) whose added lines one of the next ``window`` commits
    (or a later one within ``LATER_FIX_DAYS``) changes again with a subject that admits a mistake;
    the nearest such commit is named. A fix that is ``undone`` (reverted itself) does not
    count."""
    owners: dict[Key, list[int]] = defaultdict(list)
    definition_owners: dict[tuple[str, str], list[int]] = defaultdict(list)
    fixed: dict[int, int] = {}

    def close(owner: int, index: int) -> bool:
        """Within the window, or (a busy week is many commits) within LATER_FIX_DAYS."""
        days = _days_apart(commits[owner], commits[index])
        return index - owner <= window or days <= LATER_FIX_DAYS

    for index, commit in enumerate(commits):
        changed = lines.get(commit.id, ChangedLines())
        if _corrects(commit) and commit.id not in undone:
            for key in changed.removed:
                for owner in owners.get(key, ()):
                    if close(owner, index) and owner not in fixed:
                        fixed[owner] = index
            for definition in _definitions(changed) if not _is_revert(commit) else ():
                for owner in definition_owners.get(definition, ()):
                    near = index - owner <= min(window, SAME_DEFINITION_WINDOW)
                    if near and owner not in fixed:
                        fixed[owner] = index
        for key in changed.added:
            owners[key] = [i for i in owners[key] if close(i, index)] + [index]
        for definition in _definitions(changed, added_only=True):
            kept = [i for i in definition_owners[definition] if index - i < window]
            definition_owners[definition] = [*kept, index]
    if evidence is not None:
        evidence.update({commits[owner].id: commits[fixer].id for owner, fixer in fixed.items()})
    return {
        commits[owner].id: _fixed_skip(commits[fixer], fixer - owner)
        for owner, fixer in sorted(fixed.items())
    }


def rewritten_soon(
    commits: Sequence[LaterCommit],
    lines: dict[str, ChangedLines],
    undone: Collection[str] = (),
    evidence: dict[str, str] | None = None,
) -> dict[str, Skip]:
    """The commits (of one source, in order) whose code a later commit by a person rewrites
    within ``REVISE_DAYS``: it deletes or changes at least one line the commit added outside
    tests, whatever its message says. The version the commit wrote did not last a week, so it is
    not what the project settled on (a pull request's first commit reworked by its next ones; a
    fix two days later "to support when current_app is not available"). The earliest such
    commit is named."""
    verdicts = {}
    for index, commit in enumerate(commits):
        added = {
            key for key in lines.get(commit.id, ChangedLines()).added if not is_test_path(key[0])
        }
        if not added:
            continue
        for later in range(index + 1, len(commits)):
            other = commits[later]
            days = _days_apart(commit, other)
            if days > REVISE_DAYS:
                break
            if not _by_a_person(other) or _is_revert(other) or other.id in undone:
                continue
            rewritten = added & lines.get(other.id, ChangedLines()).removed
            if rewritten:
                verdicts[commit.id] = Skip(
                    SkipCategory.REWRITTEN_SOON,
                    f"{len(rewritten)} of its {len(added)} added lines rewritten by "
                    f"{other.sha[:10]} '{_shown(other.subject)}' {_after(days)}",
                )
                if evidence is not None:
                    evidence[commit.id] = other.id
                break
    return verdicts


def _after(days: float) -> str:
    """How long after: hours within a day, else days."""
    return f"{max(1, round(days * 24))} hour(s) later" if days < 1 else f"{days:.0f} day(s) later"


def _days_apart(first: LaterCommit, second: LaterCommit) -> float:
    """Days from one commit to a later one (unknown times are far apart)."""
    if first.committed_at is None or second.committed_at is None:
        return float("inf")
    return (second.committed_at - first.committed_at).total_seconds() / 86400


def _is_revert(commit: LaterCommit) -> bool:
    """A revert restores older code: reverted_later judges it, not the same-definition rule."""
    return bool(commit.reverts) or commit.subject.lower().startswith("revert")


def _definitions(changed: ChangedLines, *, added_only: bool = False) -> set[tuple[str, str]]:
    """The (path, definition) pairs whose lines a commit added (and removed, unless
    ``added_only``); lines outside any changed definition are not counted."""
    keys = changed.added if added_only else changed.added | changed.removed
    return {(path, name) for path, name, _ in keys if name}


def _corrects(commit: LaterCommit) -> bool:
    """A commit whose subject admits a mistake, made by a person (not a merge, whose diff is its
    branch's, nor a bot or a formatter)."""
    return admits_a_mistake(commit.subject) and _by_a_person(commit)


def _by_a_person(commit: LaterCommit) -> bool:
    """Not a merge (whose diff is its branch's), a bot or a formatter run."""
    return (
        commit.parents <= 1
        and not commit.is_bot
        and not looks_like_a_bot(commit.author, commit.subject)
        and not mechanical_tool(commit.subject)
    )


def _fixed_skip(fixer: LaterCommit, distance: int) -> Skip:
    return Skip(
        SkipCategory.FIXED_LATER,
        f"lines changed again by {fixer.sha[:10]} '{_shown(fixer.subject)}' "
        f"{distance} commit(s) later",
    )


def _shown(subject: str) -> str:
    if len(subject) > _SUBJECT_SHOWN:
        return subject[: _SUBJECT_SHOWN - 1].rstrip() + "…"
    return subject


def _changed_lines(warehouse: Warehouse, commits: Sequence[LaterCommit]) -> dict[str, ChangedLines]:
    """The lines each commit added and removed in the files goldmine parses, keyed by the
    definition that holds them."""
    ids = [commit.id for commit in commits]
    definitions: dict[tuple[str, str], list[_Definition]] = defaultdict(list)
    for commit_id, path, name, before, after in warehouse.query(
        "SELECT commit_id, path, qualified_name, coalesce(before_code, ''), "
        "coalesce(after_code, '') FROM symbols WHERE commit_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY commit_id, path, qualified_name",
        [ids],
    ).rows:
        definitions[(commit_id, path)].append(_definition(name, before, after))
    files: dict[str, list[_FileLines]] = defaultdict(list)
    for commit_id, old_path, path, diff in warehouse.query(
        "SELECT commit_id, coalesce(old_path, path), path, diff FROM file_changes "
        "WHERE commit_id IN (SELECT unnest(?::VARCHAR[])) AND lang IS NOT NULL "
        "AND NOT is_binary ORDER BY commit_id, position",
        [ids],
    ).rows:
        plus, minus = _diff_lines(diff)
        files[commit_id].append(_FileLines(old_path, path, plus, minus))
    return {
        commit_id: _commit_lines(changed, definitions, commit_id)
        for commit_id, changed in files.items()
    }


@dataclass(frozen=True, slots=True)
class _FileLines:
    """One file's added and removed lines in one commit."""

    old_path: str
    path: str
    plus: set[str]
    minus: set[str]


def _commit_lines(
    files: list[_FileLines], definitions: dict[tuple[str, str], list[_Definition]], commit_id: str
) -> ChangedLines:
    """A commit's added and removed lines as keys. A line it both removes and adds (in one file
    or across files) is moved, and an import it extends is kept: neither is changed."""
    added = set().union(*(f.plus for f in files))
    moved = added & set().union(*(f.minus for f in files))
    moved |= {text for f in files for text in f.minus if _extended(text, added)}
    lines = ChangedLines()
    for changed in files:
        _add_file_lines(lines, changed, moved, definitions.get((commit_id, changed.path), []))
    return lines


def _definition(name: str, before: str, after: str) -> _Definition:
    return _Definition(
        name,
        frozenset(_squeezed_lines(before)),
        frozenset(_squeezed_lines(after)),
        len(before),
        len(after),
    )


def _extended(removed: str, added: set[str]) -> bool:
    """True for an import (or a line of an import's names) that the commit replaces with one
    naming more: ``from a import b`` → ``from a import b, c`` extends it, it does not fix it."""
    if not _NAME_LIST.match(removed):
        return False
    names = set(re.findall(r"[\w.]+", removed))
    return any(
        _NAME_LIST.match(line) and names < set(re.findall(r"[\w.]+", line)) for line in added
    )


def _add_file_lines(
    lines: ChangedLines, changed: _FileLines, moved: set[str], definitions: list[_Definition]
) -> None:
    """Index one file's added and removed lines, each under the definition that holds it."""
    for text in changed.plus - moved:
        holder = _innermost(definitions, text, after=True)
        if holder is not None and text in holder.before:
            continue  # the definition had this line already
        lines.added.add((changed.path, holder.name if holder else "", text))
    for text in changed.minus - moved:
        holder = _innermost(definitions, text, after=False)
        lines.removed.add((changed.old_path, holder.name if holder else "", text))


def _innermost(definitions: list[_Definition], text: str, *, after: bool) -> _Definition | None:
    """The smallest changed definition that holds the line (in its new or its old version)."""
    holders = [d for d in definitions if text in (d.after if after else d.before)]
    if not holders:
        return None
    # the smallest, and of equal ones the first by name: never the order rows arrived in
    return min(holders, key=lambda d: (d.size_after if after else d.size_before, d.name))


def _diff_lines(diff: str) -> tuple[set[str], set[str]]:
    """A patch's added and removed lines, whitespace squeezed, trivial lines left out, and lines
    a block only re-wraps (the same text over other line breaks) left out too."""
    plus: set[str] = set()
    minus: set[str] = set()
    for removed, added in _change_blocks(diff):
        if "".join(removed).replace(" ", "") == "".join(added).replace(" ", ""):
            continue
        minus.update(text for text in removed if not _TRIVIAL_LINE.match(text))
        plus.update(text for text in added if not _TRIVIAL_LINE.match(text))
    return plus, minus


def _change_blocks(diff: str) -> Iterable[tuple[list[str], list[str]]]:
    """Each run of removed lines with the added lines that follow it (squeezed)."""
    removed: list[str] = []
    added: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line[:1] == "-" and not added:
            removed.append(" ".join(line[1:].split()))
            continue
        if line[:1] == "+":
            added.append(" ".join(line[1:].split()))
            continue
        if removed or added:
            yield removed, added
        removed, added = ([" ".join(line[1:].split())], []) if line[:1] == "-" else ([], [])
    if removed or added:
        yield removed, added


def _squeezed_lines(code: str) -> Iterable[str]:
    return (" ".join(line.split()) for line in code.splitlines())


def retire(
    warehouse: Warehouse,
    verdicts: dict[str, Skip],
    selector_version: str,
    run_id: str,
) -> list[dict[str, Any]]:
    """Skip the still-selected tasks of the commits in ``verdicts`` (not the ``review`` task a
    revert made of a commit), reject the candidates already drafted from them with a failed
    ``history`` check, and return the tasks' new rows (status, family, skip category, reason)."""
    if not verdicts:
        return []
    commit_ids = list(verdicts)
    retired = warehouse.query(
        "UPDATE tasks SET status = ?, reason = v.reason, skip_category = v.category, run_id = ? "
        "FROM (SELECT unnest(?::VARCHAR[]) AS commit_id, unnest(?::VARCHAR[]) AS reason, "
        "unnest(?::VARCHAR[]) AS category) v "
        "WHERE tasks.commit_id = v.commit_id AND tasks.status = 'selected' "
        "AND tasks.family <> 'review' AND tasks.selector_version = ? "
        "RETURNING tasks.id, tasks.status, tasks.family, tasks.skip_category, tasks.reason",
        [
            TaskStatus.SKIPPED,
            run_id,
            commit_ids,
            [verdicts[c].detail for c in commit_ids],
            [str(verdicts[c].category) for c in commit_ids],
            selector_version,
        ],
    ).dicts()
    _reject_drafted(warehouse, {row["id"]: row["reason"] for row in retired}, run_id)
    return retired


def _reject_drafted(warehouse: Warehouse, reasons: dict[str, str], run_id: str) -> None:
    """Candidates drafted from retired tasks, not yet rejected: rejected, with the reason as a
    failed ``history`` check."""
    if not reasons:
        return
    rejected = warehouse.query(
        "UPDATE candidates SET status = ? WHERE task_id IN (SELECT unnest(?::VARCHAR[])) "
        "AND status IN ('pending', 'accepted') RETURNING id, task_id",
        [CandidateStatus.REJECTED, list(reasons)],
    ).rows
    warehouse.insert(
        "checks",
        [
            {
                "candidate_id": candidate_id,
                "check": HISTORY_CHECK,
                "passed": False,
                "score": 0.0,
                "detail": reasons[task_id],
                "run_id": run_id,
            }
            for candidate_id, task_id in rejected
        ],
    )
