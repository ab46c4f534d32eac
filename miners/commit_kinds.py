"""What kind of change a commit is, read from its message and the shape of its diff.

The answer is a :class:`CommitKind`: a family a task can be drafted from (``bugfix``,
``feature``, ``refactor``, ``tests``, ``performance``, ``change``) or a kind that is skipped with
its reason (``merge``, ``revert``, ``bot``, ``version_bump``, ``dependency_bump``,
``work_in_progress``, ``mechanical_rewrite``, ``formatting``, ``docs``, ``generated``, ``empty``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import PurePosixPath

from miners.code_symbols import same_code

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
# Work in progress: a commit its author marked as not done (git's autosquash markers included).
_WORK_IN_PROGRESS = re.compile(
    r"^(?:\[?wip\]?(?:\b|:)|fixup!|squash!|amend!)|"
    # a commit that adds a test meant to fail until a later one fixes the code
    r"^(?:add(?:ed)?\s+(?:a\s+)?)?failing\s+tests?\b|\b(?:don't|do not) all pass\b",
    re.IGNORECASE,
)
# Dependencies moved to other versions: "Bump werkzeug 2.3.7", "update dev dependencies",
# "update min blinker version", "Bump pre-commit from 2.12.1 to 2.13.0".
_DEPENDENCY_BUMP = re.compile(
    r"^(?:chore(?:\(deps?\))?:\s*)?(?:bump(?:s|ed)?|update[sd]?|upgrade[sd]?|pin(?:s|ned)?|unpin)\s+"
    r"(?:the\s+)?(?:(?:min(?:imum)?|max(?:imum)?|dev|test|pinned)\s+)?(?!python\b|deprecat)"
    r"(?:(?:\S+\s+)?(?:requirements|dependency|dependencies|deps|pins)\b"
    r"|[\w.\-/]+\s+(?:(?:from\s+\S+\s+)?to\s+)?v?\d+(?:\.\d+)*\S*\s*(?:\(#\d+\))?$"
    r"|[\w.\-]+\s+(?:version|requirement|pin)s?\b)",
    re.IGNORECASE,
)
# Files that only pin dependencies: a commit changing nothing else moves versions, not code.
_DEPENDENCY_FILES = re.compile(
    r"(?:^|/)(?:requirements[\w.\-]*\.(?:txt|in)|constraints[\w.\-]*\.txt|Pipfile|go\.mod|"
    r"\.pre-commit-config\.yaml)$|(?:^|/)requirements/[^/]+\.(?:txt|in)$"
)
# Rewrites a tool made (modernisers, formatters, fixers), named in the message: (tool, pattern).
_MECHANICAL_TOOLS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tool, re.compile(pattern, re.IGNORECASE))
    for tool, pattern in (
        ("python-modernize", r"\bpython-modernize\b"),
        ("2to3", r"\b2to3\b(?!\s+fixer\s+base)"),
        ("pyupgrade", r"\bpyupgrade\b"),
        (
            "black",
            r"\b(?:with|using|run|ran|running|apply|applied|by|latest)\s+black\b|"
            r"\bblack\s+(?:format|reformat)",
        ),
        ("isort", r"\bisort\b"),
        ("ruff format", r"\bruff\b[^.\n]*\bformat"),
        ("gofmt", r"\bgo\s?fmt\b"),
        ("rustfmt", r"\brustfmt\b|\bcargo\s+fmt\b"),
        ("prettier", r"\bprettier\b"),
        ("clang-format", r"\bclang-format\b"),
        ("autopep8", r"\bautopep8\b"),
        ("yapf", r"\byapf\b"),
        ("a fixer", r"\bappl(?:y|ied|ying)\b[^.\n]*\bfixers?\b"),
        (
            "a formatter",
            r"\b(?:run|ran|apply|applied)\s+(?:the\s+)?(?:code\s+)?formatters?\b|"
            r"\bauto-?format(?:ted|ting)?\b",
        ),
    )
)
# A message that admits a mistake: what a later commit that corrects earlier lines says.
_ADMITS_A_MISTAKE = re.compile(
    r"\b(?:fix(?:e[sd]|up)?|bug(?:s|fix(?:es)?)?|hotfix|typos?|revert(?:s|ed|ing)?|oops|"
    r"wrong(?:ly)?|broken|broke|breakage|mistakes?|mistaken(?:ly)?|regression|forgot|"
    r"incorrect(?:ly)?|erroneous(?:ly)?)\b",
    re.IGNORECASE,
)
# "This fixes #246", "Fixes issue #174", "closes #12": which ticket a commit answers, not an
# admission that earlier lines were wrong.
_TICKET_REFERENCE = re.compile(
    r"\b(?:this\s+|which\s+)?(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\s+(?:issue\s+)?#\d+",
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
    "dependency_bump": "dependency versions moved: no behaviour of this code to teach",
    "work_in_progress": "work in progress: the author marked it as not done",
    "mechanical_rewrite": "mechanical rewrite: a tool made the change, there is no decision to "
    "teach",
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
    reason = _SKIP_REASONS.get(kind, "")
    if kind == "mechanical_rewrite":
        reason = reason.replace(":", f" ({mechanical_tool(shape.subject, shape.body)}):", 1)
    return CommitKind(kind, reason)


def mechanical_tool(subject: str, body: str = "") -> str:
    """The moderniser or formatter a commit message says made the change, or ''."""
    message = f"{subject}\n{body}"
    return next((tool for tool, pattern in _MECHANICAL_TOOLS if pattern.search(message)), "")


def is_dependency_bump(subject: str, paths: Sequence[str]) -> bool:
    """True for a commit that moves dependency versions: its subject says so ("Bump werkzeug
    2.3.7", "update requirements"), or every file it changes only pins dependencies."""
    return bool(_DEPENDENCY_BUMP.match(subject.strip())) or (
        bool(paths) and all(_DEPENDENCY_FILES.search(path) for path in paths)
    )


def looks_like_a_bot(author: str, subject: str) -> bool:
    """True when the author's name or the subject names a bot (``dependabot[bot]``,
    ``[pre-commit.ci] …``)."""
    return bool(_BOT_AUTHOR.search(author) or _BOT_AUTHOR.search(subject))


def is_work_in_progress(subject: str) -> bool:
    """True for ``WIP``, ``wip: …``, ``[WIP] …``, git's ``fixup!``/``squash!``/``amend!``, and a
    "failing test" commit (its test passes only after a later commit)."""
    return bool(_WORK_IN_PROGRESS.match(subject.strip()))


def admits_a_mistake(subject: str) -> bool:
    """True when a subject says it corrects something: fix, typo, revert, oops, wrong, broken,
    mistake, bug, regression, forgot … (naming the ticket it closes, "fixes #12", is not
    saying so)."""
    return bool(_ADMITS_A_MISTAKE.search(_TICKET_REFERENCE.sub("", subject)))


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
            shape.is_bot or looks_like_a_bot(shape.author, shape.subject),
        ),
        ("empty", not shape.paths),
        ("generated", not code_paths),
        ("work_in_progress", is_work_in_progress(shape.subject)),
        (
            "version_bump",
            (shape.is_version_bump or bool(_VERSION_BUMP.search(shape.subject)))
            and shape.added_lines + shape.deleted_lines <= 40,
        ),
        ("dependency_bump", is_dependency_bump(shape.subject, code_paths)),
        ("mechanical_rewrite", bool(mechanical_tool(shape.subject, shape.body))),
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


def whitespace_only(diff: str, language: str | None = None) -> bool:
    """True when each hunk's old and new text differ only in layout (a block moved to another
    hunk is a change, not a re-layout).

    For Python, where indentation is syntax, each hunk is compared token by token with its context
    lines (``miners.code_symbols.same_code``): moving a statement out of a block is a change,
    re-indenting a continuation line is not.
    """
    hunks = _hunks(diff)
    if not any(changed for _, _, changed in hunks):
        return False
    return all(same_code("\n".join(old), "\n".join(new), language or "") for old, new, _ in hunks)


def _hunks(diff: str) -> list[tuple[list[str], list[str], bool]]:
    """Each hunk's old and new lines (context included), and whether it changes any line."""
    hunks: list[tuple[list[str], list[str], bool]] = []
    old: list[str] = []
    new: list[str] = []
    changed = False
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("@@"):
            hunks.append((old, new, changed))
            old, new, changed = [], [], False
        elif line.startswith("-"):
            old.append(line[1:])
            changed = True
        elif line.startswith("+"):
            new.append(line[1:])
            changed = True
        elif not line.startswith("\\"):  # "\ No newline at end of file"
            old.append(line[1:])
            new.append(line[1:])
    hunks.append((old, new, changed))
    return hunks


_SAYS_TYPO = re.compile(r"\b(?:typos?|spelling|misspel\w*|mispel\w*|spelt)\b", re.IGNORECASE)
# The most characters a line may change in a typo fix ("teh" → "the" is 2, "recieve" → "receive" 2).
TYPO_CHARS = 3


def says_typo(subject: str) -> bool:
    """True when a subject names a typo or spelling fix."""
    return bool(_SAYS_TYPO.search(subject))


def typo_sized(before: str, after: str) -> bool:
    """True when ``after`` is ``before`` with small edits on some lines: every changed line is
    replaced by one line that differs in at most :data:`TYPO_CHARS` characters (nothing added or
    removed as a whole, no reflowed paragraph)."""
    old, new = before.splitlines(), after.splitlines()
    return _pairs_typo_sized(old, new)


def diff_typo_sized(diff: str) -> bool:
    """:func:`typo_sized` for a patch: each hunk's removed lines against its added lines."""
    old: list[str] = []
    new: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("-"):
            old.append(line[1:])
        elif line.startswith("+"):
            new.append(line[1:])
        else:
            old.append(line)
            new.append(line)
    return _pairs_typo_sized(old, new)


def _pairs_typo_sized(old: list[str], new: list[str]) -> bool:
    changed = False
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "replace" or i2 - i1 != j2 - j1:
            return False
        for before, after in zip(old[i1:i2], new[j1:j2], strict=True):
            if char_edits(before.strip(), after.strip()) > TYPO_CHARS:
                return False
        changed = True
    return changed


def char_edits(before: str, after: str) -> int:
    """How many characters change from ``before`` to ``after`` (a replaced run counts its longer
    side)."""
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )
