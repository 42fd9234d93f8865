"""The client's PDF statement for one account and one period.

Layout: a cover with the firm, the client, the period and the figures at a glance, then
performance, holdings by sector, top holdings, unrealized gains, activity, realized gains, losses
harvested and their tax value, what we did and why, disclosures, and every holding with its cost
basis and term. Headings stay with what follows them; long tables break between rows and repeat
their header. One font family, US spelling, "Page n of m" on every page. Every
client-supplied string is escaped before it reaches a ``Paragraph`` (CVE-2023-33733); table
cells that are plain strings are drawn as text, never parsed.
"""

from __future__ import annotations

import io

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sma.ledger import money
from sma.reporting._charts import growth_chart, sector_chart
from sma.reporting._figures import StatementFigures, statement_figures
from sma.reporting._format import long_date, percent, shares
from sma.reporting._gifts import gift_lines
from sma.reporting._narrative import TAX_DEFERRED, in_brief, what_we_did
from sma.reporting._pdf_style import (
    BAND,
    FONT,
    FONT_BOLD,
    NAVY,
    RULE,
    letter_document,
    numbered_canvas,
    styles,
    table_style,
)
from sma.reporting._safe import escape_markup
from sma.reporting._statement_data import DISCLOSURES, StatementData
from sma.reporting._tax_view import ORDINARY_LOSS_LIMIT

WIDTH = LETTER[0] - 2 * 0.75 * inch
#: A heading over a long table starts a new page when less than this is left under it, so it is
#: never orphaned; short tables are kept whole with their heading and notes (KeepTogether).
ROOM_UNDER_HEADING = 1.6 * inch

SECTIONS = (
    "Account value and performance",
    "Holdings by sector",
    "Top holdings",
    "Unrealized gains",
    "Activity",
    "Realized gains and losses, year to date",
    "Losses harvested",
    "What we did and why",
    "Disclosures",
    "All holdings",
)


def _p(text: object, style: str = "body") -> Paragraph:
    """A paragraph of plain text: escaped, so no markup in it is ever interpreted."""
    return Paragraph(escape_markup(text), styles()[style])


def _table(
    rows: list[list],
    widths: list[float],
    numeric_from: int = 1,
    total_row: bool = False,
    numeric_to: int = -1,
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(table_style(len(rows), numeric_from, total_row, numeric_to))
    return table


def _section(number: int) -> Paragraph:
    return _p(f"{number}. {SECTIONS[number - 1]}", "h1")


def _image(png: bytes, width: float) -> Image:
    """A PNG chart scaled to ``width`` points, keeping its proportions."""
    img = Image(io.BytesIO(png))
    img.drawWidth, img.drawHeight = width, width * img.imageHeight / img.imageWidth
    return img


def _glance(f: StatementFigures, data: StatementData) -> Table:
    """Six key figures as cards, two rows of three."""
    harvested = f.realized_ytd.losses
    cards = [
        ("Account value", money(f.change.value_end)),
        (f"Return {data.period.label}", f"{percent(f.period.account)}"),
        ("Benchmark, same period", f"{percent(f.period.benchmark)}"),
    ]
    if data.account_type.upper() in TAX_DEFERRED:  # no tax on gains inside: show returns instead
        cards += [
            ("Return, year to date", percent(f.ytd.account)),
            (f"Return {f.since_inception.label.lower()}", percent(f.since_inception.account)),
            ("Unrealized gain", money(f.unrealized.gain)),
        ]
    else:
        cards += [
            ("Realized net gain, year to date", money(f.realized_ytd.net)),
            ("Losses harvested, year to date", money(harvested)),
            ("Est. tax value of losses, this year", money(f.loss_value.value)),
        ]
    cells = [[_p(label, "figure_label"), _p(value, "figure_value")] for label, value in cards]
    grid = [[Table([[c[0]], [c[1]]]) for c in cells[i : i + 3]] for i in (0, 3)]
    table = Table(grid, colWidths=[WIDTH / 3] * 3, rowHeights=[0.8 * inch] * 2)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 2, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _cover(f: StatementFigures, data: StatementData) -> list:
    p = data.period
    account_type = {"TAXABLE": "Taxable account", "IRA": "Traditional IRA", "ROTH": "Roth IRA"}.get(
        data.account_type.upper(), data.account_type
    )
    contents = "  ·  ".join(f"{i}. {name}" for i, name in enumerate(SECTIONS, start=1))
    opened = (
        []
        if data.inception is None
        else [_p(f"Account opened {long_date(data.inception)}", "cover_meta")]
    )
    return [
        Spacer(1, 0.9 * inch),
        _p(f"Statement {p.label}", "cover_title"),
        _p(f"Prepared for {data.client}", "cover_client"),
        _p(f"Account {data.account_id}  ·  {account_type}", "cover_meta"),
        *opened,
        _p(
            f"{p.start:%B} {p.start.day}, {p.start.year} to {p.end:%B} {p.end.day}, {p.end.year}",
            "cover_meta",
        ),
        Spacer(1, 0.35 * inch),
        _p("At a glance", "h2"),
        _glance(f, data),
        Spacer(1, 0.2 * inch),
        _p("Returns", "h2"),
        _returns_table(f, data),
        Spacer(1, 0.2 * inch),
        _p("This period in brief", "h2"),
        _p(in_brief(f, data.account_type, p.label), "para"),
        Spacer(1, 0.1 * inch),
        _p("In this statement", "h2"),
        _p(contents, "small"),
        PageBreak(),
    ]


def _returns_table(f: StatementFigures, data: StatementData) -> Table:
    """Period, year to date and since inception (annualized too when over a year): time-weighted
    vs benchmark, and the account's money-weighted return beside them."""
    rows = [["Return", "Time-weighted", "Benchmark", "Difference", "Money-weighted"]]
    for r in (f.period, f.ytd, f.since_inception):
        rows.append(
            [
                f"{r.label} (from {long_date(r.start)})",
                percent(r.account),
                percent(r.benchmark),
                percent(r.excess),
                percent(r.money_weighted),
            ]
        )
    si = f.since_inception
    if si.account_annualised is not None and si.benchmark_annualised is not None:
        rows.append(
            [
                f"{si.label}, annualized",
                percent(si.account_annualised),
                percent(si.benchmark_annualised),
                percent(si.account_annualised - si.benchmark_annualised),
                percent(si.money_weighted_annualised),
            ]
        )
    return _table(rows, [WIDTH * 0.36, WIDTH * 0.16, WIDTH * 0.16, WIDTH * 0.16, WIDTH * 0.16])


def _sleeves(data: StatementData) -> list:
    """A UMA account's sleeves beside its performance (issue 19): value, weight vs target,
    return vs its model's, and what the overlay saved over the period's nights."""
    table = data.sleeves
    if table is None or table.empty:
        return []
    since = table["since"].dropna()
    label = (
        f"Return since\n{long_date(since.iloc[0])}"
        if len(since)
        else f"Return\n{data.period.label}"
    )
    rows: list[list] = [["Sleeve", "Model", "Value", "Weight", "Target", label, "Model\nreturn"]]
    for r in table.itertuples(index=False):
        rows.append(
            [
                _p(r.sleeve_id, "small"),
                _p(r.model_id, "small"),
                money(float(r.value)),
                percent(float(r.weight), signed=False),
                percent(float(r.target_weight), signed=False),
                "–" if pd.isna(r.sleeve_return) else percent(float(r.sleeve_return)),
                "–" if pd.isna(r.model_return) else percent(float(r.model_return)),
            ]
        )
    widths = [0.14, 0.19, 0.15, 0.11, 0.11, 0.17, 0.13]
    out = [
        Spacer(1, 8),
        _p("Your account's sleeves, each following an outside manager's model", "small"),
        _table(rows, [WIDTH * w for w in widths], numeric_from=2),
    ]
    if len(since) and table["sleeve_return"].isna().all():  # no night of sleeves to chain
        out.append(
            _p(
                f"The sleeves are valued as of {long_date(since.iloc[0])}, the first date their "
                "lots were placed in sleeves; their returns start with the next period.",
                "small",
            )
        )
    elif len(since):
        out.append(
            _p(
                f"Sleeve returns are available from {long_date(since.iloc[0])}, when the "
                "account's sleeve history begins, not for the whole period.",
                "small",
            )
        )
    saved = data.overlay_savings
    if saved:
        out.append(
            _p(
                f"What coordinating the sleeves saved over {saved['nights']} night(s), against "
                f"each sleeve traded on its own: {saved['orders_netted_away']} order(s) and "
                f"{money(saved['notional_netted_away'])} of trading netted away, "
                f"{money(saved['gains_not_realized'])} of gains not realized, "
                f"{money(saved['tax_saved'])} of estimated tax saved, "
                f"{saved['wash_sales_avoided']} wash sale(s) avoided.",
                "small",
            )
        )
    return out


def _performance(f: StatementFigures, data: StatementData) -> list:
    c = f.change
    value_rows = [
        ["", data.period.label],
        [f"Value at the start (close before {long_date(data.period.start)})", money(c.value_start)],
        ["Contributions and withdrawals, net", money(c.net_flows)],
        ["Investment gain or loss", money(c.investment_gain)],
        [f"Value at the end ({long_date(data.period.end)})", money(c.value_end)],
    ]
    return [
        _section(1),
        _table(value_rows, [WIDTH * 0.6, WIDTH * 0.4], total_row=True),
        Spacer(1, 8),
        _returns_table(f, data),
        *_sleeves(data),
        Spacer(1, 6),
        _p(
            f"Growth of 100 since {long_date(f.since_inception.start)}, account vs "
            f"{data.benchmark_name}; "
            f"the shaded band is {data.period.label}.",
            "small",
        ),
        _image(
            growth_chart(data.values, data.benchmark_returns, data.period.start, data.period.end),
            WIDTH,
        ),
    ]


def _holdings(f: StatementFigures, data: StatementData) -> list:
    sector_rows = [["Sector", "Account", "Benchmark", "Difference"]] + [
        [
            str(r.sector),
            percent(r.account_weight, False),
            percent(r.benchmark_weight, False),
            percent(r.difference),
        ]
        for r in f.sectors.itertuples(index=False)
    ]
    top_rows = [["Symbol", "Name", "Shares", "Price", "Market value", "Weight"]] + [
        [
            str(r.symbol),
            _p(r.name, "cell"),
            shares(r.quantity),
            money(r.price),
            money(r.market_value),
            percent(r.weight, False),
        ]
        for r in f.top.itertuples(index=False)
    ]
    u = f.unrealized
    unreal_rows = [
        ["", "USD"],
        ["Market value of holdings", money(u.market_value)],
        ["Cost basis (after wash-sale adjustments)", money(u.cost_basis)],
        ["Unrealized gain or loss", money(u.gain)],
    ]
    w = WIDTH
    return [
        KeepTogether(
            [
                _section(2),
                _image(sector_chart(f.sectors), w * 0.92),
                _table(sector_rows, [w * 0.46, w * 0.18, w * 0.18, w * 0.18]),
            ]
        ),
        KeepTogether(
            [
                _section(3),
                _table(
                    top_rows,
                    [w * 0.1, w * 0.4, w * 0.11, w * 0.12, w * 0.15, w * 0.12],
                    numeric_from=2,
                ),
                _p(
                    f"The ten largest of {len(f.appendix)} positions; section {len(SECTIONS)} "
                    "lists every "
                    "position with its cost basis, unrealized gain and holding period.",
                    "note",
                ),
            ]
        ),
        KeepTogether([_section(4), _table(unreal_rows, [w * 0.6, w * 0.4], total_row=True)]),
    ]


def _activity(data: StatementData) -> list:
    trades = data.trades.sort_values(["trade_date", "symbol", "side"])
    trade_rows = [["Date", "Symbol", "Side", "Shares", "Price", "Amount", "Reason"]] + [
        [
            str(pd.Timestamp(r.trade_date).date()),
            str(r.symbol),
            str(r.side).title(),
            shares(r.quantity),
            money(r.price),
            money(r.notional),
            str(r.reason).replace("_", " ").title(),
        ]
        for r in trades.itertuples(index=False)
    ]
    flows = data.cash_flows.sort_values("date")
    flow_rows = [["Date", "Cash flow", "Amount"]] + [
        [
            str(pd.Timestamp(r.date).date()),
            "Contribution" if r.amount > 0 else "Withdrawal",
            money(r.amount),
        ]
        for r in flows.itertuples(index=False)
    ]
    w = WIDTH
    out = [CondPageBreak(ROOM_UNDER_HEADING), _section(5), _p("Trades", "h2")]
    out.append(
        _table(
            trade_rows,
            [w * 0.13, w * 0.11, w * 0.08, w * 0.12, w * 0.13, w * 0.17, w * 0.26],
            numeric_from=3,
            numeric_to=5,
        )
        if len(trade_rows) > 1
        else _p("No trades this period.")
    )
    actions = data.corporate_actions
    if actions is not None and len(actions):
        action_rows = [["Date", "Symbol", "Corporate action"]] + [
            [str(pd.Timestamp(r.date).date()), str(r.symbol), str(r.description)]
            for r in actions.itertuples(index=False)
        ]
        out += [_p("Corporate actions", "h2"), _table(action_rows, [w * 0.13, w * 0.11, w * 0.76])]
    out += _gifts(data)
    out.append(
        KeepTogether(
            [
                _p("Cash flows", "h2"),
                _table(flow_rows, [w * 0.2, w * 0.4, w * 0.4], numeric_from=2)
                if len(flow_rows) > 1
                else _p("No contributions or withdrawals this period."),
            ]
        )
    )
    return out


def _gifts(data: StatementData) -> list:
    """Issue 21: each gift of the period, and the gain and tax the client avoided (Pub. 526)."""
    lines = gift_lines(data.gifts, data.lt_tax_rate) if data.gifts is not None else None
    if lines is None or not len(lines):
        return []
    w = WIDTH
    rows = [["Date", "Charity", "Securities given", "Value", "Gain not realized", "Tax avoided"]]
    rows += [
        [
            str(pd.Timestamp(r.date).date()),
            str(r.charity),
            str(r.securities),
            money(r.value),
            money(r.gain_avoided),
            money(r.tax_avoided),
        ]
        for r in lines.itertuples(index=False)
    ]
    return [
        KeepTogether(
            [
                _p("Charitable gifts", "h2"),
                _table(
                    rows,
                    [w * 0.12, w * 0.22, w * 0.24, w * 0.14, w * 0.15, w * 0.13],
                    numeric_from=3,
                ),
                _p(
                    "Securities held more than a year were given directly to the charity: the "
                    "gain they carried was never realized, and their market value is the gift "
                    "(IRS Publication 526). Tax avoided is that gain at your long-term rate on "
                    f"file, {percent(data.lt_tax_rate, False, 1)}. No shares were sold for the "
                    "gift.",
                    "note",
                ),
            ]
        )
    ]


def _taxes(f: StatementFigures, data: StatementData) -> list:
    r = f.realized_ytd
    realized_rows = [
        ["", "Gains", "Losses", "Net"],
        ["Short-term", money(r.st_gains), money(-r.st_losses), money(r.st_net)],
        ["Long-term", money(r.lt_gains), money(-r.lt_losses), money(r.lt_net)],
        ["Total", money(r.st_gains + r.lt_gains), money(-r.losses), money(r.net)],
    ]
    deferred = data.account_type.upper() in TAX_DEFERRED
    out = [
        KeepTogether(
            [
                _section(6),
                _table(
                    realized_rows,
                    [WIDTH * 0.34, WIDTH * 0.22, WIDTH * 0.22, WIDTH * 0.22],
                    total_row=True,
                ),
                _p(
                    "Gains and losses inside this tax-deferred account are not taxed when "
                    "realized.",
                    "note",
                )
                if deferred
                else Spacer(1, 0),
                _p(
                    "Wash-sale losses disallowed and added to replacement lots this year: "
                    f"{money(r.wash_sale_disallowed)}. "
                    "The lot-by-lot detail is in the accompanying Form 8949 report.",
                    "note",
                ),
            ]
        )
    ]
    if deferred:
        out.append(
            KeepTogether(
                [
                    _section(7),
                    _p(
                        "This account is tax-deferred: losses are not harvested in it, and "
                        "their estimated tax value is $0.00."
                    ),
                ]
            )
        )
        return out
    harvested = [["Losses realized", data.period.label, "Year to date"]]
    for label, attr in (("Short-term losses", "st_losses"), ("Long-term losses", "lt_losses")):
        harvested.append(
            [label, money(getattr(f.realized_period, attr)), money(getattr(f.realized_ytd, attr))]
        )
    harvested.append(["Total", money(f.realized_period.losses), money(r.losses)])
    v = f.loss_value
    rates = (
        f"{percent(data.st_tax_rate, False, 1)} short-term (ordinary income), "
        f"{percent(data.lt_tax_rate, False, 1)} long-term"
    )
    value_rows = [
        ["Estimated tax value of this year's losses", "USD"],
        ["Tax on this year's realized gains without the losses", money(v.tax_without_losses)],
        ["Tax on the net gains after netting the losses", money(v.tax_with_losses)],
        [
            "Net capital loss set against ordinary income (up to "
            f"{money(ORDINARY_LOSS_LIMIT, cents=False)})",
            money(v.ordinary_offset),
        ],
        ["  its value at the short-term rate", money(v.ordinary_offset_value)],
        ["Estimated tax value this year", money(v.value)],
    ]
    carry = (
        f"Net capital loss carried forward to later years: {money(v.carryforward)} "
        f"({money(v.carryforward_st)} short-term, {money(v.carryforward_lt)} long-term; IRC "
        "1212(b)). "
        "It has value only against gains you realize later, so none is counted above."
        if v.carryforward > 0
        else "No net capital loss is left to carry forward."
    )
    out.append(
        KeepTogether(
            [
                _section(7),
                _table(harvested, [WIDTH * 0.56, WIDTH * 0.22, WIDTH * 0.22], total_row=True),
                Spacer(1, 6),
                _table(value_rows, [WIDTH * 0.78, WIDTH * 0.22], total_row=True),
                _p(
                    f"At your marginal rates on file: {rates} (federal, state and net "
                    "investment income tax combined). "
                    "Only this account's gains and losses are netted here (IRS Publication 550, "
                    "ch. 4); gains or losses "
                    f"elsewhere on your return change the figure. {carry}",
                    "note",
                ),
            ]
        )
    )
    return out


def _appendix(f: StatementFigures) -> list:
    """Every position: shares, price, market value, cost basis, unrealized gain and term."""
    a = f.appendix
    term = {"LONG": "Long", "SHORT": "Short", "MIXED": "Mixed"}
    rows = [
        ["Symbol", "Name", "Shares", "Price", "Market value", "Cost basis", "Unrealized", "Term"]
    ] + [
        [
            str(r.symbol),
            _p(r.name, "cell"),
            shares(r.quantity),
            money(r.price),
            money(r.market_value),
            money(r.cost_basis),
            money(r.unrealized_gain),
            term[r.term],
        ]
        for r in a.itertuples(index=False)
    ]
    rows.append(
        [
            "Total",
            "",
            "",
            "",
            money(a["market_value"].sum()),
            money(a["cost_basis"].sum()),
            money(a["unrealized_gain"].sum()),
            "",
        ]
    )
    w = WIDTH
    return [
        PageBreak(),
        _section(len(SECTIONS)),
        _p(
            "Cost basis is after wash-sale adjustments. Term is the holding period at the "
            "period end: Long when "
            "every share has been held more than a year, Short when none has, Mixed when the "
            "position has lots "
            "of both (IRS Publication 550, ch. 4).",
            "note",
        ),
        Spacer(1, 4),
        _table(
            rows,
            [w * 0.08, w * 0.26, w * 0.09, w * 0.1, w * 0.13, w * 0.13, w * 0.13, w * 0.08],
            numeric_from=2,
            total_row=True,
            numeric_to=6,
        ),
    ]


def _story(f: StatementFigures, data: StatementData) -> list:
    story = _cover(f, data) + _performance(f, data) + _holdings(f, data)
    story += _activity(data) + _taxes(f, data) + [CondPageBreak(ROOM_UNDER_HEADING), _section(8)]
    for line in what_we_did(f, data.account_type, data.period.label):
        bullet = line.startswith("\u2022 ")
        story.append(
            Paragraph(
                escape_markup(line[2:] if bullet else line),
                styles()["bullet" if bullet else "para"],
                bulletText="\u2022" if bullet else None,
            )
        )
    disclosures = [_p(text, "small") for text in (*DISCLOSURES, *data.firm.disclosures)]
    sender = _p(", ".join((data.firm.name, *data.firm.address)), "small")
    story += [KeepTogether([_section(9), *disclosures, sender])]
    return story + _appendix(f)


def _cover_band(firm):
    def draw(canv, doc) -> None:
        width, height = doc.pagesize
        canv.saveState()
        canv.setFillColor(NAVY)
        canv.rect(0, height - 0.85 * inch, width, 0.85 * inch, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(FONT_BOLD, 13)
        canv.drawString(0.75 * inch, height - 0.52 * inch, firm.name)
        if firm.address:
            canv.setFont(FONT, 7.5)
            canv.drawString(0.75 * inch, height - 0.70 * inch, "  ·  ".join(firm.address))
        if firm.logo:
            logo = ImageReader(io.BytesIO(firm.logo))
            w, h = logo.getSize()
            draw_h = 0.55 * inch
            draw_w = draw_h * w / h
            canv.drawImage(
                logo,
                width - 0.75 * inch - draw_w,
                height - 0.70 * inch,
                draw_w,
                draw_h,
                mask="auto",
            )
        canv.restoreState()

    return draw


def render_statement_pdf(data: StatementData) -> bytes:
    """The statement as PDF bytes; identical data gives identical bytes (``invariant=1``).

    Parameters
    ----------
    data : StatementData
        One account and one period; see its attributes for the frames and units.

    Returns
    -------
    bytes
        A US-Letter PDF with "Page n of m" footers.
    """
    buf = io.BytesIO()
    doc = letter_document(
        buf,
        title=f"Statement {data.period.label} - account {data.account_id}",
        author=data.manager,
        subject="Client statement",
    )
    figures = statement_figures(data)
    footer = f"{data.manager}  ·  Account {data.account_id}  ·  Statement {data.period.label}"
    doc.build(
        _story(figures, data),
        onFirstPage=_cover_band(data.firm),
        canvasmaker=numbered_canvas(footer),
    )
    return buf.getvalue()
