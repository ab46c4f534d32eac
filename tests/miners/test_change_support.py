"""Where a commit's changed lines sit: what the answer must show, state as removed, or cannot
express (real patches from ``git diff`` of files written by the test, real tree-sitter)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from miners.change_support import ChangeSupport, change_support

APP_BEFORE = '''"""The app."""
from collections import deque
from inspect import iscoroutinefunction, isfunction
import os

LIMIT = 10
UNUSED = "gone"


class Registry:
    """Handlers by name."""

    kind = "plain"

    def find(self, name):
        queue = deque([name])
        return queue.popleft()


def helper():
    return os.sep


def old_helper():
    return LIMIT
'''
APP_AFTER = '''"""The app."""
import functools
from inspect import isfunction
import os

LIMIT = 20


class Registry:
    """Handlers by name."""

    kind = "plain"

    def find(self, name):
        return name


def helper():
    return os.sep
'''


def _diff(tmp_path: Path, before: str, after: str, name: str = "app.py") -> str:
    old, new = tmp_path / f"old_{name}", tmp_path / f"new_{name}"
    old.write_text(before, encoding="utf-8")
    new.write_text(after, encoding="utf-8")
    found = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", str(old), str(new)],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout


def _support(
    tmp_path: Path, before: str, after: str, shown: set[str], language: str = "python"
) -> ChangeSupport:
    patch = _diff(tmp_path, before, after, "app.go" if language == "go" else "app.py")
    return change_support(after.encode(), patch, language, shown, before.encode())


def test_removed_imports_definitions_and_names_are_stated(tmp_path: Path) -> None:
    support = _support(tmp_path, APP_BEFORE, APP_AFTER, {"Registry.find"})
    assert support.removed == (
        "from collections import deque",
        "from inspect import iscoroutinefunction",
        "UNUSED",
        "old_helper",
    )
    assert support.module_statements == ("import functools", "LIMIT = 20")
    assert support.complete


def test_an_import_only_reflowed_removes_nothing(tmp_path: Path) -> None:
    before = "from inspect import isfunction, ismethod\n\n\ndef f():\n    return isfunction\n"
    after = (
        "from inspect import isfunction\nfrom inspect import ismethod\n\n\n"
        + before.split("\n\n\n", 1)[1]
    )
    support = _support(tmp_path, before, after, set())
    assert support.removed == ()
    assert support.complete


def test_a_removed_line_of_a_class_the_task_does_not_show_is_stray(tmp_path: Path) -> None:
    after = APP_BEFORE.replace('    kind = "plain"\n\n', "")
    support = _support(tmp_path, APP_BEFORE, after, set())
    assert support.stray_removals == (13,)
    assert not support.complete


def test_a_definition_inside_an_edited_if_block_is_covered_by_it(tmp_path: Path) -> None:
    before = "import sys\n\nif sys.version_info >= (3, 8):\n    X = 1\nelse:\n    X = 2\n"
    after = (
        "import sys\n\nif sys.version_info >= (3, 8):\n    X = 1\nelse:\n\n"
        "    def X():\n        return 2\n"
    )
    support = _support(tmp_path, before, after, {"X"})
    assert support.module_statements == (after.split("\n\n", 1)[1].rstrip("\n"),)
    assert support.covered == ("X",)
    assert support.complete


def test_a_go_import_spec_removed_from_a_group_is_stated(tmp_path: Path) -> None:
    body = "func F() string {\n\treturn fmt.Sprint(bytes.MinRead)\n}\n"
    before = 'package doc\n\nimport (\n\t"bytes"\n\t"fmt"\n)\n\n' + body
    after = 'package doc\n\nimport (\n\t"fmt"\n)\n\n' + body.replace("bytes.MinRead", "1")
    support = _support(tmp_path, before, after, {"F"}, "go")
    assert support.removed == ('import "bytes"',)
    assert support.complete
