"""A run's summary as Markdown: the Prefect artifact every flow run ends with (what was new,
accepted, rejected and why, what it cost, where each watermark moved), and the records per
feedback round when failures were fed back."""

from __future__ import annotations

from warehouse.landing.feedback import RoundFigures, feedback_rounds
from warehouse.run_summary import RunSummary, run_summary
from warehouse.store import Warehouse


def artifact_markdown(warehouse: Warehouse, run_id: str) -> str:
    """The whole artifact of one run."""
    return run_markdown(run_summary(warehouse, run_id)) + feedback_part(warehouse)


def run_markdown(summary: RunSummary) -> str:
    """New facts, new candidates, the assay's verdicts with rejections by check, cost, and where
    each source's watermark moved."""
    lines = [
        f"# goldmine run `{summary.run_id}`",
        "",
        "| what | count |",
        "|---|---:|",
        *(
            f"| new {name} | {count} |"
            for name, count in summary.added.items()
            if count or name == "commits"
        ),
        f"| new candidates | {summary.new_candidates} |",
        f"| assayed | {summary.assayed} |",
        f"| accepted | {summary.accepted} |",
        f"| rejected | {summary.rejected} |",
        f"| LLM calls | {summary.llm_calls} |",
        f"| cost | {_cost(summary)} |",
    ]
    if summary.rejected_by_check:
        lines += ["", "## Rejected, by failing check", "", "| check | candidates |", "|---|---:|"]
        lines += [f"| {check} | {count} |" for check, count in summary.rejected_by_check.items()]
    if summary.watermarks:
        lines += ["", "## Sources", "", "| source | ref | from | to |", "|---|---|---|---|"]
        lines += [
            f"| {mark['source']} | {mark['ref']} | {_position(mark['before'])} | "
            f"{_position(mark['after'])} |"
            for mark in summary.watermarks
        ]
    return "\n".join(lines) + "\n"


def _cost(summary: RunSummary) -> str:
    if not summary.llm_calls:
        return "$0 (no LLM calls)"
    unpriced = (
        f", {summary.unpriced_calls} call(s) without a price in [llm.prices]"
        if summary.unpriced_calls
        else ""
    )
    return f"${summary.cost_usd:.4f}{unpriced}"


def _position(position: str | None) -> str:
    if position is None:
        return "(new)"
    return f"`{position[:10]}`" if len(position) >= 40 else f"`{position[:12]}`"


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
