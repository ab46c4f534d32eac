"""What more than one test module builds: histories, tickets, records, candidate rows, snapshots.

Test modules import their shared helpers from here (and from ``damages.py`` and
``llm_server.py``), never from another test module or a ``conftest.py``; fixtures stay in the
``conftest.py`` files and build with these. ``test_architecture.py`` enforces the rule.

A history is a list of :class:`Commit` tables, the script ``flows/demo/sample_repo.py`` turns into
a real git repository with fixed dates, so the same history has the same commit hashes on every
machine.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NotRequired, Protocol, Required, TypedDict

from click.testing import Result

from warehouse.record_text import normalised_text_hash
from warehouse.records import parse_record
from warehouse.store import Warehouse

JsonObject = dict[str, Any]
"""A JSON object as ``json.loads`` returns it (a record read back from the warehouse or an export):
its values are whatever the document holds, so they are ``Any`` — the decoder is the seam."""

Row = dict[str, Any]
"""A warehouse row as ``QueryResult.dicts()`` returns it (``warehouse/store.py``): column name →
whatever DuckDB gives for that column."""


def json_object(text: str | bytes) -> JsonObject:
    """Decode a JSON object (a stored record, an exported row); fail if the text holds anything
    else."""
    value = json.loads(text)
    assert isinstance(value, dict), f"not a JSON object: {str(text)[:80]}"
    return value


TEST_KEY = b"k" * 32
"""The workspace key the tests land and redact with (any 32 bytes)."""

PLANTED_KEY = "AKIAZ7Q4EXAMPLE3KEY9"
"""An AWS access key id planted in mined text: redaction must replace it everywhere."""

REVIEW_SAMPLE = 24
"""The review sample the review tests open: at least one record from each of the demo's 20
strata."""

UPDATE_SNAPSHOTS = "GOLDMINE_UPDATE_SNAPSHOTS"
"""The environment variable that, set to ``1``, rewrites snapshot files instead of comparing."""


class Commit(TypedDict, total=False):
    """One ``[[commit]]`` table of a history script (see ``flows/demo/sample_repo.py``)."""

    message: Required[str]
    date: str
    author: str
    files: dict[str, str]
    binary: dict[str, str]  # path → content in hex
    delete: list[str]
    branch: str  # commit on this new branch
    checkout: str  # switch to this branch first
    merge: str  # merge this branch with --no-ff (``message`` is the merge's)
    tag: str


class BuildRepo(Protocol):
    """The ``make_repo`` fixture: a git repository holding ``commits``, under the test's tmp
    folder."""

    def __call__(self, commits: Sequence[Commit], name: str | None = None) -> Path: ...


class Cli(Protocol):
    """The ``cli`` fixture: run ``goldmine`` in this process and return click's result."""

    def __call__(self, *args: str | Path) -> Result: ...


def git(repo: Path, *args: str) -> str:
    """Run git in a test repository and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


# The stock history: a small shop library with one ticket-linked bug fix.

STOCK_V1 = '''"""Stock levels and reservations."""
import logging

logger = logging.getLogger(__name__)


def reserve(levels: dict[str, int], sku: str, qty: int) -> int:
    """Reserve qty of sku and return what is left."""
    levels[sku] = levels[sku] - qty
    return levels[sku]


def restock(levels: dict[str, int], sku: str, qty: int) -> None:
    """Add qty units of sku."""
    levels[sku] = levels.get(sku, 0) + qty
'''
"""``src/stock.py`` before the fix: ``reserve`` accepts any quantity."""

STOCK_V2 = STOCK_V1.replace(
    '''    """Reserve qty of sku and return what is left."""
    levels[sku] = levels[sku] - qty''',
    '''    """Reserve qty of sku and return what is left."""
    if qty <= 0:
        raise ValueError(f"quantity must be positive, got {qty}")
    if levels.get(sku, 0) < qty:
        logger.warning("not enough %s in stock", sku)
        raise LookupError(f"not enough {sku} in stock")
    levels[sku] = levels[sku] - qty''',
)
"""``src/stock.py`` after the fix: ``reserve`` refuses negative and oversized quantities."""

TEST_STOCK = """import pytest

from stock import reserve


def test_reserve_rejects_negative_quantity():
    with pytest.raises(ValueError):
        reserve({"a": 3}, "a", -1)
"""
"""The test the fix adds."""

STOCK_PYPROJECT = """[project]
name = "stocky"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["pydantic>=2.6"]
"""

STOCK_README = "# stocky\n\nstocky tracks stock levels and reservations for small shops.\n"


def stock_history() -> list[Commit]:
    """A small history: skeleton, a ticket-linked bug fix with its test, a formatting-only
    commit."""
    return [
        {
            "date": "2024-01-02T10:00:00+00:00",
            "author": "Ana Lima <ana@corp.example>",
            "message": "Add stock module\n\nReservations and restocking for the shop.",
            "files": {
                "pyproject.toml": STOCK_PYPROJECT,
                "README.md": STOCK_README,
                "src/stock.py": STOCK_V1,
            },
        },
        {
            "date": "2024-01-05T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": (
                "Reject negative and oversized reservations\n\n"
                "A negative quantity increased the stock instead of failing, and\n"
                "reserving more than the stock went negative.\n\nFixes #1"
            ),
            "files": {"src/stock.py": STOCK_V2, "tests/test_stock.py": TEST_STOCK},
        },
        {
            "date": "2024-01-06T09:30:00+00:00",
            "author": "Bo Chen <bo@corp.example>",
            "message": "Reformat stock module",
            "files": {
                "src/stock.py": STOCK_V2.replace(
                    "levels[sku] = levels[sku] - qty", "levels[sku] = levels[sku]  -  qty"
                )
            },
        },
    ]


class GitHubUser(TypedDict):
    login: str


class GitHubComment(TypedDict):
    user: GitHubUser
    created_at: str
    body: str


class GitHubLabel(TypedDict):
    name: str


class GitHubIssue(TypedDict):
    """An issue as GitHub's REST API exports it (the fields goldmine reads)."""

    number: int
    title: str
    body: str
    state: str
    labels: list[GitHubLabel]
    user: GitHubUser
    html_url: str
    created_at: str
    closed_at: str | None
    comments: NotRequired[list[GitHubComment]]


STOCK_TICKETS: list[GitHubIssue] = [
    {
        "number": 1,
        "title": "reserve() accepts negative quantities",
        "body": "Calling `reserve(levels, 'a', -1)` increases the stock.\n\nExpected: an error.",
        "state": "closed",
        "labels": [{"name": "bug"}],
        "user": {"login": "mkowalski"},
        "html_url": "https://example.com/stocky/issues/1",
        "created_at": "2024-01-03T08:00:00Z",
        "closed_at": "2024-01-05T09:30:00Z",
        "comments": [
            {
                "user": {"login": "ana-lima"},
                "created_at": "2024-01-04T08:00:00Z",
                "body": "The qty check is missing.",
            },
            {
                "user": {"login": "bo-chen"},
                "created_at": "2024-01-06T08:00:00Z",
                "body": "Fixed by adding a guard.",
            },
        ],
    },
    {
        "number": 2,
        "title": "Support restocking from CSV",
        "body": "Please add CSV import.",
        "state": "open",
        "labels": [{"name": "enhancement"}],
        "user": {"login": "mkowalski"},
        "html_url": "https://example.com/stocky/issues/2",
        "created_at": "2024-01-04T08:00:00Z",
        "closed_at": None,
    },
]
"""The stock project's GitHub issues: #1 (the bug the fix closes, with a comment before the fix
and one after), #2 (an open feature request)."""


# The calc history: one commit for each task family but bug fixes and features.

CALC = '''"""Small statistics helpers."""


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def clamp(value: float, low: float, high: float) -> float:
    """Limit value to the range [low, high]."""
    return max(low, min(value, high))
'''
CALC_DOCUMENTED = CALC.replace(
    "def mean(values: list[float]) -> float:\n",
    'def mean(values: list[float]) -> float:\n    """The arithmetic mean of values.\n\n    '
    "Args:\n        values: the numbers to average.\n\n"
    '    Returns:\n        Their sum divided by their count.\n    """\n',
)
CALC_CACHED = CALC_DOCUMENTED.replace(
    "    return max(low, min(value, high))",
    "    global LAST\n    LAST = max(low, min(value, high))\n    return LAST",
)
CALC_FIXED = CALC_DOCUMENTED.replace(
    "    return sum(values) / len(values)",
    '    if not values:\n        raise ValueError("mean of an empty list is undefined")\n    '
    "return sum(values) / len(values)",
)
CALC_TESTS = (
    "from calc import mean\n\n\ndef test_mean_of_two():\n    assert mean([1.0, 3.0]) == 2.0\n"
)
CALC_TESTS_CLAMP = CALC_TESTS.replace("from calc import mean", "from calc import clamp, mean") + (
    "\n\ndef test_clamp_keeps_values_inside_the_range():\n    assert clamp(5.0, 0.0, 10.0) == 5.0\n"
    "\n\ndef test_clamp_raises_low_values_to_the_floor():\n    assert clamp(-1.0, 0.0, 10.0) == "
    "0.0\n"
)
CALC_TESTS_EMPTY = CALC_TESTS_CLAMP + (
    "\n\ndef test_mean_of_nothing_is_refused():\n    import pytest\n\n    with "
    "pytest.raises(ValueError):\n        mean([])\n"
)
CALC_PYPROJECT = '[project]\nname = "calc"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'


def calc_history() -> list[Commit]:
    """Tests added for ``clamp``, ``mean`` documented, a change and its revert (a review), a fix
    that adds a guard clause (edge cases), a formatting-only commit and a version bump."""
    day = iter(range(1, 20))

    def at() -> str:
        return f"2024-02-{next(day):02d}T10:00:00+00:00"

    return [
        {
            "date": at(),
            "message": "Add calc helpers",
            "files": {
                "pyproject.toml": CALC_PYPROJECT,
                "calc.py": CALC,
                "tests/test_calc.py": CALC_TESTS,
            },
        },
        {
            "date": at(),
            "message": "Add tests for clamp\n\nclamp had no tests; pin the range behaviour.",
            "files": {"tests/test_calc.py": CALC_TESTS_CLAMP},
        },
        {
            "date": at(),
            "message": "Document mean\n\nCallers asked what mean returns.",
            "files": {"calc.py": CALC_DOCUMENTED},
        },
        {
            "date": at(),
            "message": "Remember the last clamped value",
            "files": {"calc.py": CALC_CACHED},
        },
        {
            "date": at(),
            "message": 'Revert "Remember the last clamped value"\n\nA module-level LAST is shared '
            "by every caller and thread, so concurrent callers read each other's "
            "values.",
            "files": {"calc.py": CALC_DOCUMENTED},
        },
        {
            "date": at(),
            "message": "Refuse the mean of an empty list\n\nmean([]) raised ZeroDivisionError "
            "from deep inside.",
            "files": {"calc.py": CALC_FIXED, "tests/test_calc.py": CALC_TESTS_EMPTY},
        },
        {
            "date": at(),
            "message": "Reformat calc",
            "files": {
                "calc.py": CALC_FIXED.replace(
                    "return max(low, min(value, high))", "return max(low,  min(value, high))"
                )
            },
        },
        {
            "date": at(),
            "message": "Bump version to 0.2.0",
            "files": {"pyproject.toml": CALC_PYPROJECT.replace("0.1.0", "0.2.0")},
        },
    ]


# Records and the candidate rows that hold them.


class ProvenanceJson(TypedDict, total=False):
    """A record's ``provenance`` as JSON (``warehouse/records.py``: ``Provenance``)."""

    drafter: Required[str]
    template: Required[str]
    repo: str
    commits: list[str]
    tickets: list[str]
    paths: list[str]
    symbols: list[str]
    observations: Literal["replayed", "simulated", "none"]
    task_id: str


class InstructionJson(TypedDict):
    """An instruction record as JSON (``warehouse/records.py``: ``InstructionRecord``)."""

    id: str
    kind: Literal["instruction"]
    task_type: str
    lang: Literal["en", "zh"]
    instruction: str
    input: str
    output: str
    provenance: ProvenanceJson
    system: NotRequired[str]


class ToolActionJson(TypedDict):
    tool_name: str
    parameters: dict[str, object]


class AssistantStepJson(TypedDict, total=False):
    """An assistant turn's content: a thought, then an action or the final answer."""

    thought: Required[str]
    action: ToolActionJson
    final_answer: str


class ToolResultJson(TypedDict):
    result: object


class UserTurnJson(TypedDict):
    role: Literal["user"]
    content: str


class AssistantTurnJson(TypedDict):
    role: Literal["assistant"]
    content: AssistantStepJson


class ToolTurnJson(TypedDict):
    role: Literal["tool"]
    content: ToolResultJson


TurnJson = UserTurnJson | AssistantTurnJson | ToolTurnJson


class ToolSpecJson(TypedDict):
    name: str
    description: str
    parameters: dict[str, object]


class AgentJson(TypedDict):
    """An agent trajectory as JSON (``warehouse/records.py``: ``AgentRecord``)."""

    id: str
    kind: Literal["agent"]
    task_type: str
    lang: Literal["en", "zh"]
    tools: list[ToolSpecJson]
    conversation: list[TurnJson]
    provenance: ProvenanceJson
    system: NotRequired[str]


GOOD: InstructionJson = {
    "id": "good",
    "kind": "instruction",
    "task_type": "bugfix",
    "lang": "en",
    "instruction": (
        "You are a Python developer working on stocky.\n\nRequirements:\n1. Fix `reserve`.\n"
        "2. Keep its signature.\n3. Output the complete function in one fenced block."
    ),
    "input": "",
    "output": "```python\ndef reserve(levels, sku, qty):\n    if qty <= 0:\n        raise "
    "ValueError(qty)\n```\n\nWhy.",
    "provenance": {"drafter": "extractive", "template": "t@1"},
}
"""A small valid instruction record that passes every check of the assay."""


class CandidateRow(TypedDict):
    """A row of the ``candidates`` table, as the tests insert it."""

    id: str
    task_id: str
    kind: str
    task_type: str
    lang: str
    drafter: str
    template: str
    status: str
    record: str
    provenance: str
    text_hash: str
    run_id: str
    created_at: datetime


# An agent trajectory in the record contract: one read, one answer.
AGENT_RECORD: AgentJson = {
    "id": "agent",
    "kind": "agent",
    "task_type": "bugfix",
    "lang": "en",
    "system": "You are a coding agent.",
    "tools": [
        {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        }
    ],
    "conversation": [
        {"role": "user", "content": "Why does reserve accept -1?"},
        {
            "role": "assistant",
            "content": {
                "thought": "Read the code first.",
                "action": {"tool_name": "read_file", "parameters": {"path": "src/stock.py"}},
            },
        },
        {"role": "tool", "content": {"result": "def reserve(...): ..."}},
        {
            "role": "assistant",
            "content": {"thought": "There is no check.", "final_answer": "Add a qty <= 0 check."},
        },
    ],
    "provenance": {"drafter": "extractive", "template": "t@1", "observations": "replayed"},
}


def candidate_row(record: Mapping[str, object], n: int, run: str = "r") -> CandidateRow:
    """The pending candidate ``c{n}`` holding ``record``, created ``n`` seconds into 2024."""
    parsed = parse_record(record)
    return {
        "id": f"c{n}",
        "task_id": "t",
        "kind": parsed.kind,
        "task_type": parsed.task_type,
        "lang": parsed.lang,
        "drafter": "extractive",
        "template": "t@1",
        "status": "pending",
        "record": json.dumps(record),
        "provenance": "{}",
        "text_hash": normalised_text_hash(parsed),
        "run_id": run,
        "created_at": datetime(2024, 1, 1, 0, 0, n, tzinfo=UTC),
    }


def insert_candidates(warehouse: Warehouse, specs: list[tuple[str, str, str]]) -> None:
    """Insert one candidate per ``(task_type, lang, status)``: copies of :data:`GOOD` named
    ``c0``, ``c1`` … whose outputs differ by their number."""
    rows: list[CandidateRow] = []
    for n, (task_type, lang, status) in enumerate(specs):
        record: dict[str, object] = {
            **GOOD,
            "id": f"c{n}",
            "task_type": task_type,
            "lang": lang,
            "output": f"{GOOD['output']} ({n})",
        }
        rows.append(candidate_row(record, n) | {"status": status})
    warehouse.insert("candidates", rows)


# Snapshots.


def assert_matches_snapshot(path: Path, text: str) -> None:
    """Compare ``text`` with the snapshot file at ``path`` and fail with a unified diff; with
    ``GOLDMINE_UPDATE_SNAPSHOTS=1`` in the environment, write ``text`` there instead."""
    if os.environ.get(UPDATE_SNAPSHOTS) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with {UPDATE_SNAPSHOTS}=1 to write it"
    expected = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(True), text.splitlines(True), "snapshot", "rendered"
        )
    )
    assert not diff, f"{path.name} changed ({UPDATE_SNAPSHOTS}=1 accepts it):\n{diff}"


# Histories git accepts but tidy tools do not: commit objects written as they are.

ODD_COMMITS: tuple[tuple[str, bytes, bytes, str], ...] = (
    # (label, author line, committer line, message); each commit changes src/stock.py
    ("plain", b"Ann <ann@x.example> 1700000000 +0100", b"", "Add the stock module"),
    # git accepts this zone and prints it as +518:00
    ("zone", b"Bo <bo@x.example> 1315449038 +051800", b"", "Reject negative quantities"),
    ("1969", b"Old Timer <old@x.example> -86400 +0000", b"", "Count the reservations"),
    ("no_email", b"Cy <> 1700100000 +0000", b"Cy 1700100000 +0000", "Release reservations"),
    # a Latin-1 name, a date after 2100, an empty message (and, below, its parent listed twice)
    ("late", b"Ren\xe9 <rene@x.example> 4200000000 -0000", b"", ""),
    ("after", b"Ann <ann@x.example> 1700200000 +0100", b"", "Restock returns the new level"),
)
"""The odd commits of :func:`build_odd_history`, oldest first."""


def build_odd_history(path: Path) -> dict[str, str]:
    """A repository of :data:`ODD_COMMITS` written with ``git hash-object --literally``, grafted
    (``git replace --graft``) onto an older, separately imported root; the sha of each label (and
    of ``import``)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "src").mkdir()
    shas: dict[str, str] = {}
    import_root = _literal_commit(
        path, _tree(path, "README.md", "# stocky\n"), [], b"Imp <imp@x.example> 1600000000 +0000"
    )
    shas["import"] = import_root
    (path / "README.md").unlink()
    git(path, "rm", "-q", "--cached", "README.md")
    parents: list[str] = []
    for n, (label, author, committer, message) in enumerate(ODD_COMMITS):
        code = "".join(
            f"def level_{i}(levels, sku):\n    return levels[sku] + {i}\n\n" for i in range(n + 1)
        )
        tree = _tree(path, "src/stock.py", code)
        listed = parents * 2 if label == "late" else parents
        shas[label] = _literal_commit(path, tree, listed, author, committer, message)
        parents = [shas[label]]
    git(path, "update-ref", "refs/heads/main", parents[0])
    git(path, "replace", "--graft", shas["plain"], import_root)
    return shas


def _tree(path: Path, name: str, text: str) -> str:
    (path / name).write_text(text, encoding="utf-8")
    git(path, "add", name)
    return git(path, "write-tree").strip()


def _literal_commit(
    path: Path,
    tree: str,
    parents: Sequence[str],
    author: bytes,
    committer: bytes = b"",
    message: str = "Import the old history",
) -> str:
    body = b"tree %s\n" % tree.encode()
    body += b"".join(b"parent %s\n" % p.encode() for p in parents)
    body += b"author %s\ncommitter %s\n\n%s" % (author, committer or author, message.encode())
    if message:
        body += b"\n"
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "--literally", "-w", "--stdin"],
        cwd=path,
        input=body,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip()


def build_long_history(path: Path, commits: int) -> Path:
    """A repository of ``commits`` commits made in one ``git fast-import`` stream (seconds for
    thousands): modules of small functions that each commit changes, fixed dates and authors, so
    the hashes are the same on every machine. Every tenth commit says why (a body)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = []
    for n in range(commits):
        module = f"src/mod{n % 25}.py"
        revision = n // 25
        code = "".join(
            f'def f{i}(x):\n    """Step {i}."""\n    if x < {i}:\n        raise ValueError(x)\n'
            f"    return x * {i + revision}\n\n"
            for i in range(1, 4 + revision % 5)
        )
        message = f"Change mod{n % 25} (revision {revision})"
        if n % 10 == 0:
            message += f"\n\nThe old factor broke callers passing {n}; use the new one."
        data = message.encode()
        blob = code.encode()
        stream.append(
            b"commit refs/heads/main\n"
            + b"committer Dev%d <dev%d@x.example> %d +0000\n"
            % (n % 7, n % 7, 1_600_000_000 + n * 3600)
            + b"data %d\n%s\n" % (len(data), data)
            + b"M 100644 inline %s\ndata %d\n%s\n" % (module.encode(), len(blob), blob)
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    git(path, "reset", "-q", "--hard")
    return path


# The command, with a sentinel: at exit the process writes which heavy modules it imported.
_WATCHED = """
import atexit, json, sys
SENTINEL = sys.argv[1]
def _report():
    with open(SENTINEL, "w") as out:
        json.dump(sorted(m for m in sys.modules if "." not in m), out)
atexit.register(_report)
sys.argv = ["goldmine", *sys.argv[2:]]
from flows.commands.cli import main
main()
"""


def goldmine_watched(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run goldmine in a fresh process; its result and the top-level modules it imported."""
    sentinel = tmp_path / "imported.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    done = subprocess.run(
        [sys.executable, "-c", _WATCHED, str(sentinel), *map(str, args)],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, set(json.loads(sentinel.read_text()))
