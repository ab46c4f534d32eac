"""The facts an LLM prompt carries beyond the changed code, read off a real repository: the
module-level lines the code uses, where the commit message disagrees with the code, and units
changed in layout alone left out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.draft.llm_facts import CommitFiles, Doubt, changed, message_doubts, used_lines
from miners.project_profile import ProjectProfile
from tests.builders import BuildRepo, git
from warehouse.selection.task_context import CodeUnit, TaskContext

MODULE = '''"""Money."""
import logging
from decimal import Decimal
from typing import Final

logger = logging.getLogger(__name__)
CENT: Final = Decimal("0.01")
UNUSED = 3
if __name__ == "__main__":
    print(CENT)


def helper(value: Decimal) -> Decimal:
    return value


def rounded(value: Decimal) -> Decimal:
    """Round to the cent."""
    logger.debug("rounding %s", value)
    return helper(value).quantize(CENT)
'''
ROUNDED = MODULE[MODULE.index("def rounded") :]
TEST = "from money import rounded\n\n\ndef test_rounded():\n    assert str(rounded(1)) == '1.00'\n"


def _unit(name: str, before: str, after: str, path: str = "money.py") -> CodeUnit:
    change = "modified" if before else "added"
    return CodeUnit("", path, "python", name, "function", change, before, after, "")


def _context(repo: Path, sha: str, **changes: object) -> TaskContext:
    context = TaskContext(
        task_id="t",
        family="bugfix",
        polarity="positive",
        source_name="money",
        source_location=str(repo),
        commit_id="c",
        sha=sha,
        subject="Round to the cent",
        body="",
        committed_at=datetime(2024, 3, 1, tzinfo=UTC),
        profile=ProjectProfile("money", "", {}, ()),
        units=(_unit("rounded", ROUNDED.replace(".quantize(CENT)", ""), ROUNDED),),
        tests=(_unit("test_rounded", "", TEST.split("\n\n\n")[1], "test_money.py"),),
        tickets=(),
    )
    return replace(context, **changes)  # type: ignore[arg-type]


@pytest.fixture
def money(make_repo: BuildRepo) -> Iterator[tuple[Path, str, CommitFiles]]:
    repo = make_repo(
        [{"message": "Money", "files": {"money.py": MODULE, "test_money.py": TEST}}], "money"
    )
    files = CommitFiles()
    yield repo, git(repo, "rev-parse", "HEAD").strip(), files
    files.close()


def test_the_prompt_shows_the_imports_and_definitions_the_code_uses(
    money: tuple[Path, str, CommitFiles],
) -> None:
    repo, sha, files = money
    found = {lines.path: lines.text for lines in used_lines(_context(repo, sha), files)}
    assert found == {
        # `logger` is used, so its definition is shown; `logging` is not, nor is `Final`
        "money.py": "from decimal import Decimal\n"
        'logger = logging.getLogger(__name__)\nCENT: Final = Decimal("0.01")\n'
        "def helper(value: Decimal) -> Decimal:\n    return value",
        "test_money.py": "from money import rounded",
    }


def test_lines_the_change_adds_or_a_missing_repository_are_not_repeated(
    money: tuple[Path, str, CommitFiles], tmp_path: Path
) -> None:
    repo, sha, files = money
    nowhere = _context(tmp_path / "gone", sha)
    assert used_lines(nowhere, files) == []
    context = _context(repo, sha, tests=())
    lines = used_lines(context, files)
    assert [line.path for line in lines] == ["money.py"] and "UNUSED" not in lines[0].text


def test_a_unit_changed_in_layout_alone_is_not_part_of_the_change() -> None:
    relaid = _unit("helper", "def helper(v):\n    return v\n", "def helper(v):\n    return  v\n")
    real = _unit("rounded", "def rounded(v):\n    return v\n", "def rounded(v):\n    return -v\n")
    assert changed([relaid, real]) == [real]


def test_the_commit_message_is_doubted_where_the_code_disagrees(
    money: tuple[Path, str, CommitFiles],
) -> None:
    repo, sha, _ = money
    doubts = message_doubts(
        _context(
            repo,
            sha,
            subject="Remove the rounding in utils.py",
            body="Calls `round_half_up()` instead of quantize; see https://docs.python.org/x.y",
            units=(_unit("rounded", "", ROUNDED),),  # the change only adds code
        )
    )
    assert doubts == [
        Doubt("file", "utils.py"),
        Doubt("name", "round_half_up"),
        Doubt("removes"),
    ]
    assert message_doubts(_context(repo, sha, subject="Round `rounded` to the cent")) == []


def test_files_read_for_a_prompt_are_redacted(make_repo: BuildRepo) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"  # an AWS access key id, split so no scanner flags this file
    repo = make_repo([{"message": "Config", "files": {"conf.py": f'KEY = "{key}"\n'}}], "conf")
    files = CommitFiles()
    try:
        text = files.read(str(repo), git(repo, "rev-parse", "HEAD").strip(), "conf.py")
    finally:
        files.close()
    assert text is not None and key not in text and "<SECRET:" in text
