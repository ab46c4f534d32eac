"""The verification tables: test runs at a commit and its parent, and what they say of a task.

``verification_runs`` holds every run of the ``[verify]`` command, keyed by what it ran (commit,
side, test files, command): a run stored once is never executed again, unless its environment
failed (``environment_error``), which says nothing of the task. ``verifications`` holds one
verdict per task and command. A record's ``verification`` (``executed`` or ``static``) is read
from them (the ``record_verification`` view); the runs are kept whole enough (command, exit
status, the output's redacted tail) for a trajectory to show them as ``run_tests`` observations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from warehouse.ids import stable_id
from warehouse.outcomes import CandidateStatus, Skip, TaskStatus, VerificationStatus
from warehouse.records import Record
from warehouse.store import Warehouse

VERIFICATION_CHECK = "verification"
Side = Literal["parent", "commit"]
Verification = Literal["executed", "static"]


@dataclass(frozen=True, slots=True)
class TaskToVerify:
    """A selected task with acceptance tests that may be run, and where."""

    task_id: str
    source_id: str
    location: str
    commit_id: str
    sha: str
    parent: str


@dataclass(frozen=True, slots=True)
class TestRunRow:
    """One run of the test command on one side of a commit (a ``verification_runs`` row)."""

    __test__ = False  # not a pytest test class, whatever its name

    id: str
    side: str
    command: str
    exit_status: int | None
    timed_out: bool
    duration_seconds: float
    output_tail: str
    results: dict[str, str] | None
    error_line: str | None = None
    environment_error: bool = False


def run_key(sha: str, side: Side, tests: Sequence[str], command: str) -> str:
    """The id of a run, and its cache key: the commit, the side, the test files, the command."""
    return stable_id("verification-run", sha, side, sorted(tests), command)


def verification_id(task_id: str, command: str) -> str:
    """The id of a task's verdict under one ``[verify] command``."""
    return stable_id("verification", task_id, command)


def tasks_to_verify(
    warehouse: Warehouse,
    command: str,
    families: Sequence[str],
    *,
    max_commits: int = 0,
    since: datetime | None = None,
) -> list[TaskToVerify]:
    """Selected tasks of ``families`` with tests, not yet judged under ``command``, from each
    repository's newest ``max_commits`` commits (0: all) made after ``since``; newest first."""
    rows = warehouse.query(
        "WITH ranked AS (SELECT c.*, row_number() OVER (PARTITION BY c.source_id "
        "ORDER BY c.committed_at DESC NULLS LAST, c.id) AS age FROM commits c) "
        "SELECT t.id AS task_id, s.id AS source_id, s.location, r.id AS commit_id, r.sha, "
        "r.parents[1] AS parent FROM tasks t JOIN ranked r ON r.id = t.commit_id "
        "JOIN sources s ON s.id = t.source_id "
        "WHERE t.status = ? AND list_contains(?, t.family) AND len(r.parents) = 1 "
        "AND json_array_length(t.facts -> '$.test_symbol_ids') > 0 "
        "AND (? = 0 OR r.age <= ?) AND (?::TIMESTAMPTZ IS NULL OR r.committed_at >= ?) "
        "AND NOT EXISTS (SELECT 1 FROM verifications v WHERE v.task_id = t.id "
        "AND v.command = ?) "
        "ORDER BY s.id, r.committed_at DESC, t.id",
        [
            TaskStatus.SELECTED,
            list(families),
            max_commits,
            max_commits,
            since,
            since,
            command,
        ],
    )
    return rows.rows_as(TaskToVerify)


def tests_ran_before(warehouse: Warehouse, source_id: str, command: str) -> bool:
    """Whether ``command`` ran a task's tests at a commit of this source before (the environment
    worked then: a task was executed or failed)."""
    return bool(
        warehouse.scalar(
            "SELECT count(*) FROM verifications v JOIN commits c ON c.id = v.commit_id "
            "WHERE c.source_id = ? AND v.command = ? AND list_contains(?, v.status)",
            [source_id, command, [VerificationStatus.EXECUTED, VerificationStatus.FAILED]],
        )
    )


def cached_run(warehouse: Warehouse, key: str) -> TestRunRow | None:
    """The stored run with this key, unless its environment failed (that one runs again)."""
    found = warehouse.query(
        "SELECT id, side, command, exit_status, timed_out, duration_seconds, output_tail, "
        "results, error_line FROM verification_runs WHERE id = ? AND NOT environment_error",
        [key],
    ).rows
    if not found:
        return None
    run_id, side, command, status, timed_out, seconds, tail, results, error = found[0]
    outcomes = json.loads(results) if results is not None else None
    return TestRunRow(run_id, side, command, status, timed_out, seconds, tail, outcomes, error)


def store_run(
    warehouse: Warehouse,
    run: TestRunRow,
    *,
    task: TaskToVerify,
    tests: Sequence[str],
    applied: Sequence[str],
    run_id: str,
) -> None:
    """Keep one run (a run with the same key replaces an earlier one whose environment
    failed)."""
    warehouse.execute("DELETE FROM verification_runs WHERE id = ?", [run.id])
    warehouse.insert(
        "verification_runs",
        [
            {
                "id": run.id,
                "source_id": task.source_id,
                "commit_id": task.commit_id,
                "sha": task.parent if run.side == "parent" else task.sha,
                "side": run.side,
                "command": run.command,
                "tests": list(tests),
                "applied": list(applied),
                "exit_status": run.exit_status,
                "timed_out": run.timed_out,
                "duration_seconds": run.duration_seconds,
                "output_tail": run.output_tail,
                "results": json.dumps(run.results) if run.results is not None else None,
                "error_line": run.error_line,
                "environment_error": run.environment_error,
                "run_id": run_id,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def forget_unrunnable(warehouse: Warehouse, command: str) -> int:
    """Drop the ``unrunnable`` verdicts under ``command`` and the commit-side runs behind them, so
    their tasks are run again; return how many."""
    unrunnable = [VerificationStatus.UNRUNNABLE, command]
    warehouse.execute(
        "DELETE FROM verification_runs WHERE id IN (SELECT commit_run_id FROM verifications "
        "WHERE status = ? AND command = ?)",
        unrunnable,
    )
    forgotten = warehouse.query(
        "DELETE FROM verifications WHERE status = ? AND command = ? RETURNING id", unrunnable
    ).rows
    return len(forgotten)


def mark_environment_errors(warehouse: Warehouse, run_ids: Iterable[str]) -> None:
    """These runs failed for the environment, not the task: the next run executes them again."""
    warehouse.execute(
        "UPDATE verification_runs SET environment_error = true "
        "WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [list(run_ids)],
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a task's runs showed (a ``verifications`` row without its bookkeeping)."""

    status: VerificationStatus
    tests: tuple[str, ...]
    reason: str
    commit_run_id: str | None
    parent_run_id: str | None = None
    fail_to_pass: tuple[str, ...] = ()
    pass_to_pass: tuple[str, ...] = ()
    skip: Skip | None = None


def store_verdict(
    warehouse: Warehouse, task: TaskToVerify, command: str, verdict: Verdict, run_id: str
) -> None:
    """Keep a task's verdict; a failed one drops the task (see :func:`drop_task`)."""
    warehouse.insert(
        "verifications",
        [
            {
                "id": verification_id(task.task_id, command),
                "task_id": task.task_id,
                "commit_id": task.commit_id,
                "command": command,
                "tests": list(verdict.tests),
                "status": verdict.status,
                "fail_to_pass": list(verdict.fail_to_pass),
                "pass_to_pass": list(verdict.pass_to_pass),
                "commit_run_id": verdict.commit_run_id,
                "parent_run_id": verdict.parent_run_id,
                "skip_category": str(verdict.skip.category) if verdict.skip else None,
                "reason": verdict.reason,
                "run_id": run_id,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    if verdict.skip is not None:
        drop_task(warehouse, task.task_id, verdict.skip, run_id)


def drop_task(warehouse: Warehouse, task_id: str, skip: Skip, run_id: str) -> None:
    """Skip a selected task for ``skip``, and reject the candidates already drafted from it with a
    failed ``verification`` check (as later history retires a task: warehouse/selection/history)."""
    warehouse.execute(
        "UPDATE tasks SET status = ?, reason = ?, skip_category = ?, run_id = ? "
        "WHERE id = ? AND status = ?",
        [TaskStatus.SKIPPED, skip.detail, str(skip.category), run_id, task_id, TaskStatus.SELECTED],
    )
    rejected = warehouse.query(
        "UPDATE candidates SET status = ? WHERE task_id = ? AND status IN (?, ?) RETURNING id",
        [CandidateStatus.REJECTED, task_id, CandidateStatus.PENDING, CandidateStatus.ACCEPTED],
    ).rows
    warehouse.insert(
        "checks",
        [
            {
                "candidate_id": candidate_id,
                "check": VERIFICATION_CHECK,
                "passed": False,
                "score": 0.0,
                "detail": skip.detail,
                "run_id": run_id,
            }
            for (candidate_id,) in rejected
        ],
    )


def with_verification(record: Record, verification: Verification) -> Record:
    """The record with ``provenance.verification`` set."""
    provenance = record.provenance.model_copy(update={"verification": verification})
    return record.model_copy(update={"provenance": provenance})


def verification_counts(warehouse: Warehouse, candidate_ids: Sequence[str]) -> dict[str, int]:
    """How many of these candidates are ``executed`` and how many ``static``."""
    rows = warehouse.query(
        "SELECT verification, count(*) FROM record_verification "
        "WHERE candidate_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 1",
        [list(candidate_ids)],
    ).rows
    return {str(name): int(n) for name, n in rows}
