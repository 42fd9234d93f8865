"""Proposals as PDFs an advisor hands to a client, in the statement's look (``_pdf_style``).

Rendered from data handed in (a ``ProspectProfile``, a ``TransitionPlan``, a ``WhatIf`` and the
assumptions as sentences); identical data gives identical bytes (``invariant=1``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter
from reportlab.lib.units import inch
from reportlab.platypus import Image, PageBreak, Paragraph, Spacer, Table

from sma.ledger import money
from sma.proposals._profile import ProspectProfile
from sma.proposals._transition import TransitionPlan, budget_label
from sma.proposals._whatif import WhatIf
from sma.reporting._charts import _frame, _png
from sma.reporting._format import percent, shares
from sma.reporting._pdf_style import (
    CHART_ACCENT,
    CHART_ACCOUNT,
    CHART_BENCHMARK,
    letter_document,
    numbered_canvas,
    styles,
    table_style,
)
from sma.reporting._safe import escape_markup

_WIDTH = 7.0 * inch
_COLOURS = [CHART_ACCOUNT, CHART_ACCENT, "#c9822b", CHART_BENCHMARK, "#7a4f9a", "#b23b3b"]


@dataclass(frozen=True)
class ProposalPage:
    """Who the proposal is for and by, and the assumptions as sentences."""

    client: str
    manager: str
    as_of: np.datetime64
    benchmark_id: str
    assumptions: tuple[str, ...]


def _p(text: object, style: str = "body") -> Paragraph:
    return Paragraph(escape_markup(text), styles()[style])


def _table(rows: list[list], widths: list[float], numeric_from: int = 1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(table_style(len(rows), numeric_from))
    return table


def _image(png: bytes, width: float) -> Image:
    img = Image(io.BytesIO(png))
    img.drawWidth, img.drawHeight = width, width * img.imageHeight / img.imageWidth
    return img


def page_one_answers(profile: ProspectProfile) -> list[tuple[str, str]]:
    """The seed's questions and their answers, as (question, answer) -- what page one prints."""
    largest = profile.largest
    outside = profile.outside
    legacy = (
        f"Largest: {largest['symbol']} at {percent(largest['share'], signed=False, places=1)} of "
        f"value ({money(largest['value'], cents=False)}, unrealized gain "
        f"{money(largest['unrealized_gain'], cents=False)})."
    )
    if len(outside):
        legacy += (
            f" Outside our universe: {', '.join(outside['symbol'])} "
            f"({money(outside['value'].sum(), cents=False)})."
        )
    implementation = (
        "Manager-traded SMA"
        if profile.implementation == "MANAGER_TRADED"
        else "Model-delivered UMA"
        if profile.implementation == "UMA"
        else "Neither (below our minimums)"
    )
    return [
        (
            "Portfolio size",
            f"{money(profile.value, cents=False)} in {len(profile.positions)} positions, "
            f"{profile.lots} tax lots",
        ),
        ("Complexity", profile.complexity),
        ("Legacy positions", legacy),
        (
            "Funding",
            f"In kind {money(profile.in_kind, cents=False)}, cash "
            f"{money(profile.cash, cents=False)}; unrealized gain "
            f"{money(profile.unrealized_gain, cents=False)}, {profile.short_term_lots} lot(s) "
            "short-term",
        ),
        ("Number of accounts", str(profile.accounts)),
        ("Suggested implementation", implementation),
    ]


def _page_one(page: ProposalPage, profile: ProspectProfile, title: str) -> list:
    day = pd.Timestamp(page.as_of)
    story = [
        _p(title, "cover_title"),
        _p(page.client, "cover_client"),
        _p(f"Prepared {day:%b} {day.day}, {day.year} by {page.manager}", "cover_meta"),
        Spacer(1, 12),
    ]
    rows = [[_p("Question", "head"), _p("Answer", "head")]]
    rows += [[_p(q, "cell"), _p(a, "cell")] for q, a in page_one_answers(profile)]
    story += [_table(rows, [1.7 * inch, _WIDTH - 1.7 * inch], numeric_from=2), Spacer(1, 8)]
    story += [_p("Why", "h2"), _p(profile.why, "para")]
    top = profile.positions.head(8)
    rows = [["Position", "Shares", "Value", "Share", "Unrealized gain", "In our universe"]]
    rows += [
        [
            r.symbol,
            shares(r.quantity),
            money(r.value, cents=False),
            percent(r.share, signed=False, places=1),
            money(r.unrealized_gain, cents=False),
            "yes" if r.in_universe else "no",
        ]
        for r in top.itertuples()
    ]
    story += [_p("Largest positions", "h2"), _table(rows, [1.2 * inch] + [1.16 * inch] * 5)]
    return story


def frontier_chart(plan: TransitionPlan) -> bytes:
    """Cumulative tax paid against tracking error, one line per budget, a point per year."""
    fig = Figure(figsize=(7.0, 3.4))
    ax = fig.add_subplot()
    for k, (budget, g) in enumerate(plan.years.groupby("budget", sort=True)):
        colour = _COLOURS[k % len(_COLOURS)]
        ax.plot(g["tracking_error"], g["cumulative_tax"], marker="o", color=colour, lw=1.4, ms=4)
        for row in g.itertuples():
            ax.annotate(
                str(row.year), (row.tracking_error, row.cumulative_tax), fontsize=6, color=colour
            )
        ax.plot([], [], color=colour, label=f"budget {budget_label(float(budget))}")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v, cents=False)))
    ax.set_xlabel("tracking error that year (annualised)", fontsize=7)
    ax.set_ylabel("tax paid to date (negative: saved)", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
    _frame(ax)
    fig.tight_layout()
    return _png(fig)


def _plan_tables(plan: TransitionPlan) -> list:
    story: list = []
    # Net losses beyond what gains held elsewhere absorb carry forward (--held-away NONE or
    # LONG_TERM_ONLY); the column is shown when any year carries some.
    carry = bool((plan.years["loss_carryforward"] > 0.5).any())
    head = ["Year", "Tracking error", "ST gains", "LT gains", "Tax paid"]
    head += ["Carryforward"] * carry + ["Value at end", "Legacy"]
    for budget, g in plan.years.groupby("budget", sort=True):
        rows: list[list] = [head]
        rows += [
            [
                str(r.year),
                percent(r.tracking_error, signed=False),
                money(r.st_gain, cents=False),
                money(r.lt_gain, cents=False),
                money(r.tax_paid, cents=False),
                *([money(r.loss_carryforward, cents=False)] if carry else []),
                money(r.end_value, cents=False),
                percent(r.legacy_overweight, signed=False, places=1),
            ]
            for r in g.itertuples()
        ]
        story += [
            _p(
                f"Gain budget {budget_label(float(budget))} a year"
                if np.isfinite(float(budget))
                else "No gain budget",
                "h2",
            ),
            _table(
                rows,
                [0.7 * inch] + [6.3 * inch / (len(head) - 1)] * (len(head) - 1),
            ),
        ]
    story.append(
        _p(
            "Legacy: share of value still held in the positions you brought beyond their weight "
            "in the index. Tax paid is netted per year at the stated rates; negative is tax saved "
            "by harvested losses, as far as the assumptions' gains held elsewhere let them save "
            "it.",
            "note",
        )
    )
    return story


def _lots_sold(plan: TransitionPlan) -> list:
    sold = plan.lots_sold
    story = [_p("Which of your lots are sold, and when", "h1")]
    if not len(sold):
        return story + [_p("No lot you brought is sold under any budget.", "para")]
    for budget, g in sold.groupby("budget", sort=True):
        rows = [["Year", "Lot", "Symbol", "Shares", "Proceeds", "Gain", "Term"]]
        rows += [
            [
                str(r.year),
                r.lot_id,
                r.symbol,
                shares(r.quantity),
                money(r.proceeds, cents=False),
                money(r.gain, cents=False),
                r.term.lower(),
            ]
            for r in g.sort_values(["year", "lot_id"]).itertuples()
        ]
        story += [
            _p(f"Gain budget {budget_label(float(budget))}", "h2"),
            _table(rows, [0.7 * inch, 1.3 * inch, 0.9 * inch] + [1.02 * inch] * 4, 3),
        ]
    return story


def _build(page: ProposalPage, story: list, title: str) -> bytes:
    buf = io.BytesIO()
    doc = letter_document(buf, title=f"{title} - {page.client}", author=page.manager, subject=title)
    doc.build(story, canvasmaker=numbered_canvas(f"{page.manager}  ·  {title}  ·  {page.client}"))
    return buf.getvalue()


def _assumptions(page: ProposalPage) -> list:
    return [_p("Assumptions", "h1")] + [_p(a, "bullet") for a in page.assumptions]


def render_transition_pdf(
    page: ProposalPage, profile: ProspectProfile, plan: TransitionPlan
) -> bytes:
    """The transition proposal: page one, the frontier, a table per budget, the lots sold by year,
    the assumptions.

    Parameters
    ----------
    page : ProposalPage
    profile : ProspectProfile -- page one's answers
    plan : TransitionPlan

    Returns
    -------
    bytes -- a US-Letter PDF with "Page n of m" footers
    """
    story = _page_one(page, profile, "Transition proposal")
    story += [
        PageBreak(),
        _p("Tax cost against tracking error, year by year", "h1"),
        _p(
            "Each line is one annual gain budget, simulated from "
            f"{pd.Timestamp(plan.start):%b %d, %Y} to {pd.Timestamp(plan.end):%b %d, %Y} against "
            f"{page.benchmark_id}. Lower and to the left is better: a larger budget pays more tax "
            "sooner and tracks the index more closely.",
            "para",
        ),
        _image(frontier_chart(plan), _WIDTH),
    ]
    story += _plan_tables(plan)
    story += [PageBreak()] + _lots_sold(plan) + _assumptions(page)
    return _build(page, story, "Transition proposal")


def render_whatif_pdf(page: ProposalPage, result: WhatIf, profile: ProspectProfile) -> bytes:
    """What each preference costs: page one, the table of scenarios, the assumptions.

    Parameters
    ----------
    page : ProposalPage
    result : WhatIf
    profile : ProspectProfile

    Returns
    -------
    bytes -- a US-Letter PDF
    """
    story = _page_one(page, profile, "What your preferences cost")
    rows = [["Scenario", "Tracking error", "ST gains", "LT gains", "Tax, year 1", "vs plain"]]
    rows += [
        [
            _p(r.scenario, "cell"),
            percent(r.tracking_error, signed=False),
            money(r.st_gain, cents=False),
            money(r.lt_gain, cents=False),
            money(r.tax, cents=False),
            money(r.tax_vs_plain, cents=False),
        ]
        for r in result.table.itertuples()
    ]
    story += [
        PageBreak(),
        _p("Each preference alone, and all together", "h1"),
        _p(
            "Tracking error: how far the portfolio you would hold strays from the plain index, a "
            "year, as the risk model sees it. Tax, first year: the gains we would realize moving "
            "your account toward that portfolio within the year's gain budget, and the tax on "
            "them.",
            "para",
        ),
        _table(rows, [2.2 * inch] + [0.96 * inch] * 5),
    ]
    story += _assumptions(page)
    return _build(page, story, "What your preferences cost")
