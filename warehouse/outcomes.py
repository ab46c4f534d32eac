"""What became of a thing goldmine looked at: the closed sets of statuses, and why a thing was
skipped.

A :class:`Skip` carries a *category*, which is what runs count and what SQL can group by, and a
*detail*, the sentence shown to a person and stored beside it. Counts never read the detail, so a
reworded message changes no figure. Every status and every category is defined here once and
imported where it is used (datatrove's ``dropped_<reason>``, pydriller's ``ModificationType``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class TaskStatus(StrEnum):
    """``tasks.status``: a teachable moment chosen for drafting, or passed over with a reason."""

    SELECTED = "selected"
    SKIPPED = "skipped"


class CandidateStatus(StrEnum):
    """``candidates.status``: waiting for the assay, its verdict, or a reply that was no record."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNPARSEABLE = "unparseable"


class RunStatus(StrEnum):
    """``runs.status``."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    # its process died (killed, the machine went down) before it could say how it ended
    INTERRUPTED = "interrupted"


class ReviewVerdict(StrEnum):
    """``reviews.verdict``: what a person decided on the review page."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EDITED = "edited"


class VerificationStatus(StrEnum):
    """``verifications.status``: what running a task's acceptance tests showed ([verify])."""

    EXECUTED = "executed"  # they fail at the parent and pass at the commit
    FAILED = "failed"  # they pass at the parent, or fail at the commit: the task is dropped
    UNRUNNABLE = "unrunnable"  # they did not run at the commit: the task stays, static
    UNTESTED = "untested"  # no changed test exercises the change: nothing to run, static


class SkipCategory(StrEnum):
    """Why something was not made, as a value that is counted."""

    # A commit's kind when no task is drafted from it (miners/commit_kinds.py names them).
    MERGE = "merge"
    REVERT = "revert"
    BOT = "bot"
    VERSION_BUMP = "version_bump"
    FORMATTING = "formatting"
    DOCS = "docs"
    GENERATED = "generated"
    EMPTY = "empty"
    CHORE = "chore"
    DEPENDENCY_BUMP = "dependency_bump"
    WORK_IN_PROGRESS = "work_in_progress"
    MECHANICAL_REWRITE = "mechanical_rewrite"
    # A commit that is none of those, but still gives no task (warehouse/selection/commits.py).
    INITIAL_COMMIT = "initial_commit"
    NO_PARSED_UNIT = "no_parsed_unit"
    TESTS_UNREADABLE = "tests_unreadable"
    TEST_HELPERS_ONLY = "test_helpers_only"
    SPRAWLING = "sprawling"
    SPLIT = "split"
    REVIEW_WITHOUT_REASON = "review_without_reason"
    REVIEW_WITHOUT_UNIT = "review_without_unit"
    TYPO_ONLY = "typo_only"
    COMMENT_ONLY = "comment_only"
    MOVED_VERBATIM = "moved_verbatim"
    TRIVIAL_CHANGE = "trivial_change"
    # A commit that later history disqualifies (warehouse/selection/history.py).
    REVERTED_LATER = "reverted_later"
    FIXED_LATER = "fixed_later"
    REWRITTEN_SOON = "rewritten_soon"
    # A ticket that gives no task of its own (warehouse/selection/tickets.py).
    UNRESOLVED = "unresolved"
    CLOSED_UNRESOLVED = "closed_unresolved"
    PULL_REQUEST = "pull_request"
    FEATURE_REQUEST = "feature_request"
    NO_RESOLUTION = "no_resolution"
    RESOLVED_BY_CODE = "resolved_by_code"
    # A selected task a drafter cannot make a good record of (flows/draft/).
    KIND_NOT_DRAFTED = "kind_not_drafted"
    NO_UNIT = "no_unit"
    UNIT_WITHOUT_CODE = "unit_without_code"
    UNIT_TOO_LONG = "unit_too_long"
    TOO_LITTLE_CONTEXT = "too_little_context"
    NO_EVIDENCE = "no_evidence"
    INCOMPLETE_ANSWER = "incomplete_answer"
    REDACTED_CODE = "redacted_code"
    TESTS_NOT_NEW = "tests_not_new"
    NO_CODE_UNDER_TEST = "no_code_under_test"
    DOCS_UNREADABLE = "docs_unreadable"
    DOCSTRING_ALREADY_THERE = "docstring_already_there"
    NO_NEW_GUARD = "no_new_guard"
    REVERT_GIVES_NO_REASON = "revert_gives_no_reason"
    NOT_AN_AGENT_TASK = "not_an_agent_task"
    ROOT_COMMIT = "root_commit"
    EMPTY_PATCH = "empty_patch"
    PATCH_DOES_NOT_APPLY = "patch_does_not_apply"
    NOT_REPLAYABLE = "not_replayable"
    NO_CATALOG_LOOKUP = "no_catalog_lookup"
    NO_ANSWER = "no_answer"
    NO_STEP = "no_step"
    ENDPOINT_REJECTED = "endpoint_rejected"
    # A selected task whose acceptance tests, run ([verify]), do not show the change
    # (flows/verify/).
    NOT_FAILING_BEFORE = "tests_pass_before"
    FAILING_AFTER = "tests_fail_after"
    PROMPT_TOO_LARGE = "prompt_too_large"
    UNPARSEABLE_CODE = "unparseable_code"
    # An LLM call that failed after its retries: the task is tried again next run.
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    CONNECTION_FAILED = "connection_failed"
    SERVER_ERROR = "server_error"
    UNEXPECTED_REPLY = "unexpected_reply"
    # A changed file that gets no symbols, or a function without libcst details (landing).
    NO_GRAMMAR = "no_grammar"
    MERGE_COMMIT_SYMBOLS = "merge_commit_symbols"
    PARSE_ERROR = "parse_error"
    FILE_TOO_LARGE = "file_too_large"
    MANY_PYTHON_FUNCTIONS = "many_python_functions"


@dataclass(frozen=True, slots=True)
class Skip:
    """Why something was skipped: the category that is counted, the detail that is shown."""

    category: SkipCategory
    detail: str

    def __str__(self) -> str:
        return self.detail


def count_by_category(skips: Iterable[Skip]) -> dict[str, int]:
    """How many skips of each category, the most common first."""
    return dict(Counter(str(skip.category) for skip in skips).most_common())
