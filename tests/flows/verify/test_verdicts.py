"""How a run that ran no test failed, said the same way for every commit a broken environment
spoils: the error pytest reported, a traceback's last line, an error a summary line names."""

from __future__ import annotations

from flows.verify.verdicts import error_signature
from warehouse.verification import TestRunRow

OLD_SETUP_CFG = """Traceback (most recent call last):
  File "/tmp/goldmine-verify-z8/tree/.venv/bin/pytest", line 8, in <module>
    sys.exit(SystemExit(pytest.console_main()))
  File "/tmp/goldmine-verify-z8/tree/.venv/lib/python3.11/_pytest/outcomes.py", line 178
    raise Failed(msg=reason, pytrace=pytrace)
Failed: [pytest] section in setup.cfg files is no longer supported, change to [tool:pytest] instead.
"""

COLLECTION_SUMMARY = """==================== short test summary info ====================
ERROR tests/test_basic.py - ImportError: cannot import name 'Markup' from 'jinja2' (/a/jinja2/x.py)
1 error in 0.31s
"""


def _run(output: str, exit_status: int | None = 2, error_line: str | None = None) -> TestRunRow:
    return TestRunRow(
        "id", "commit", "pytest", exit_status, exit_status is None, 1.0, output, None, error_line
    )


def test_a_tracebacks_last_line_names_the_failure() -> None:
    assert error_signature(_run(OLD_SETUP_CFG, 1)) == (
        "exit status 1: Failed: [pytest] section in setup.cfg files is no longer supported, "
        "change to [tool:pytest] instead."
    )


def test_an_error_named_in_a_summary_line_is_found_with_its_paths_and_numbers_blanked() -> None:
    assert error_signature(_run(COLLECTION_SUMMARY)) == (
        "exit status 2: ImportError: cannot import name 'Markup' from 'jinjaN' (…)"
    )


def test_the_error_pytest_reported_wins_and_a_timeout_is_a_timeout() -> None:
    reported = "AttributeError: module '_pytest.monkeypatch' has no attribute 'notset'"
    assert error_signature(_run(COLLECTION_SUMMARY, 1, reported)) == f"exit status 1: {reported}"
    assert error_signature(_run("", None)) == "the tests did not finish in time"
