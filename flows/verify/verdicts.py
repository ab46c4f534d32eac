"""What two runs of a task's tests say: FAIL_TO_PASS, PASS_TO_PASS, or why the task fails.

Runs are compared test by test, never by exit status alone (an old commit's tests may fail for
a reason that has nothing to do with the change: a newer click, a newer pytest). Only when the
command writes no pytest report does the exit status decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from flows.verify.pytest_reports import FAILED, PASSED, in_repository, outcome_of
from warehouse.outcomes import Skip, SkipCategory, VerificationStatus
from warehouse.verification import TestRunRow, Verdict


class CommitState(StrEnum):
    """What the run at the commit showed."""

    PASSED = "passed"  # every acceptance test that ran passed
    FAILED = "failed"  # an acceptance test failed: the task is dropped
    UNRUNNABLE = "unrunnable"  # none ran: the environment, or this old commit, is the problem


@dataclass(frozen=True, slots=True)
class CommitSide:
    """The commit side of a task: its state, the acceptance tests it concerns, and why."""

    state: CommitState
    tests: tuple[str, ...]
    reason: str


def judge_commit(run: TestRunRow, acceptance: Sequence[str], files: Sequence[str]) -> CommitSide:
    """The acceptance tests at the commit: they must run and pass."""
    if run.results is None:
        if run.exit_status == 0:
            return CommitSide(CommitState.PASSED, tuple(acceptance), "the command passed")
        return CommitSide(CommitState.UNRUNNABLE, (), error_signature(run))
    results = in_repository(run.results, files)
    outcomes = {test: outcome_of(results, test) for test in acceptance}
    failed = tuple(t for t, outcome in outcomes.items() if outcome == FAILED)
    if failed:
        return CommitSide(CommitState.FAILED, failed, f"{failed[0]} fails at the commit")
    passed = tuple(t for t, outcome in outcomes.items() if outcome == PASSED)
    if not passed:  # errors in set-up or import, skips, tests not collected: nothing ran
        return CommitSide(CommitState.UNRUNNABLE, (), error_signature(run))
    return CommitSide(CommitState.PASSED, passed, f"{len(passed)} acceptance test(s) pass")


def judge_parent(
    commit_run: TestRunRow,
    parent_run: TestRunRow,
    passed: Sequence[str],
    files: Sequence[str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """FAIL_TO_PASS (acceptance tests that pass at the commit but not at the parent) and
    PASS_TO_PASS (tests of the same files that pass on both sides)."""
    if parent_run.results is None or commit_run.results is None:
        failing = parent_run.exit_status != 0
        return (tuple(passed) if failing else ()), ()
    after = in_repository(commit_run.results, files)
    before = in_repository(parent_run.results, files)
    fail_to_pass = tuple(t for t in passed if outcome_of(before, t) != PASSED)
    pass_to_pass = tuple(
        sorted(
            node
            for node, outcome in after.items()
            if "::" in node
            and outcome == PASSED
            and before.get(node) == PASSED
            and node not in fail_to_pass
        )
    )
    return fail_to_pass, pass_to_pass


def verdict_after_commit(side: CommitSide, acceptance: Sequence[str], run: TestRunRow) -> Verdict:
    """The verdict of a task whose tests failed at the commit (it is dropped)."""
    return Verdict(
        VerificationStatus.FAILED,
        tuple(acceptance),
        side.reason,
        run.id,
        skip=Skip(
            SkipCategory.FAILING_AFTER,
            f"the acceptance tests fail after the change: {side.reason} ({_exit(run)})",
        ),
    )


def verdict_after_parent(
    commit_run: TestRunRow,
    parent_run: TestRunRow,
    acceptance: Sequence[str],
    passed: Sequence[str],
    files: Sequence[str],
) -> Verdict:
    """Executed when some acceptance test fails at the parent; else the task is dropped."""
    fail_to_pass, pass_to_pass = judge_parent(commit_run, parent_run, passed, files)
    if fail_to_pass:
        return Verdict(
            VerificationStatus.EXECUTED,
            tuple(acceptance),
            f"{len(fail_to_pass)} test(s) fail before the change and pass after it",
            commit_run.id,
            parent_run.id,
            fail_to_pass,
            pass_to_pass,
        )
    return Verdict(
        VerificationStatus.FAILED,
        tuple(acceptance),
        "the acceptance tests pass before the change",
        commit_run.id,
        parent_run.id,
        (),
        pass_to_pass,
        Skip(
            SkipCategory.NOT_FAILING_BEFORE,
            f"the acceptance tests already pass before the change ({', '.join(passed[:2])})",
        ),
    )


def verdict_unrunnable(side: CommitSide, acceptance: Sequence[str], run: TestRunRow) -> Verdict:
    """The tests did not run at the commit while they ran for other tasks: nothing is known of
    the change, so the task stays (static)."""
    return Verdict(VerificationStatus.UNRUNNABLE, tuple(acceptance), side.reason, run.id)


def verdict_untested() -> Verdict:
    """No changed test of the task exercises a changed unit: nothing to run, the task stays
    (static), and is not looked at again."""
    return Verdict(
        VerificationStatus.UNTESTED, (), "no changed test exercises the changed code", None
    )


_ERROR = r"(?=[A-Z])[\w.]*(?:Error|Exception|Exit|Interrupt|Failed)\b.*"
# A traceback's last line ("Failed: [pytest] section in setup.cfg …"), else an error named in a
# line (pytest's "ERROR tests/x.py - ImportError: …").
_ERROR_LINES = (re.compile(rf"^(?:E\s+)?({_ERROR})"), re.compile(rf"\b({_ERROR})"))
_PATH = re.compile(r"(?:[\w.~-]*/)+[\w.-]+")
_NUMBER = re.compile(r"\d+")


def error_signature(run: TestRunRow) -> str:
    """How a run failed, the same for every commit a broken environment fails at: pytest's
    commonest set-up or import error, else the output's last error line (else its last line),
    paths and numbers blanked."""
    if run.timed_out:
        return "the tests did not finish in time"
    lines = [line.strip() for line in run.output_tail.splitlines() if line.strip()]
    errors = [
        [match.group(1) for line in lines if (match := pattern.search(line))]
        for pattern in _ERROR_LINES
    ]
    found = next((each[-1] for each in errors if each), lines[-1] if lines else "no output")
    text = run.error_line or found
    text = _NUMBER.sub("N", _PATH.sub("…", text))
    return f"exit status {run.exit_status}: {text[:200]}"


def _exit(run: TestRunRow) -> str:
    return "timed out" if run.timed_out else f"exit status {run.exit_status}"
