"""What kind of change a commit is, read from its message and the shape of its diff.

The answer is a :class:`CommitKind`: a family a task can be drafted from (``bugfix``,
``feature``, ``refactor``, ``tests``, ``performance``, ``change``) or a kind that is skipped with
its reason (``merge``, ``revert``, ``bot``, ``version_bump``, ``formatting``, ``docs``,
``generated``, ``empty``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# The families whose task is "change this code as asked" (the others have templates of their own).
CODE_FAMILIES = ("bugfix", "feature", "refactor", "performance", "change")
_BOT_AUTHOR = re.compile(r"\[bot\]|dependabot|renovate|github-actions|pre-commit-ci", re.IGNORECASE)
_REVERT = re.compile(r'^Revert "')
_REVERT_WORD = re.compile(r"^revert\b", re.IGNORECASE)
_VERSION_BUMP = re.compile(
    r"^(?:chore(?:\(release\))?:\s*)?(?:bump(?:ed)?\s+version|release\s+v?\d|v?\d+\.\d+(?:\.\d+)?$|"
    r"version\s+(?:bump|\d)|bump\s+to\s+v?\d|prepare\s+(?:release|v?\d))",
    re.IGNORECASE,
)
_FAMILY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "bugfix",
        re.compile(
            r"\b(?:fix(?:e[sd])?|bug|crash|regression|broken|incorrect|wrong|fault|error)\b", re.I
        ),
    ),
    (
        "performance",
        re.compile(r"\b(?:perf|speed(?:s|\s+up)?|faster|optimi[sz]e[sd]?|slow)\b", re.I),
    ),
    (
        "refactor",
        re.compile(
            r"\b(?:refactor\w*|rename[sd]?|extract(?:s|ed)?|simplif\w+|clean\s*up|restructure)\b",
            re.I,
        ),
    ),
    (
        "feature",
        re.compile(
            r"\b(?:add(?:s|ed)?|implement\w*|support\w*|introduce[sd]?|new|allow\w*|enable[sd]?)\b",
            re.I,
        ),
    ),
)
_BODY_FAILURE = re.compile(
    r"\b(?:bug|crash(?:e[sd])?|regression|broken|raised|raises|exception|traceback|fails?|failed|"
    r"\w+Error)\b",
    re.I,
)
_CONVENTIONAL = re.compile(r"^(\w+)(?:\([^)]*\))?!?:")
_CONVENTIONAL_FAMILIES = {
    "fix": "bugfix",
    "feat": "feature",
    "refactor": "refactor",
    "perf": "performance",
    "test": "tests",
    "docs": "docs",
    "style": "formatting",
    "chore": "chore",
    "build": "chore",
    "ci": "chore",
}
_DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc"}
_GENERATED_NAMES = {
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "Cargo.lock",
    "go.sum",
    "Pipfile.lock",
    "composer.lock",
    "Gemfile.lock",
}
_GENERATED_PARTS = {"vendor", "node_modules", "third_party", "dist", "build", "__generated__"}
_SKIP_REASONS = {
    "merge": "merge commit: the commits it merges teach the change",
    "revert": "revert: taught as a review of the reverted commit, not as a task of its own",
    "bot": "made by a bot",
    "version_bump": "version bump: no behaviour to teach",
    "formatting": "formatting only: no behaviour changes",
    "docs": "documentation only",
    "generated": "only generated, vendored or lock files changed",
    "empty": "no file changes",
    "chore": "build or maintenance chore",
}


@dataclass(frozen=True, slots=True)
class CommitKind:
    """A commit's family and, when it is skipped, why."""

    family: str
    skip_reason: str = ""

    @property
    def skipped(self) -> bool:
        """True when no task is drafted from this commit."""
        return bool(self.skip_reason)


@dataclass(frozen=True, slots=True)
class ChangeShape:
    """The facts of a commit the classifier looks at."""

    subject: str
    body: str
    author: str
    parents: int
    paths: Sequence[str]
    added_lines: int
    deleted_lines: int
    whitespace_only: bool
    ticket_labels: Sequence[str] = ()
    # What the miner read off the whole message and the author's e-mail (miners/commit_messages.py)
    is_bot: bool = False
    is_version_bump: bool = False
    reverts: str = ""


_TEST_CASE_NAMES = {
    "go": re.compile(r"^(?:Test|Benchmark|Fuzz|Example)"),
    "python": re.compile(r"^(?:test|Test)"),
}
# JUnit 4/5 and Kotlin (@Test, @ParameterizedTest, @RepeatedTest, @TestFactory …), googletest and
# Check
_TEST_MARKERS = {
    "java": re.compile(r"@\w*Test(?:Factory|Template)?\b"),
    "c": re.compile(r"^\s*(?:TEST(?:_F|_P)?|START_TEST)\s*\("),
    "cpp": re.compile(r"^\s*(?:TEST(?:_F|_P)?|START_TEST)\s*\("),
}
_FIXTURE = re.compile(r"@(?:pytest\.)?fixture\b")


def is_test_case(qualified_name: str, lang: str, code: str) -> bool:
    """True for a definition the test runner runs (``test_x``, ``TestCart``, Go's ``TestX``, a Java
    method marked ``@Test``), not a helper or fixture that sits beside the tests.

    Rust's ``#[test]`` sits outside the function's node, so every function of a Rust test file
    counts; JavaScript's ``it(…)``/``test(…)`` callbacks are not definitions, so only functions
    named ``test…`` count there.
    """
    name = qualified_name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
    if lang == "rust":
        return True
    pattern = _TEST_CASE_NAMES.get(lang)
    if pattern is not None:
        return bool(pattern.match(name)) and not _FIXTURE.search(code)
    marker = _TEST_MARKERS.get(lang)
    return name.lower().startswith("test") or (marker is not None and bool(marker.search(code)))


_TEST_FOLDERS = frozenset(
    {"tests", "test", "__tests__", "spec", "specs", "testsuite", "test_suite"}
)


def is_test_path(path: str) -> bool:
    """True for files that hold tests by the usual conventions of most languages."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    return (
        any(part in _TEST_FOLDERS for part in pure.parts[:-1])
        or name.startswith("test_")
        or bool(re.search(r"(?:_test|\.test|\.spec|_spec)\.\w+$", name))
        or bool(re.search(r"[a-z0-9]Tests?\.(?:java|kt|cs|scala)$", pure.name))
    )


def is_generated_path(path: str) -> bool:
    """True for lock files, vendored code and build output."""
    pure = PurePosixPath(path)
    return (
        pure.name in _GENERATED_NAMES
        or bool(_GENERATED_PARTS & set(pure.parts[:-1]))
        or ".min." in pure.name
    )


def is_doc_path(path: str) -> bool:
    """True for prose files and anything under a docs folder."""
    pure = PurePosixPath(path)
    return (
        pure.suffix.lower() in _DOC_SUFFIXES
        or "docs" in pure.parts[:-1]
        or pure.name in ("LICENSE", "AUTHORS")
    )


def classify(shape: ChangeShape) -> CommitKind:
    """Decide the commit's family, or the reason to skip it."""
    kind = _skip_kind(shape) or _family(shape)
    return CommitKind(kind, _SKIP_REASONS.get(kind, ""))


def _skip_kind(shape: ChangeShape) -> str:
    code_paths = [p for p in shape.paths if not is_generated_path(p)]
    checks = (
        ("merge", shape.parents > 1),
        # a squash merge's body may quote "This reverts commit …" of a branch commit: the subject
        # decides
        (
            "revert",
            bool(
                _REVERT.match(shape.subject)
                or (shape.reverts and _REVERT_WORD.match(shape.subject))
            ),
        ),
        (
            "bot",
            shape.is_bot
            or bool(_BOT_AUTHOR.search(shape.author) or _BOT_AUTHOR.search(shape.subject)),
        ),
        ("empty", not shape.paths),
        ("generated", not code_paths),
        (
            "version_bump",
            (shape.is_version_bump or bool(_VERSION_BUMP.search(shape.subject)))
            and shape.added_lines + shape.deleted_lines <= 40,
        ),
        ("docs", all(is_doc_path(p) for p in code_paths)),
        ("formatting", shape.whitespace_only),
    )
    return next((kind for kind, hit in checks if hit), "")


def _family(shape: ChangeShape) -> str:
    conventional = _CONVENTIONAL.match(shape.subject)
    if conventional and conventional.group(1).lower() in _CONVENTIONAL_FAMILIES:
        return _CONVENTIONAL_FAMILIES[conventional.group(1).lower()]
    code = [p for p in shape.paths if not is_doc_path(p) and not is_generated_path(p)]
    if code and all(is_test_path(p) for p in code):
        return "tests"
    labels = " ".join(shape.ticket_labels).lower()
    if re.search(r"\b(?:bug|defect|regression|incident)\b", labels):
        return "bugfix"
    if re.search(r"\b(?:enhancement|feature|story|improvement)\b", labels):
        return "feature"
    for family, pattern in _FAMILY_WORDS:
        if pattern.search(shape.subject):
            return family
    # A subject without a family word: a body that describes a failure marks a fix.
    if _BODY_FAILURE.search(shape.body):
        return "bugfix"
    return "change"


def whitespace_only(diff: str) -> bool:
    """True when the removed and added lines of a patch differ only in whitespace."""
    removed: list[str] = []
    added: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
    if not removed and not added:
        return False
    squash = re.compile(r"\s+")
    return squash.sub("", "".join(removed)) == squash.sub("", "".join(added))
