"""pytest's JUnit XML report read back as node ids and outcomes, and a changed test's node id.

goldmine asks pytest for the ``xunit1`` family, whose test cases carry their file: with the class
path in ``classname`` that gives the node id exactly (``tests/test_app.py::TestX::test_y[1]``).
A module that failed to import is reported as the file alone, with outcome ``error``. A test
that fails with the very error other tests hit in set-up (flask's tests under a newer Werkzeug:
``module 'werkzeug' has no attribute '__version__'``) failed for the environment, not for what it
tests: its outcome is ``error`` too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.selection.task_context import CodeUnit

PASSED, FAILED, ERROR, SKIPPED, MISSING = "passed", "failed", "error", "skipped", "missing"
_WORST_FIRST = (ERROR, FAILED, SKIPPED, PASSED)


@dataclass(frozen=True, slots=True)
class PytestReport:
    """Each test's outcome, and the commonest error of the tests that could not run."""

    results: dict[str, str] = field(default_factory=dict)
    # The last ``E`` line of a failed set-up or import ("AttributeError: module … has no
    # attribute 'notset'"): the same in every run a broken environment spoils.
    error: str | None = None


def read_junit(report: Path) -> PytestReport:
    """Node id → outcome for every test case of a JUnit XML report (empty when unreadable)."""
    try:
        # pytest wrote it, into a temporary folder goldmine made for it
        root = ElementTree.parse(report).getroot()  # noqa: S314
    except ElementTree.ParseError:
        return PytestReport()
    cases = [(node, case) for case in root.iter("testcase") if (node := _node_id(case))]
    errors = Counter(_last_line(case, "error") for _, case in cases if _outcome(case) == ERROR)
    error = errors.most_common(1)[0][0] if errors else None
    results: dict[str, str] = {}
    for node, case in cases:
        outcome = _outcome(case)
        if outcome == FAILED and error is not None and _last_line(case, "failure") == error:
            outcome = ERROR
        results[node] = _worse(results.get(node), outcome)
    return PytestReport(results, error)


def _last_line(case: ElementTree.Element, tag: str) -> str:
    """The last ``E`` line of a failure's or error's traceback, else its message."""
    found = case.find(tag)
    if found is None:
        return ""
    lines = [line[1:].strip() for line in (found.text or "").splitlines() if line.startswith("E ")]
    return lines[-1] if lines else found.get("message", "")


def _node_id(case: ElementTree.Element) -> str | None:
    file, classname, name = case.get("file"), case.get("classname", ""), case.get("name", "")
    if not file or not name:
        return None
    if not classname:
        return file  # a collection error: the module, not a test
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname[len(module) + 1 :].split(".") if classname.startswith(module + ".") else []
    return "::".join([file, *[c for c in classes if c], name])


def _outcome(case: ElementTree.Element) -> str:
    tags = {child.tag for child in case}
    for tag, outcome in (("error", ERROR), ("failure", FAILED), ("skipped", SKIPPED)):
        if tag in tags:
            return outcome
    return PASSED


def _worse(first: str | None, second: str) -> str:
    if first is None:
        return second
    return min(first, second, key=_WORST_FIRST.index)


def node_id(test: CodeUnit) -> str:
    """A changed test's pytest node id: ``path::Class::name``."""
    return "::".join([test.path, *test.qualified_name.split(".")])


def in_repository(results: Mapping[str, str], files: Iterable[str]) -> dict[str, str]:
    """The results with node ids relative to the repository's root, as ``files`` are (pytest
    names them relative to its rootdir, which may be a folder below)."""
    wanted = list(files)
    moved: dict[str, str] = {}
    for node, outcome in results.items():
        file, sep, rest = node.partition("::")
        full = next((f for f in wanted if f == file or f.endswith("/" + file)), file)
        moved[full + sep + rest] = outcome
    return moved


def outcome_of(results: Mapping[str, str], test: str) -> str:
    """The outcome of a test (every parametrized case of it counts: the worst wins), or
    ``missing``."""
    found = [o for node, o in results.items() if node == test or node.startswith(test + "[")]
    return min(found, key=_WORST_FIRST.index) if found else MISSING
