"""A run's summary as Markdown: the Prefect artifact every flow run ends with."""

from __future__ import annotations

from warehouse.run_summary import RunSummary


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
