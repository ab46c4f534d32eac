"""GitLab, Jira and generic ticket exports, each read from a fixture in the export's real shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miners.errors import TicketExportError
from miners.tickets import TicketMapping, read_ticket_export

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tickets"
SUPPORT_MAPPING = TicketMapping(
    columns={
        "key": "ticket_id",
        "title": "subject",
        "body": "description",
        "state": "status",
        "type": "kind",
        "labels": "tags",
        "created": "opened_at",
        "closed": "solved_at",
        "url": "link",
        "comments": "thread",
        "component": "product_area",
        "environment": "env",
    },
    source="helpdesk",
    key_prefix="SUP-",
)


def _by_key(name: str, mapping: TicketMapping | None = None) -> dict[str, object]:
    return {t.key: t for t in read_ticket_export(FIXTURES / name, mapping).tickets}


def test_gitlab_api_issues_and_merge_requests_with_inline_notes() -> None:
    batch = read_ticket_export(FIXTURES / "gitlab_issues.json")
    assert batch.format == "gitlab" and not batch.problems
    issue, wanted, merge_request = batch.tickets
    assert (issue.key, issue.state, issue.type, issue.labels) == (
        "#6",
        "closed",
        "issue",
        ("bug", "billing"),
    )
    assert issue.url.endswith("/issues/6") and issue.author == "ana"
    assert issue.fields["milestone"] == "v1.4" and issue.fields["reference"] == "shop/stocky#6"
    # a system note
    assert [(c.author, c.is_bot) for c in issue.comments] == [
        ("bo", False),
        ("ana", True),
    ]
    assert (wanted.key, wanted.state, wanted.closed_at) == ("#7", "open", None)
    assert (merge_request.key, merge_request.type, merge_request.resolution) == (
        "!12",
        "merge_request",
        "merged",
    )
    assert merge_request.closed_at == datetime(2024, 2, 3, 9, 0, tzinfo=UTC)


def test_gitlab_ndjson_keeps_the_good_lines_and_counts_the_bad_one() -> None:
    batch = read_ticket_export(FIXTURES / "gitlab_issues.ndjson")
    assert [t.key for t in batch.tickets] == ["#6", "#7"]
    assert len(batch.problems) == 1 and "record 2 (line 2): not valid JSON" in batch.problems[0]


def test_jira_csv_as_jira_writes_it() -> None:
    batch = read_ticket_export(FIXTURES / "jira_export.csv")
    assert batch.format == "jira_csv"
    tickets = {t.key: t for t in batch.tickets}
    bug = tickets["PROJ-12"]
    assert (bug.type, bug.state, bug.resolution, bug.labels) == (
        "Bug",
        "closed",
        "Done",
        ("csv", "regression"),
    )
    assert bug.created_at == datetime(2024, 1, 3, 8, 0, tzinfo=UTC)
    assert bug.closed_at == datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    assert 'Click "Export, CSV"' in bug.body and bug.body.count("\n") >= 4
    assert bug.fields["components"] == ["export", "reports"] and bug.fields["fix_versions"] == [
        "1.2.1"
    ]
    assert bug.fields["environment"] == "macOS 14, Python 3.12" and bug.fields["priority"] == "High"
    first, automation = bug.comments
    assert (
        first.body == "The writer loop stops one short; see export.py; line 40" and not first.is_bot
    )
    assert first.created_at == datetime(2024, 1, 4, 9, 15, tzinfo=UTC) and automation.is_bot
    assert (tickets["PROJ-21"].state, tickets["PROJ-21"].resolution) == ("open", "")
    assert tickets["PROJ-40"].comments == ()
    assert (
        len(batch.problems) == 1
        and "record 5 (line 12): 4 values for 37 columns" in batch.problems[0]
    )


def test_jira_rest_search_json_with_document_format_descriptions() -> None:
    batch = read_ticket_export(FIXTURES / "jira_search.json")
    assert batch.format == "jira_rest" and not batch.problems
    bug, story = batch.tickets
    assert (bug.key, bug.state, bug.resolution, bug.type) == ("PROJ-12", "closed", "Done", "Bug")
    assert bug.url == "https://stocky.atlassian.net/browse/PROJ-12"
    assert bug.fields["versions"] == ["1.2.0"] and bug.fields["assignee"] == "Bo Chen"
    assert [c.is_bot for c in bug.comments] == [False, True]
    assert (story.state, story.resolution, story.closed_at) == ("open", "", None)
    assert story.body.startswith("The nightly export takes 40 minutes.")
    assert "```\nstocky export --all\n```" in story.body and "- profile it" in story.body


@pytest.mark.parametrize("name", ["support_export.csv", "support_export.jsonl"])
def test_a_generic_export_read_through_its_column_mapping(name: str) -> None:
    batch = read_ticket_export(FIXTURES / name, SUPPORT_MAPPING)
    assert batch.format == "generic"
    refund = next(t for t in batch.tickets if t.key == "SUP-481")
    assert (refund.source, refund.state, refund.type, refund.labels) == (
        "helpdesk",
        "closed",
        "incident",
        ("billing", "ui"),
    )
    assert refund.closed_at == datetime(2024, 3, 2, 17, 30, tzinfo=UTC)
    assert refund.fields == {
        "status": "Solved",
        "component": "checkout",
        "environment": "Chrome 122",
    }
    assert [c.body for c in refund.comments] == ["Reproduced on staging.", "Fixed in 2.4.1."]
    assert next(t for t in batch.tickets if t.key == "SUP-482").state == "open"


def test_a_generic_csv_row_without_a_key_is_a_bad_record() -> None:
    batch = read_ticket_export(FIXTURES / "support_export.csv", SUPPORT_MAPPING)
    assert len(batch.tickets) == 2 and len(batch.problems) == 1
    assert "record 3" in batch.problems[0] and "no key in column 'ticket_id'" in batch.problems[0]


def test_an_unknown_csv_without_a_mapping_says_how_to_map_it() -> None:
    with pytest.raises(
        TicketExportError, match=r"map the columns in goldmine.toml under \[tickets.mapping\]"
    ):
        read_ticket_export(FIXTURES / "support_export.csv")


def test_a_mapping_must_name_the_key_and_title() -> None:
    with pytest.raises(TicketExportError, match="lacks key and title"):
        read_ticket_export(
            FIXTURES / "support_export.csv", TicketMapping(columns={"body": "description"})
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ('Summary,Issue key\n"unclosed,PROJ-1\n', "not valid CSV"),
        (
            '{"iid": 1, "project_id": 2, "title": "x", "created_at": "yesterday"}\n',
            "none of its 1 records",
        ),
    ],
)
def test_malformed_exports_are_one_line_errors_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(content)
    with pytest.raises(TicketExportError, match=message) as raised:
        read_ticket_export(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
