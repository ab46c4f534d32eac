"""``goldmine report``: the coverage report as one self-contained HTML page, and a terminal summary.

The page draws its charts as inline SVG: no script, no stylesheet or font from the network, so
it opens the same on a laptop without internet and can be mailed as one file.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from flows.commands.options import workspace_options
from flows.commands.output import console
from flows.workspace import Workspace
from warehouse.export.tokens import ExportedTokens, exported_tokens
from warehouse.landing.feedback import RoundFigures
from warehouse.review.coverage import Breakdown, CheckRate, Coverage, coverage

REPORT_NAME = "goldmine_report.html"
_BAR_HEIGHT = 18
_LABEL_WIDTH = 190
_CHART_WIDTH = 420
_TITLES = {
    "kind": "Kind",
    "task_type": "Task type",
    "lang": "Language",
    "polarity": "Positive / negative / edge case",
    "module": "Top-level module",
    "ticket_type": "Ticket type",
}
_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #1d232a; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d8dee4; }
.tiles { display: flex; gap: 1rem; flex-wrap: wrap; }
.tile { border: 1px solid #d8dee4; border-radius: 6px; padding: .6rem 1rem; min-width: 8rem; }
.tile b { display: block; font-size: 1.4rem; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem 2rem; }
svg text { font-size: 12px; }
table { border-collapse: collapse; }
td, th { padding: .2rem .6rem; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; }
.legend span { vertical-align: middle; }
"""


def render_report(report: Coverage, title: str, tokens: ExportedTokens | None = None) -> str:
    """The whole page."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        _tiles(report),
        '<p class="legend"><span style="background:#c9d4df"></span>candidates'
        '<span style="background:#2f7d4f"></span>accepted</p>',
        '<div class="grid">',
        *(_breakdown_chart(b) for b in report.breakdowns),
        "</div>",
        "<h2>Acceptance by check</h2>",
        "<p>Share of the candidates each check applied to that passed it; the number is how many "
        "rejected candidates failed it.</p>",
        _check_chart(report.checks),
        "<h2>Scores</h2>",
        _histogram(report.scores),
        _rounds_table(report.rounds),
        _tokens_table(tokens),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _tiles(report: Coverage) -> str:
    tiles = [
        ("candidates", str(sum(report.statuses.values()))),
        ("accepted", str(report.statuses.get("accepted", 0))),
        ("rejected", str(report.statuses.get("rejected", 0))),
        ("near-duplicate rate", f"{report.near_duplicate_rate:.1%}"),
        ("duplicate clusters", str(report.clusters)),
        ("train / holdout", f"{report.splits.get('train', 0)} / {report.splits.get('holdout', 0)}"),
    ]
    cells = "".join(
        f'<div class="tile"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _breakdown_chart(breakdown: Breakdown) -> str:
    rows = breakdown.rows[:15]
    top = max((total for _, total, _ in rows), default=1) or 1
    height = _BAR_HEIGHT * max(len(rows), 1) + 4
    bars = []
    for n, (value, total, accepted) in enumerate(rows):
        y = n * _BAR_HEIGHT
        bars.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 13}" '
            f'text-anchor="end">{html.escape(value[:28])}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{_width(total, top)}" '
            f'height="{_BAR_HEIGHT - 5}" '
            f'fill="#c9d4df"><title>{total} candidates</title></rect>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{_width(accepted, top)}" '
            f'height="{_BAR_HEIGHT - 5}" '
            f'fill="#2f7d4f"><title>{accepted} accepted</title></rect>'
            f'<text x="{_LABEL_WIDTH + _width(total, top) + 4}" '
            f'y="{y + 13}">{accepted}/{total}</text>'
        )
    empty = "" if rows else '<text x="0" y="14">no candidates yet</text>'
    return (
        f"<section><h2>{html.escape(_TITLES.get(breakdown.dimension, breakdown.dimension))}</h2>"
        f"{_svg(_LABEL_WIDTH + _CHART_WIDTH + 60, height, ''.join(bars) + empty)}"
        "</section>"
    )


def _width(count: int, top: int) -> int:
    return round(_CHART_WIDTH * count / top)


def _check_chart(checks: Sequence[CheckRate]) -> str:
    height = _BAR_HEIGHT * max(len(checks), 1) + 4
    bars = []
    for n, rate in enumerate(checks):
        y = n * _BAR_HEIGHT
        color = (
            "#2f7d4f"
            if rate.pass_rate >= 0.9
            else "#c08a1e"
            if rate.pass_rate >= 0.6
            else "#b3392f"
        )
        bars.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 13}" '
            f'text-anchor="end">{html.escape(rate.check)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{_CHART_WIDTH}" '
            f'height="{_BAR_HEIGHT - 5}" fill="#eef1f4"/>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{round(_CHART_WIDTH * rate.pass_rate)}" '
            f'height="{_BAR_HEIGHT - 5}" fill="{color}"><title>{rate.passed} of {rate.applied} '
            "passed</title></rect>"
            f'<text x="{_LABEL_WIDTH + _CHART_WIDTH + 6}" y="{y + 13}">{rate.pass_rate:.0%} · '
            f"{rate.rejected}</text>"
        )
    return _svg(_LABEL_WIDTH + _CHART_WIDTH + 90, height, "".join(bars))


def _histogram(bins: Sequence[tuple[str, int]]) -> str:
    top = max((count for _, count in bins), default=1) or 1
    width, gap, plot, head = 44, 6, 160, 16
    bars = []
    for n, (label, count) in enumerate(bins):
        x, h = n * (width + gap), round(plot * count / top)
        bars.append(
            f'<rect x="{x}" y="{head + plot - h}" width="{width}" height="{h}" fill="#3b6ea5">'
            f"<title>{count}</title></rect>"
            f'<text x="{x + width / 2}" y="{head + plot + 14}" text-anchor="middle">{label}</text>'
            f'<text x="{x + width / 2}" y="{head + plot - h - 3}" '
            f'text-anchor="middle">{count}</text>'
        )
    return _svg(len(bins) * (width + gap), head + plot + 20, "".join(bars))


def _rounds_table(rounds: Sequence[RoundFigures]) -> str:
    """Records per feedback round: the model failures fed back and what became of their records."""
    if not rounds:
        return (
            "<h2>Feedback rounds</h2><p>No model failures fed back yet (<code>goldmine "
            "feedback FILE</code>).</p>"
        )
    head = "".join(f"<th>{html.escape(column)}</th>" for column in RoundFigures.COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{value}</td>" for value in r.values()) + "</tr>" for r in rounds
    )
    return (
        "<h2>Feedback "
        f"rounds</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


_TOKEN_COLUMNS = ("rows", "min", "median", "p90", "p99", "max", "over_2048")


def _tokens_table(tokens: ExportedTokens | None) -> str:
    """Tokens per exported row, file by file, and the rows kept out for length: LLaMA-Factory
    cuts every example at ``cutoff_len`` (2,048 by default) without a word."""
    if tokens is None:
        return "<h2>Training window</h2><p>Nothing exported yet (<code>goldmine export</code>).</p>"
    limit = f"max_tokens {tokens.max_tokens}" if tokens.max_tokens else "no max_tokens set"
    head = "".join(f"<th>{c}</th>" for c in ("dataset", *_TOKEN_COLUMNS, "dropped"))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{figures.get(c, 0)}</td>" for c in _TOKEN_COLUMNS)
        + f"<td>{dropped}</td></tr>"
        for name, figures, dropped in tokens.by_dataset()
    )
    return (
        f"<h2>Training window</h2><p>Tokens per exported row, counted by "
        f"{html.escape(tokens.counter)}; {limit}. <i>over_2048</i>: rows LLaMA-Factory's default "
        "<code>cutoff_len</code> would cut; <i>dropped</i>: rows kept out for length "
        f"(<code>export_drops</code>).</p><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _svg(width: int, height: int, body: str) -> str:
    """An inline chart that scales to its column (the viewBox keeps its proportions)."""
    return (
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px">{body}</svg>'
    )


def write_report(workspace: Workspace, target: Path | None = None) -> tuple[Path, Coverage]:
    """Write the HTML report of the workspace's warehouse; return where, and what it counted."""
    with workspace.open_warehouse(read_only=True) as warehouse:
        report = coverage(warehouse)
    path = target or workspace.root / "report" / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"goldmine coverage — {workspace.root.name}"
    tokens = exported_tokens(workspace.export_dir)
    path.write_text(render_report(report, title, tokens), encoding="utf-8")
    return path, report


def print_summary(
    report: Coverage, path: Path, console: Console, tokens: ExportedTokens | None = None
) -> None:
    """The terminal summary: totals, the largest values per dimension, the checks that reject
    most, and the exported rows' tokens."""
    console.print(
        f"{report.assayed} assayed: {report.statuses.get('accepted', 0)} accepted, "
        f"{report.statuses.get('rejected', 0)} rejected; near-duplicate rate "
        f"{report.near_duplicate_rate:.1%} "
        f"({report.clusters} clusters); train {report.splits.get('train', 0)}, "
        f"holdout {report.splits.get('holdout', 0)}"
    )
    table = Table("dimension", "values (accepted/candidates)", show_lines=False)
    for breakdown in report.breakdowns:
        values = ", ".join(
            f"{value} {accepted}/{total}" for value, total, accepted in breakdown.rows[:6]
        )
        table.add_row(_TITLES.get(breakdown.dimension, breakdown.dimension), values)
    console.print(table)
    checks = Table("check", "applied", "passed", "rejected by it")
    for rate in [r for r in report.checks if r.rejected][:10]:
        checks.add_row(rate.check, str(rate.applied), f"{rate.pass_rate:.0%}", str(rate.rejected))
    if checks.row_count:
        console.print(checks)
    if report.rounds:
        rounds = Table(*RoundFigures.COLUMNS, title="feedback rounds")
        for figures in report.rounds:
            rounds.add_row(*(str(value) for value in figures.values()))
        console.print(rounds)
    if tokens is not None:
        _print_tokens(tokens, console)
    console.print(f"report: {path}")


def _print_tokens(tokens: ExportedTokens, console: Console) -> None:
    """One line per dataset: its rows' tokens, and what was kept out for length."""
    limit = f", max_tokens {tokens.max_tokens}" if tokens.max_tokens else ""
    console.print(f"tokens per row ({tokens.counter}{limit}):")
    for name, f, dropped in tokens.by_dataset():
        console.print(
            f"  {name}: {f.get('rows', 0)} rows, median {f.get('median', 0)}, p90 "
            f"{f.get('p90', 0)}, max {f.get('max', 0)}; {f.get('over_2048', 0)} over 2048, "
            f"{dropped} dropped for length",
            soft_wrap=True,
        )


@click.command()
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the HTML."
)
@workspace_options()
def report(output: Path | None, workspace: Path | None, verbose: bool) -> None:
    """Write the coverage report (HTML with charts) and print a summary."""
    opened = Workspace.at(workspace)
    path, counted = write_report(opened, output)
    print_summary(counted, path, console, exported_tokens(opened.export_dir))
