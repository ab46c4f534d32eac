"""End to end in a real headless Chromium: `goldmine review` runs as its own process, a person
accepts, rejects and edits with the keyboard, reopens the page, and the verdicts reach `reviews` and
the export.

Uses Debian's chromium (``.ci/run`` installs it), never a browser Playwright downloads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.builders import REVIEW_SAMPLE, Cli
from warehouse.store import Warehouse

if TYPE_CHECKING:  # the test imports playwright itself, when it runs
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
EDIT_NOTE = "Reviewed: the cache entry is dropped on every write, so no reader sees a stale figure."


@pytest.fixture
def review_server(review_workspace: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`goldmine review` in its own process, and the URL it printed."""
    goldmine = Path(sys.executable).with_name("goldmine")
    server = subprocess.Popen(
        [
            str(goldmine),
            "review",
            "--sample",
            str(REVIEW_SAMPLE),
            "--seed",
            "3",
            "--port",
            "0",
            "--reviewer",
            "e2e",
            "--workspace",
            str(review_workspace),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield server, _printed_url(server)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)


def _printed_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if line.startswith("review at "):
            return line.removeprefix("review at ").strip()
        if not line and server.poll() is not None:
            break
    raise AssertionError(
        f"goldmine review printed no URL: {server.stderr.read() if server.stderr else ''}"
    )


def _browser(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium")
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def test_a_reviewer_accepts_rejects_and_edits_in_a_real_browser(
    review_server: tuple[subprocess.Popen[str], str],
    review_workspace: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    from playwright.sync_api import sync_playwright

    server, url = review_server
    assert url.startswith("http://127.0.0.1:")
    busy = cli("status", "--workspace", review_workspace)  # the server owns the warehouse meanwhile
    assert busy.exit_code == 1 and "in use by another process" in busy.output
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            verdicts = _review_three_records(
                browser.new_page(viewport={"width": 1440, "height": 1000}), url, tmp_path
            )
        finally:
            browser.close()
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=30)
    assert (
        server.returncode == 0
        and f"stopped: 3 of {REVIEW_SAMPLE} records of this sample have a verdict" in out
    )
    _assert_stored_and_exported(review_workspace, verdicts, cli)


def _review_three_records(page: Page, url: str, tmp_path: Path) -> dict[str, str]:
    page.goto(url)
    assert f"0 of {REVIEW_SAMPLE} reviewed" in page.inner_text("#progress-text")
    accepted = _candidate(page)
    page.keyboard.press("a")
    page.wait_for_url("**/item/2")

    rejected = _candidate(page)
    page.keyboard.press("r")
    page.keyboard.press("1")  # instruction/output mismatch
    page.fill("#reject textarea[name=note]", "the output changes a different function")
    page.click("#reject button[name=action]")
    page.wait_for_url("**/item/3")

    position = 3
    while page.get_attribute("section.head", "data-kind") != "instruction":
        position += 1  # agent records are edited as JSON; this test edits an instruction record
        page.keyboard.press("j")
        page.wait_for_url(f"**/item/{position}")
    edited = _candidate(page)
    page.keyboard.press("e")
    output = page.locator("#edit textarea[name=output]")
    output.fill(output.input_value() + "\n\n" + EDIT_NOTE)
    page.keyboard.press("Control+Enter")
    # A locator waits from Playwright's own script: the page's CSP forbids evaluating strings.
    page.locator("#progress-text", has_text=re.compile(r"^3 of")).wait_for()

    # a person comes back later: the page resumes at the first record without a verdict
    page.goto(url)
    assert f"3 of {REVIEW_SAMPLE} reviewed" in page.inner_text("#progress-text")
    assert page.inner_text("#verdict") == "no verdict yet"
    page.screenshot(path=str(tmp_path / "review-page.png"), full_page=False)
    page.goto(url.rstrip("/") + "/overview")
    assert f"3 of {REVIEW_SAMPLE} reviewed" in page.inner_text("h1")
    page.screenshot(path=str(tmp_path / "review-overview.png"), full_page=True)
    assert (tmp_path / "review-page.png").stat().st_size > 10_000
    return {accepted: "accepted", rejected: "rejected", edited: "edited"}


def _candidate(page: Page) -> str:
    candidate = page.get_attribute("section.head", "data-candidate")
    assert candidate
    return str(candidate)


def _assert_stored_and_exported(workspace: Path, verdicts: dict[str, str], cli: Cli) -> None:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        stored = warehouse.query(
            "SELECT candidate_id, verdict, reasons, note, reviewer FROM reviews"
        ).rows
    assert {row[0]: row[1] for row in stored} == verdicts
    rejection = next(row for row in stored if row[1] == "rejected")
    assert rejection[2:] == (["mismatch"], "the output changes a different function", "e2e")

    assert cli("export", "--workspace", workspace).exit_code == 0
    export = workspace / "export"
    by_verdict = {verdict: cid for cid, verdict in verdicts.items()}
    exported = _candidates_in_files(workspace, sorted(export.glob("goldmine_*.jsonl")))
    assert by_verdict["accepted"] in exported and by_verdict["edited"] in exported
    assert by_verdict["rejected"] not in exported
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        drafted = json.loads(
            warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [by_verdict["edited"]])
        )
    outputs = [  # the edited record may sit in the train or the holdout split
        json.loads(line)["output"]
        for path in export.glob("goldmine_alpaca*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert drafted["output"] + "\n\n" + EDIT_NOTE in outputs
    assert drafted["output"] not in outputs  # the draft gave way to the edit
    counter = [
        json.loads(line)
        for line in (export / "goldmine_counter_examples.jsonl").read_text().splitlines()
    ]
    assert [(c["id"], c["reasons"], c["note"]) for c in counter] == [
        (by_verdict["rejected"], ["mismatch"], "the output changes a different function")
    ]


def _candidates_in_files(workspace: Path, files: list[Path]) -> set[str]:
    """The candidates the export files on disk hold, by the sha256 each export recorded."""
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in files]
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT r.candidate_id FROM exported_records r JOIN exports e ON e.id = r.export_id "
            "WHERE e.sha256 IN (SELECT unnest(?))",
            [digests],
        ).rows
    return {row[0] for row in rows}
