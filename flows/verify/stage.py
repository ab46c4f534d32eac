"""The verify stage: each selected task's acceptance tests run at the commit and at its parent.

For every task of a recent commit whose changed tests exercise the change (the tests its record
shows), in a worktree outside the user's checkout: the test files run at the commit (the
acceptance tests must pass), then at the parent with the commit's test files applied (some must
fail). A task whose tests pass before the change, or fail after it, is dropped with the reason.

A broken environment is told apart from bad tasks: when the setup fails, or when the tests run at
no commit and every run fails the same way, one note says so, nothing is dropped, and the runs
are tried again next time. Every other run is kept and never executed again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from flows.draft.answer_code import exercising_tests
from flows.errors import ConfigError
from flows.progress import Advance, progress_bar
from flows.settings import Settings, VerifyConfig
from flows.verify.execution import Execution, command_for, run_shell, run_tests
from flows.verify.pytest_reports import node_id
from flows.verify.verdicts import (
    CommitSide,
    CommitState,
    judge_commit,
    verdict_after_commit,
    verdict_after_parent,
    verdict_unrunnable,
    verdict_untested,
)
from flows.verify.worktree import Worktree
from miners.commit_kinds import CODE_FAMILIES
from warehouse.redaction import redact
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader
from warehouse.store import Warehouse
from warehouse.verification import (
    Side,
    TaskToVerify,
    TestRunRow,
    Verdict,
    cached_run,
    forget_unrunnable,
    mark_environment_errors,
    run_key,
    store_run,
    store_verdict,
    tasks_to_verify,
    tests_ran_before,
)

# The families whose task is a change to code that its tests can show (the record's answer).
VERIFIED_FAMILIES = (*CODE_FAMILIES, "edge_cases")
# This many tasks in a row whose tests run nowhere, failing the same way, are a broken
# environment: the rest of the repository's tasks are not tried.
ENVIRONMENT_PROBE = 3


@dataclass(frozen=True, slots=True)
class Plan:
    """What runs for one task: its acceptance tests (node ids) and the files that hold them."""

    acceptance: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(slots=True)
class Tally:
    """What the stage did, for ``runs.counts``."""

    tasks: int = 0
    executed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    unrunnable: Counter[str] = field(default_factory=Counter)
    without_tests: int = 0
    runs_executed: int = 0
    runs_reused: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "executed": self.executed,
            "dropped": dict(self.dropped.most_common()),
            "unrunnable": sum(self.unrunnable.values()),
            "without_tests": self.without_tests,
            "runs_executed": self.runs_executed,
            "runs_reused": self.runs_reused,
            "seconds": round(self.seconds, 1),
            "notes": self.notes
            + [
                f"{n} task(s) whose tests did not run at the commit, kept static: {why}"
                for why, n in self.unrunnable.most_common(5)
            ],
        }


def verify_tasks(
    warehouse: Warehouse, settings: Settings, run_id: str, key: bytes
) -> dict[str, Any]:
    """Select the new commits' tasks, then verify every task ``[verify]`` reaches."""
    config = settings.verify
    if not config.command:
        raise ConfigError(
            "nothing to run: set [verify] command in goldmine.toml (e.g. "
            '"python -m pytest -q {tests}"), or pass --command'
        )
    selection = select_tasks(warehouse, run_id, later_fix_window=settings.select.later_fix_window)
    retried = forget_unrunnable(warehouse, config.command) if config.retry_unrunnable else 0
    since = datetime.now(UTC) - timedelta(days=config.since_days) if config.since_days else None
    todo = tasks_to_verify(
        warehouse, config.command, VERIFIED_FAMILIES, max_commits=config.max_commits, since=since
    )
    tally = Tally()
    loader = ContextLoader(warehouse, key)
    try:
        with progress_bar("verifying", len(todo)) as advance:
            for tasks in by_source(todo):
                SourceVerification(warehouse, config, run_id, key, tally).verify(
                    loader, tasks, advance
                )
    finally:
        loader.close()
    return {
        "tasks_selected": selection.selected,
        "tasks_skipped": selection.skipped,
        **({"retried_unrunnable": retried} if retried else {}),
        **tally.counts(),
    }


class SourceVerification:
    """The tasks of one repository, in one worktree made (and set up) when a run is needed."""

    def __init__(
        self, warehouse: Warehouse, config: VerifyConfig, run_id: str, key: bytes, tally: Tally
    ) -> None:
        self.warehouse = warehouse
        self.config = config
        self.run_id = run_id
        self.key = key
        self.tally = tally
        self.worktree: Worktree | None = None
        self.environment_failed = False
        # the tests ran at the commit of some task, now or in an earlier run: the environment works
        self.tests_ran = False
        self.waiting: list[tuple[TaskToVerify, Plan, CommitSide, TestRunRow]] = []

    def verify(
        self, loader: ContextLoader, tasks: Sequence[TaskToVerify], advance: Advance
    ) -> None:
        """Verify ``tasks`` (newest first), stopping at a broken environment."""
        if tasks:
            source, command = tasks[0].source_id, self.config.command
            self.tests_ran = tests_ran_before(self.warehouse, source, command)
        try:
            for task in tasks:
                if not self.environment_failed:
                    self._verify(loader, task)
                advance(1)
            self._settle_waiting()
        finally:
            if self.worktree is not None:
                self.worktree.remove()

    def _verify(self, loader: ContextLoader, task: TaskToVerify) -> None:
        plan = _plan(loader, task.task_id)
        if plan is None:
            self._keep(task, verdict_untested())
            self.tally.without_tests += 1
            return
        self.tally.tasks += 1
        commit_run = self._run(task, "commit", plan)
        if commit_run is None:
            return
        side = judge_commit(commit_run, plan.acceptance, plan.files)
        if side.state is CommitState.UNRUNNABLE:
            self.waiting.append((task, plan, side, commit_run))
            self._probe_environment()
            return
        self.tests_ran = True
        if side.state is CommitState.FAILED:
            self._keep(task, verdict_after_commit(side, plan.acceptance, commit_run))
            return
        parent_run = self._run(task, "parent", plan)
        if parent_run is not None:
            self._keep(
                task,
                verdict_after_parent(
                    commit_run, parent_run, plan.acceptance, side.tests, plan.files
                ),
            )

    def _keep(self, task: TaskToVerify, verdict: Verdict) -> None:
        store_verdict(self.warehouse, task, self.config.command, verdict, self.run_id)
        if verdict.skip is not None:
            self.tally.dropped[str(verdict.skip.category)] += 1
        elif verdict.fail_to_pass:
            self.tally.executed += 1

    def _run(self, task: TaskToVerify, side: Side, plan: Plan) -> TestRunRow | None:
        """The run of this side: stored already, or executed now (None: no environment)."""
        key = run_key(task.sha, side, plan.files, self.config.command)
        stored = cached_run(self.warehouse, key)
        if stored is not None:
            self.tally.runs_reused += 1
            return stored
        tree = self._worktree(task)
        if tree is None:
            return None
        tree.checkout(task.parent if side == "parent" else task.sha)
        applied = tree.apply_tests(task.parent, task.sha) if side == "parent" else []
        command = command_for(self.config.command, plan.files)
        done = run_tests(command, tree.root, self.config.timeout_seconds)
        run = self._row(key, side, done)
        store_run(
            self.warehouse, run, task=task, tests=plan.files, applied=applied, run_id=self.run_id
        )
        self.tally.runs_executed += 1
        self.tally.seconds += done.duration_seconds
        return run

    def _row(self, key: str, side: Side, done: Execution) -> TestRunRow:
        return TestRunRow(
            key,
            side,
            redact(done.command, self.key)[0],
            done.exit_status,
            done.timed_out,
            done.duration_seconds,
            redact(done.output_tail, self.key)[0],
            done.results,
            redact(done.error_line, self.key)[0] if done.error_line else None,
        )

    def _worktree(self, task: TaskToVerify) -> Worktree | None:
        """The worktree, made at the first run and set up once; None once the setup failed."""
        if self.environment_failed:
            return None
        if self.worktree is None:
            self.worktree = Worktree(task.location, task.sha)
            if self.config.setup and not self._set_up(self.worktree, task):
                return None
        return self.worktree

    def _set_up(self, tree: Worktree, task: TaskToVerify) -> bool:
        done = run_shell(self.config.setup, tree.root, self.config.setup_timeout_seconds)
        self.tally.seconds += done.duration_seconds
        if done.exit_status == 0:
            return True
        self.environment_failed = True
        last = redact(done.output_tail, self.key)[0].splitlines()[-1:] or ["no output"]
        status = "timed out" if done.timed_out else f"exit status {done.exit_status}"
        self.tally.notes.append(
            f"environment problem in {task.location}: the setup `{self.config.setup}` failed "
            f"({status}: {last[0]}); no test ran, the tasks stay static and are tried again "
            "next run"
        )
        return False

    def _probe_environment(self) -> None:
        """Stop early when the first tasks' tests all fail the same way and none ran."""
        signatures = {side.reason for _, _, side, _ in self.waiting}
        if not self.tests_ran and len(self.waiting) >= ENVIRONMENT_PROBE and len(signatures) == 1:
            self._settle_waiting()

    def _settle_waiting(self) -> None:
        """The tasks whose tests did not run at the commit: one environment problem when none
        ran anywhere and all failed alike, else each kept as unrunnable."""
        if not self.waiting:
            return
        signatures = {side.reason for _, _, side, _ in self.waiting}
        if not self.tests_ran and len(signatures) == 1:
            self.environment_failed = True
            task, _, side, run = self.waiting[0]
            mark_environment_errors(self.warehouse, [run.id for *_, run in self.waiting])
            self.tally.notes.append(
                f"environment problem in {task.location}: the tests ran at none of "
                f"{len(self.waiting)} commit(s), each time {side.reason} (e.g. `{run.command}` "
                f"at {task.sha[:10]}); the tasks stay static and are tried again next run"
            )
        else:
            for task, plan, side, run in self.waiting:
                self._keep(task, verdict_unrunnable(side, plan.acceptance, run))
                self.tally.unrunnable[side.reason] += 1
        self.waiting = []


def _plan(loader: ContextLoader, task_id: str) -> Plan | None:
    """The task's acceptance tests: its changed tests that exercise a changed unit."""
    tests = exercising_tests(loader.load(task_id))
    if not tests:
        return None
    return Plan(
        tuple(dict.fromkeys(node_id(t) for t in tests)),
        tuple(dict.fromkeys(t.path for t in tests)),
    )


def by_source(tasks: Sequence[TaskToVerify]) -> Iterator[list[TaskToVerify]]:
    """The tasks of each repository together (they come ordered by source)."""
    for _, group in groupby(tasks, key=lambda task: task.source_id):
        yield list(group)
