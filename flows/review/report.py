"""The review report as Markdown: for ``goldmine review --report``, ``goldmine report`` and run
summaries.

Call ``review_markdown(review_report(warehouse))``; the figures themselves come from
:mod:`warehouse.review.stats`.
"""

from __future__ import annotations

from warehouse.review.stats import Proportion, ReviewReport
from warehouse.review.verdicts import REASONS


def percent(value: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100 * value:.1f}%"


def with_interval(proportion: Proportion) -> str:
    """``87.0% (95% CI 79.0%–92.2%; 87 of 100)``, or a dash when nothing was counted."""
    if proportion.rate is None or proportion.interval is None:
        return "– (nothing reviewed yet)"
    low, high = proportion.interval
    return (
        f"{percent(proportion.rate)} (95% CI {percent(low)}–{percent(high)}; "
        f"{proportion.successes} of {proportion.total})"
    )


def review_markdown(report: ReviewReport) -> str:
    """The whole report: headline figures, agreement with the assay, strata, and rejection
    reasons."""
    return (
        "\n".join(
            ["## Human review", "", *_figures(report), *_strata(report), *_reasons(report)]
        ).rstrip()
        + "\n"
    )


def _figures(report: ReviewReport) -> list[str]:
    if not report.samples:
        return [
            "No review sample yet: run `goldmine review` to draw one and read it in the browser.",
            "",
        ]
    reviewed = sum(sample.reviewed for sample in report.samples)
    drawn = sum(sample.size for sample in report.samples)
    counts, agreement = report.overall, report.agreement
    kappa = f"; Cohen's kappa {agreement.kappa:.2f}" if agreement.kappa is not None else ""
    keeps = (
        with_interval(agreement.human_keeps_assay_rejected)
        if agreement.human_keeps_assay_rejected.total
        else "not measured (draw a sample with `goldmine review --with-rejected N`)"
    )
    return [
        f"{reviewed} of {drawn} sampled records have a verdict ({len(report.samples)} sample"
        f"{'s' if len(report.samples) != 1 else ''}); {counts.reviewed} of them were accepted by "
        "the assay.",
        "",
        f"- acceptance (accepted as drafted): {with_interval(report.acceptance)}",
        f"- defect rate (rejected or edited): {with_interval(report.defect_rate)}",
        f"- verdicts: {counts.accepted} accepted, {counts.edited} edited, {counts.rejected} "
        "rejected",
        "- the reviewer rejects what the assay accepted: "
        f"{with_interval(agreement.human_rejects_assay_accepted)}",
        f"- the reviewer keeps what the assay rejected: {keeps}",
        f"- agreement with the assay: {with_interval(agreement.agreement)}{kappa}",
        "",
    ]


def _strata(report: ReviewReport) -> list[str]:
    if not report.strata:
        return []
    lines = [
        "| kind/task type/language | reviewed | accepted | edited | rejected | acceptance |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for stratum, counts in report.strata.items():
        lines.append(
            f"| {stratum} | {counts.reviewed} | {counts.accepted} | {counts.edited} | "
            f"{counts.rejected} "
            f"| {with_interval(counts.acceptance)} |"
        )
    return [*lines, ""]


def _reasons(report: ReviewReport) -> list[str]:
    if not report.reasons:
        return []
    lines = ["Why reviewers rejected records:", ""]
    lines += [f"- {REASONS.get(tag, tag)}: {count}" for tag, count in report.reasons.most_common()]
    lines += ["", *[f"> {note}" for note in report.notes[:20]]] if report.notes else []
    return [*lines, ""]
