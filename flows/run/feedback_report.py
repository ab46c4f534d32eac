"""Records per feedback round as Markdown, for the run's Prefect artifact (the nightly summary)."""

from __future__ import annotations

from warehouse.landing.feedback import RoundFigures, feedback_rounds
from warehouse.store import Warehouse


def feedback_markdown(rounds: list[RoundFigures]) -> str:
    """The failures of each training round fed back, and what became of the records made from
    them."""
    if not rounds:
        return "## Feedback rounds\n\nNo model failures fed back yet (`goldmine feedback FILE`).\n"
    lines = [
        "## Feedback rounds",
        "",
        "| round | failures | corrections | counter-examples | records | accepted | rejected | "
        "pending | exported |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.round} | {r.failures} | {r.corrections} | {r.counter_examples} | {r.candidates} | "
        f"{r.accepted} "
        f"| {r.rejected} | {r.pending} | {r.exported} |"
        for r in rounds
    ]
    return "\n".join(lines) + "\n"


def feedback_section(warehouse: Warehouse) -> str:
    """The feedback section of a report, read from the warehouse."""
    return feedback_markdown(feedback_rounds(warehouse))


def feedback_part(warehouse: Warehouse) -> str:
    """The feedback section to append to a run's summary, or nothing while no failures were fed
    back."""
    rounds = feedback_rounds(warehouse)
    return "\n" + feedback_markdown(rounds) if rounds else ""
