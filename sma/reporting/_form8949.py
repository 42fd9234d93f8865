"""Realized gains and losses laid out as IRS Form 8949 (Sales and Other Dispositions of Capital
Assets).

Part I holds short-term sales, Part II long-term (held more than one year; IRS Publication 550).
Columns as on the form: (a) description, (b) date acquired, (c) date sold, (d) proceeds,
(e) cost basis, (f) adjustment code, (g) amount of adjustment, (h) gain or (loss) =
(d) - (e) + (g). A wash-sale loss disallowed is entered in (g) as a positive amount with code W
(Instructions for Form 8949, "Column (f)-Code W").
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, SimpleDocTemplate, Spacer, Table

from sma.ledger import money
from sma.reporting._format import shares
from sma.reporting._frames import ReportDataError, as_dates, require_columns
from sma.reporting._pdf_style import numbered_canvas, register_fonts, styles, table_style
from sma.reporting._safe import escape_markup, neutralise_frame
from sma.reporting._statement_data import REALIZED_COLUMNS

#: Column headings as printed on the form, in order.
FORM_8949_COLUMNS = {
    "description": "(a) Description of property",
    "date_acquired": "(b) Date acquired",
    "date_sold": "(c) Date sold or disposed of",
    "proceeds": "(d) Proceeds (sales price)",
    "cost_basis": "(e) Cost or other basis",
    "code": "(f) Code(s) from instructions",
    "adjustment": "(g) Amount of adjustment",
    "gain": "(h) Gain or (loss)",
}
PARTS = {
    "I": "Part I - Short-Term (held one year or less)",
    "II": "Part II - Long-Term (held more than one year)",
}
_CENT = 0.005


def form_8949_rows(realized: pd.DataFrame) -> pd.DataFrame:
    """One Form 8949 line per realized lot, Part I (short-term) before Part II (long-term).

    Parameters
    ----------
    realized : DataFrame
        The ledger's realized rows: ``symbol, lot_id, acquired_date, sale_date, quantity``
        (shares), ``proceeds, cost_basis, wash_sale_disallowed`` (USD), ``adjustment_code``,
        ``gain`` (USD, after the wash-sale add-back), ``term`` (SHORT or LONG).

    Returns
    -------
    DataFrame
        ``part, description, date_acquired, date_sold, proceeds, cost_basis, code, adjustment,
        gain, symbol, lot_id`` -- dates as MM/DD/YYYY, sorted by part, sale date, symbol, lot.

    Raises
    ------
    ReportDataError
        When a row's ``gain`` is not proceeds - cost basis + adjustment to the cent, or a term
        is neither SHORT nor LONG: the form must add up.
    """
    require_columns("realized", realized, REALIZED_COLUMNS)
    term = realized["term"].astype(str).str.upper()
    if not term.isin(["SHORT", "LONG"]).all():
        raise ReportDataError(
            "realized",
            "term",
            f"row {int(np.argmax(~term.isin(['SHORT', 'LONG'])))}: term must be SHORT or LONG",
        )
    proceeds = realized["proceeds"].to_numpy(dtype=float)
    basis = realized["cost_basis"].to_numpy(dtype=float)
    adjustment = realized["wash_sale_disallowed"].fillna(0.0).to_numpy(dtype=float)
    gain = np.round(proceeds - basis + adjustment, 2)
    off = np.abs(gain - realized["gain"].to_numpy(dtype=float)) > _CENT
    if off.any():
        row = int(np.argmax(off))
        raise ReportDataError(
            "realized",
            "gain",
            f"row {row} ({realized['lot_id'].iloc[row]}): gain "
            f"{realized['gain'].iloc[row]} is not proceeds - cost basis + adjustment = {gain[row]}",
        )
    code = realized["adjustment_code"].fillna("").astype(str).str.strip()
    code = code.where(~((adjustment > 0) & (code == "")), "W")
    sold = as_dates("realized", realized, "sale_date")
    out = pd.DataFrame(
        {
            "part": np.where(term == "SHORT", "I", "II"),
            "description": [
                # a return of capital beyond basis sells no share (26 U.S.C. 301(c)(3))
                f"{shares(q)} sh. {s}" if q else f"{s} distribution in excess of basis"
                for q, s in zip(realized["quantity"], realized["symbol"], strict=True)
            ],
            "date_acquired": as_dates("realized", realized, "acquired_date")
            .dt.strftime("%m/%d/%Y")
            .to_numpy(),
            "date_sold": sold.dt.strftime("%m/%d/%Y").to_numpy(),
            "proceeds": proceeds.round(2),
            "cost_basis": basis.round(2),
            "code": code.to_numpy(),
            "adjustment": adjustment.round(2),
            "gain": gain,
            "symbol": realized["symbol"].astype(str).to_numpy(),
            "lot_id": realized["lot_id"].astype(str).to_numpy(),
            "_sold": sold.to_numpy(),
        }
    )
    out = out.sort_values(["part", "_sold", "symbol", "lot_id"], kind="stable")
    return out.drop(columns="_sold").reset_index(drop=True)


def form_8949_csv(rows: pd.DataFrame) -> str:
    """``form_8949_rows`` as CSV with the form's headings; no text cell can start a formula."""
    safe = neutralise_frame(rows, ["description", "code", "symbol", "lot_id"])
    safe = safe.rename(
        columns={**FORM_8949_COLUMNS, "part": "Part", "symbol": "Symbol", "lot_id": "Lot"}
    )
    return safe.to_csv(index=False, float_format="%.2f", lineterminator="\n")


def _part_table(rows: pd.DataFrame) -> Table:
    w = landscape(LETTER)[0] - 1.2 * inch
    widths = [w * f for f in (0.14, 0.085, 0.085, 0.11, 0.11, 0.1, 0.1, 0.12, 0.15)]
    head = [Paragraph(escape_markup(h), styles()["head"]) for h in FORM_8949_COLUMNS.values()] + [
        "Lot"
    ]
    lot = styles()[
        "cell"
    ]  # a long lot id wraps inside its column instead of running past the margin
    body = [
        [
            r.description,
            r.date_acquired,
            r.date_sold,
            money(r.proceeds),
            money(r.cost_basis),
            r.code,
            money(r.adjustment) if r.adjustment else "",
            money(r.gain),
            Paragraph(escape_markup(r.lot_id), lot),
        ]
        for r in rows.itertuples(index=False)
    ]
    totals = [
        "Totals",
        "",
        "",
        money(rows["proceeds"].sum()),
        money(rows["cost_basis"].sum()),
        "",
        money(rows["adjustment"].sum()),
        money(rows["gain"].sum()),
        "",
    ]
    table = Table([head, *body, totals], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(table_style(len(body) + 2, numeric_from=3, total_row=True, numeric_to=7))
    return table


def render_form_8949_pdf(
    rows: pd.DataFrame, client: str, account_id: str, tax_year: int, manager: str = "SMA Nightly"
) -> bytes:
    """``form_8949_rows`` as a landscape PDF worksheet, Part I then Part II, with totals per part.

    ``client`` is escaped before rendering; identical input gives identical bytes.
    """
    register_fonts()
    s = styles()
    story: list[Flowable] = [
        Paragraph(escape_markup(f"Form 8949 worksheet, tax year {tax_year}"), s["cover_title"]),
        Paragraph(escape_markup(f"{client}  ·  Account {account_id}"), s["cover_meta"]),
        Paragraph(
            escape_markup(
                "Sales and other dispositions of capital assets, from our lot records, laid out "
                "as IRS Form 8949 "
                "to help you or your tax preparer. Your custodian's Form 1099-B is the official "
                "record; "
                "code W marks a loss disallowed as a wash sale, shown in column (g)."
            ),
            s["small"],
        ),
    ]
    for part, title in PARTS.items():
        story += [
            CondPageBreak(1.2 * inch),
            Spacer(1, 10),
            Paragraph(escape_markup(title), s["h2"]),
        ]
        chunk = rows[rows["part"] == part]
        story.append(_part_table(chunk) if len(chunk) else Paragraph("No sales.", s["body"]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(LETTER),
        invariant=1,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.8 * inch,
        title=f"Form 8949 worksheet {tax_year} - account {account_id}",
        author=manager,
    )
    doc.build(
        story,
        canvasmaker=numbered_canvas(f"{manager}  ·  Account {account_id}  ·  Form 8949 {tax_year}"),
    )
    return buf.getvalue()
