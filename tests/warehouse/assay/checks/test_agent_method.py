"""The agent's method, each rule on a gold trajectory broken in one place."""

from __future__ import annotations

import copy

import pytest

from tests.damages import Raw, assistant_steps, gold
from warehouse.assay.checks.agent_method import (
    check_final_answer,
    check_grounded_thoughts,
    check_no_blob_ids,
    check_reads_before_patch,
)

METHOD_CHECKS = (
    check_reads_before_patch,
    check_no_blob_ids,
    check_grounded_thoughts,
    check_final_answer,
)


def _patching_gold() -> Raw:
    """Gold 07 (a code agent that reads, patches and runs the tests)."""
    record = gold("07")
    assert any(
        (step.get("action") or {}).get("tool_name") == "apply_patch"
        for step in assistant_steps(record)
    )
    return record


def _patch_step(record: Raw) -> Raw:
    return next(
        step
        for step in assistant_steps(record)
        if (step.get("action") or {}).get("tool_name") == "apply_patch"
    )


@pytest.mark.parametrize("prefix", ["07", "08", "09", "10"])
def test_every_agent_gold_follows_the_method(prefix: str) -> None:
    record = gold(prefix)
    for check in METHOD_CHECKS:
        verdict = check(record)
        assert verdict is None or verdict.passed, (check.__name__, verdict)


def test_instruction_records_are_not_asked() -> None:
    assert all(check(gold("02")) is None for check in METHOD_CHECKS)


def test_patching_a_file_never_read_fails() -> None:
    record = copy.deepcopy(_patching_gold())
    reads = [
        step
        for step in assistant_steps(record)
        if (step.get("action") or {}).get("tool_name") == "read_file"
    ]
    for step in reads:
        step["action"]["parameters"]["path"] = "somewhere/else.py"
    verdict = check_reads_before_patch(record)
    assert verdict is not None and not verdict.passed and "never read" in verdict.detail


def test_a_new_file_needs_no_read() -> None:
    record = copy.deepcopy(_patching_gold())
    patch = _patch_step(record)["action"]["parameters"]
    patch["patch"] = "--- /dev/null\n+++ b/new_module.py\n@@ -0,0 +1 @@\n+VALUE = 1\n"
    verdict = check_reads_before_patch(record)
    assert verdict is None or verdict.passed


def test_a_patch_with_the_commits_blob_ids_fails() -> None:
    record = copy.deepcopy(_patching_gold())
    parameters = _patch_step(record)["action"]["parameters"]
    parameters["patch"] = "index 3b18e51..a9c4d2f 100644\n" + parameters["patch"]
    verdict = check_no_blob_ids(record)
    assert verdict is not None and not verdict.passed and "index 3b18e51..a9c4d2f" in verdict.detail


def test_a_thought_citing_a_line_no_result_showed_fails() -> None:
    record = copy.deepcopy(_patching_gold())
    last_thought = assistant_steps(record)[-1]
    last_thought["thought"] += " The bug was on line 98765 of `src/never_shown.py`."
    verdict = check_grounded_thoughts(record)
    assert verdict is not None and not verdict.passed


def test_a_final_answer_that_lists_names_or_hides_the_test_run_fails() -> None:
    record = copy.deepcopy(_patching_gold())
    final = assistant_steps(record)[-1]
    final["final_answer"] = "- `parse_since`\n- `logslice/cli.py`\n- `tests/test_cli.py`"
    listed = check_final_answer(record)
    assert listed is not None and not listed.passed
    final["final_answer"] = (
        "The parser read the offset as local time, so timestamps with a zone were shifted; "
        "it now converts every timestamp to UTC before comparing them with the window."
    )
    silent = check_final_answer(record)
    assert silent is not None and not silent.passed and "tests ran" in silent.detail
