"""The review page over HTTP (Starlette's test client on a real workspace): safety, resume,
rendering."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from flows.review.app import ReviewSession, create_app
from flows.workspace import Workspace
from tests.builders import PLANTED_KEY, REVIEW_SAMPLE, Cli
from warehouse.review.sample import open_sample
from warehouse.store import Warehouse

BASE_URL = "http://127.0.0.1:8123"


@pytest.fixture
def served(review_workspace: Path) -> Iterator[tuple[TestClient, ReviewSession]]:
    space = Workspace.at(review_workspace)
    with space.open_warehouse() as warehouse:
        session = ReviewSession(
            warehouse, open_sample(warehouse, size=REVIEW_SAMPLE, seed=3), "tester", space.key()
        )
        with TestClient(create_app(session), base_url=BASE_URL, follow_redirects=False) as client:
            yield client, session


def _form(session: ReviewSession, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf": session.csrf, "nonce": "n1", **fields}


def _reviews(session: ReviewSession) -> list[tuple[str, str]]:
    rows = session.warehouse.query("SELECT candidate_id, verdict FROM reviews").rows
    return [(candidate_id, verdict) for candidate_id, verdict in rows]


def test_only_paths_under_the_token_exist(served: tuple[TestClient, ReviewSession]) -> None:
    client, session = served
    assert client.get("/").status_code == 404
    assert client.get("/not-the-token/item/1").status_code == 404
    assert client.get(f"{session.base}/item/{REVIEW_SAMPLE + 1}").status_code == 404
    assert client.get(f"{session.base}/item/1").status_code == 200
    assert client.get("/static/review.js").status_code == 200
    page = client.get(f"{session.base}/item/1")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        page.headers["referrer-policy"] == "same-origin"
        and page.headers["cache-control"] == "no-store"
    )


def test_a_foreign_host_name_is_refused(served: tuple[TestClient, ReviewSession]) -> None:
    client, session = served
    assert (
        client.get(f"{session.base}/item/1", headers={"host": "attacker.example"}).status_code
        == 400
    )


def test_a_post_without_the_pages_token_or_from_another_site_stores_nothing(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    url = f"{session.base}/item/1"
    assert client.post(url, data={"action": "accept"}).status_code == 403
    assert (
        client.post(
            url, data=_form(session, action="accept"), headers={"origin": "http://evil.example"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            url, data=_form(session, action="accept"), headers={"sec-fetch-site": "cross-site"}
        ).status_code
        == 403
    )
    assert client.post(url, json={"csrf": session.csrf, "action": "accept"}).status_code == 415
    assert client.post("/elsewhere/item/1", data=_form(session, action="accept")).status_code == 404
    huge = _form(session, action="reject", reason="other", note="x" * 4_100_000)
    assert client.post(url, data=huge).status_code == 413
    assert _reviews(session) == []


def test_a_verdict_is_stored_at_once_and_the_page_resumes_after_it(
    served: tuple[TestClient, ReviewSession], review_workspace: Path
) -> None:
    client, session = served
    assert client.get(f"{session.base}/").headers["location"] == f"{session.base}/item/1"
    posted = client.post(f"{session.base}/item/1", data=_form(session, action="accept"))
    assert posted.status_code == 303 and posted.headers["location"] == f"{session.base}/item/2"
    # a double submit
    again = client.post(f"{session.base}/item/1", data=_form(session, action="accept"))
    assert again.status_code == 303
    first = session.sample.items[0].candidate_id
    assert _reviews(session) == [(first, "accepted")]
    assert client.get(f"{session.base}/").headers["location"] == f"{session.base}/item/2"
    assert f"<b>1</b> of {REVIEW_SAMPLE} reviewed" in client.get(f"{session.base}/item/2").text
    # A restarted server (no flags) resumes the same sample where it stopped.
    reopened = ReviewSession(session.warehouse, open_sample(session.warehouse), "tester", b"k")
    assert reopened.sample.id == session.sample.id
    assert reopened.next_position(0, reopened.verdicts()) == 2


def test_a_rejection_without_a_reason_comes_back_with_the_error_and_the_note_kept(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    page = client.post(
        f"{session.base}/item/2", data=_form(session, action="reject", note="hmm, not sure")
    )
    assert page.status_code == 422
    assert "a rejection needs at least one reason" in page.text and "hmm, not sure" in page.text
    assert _reviews(session) == []
    done = client.post(
        f"{session.base}/item/2",
        data=_form(session, action="reject", reason=["wrong", "duplicate"]),
    )
    assert done.status_code == 303
    stored = session.warehouse.query("SELECT reasons, reviewer FROM reviews").rows
    assert stored == [(["wrong", "duplicate"], "tester")]


def test_pages_show_placeholders_for_redacted_secrets_and_never_the_secret(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    pages = [client.get(f"{session.base}/item/{n}").text for n in range(1, REVIEW_SAMPLE + 1)]
    assert not any(PLANTED_KEY in page for page in pages)
    marked = (
        '<mark class="redacted" title="redacted by goldmine">&lt;SECRET:aws-access-key&gt;</mark>'
    )
    assert any(marked in page for page in pages)


def test_an_instruction_page_shows_both_sides_provenance_checks_and_the_commits_change(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    position = next(
        n
        for n, item in enumerate(session.sample.items, 1)
        if item.stratum.startswith("instruction/bugfix")
    )
    candidate = session.sample.items[position - 1].candidate_id
    record = json.loads(
        session.warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [candidate])
    )
    sha = record["provenance"]["commits"][0]
    subject = session.warehouse.scalar("SELECT subject FROM commits WHERE sha = ?", [sha])
    page = client.get(f"{session.base}/item/{position}").text
    assert 'class="pane pane-instruction"' in page and 'class="pane pane-output"' in page
    assert sha[:10] in page and str(subject).replace("'", "&#39;") in page
    assert '<div class="hl">' in page  # code highlighted on the server
    assert "role_context" in page  # the assay's checks
    assert "The commit's change" in page and 'class="diff"' in page
    assert re.search(rf"record <b id=\"position\">{position}</b> of {REVIEW_SAMPLE}", page)


def test_an_agent_record_is_a_timeline_of_thoughts_calls_observations_and_the_answer(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    position = next(
        n for n, item in enumerate(session.sample.items, 1) if item.stratum == "agent/feature/en"
    )
    candidate = session.sample.items[position - 1].candidate_id
    record = json.loads(
        session.warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [candidate])
    )
    page = client.get(f"{session.base}/item/{position}").text
    expected = ["system"] if record["system"] else []
    for turn in record["conversation"]:
        content = turn["content"]
        if turn["role"] == "assistant":
            expected += ["thought", "action" if "action" in content else "answer"]
        else:
            expected.append({"user": "user", "tool": "observation"}[turn["role"]])
    assert re.findall(r'<div class="step (\w+)">', page) == expected
    actions = [t["content"]["action"] for t in record["conversation"] if "action" in t["content"]]
    assert all(
        f'<code class="tool-name">{action["tool_name"]}</code>' in page for action in actions
    )
    patch = next(a["parameters"]["patch"] for a in actions if a["tool_name"] == "apply_patch")
    first_added = next(
        line[1:]
        for line in patch.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    )
    # the patch reads as a diff
    assert '<div class="scroll long-parameter"><table class="diff">' in page
    assert str(escape(first_added.strip())) in page
    assert (
        '<details class="observation"' in page
        and record["conversation"][-1]["content"]["final_answer"][:20] in page
    )


def test_an_edit_is_stored_beside_the_draft_and_shown_as_a_diff(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    position = next(
        n
        for n, item in enumerate(session.sample.items, 1)
        if item.stratum.startswith("instruction/")
    )
    candidate = session.sample.items[position - 1].candidate_id
    drafted = json.loads(
        session.warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [candidate])
    )
    fields = {name: drafted[name] for name in ("system", "instruction", "input", "output")}
    unchanged = client.post(
        f"{session.base}/item/{position}", data=_form(session, action="edit", **fields)
    )
    assert unchanged.status_code == 422 and "the edit changes nothing" in unchanged.text
    fields["output"] += "\n\nReviewed by a person."
    assert (
        client.post(
            f"{session.base}/item/{position}", data=_form(session, action="edit", **fields)
        ).status_code
        == 303
    )
    edited = json.loads(
        session.warehouse.scalar(
            "SELECT edited_record FROM reviews WHERE candidate_id = ?", [candidate]
        )
    )
    assert edited["output"].endswith("Reviewed by a person.") and edited["id"] == drafted["id"]
    assert (
        json.loads(
            session.warehouse.scalar("SELECT record FROM candidates WHERE id = ?", [candidate])
        )
        == drafted
    )
    page = client.get(f"{session.base}/item/{position}").text
    assert "Your edit, against the draft" in page
    assert '<tr class="d-added">' in page and "Reviewed by a person." in page


def test_the_overview_reports_acceptance_with_its_interval(
    served: tuple[TestClient, ReviewSession],
) -> None:
    client, session = served
    client.post(f"{session.base}/item/1", data=_form(session, action="accept"))
    client.post(f"{session.base}/item/2", data=_form(session, action="reject", reason="mismatch"))
    page = client.get(f"{session.base}/overview").text
    assert f"2 of {REVIEW_SAMPLE} reviewed" in page
    assert "<b>50.0%</b>" in page and "95% CI 9.5% – 90.5%" in page  # Wilson, 1 of 2
    assert "instruction/output mismatch" in page
    assert page.count('class="cell open"') == REVIEW_SAMPLE - 2


def test_review_report_prints_markdown(cli: Cli, review_workspace: Path) -> None:
    empty = cli("review", "--report", "--workspace", review_workspace)
    assert empty.exit_code == 0 and "No review sample yet" in empty.output
    with Warehouse(review_workspace / "goldmine.duckdb") as warehouse:
        sample = open_sample(warehouse, size=10, seed=1)
        warehouse.insert(
            "reviews",
            [
                {
                    "id": "r1",
                    "candidate_id": sample.items[0].candidate_id,
                    "verdict": "rejected",
                    "reasons": ["wrong"],
                    "note": "off by one",
                    "created_at": datetime(2024, 5, 1, tzinfo=UTC),
                }
            ],
        )
    report = cli("review", "--report", "--workspace", review_workspace).output
    assert "1 of 10 sampled records have a verdict" in report
    assert "- acceptance (accepted as drafted): 0.0% (95% CI 0.0%–79.3%; 0 of 1)" in report
    assert "- wrong: 1" in report and "> off by one" in report


def test_review_refuses_a_port_in_use_and_a_workspace_without_candidates(
    cli: Cli, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = cli("review", "--port", port, "--workspace", tmp_path / "ws")
    assert busy.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.output
    empty = cli("review", "--workspace", tmp_path / "ws")
    assert empty.exit_code == 1 and "no assayed candidate to review" in empty.output
