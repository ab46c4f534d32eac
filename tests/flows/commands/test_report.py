"""``goldmine report``'s training-window section: tokens per exported row, file by file, and the
rows kept out for length."""

from __future__ import annotations

from pathlib import Path

from flows.workspace import Workspace
from tests.builders import AGENT_RECORD, Cli, candidate_row
from warehouse.export.datasets import TrainingWindow, export_accepted
from warehouse.export.tokens import ByteEstimate


def test_the_report_shows_each_files_tokens_and_the_rows_dropped_for_length(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = Workspace.at(tmp_path / "ws").ensure()
    steps = [turn for _ in range(30) for turn in AGENT_RECORD["conversation"][1:3]]
    long = {
        **AGENT_RECORD,
        "id": "long",
        "conversation": [AGENT_RECORD["conversation"][0], *steps, AGENT_RECORD["conversation"][3]],
    }
    rows = [candidate_row(AGENT_RECORD, 1), candidate_row(long, 2)]
    for row in rows:
        row["status"] = "accepted"
    with workspace.open_warehouse() as warehouse:
        warehouse.insert("candidates", rows)
        window = TrainingWindow(ByteEstimate(), max_tokens=600)
        export_accepted(warehouse, workspace.export_dir, "run", ["sharegpt"], window=window)
    before = cli("report", "--workspace", workspace.root)
    assert before.exit_code == 0, before.output
    page = (workspace.root / "report" / "goldmine_report.html").read_text()
    assert "<h2>Training window</h2>" in page and "max_tokens 600" in page
    assert "<tr><td>goldmine_sharegpt</td><td>1</td>" in page
    assert page.count("<td>1</td></tr>") >= 1  # the long trajectory, dropped
    assert (
        "tokens per row (estimate: ASCII bytes / 2.9, digits 1, other characters 2, "
        "max_tokens 600):" in before.output
    )
    assert "goldmine_sharegpt: 1 rows" in before.output and "1 dropped for length" in before.output


def test_the_report_before_any_export_says_so(cli: Cli, tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path / "ws").ensure()
    with workspace.open_warehouse():
        pass
    done = cli("report", "--workspace", workspace.root)
    assert done.exit_code == 0, done.output
    page = (workspace.root / "report" / "goldmine_report.html").read_text()
    assert "Nothing exported yet" in page


def test_a_dataset_whose_every_row_is_too_long_still_shows_its_drops(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = Workspace.at(tmp_path / "ws").ensure()
    row = candidate_row(AGENT_RECORD, 1)
    row["status"] = "accepted"
    with workspace.open_warehouse() as warehouse:
        warehouse.insert("candidates", [row])
        window = TrainingWindow(ByteEstimate(), max_tokens=10)
        export_accepted(warehouse, workspace.export_dir, "run", ["sharegpt"], window=window)
    done = cli("report", "--workspace", workspace.root)
    assert done.exit_code == 0, done.output
    assert not (workspace.export_dir / "goldmine_sharegpt.jsonl").exists()
    assert "goldmine_sharegpt: 0 rows" in done.output and "1 dropped for length" in done.output
