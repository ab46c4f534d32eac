"""Each tool result renders as the text ``seeds/tools.json`` promises, from its data alone."""

from __future__ import annotations

import pytest

from miners.tool_results import (
    ChangedFile,
    DirectoryEntry,
    DirectoryListing,
    FileMissing,
    FileNotText,
    FileText,
    LineMissing,
    LogEntries,
    LogEntry,
    NotAFolder,
    PatchApplied,
    PatchRejected,
    PatchTooLong,
    SearchHit,
    SearchHits,
    TestRun,
    ToolResult,
    render,
)


@pytest.mark.parametrize(
    ("result", "text"),
    [
        (
            SearchHits(
                "reserve",
                (
                    SearchHit("src/stock.py", 7, "def reserve(levels):"),
                    SearchHit("docs/a:b.md", 2, "  `reserve` keeps: stock"),
                ),
            ),
            "src/stock.py:7: def reserve(levels):\ndocs/a:b.md:2:   `reserve` keeps: stock",
        ),
        (
            SearchHits("x", (SearchHit("a.py", 1, "x"),), more=3),
            "a.py:1: x\n(3 more hits not shown)",
        ),
        (SearchHits("no_such", ()), "No matches for 'no_such'"),
        (
            FileText("a.py", 9, ("def f():", "", "    return 1"), 120),
            "   9 | def f():\n  10 |\n  11 |     return 1",
        ),
        (
            FileText("a.py", 1, ("x",) * 2, 450, cut=True),
            "   1 | x\n   2 | x\n(448 more lines; pass start_line to read on)",
        ),
        (FileText("a.py", 5, (), 10), ""),
        (FileMissing("nope.py"), "Error: nope.py does not exist"),
        (FileNotText("logo.png"), "Error: logo.png is not a text file"),
        (LineMissing("a.py", 12, 40), "Error: a.py has 12 lines; line 40 does not exist"),
        (
            DirectoryListing(
                "src",
                (
                    DirectoryEntry("b.py", folder=False),
                    DirectoryEntry("a", folder=True),
                    DirectoryEntry("a-b.py", folder=False),
                ),
            ),
            "a-b.py\na/\nb.py",
        ),
        (DirectoryListing("empty", ()), ""),
        (NotAFolder("nope"), "Error: nope is not a folder"),
        (
            LogEntries(
                (
                    LogEntry("1a2b3c4", "2024-01-05", "Bo Chen", "Fix: reserve"),
                    LogEntry("9f8e7d6", "2024-01-02", "Ana Lima", ""),
                )
            ),
            "1a2b3c4 2024-01-05 Bo Chen: Fix: reserve\n9f8e7d6 2024-01-02 Ana Lima: ",
        ),
        (LogEntries(()), "No commits"),
        (
            PatchApplied(
                (
                    ChangedFile("modified", "src/stock.py", 5, 1),
                    ChangedFile("added", "logo.png", None, None),
                    ChangedFile("deleted", "old.py", 0, 9),
                )
            ),
            "Applied patch:\nmodified src/stock.py (+5 -1)\nadded logo.png (+- --)\n"
            "deleted old.py (+0 -9)",
        ),
        (
            PatchRejected(("patch failed: a.py:3", "a.py: patch does not apply")),
            "Error: patch failed: a.py:3; a.py: patch does not apply; nothing was changed",
        ),
        (PatchRejected(()), "Error: the patch does not apply; nothing was changed"),
        (
            PatchTooLong(16_000),
            "Error: the patch is longer than 16000 characters; send a smaller one",
        ),
        (TestRun(1, ("F", "1 failed in 0.1s")), "exit code 1\nF\n1 failed in 0.1s"),
        (TestRun(0, ()), "exit code 0"),
    ],
)
def test_each_result_renders_the_catalog_form(result: ToolResult, text: str) -> None:
    assert render(result) == result.render() == text


def test_results_are_frozen_values() -> None:
    hit = SearchHit("a.py", 1, "x")
    assert SearchHits("x", (hit,)) == SearchHits("x", (SearchHit("a.py", 1, "x"),))
    with pytest.raises(AttributeError):
        hit.line = 2  # type: ignore[misc]
