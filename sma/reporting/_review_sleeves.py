"""The run review page's UMA sleeves: per UMA account, where each sleeve stood before and after
tonight's decision (issue 19, "Reports": "review page with a sleeve view per UMA account").

One row per sleeve from the night's ``sleeves.parquet`` (``sma.uma.sleeve_records``): its model,
target weight, weight before and after, drift after against its band (out of band marked), active
share to its model before and after, what it bought, sold and moved without a trade, and the tax
cost of its sells. A sleeve still out of band after tonight's moves between sleeves is listed
again below the table as an exception, with its drift, band and why (``band_reason``).
"""

from __future__ import annotations

from html import escape

import pandas as pd

from sma.ledger import money

#: The sleeve records' columns the page reads (``sma.uma.SLEEVE_RECORD_COLUMNS``).
SLEEVE_COLUMNS = (
    "account_id",
    "sleeve_id",
    "model_id",
    "target_weight",
    "weight_before",
    "weight_after",
    "drift_after",
    "drift_band",
    "within_band_after",
    "active_share_before",
    "active_share_after",
    "bought",
    "sold",
    "transferred_in",
    "transferred_out",
    "tax_cost",
)
_HEADERS = (
    "Account",
    "Sleeve",
    "Model",
    "Target",
    "Weight before",
    "Weight after",
    "Drift after (band)",
    "Active share before",
    "Active share after",
    "Bought",
    "Sold",
    "Moved in / out",
    "Tax cost",
)


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.2%}"


def _usd(x: float) -> str:
    return money(float(x), cents=False)


def sleeves_section(sleeves: pd.DataFrame | None, listed: frozenset[str] | None) -> str:
    """The page's "UMA sleeves" section; empty text on a night without UMA sleeves.

    Parameters
    ----------
    sleeves : frame with :data:`SLEEVE_COLUMNS` (weights, drift, band and active share as
        fractions; money in USD), or None.
    listed : the accounts the page lists (None: all).

    Returns
    -------
    str
        HTML; every id and model name escaped.
    """
    if sleeves is None or sleeves.empty:
        return ""
    rows = sleeves if listed is None else sleeves[sleeves["account_id"].isin(listed)]
    out_of_band = int((~rows["within_band_after"].astype(bool)).sum())
    body = []
    for r in rows.sort_values(["account_id", "sleeve_id"]).itertuples(index=False):
        band = "num" if r.within_band_after else "num alert"
        body.append(
            f'<tr data-account="{escape(str(r.account_id))}"><td>{escape(str(r.account_id))}</td>'
            f"<td>{escape(str(r.sleeve_id))}</td><td>{escape(str(r.model_id))}</td>"
            + "".join(
                f'<td class="num">{_pct(x)}</td>'
                for x in (r.target_weight, r.weight_before, r.weight_after)
            )
            + f'<td class="{band}">{r.drift_after:+.2%} ({_pct(r.drift_band)})</td>'
            + f'<td class="num">{_pct(r.active_share_before)}</td>'
            + f'<td class="num">{_pct(r.active_share_after)}</td>'
            + "".join(
                f'<td class="num">{text}</td>'
                for text in (
                    _usd(r.bought),
                    _usd(r.sold),
                    f"{_usd(r.transferred_in)} / {_usd(r.transferred_out)}",
                    _usd(r.tax_cost),
                )
            )
            + "</tr>"
        )
    head = "".join(f"<th>{escape(h)}</th>" for h in _HEADERS)
    badge = "badge" if out_of_band else "badge ok"  # red only when a sleeve is out of band
    return (
        f'<section id="sleeves"><h2>UMA sleeves <span class="{badge}">{len(rows)}</span></h2>'
        f'<p class="note">{out_of_band} sleeve(s) outside their drift band after tonight. Drift is '
        "the sleeve's weight of the account minus its target weight; active share is half the sum "
        "of |the sleeve's weight in a symbol - its model's|.</p>"
        f'<div class="scroll"><table id="sleeve-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{_band_exceptions(rows)}</section>"
    )


def out_of_band(sleeves: pd.DataFrame | None, listed: frozenset[str] | None) -> int:
    """How many of the listed accounts' sleeves end the night outside their drift band.

    Parameters
    ----------
    sleeves : frame with :data:`SLEEVE_COLUMNS`, or None.
    listed : the accounts the page lists (None: all).

    Returns
    -------
    int
    """
    if sleeves is None or sleeves.empty:
        return 0
    rows = sleeves if listed is None else sleeves[sleeves["account_id"].isin(listed)]
    return int((~rows["within_band_after"].astype(bool)).sum())


def _band_exceptions(rows: pd.DataFrame) -> str:
    """The sleeves still outside their band once lots were moved between sleeves without a
    trade (``sma.uma.keep_in_band``): account, sleeve, drift, band and why."""
    outside = rows[~rows["within_band_after"].astype(bool)].sort_values(["account_id", "sleeve_id"])
    if outside.empty:
        return ""
    reasons = (
        outside["band_reason"].fillna("").astype(str)
        if "band_reason" in outside
        else pd.Series("", index=outside.index)
    )
    body = "".join(
        f'<tr data-account="{escape(str(r.account_id))}" data-sleeve="{escape(str(r.sleeve_id))}">'
        f"<td>{escape(str(r.account_id))}</td><td>{escape(str(r.sleeve_id))}</td>"
        f'<td class="num alert">{r.drift_after:+.2%}</td><td class="num">{_pct(r.drift_band)}</td>'
        f'<td class="wrap"><div>{escape(why or "no reason recorded")}</div></td></tr>'
        for r, why in zip(outside.itertuples(index=False), reasons)
    )
    head = "".join(f"<th>{h}</th>" for h in ("Account", "Sleeve", "Drift after", "Band", "Why"))
    return (
        '<h3 id="sleeve-band-exceptions">Sleeves out of band: exceptions</h3>'
        '<p class="note">No move of whole lots between the account\'s sleeves brings these in; '
        "the reason says what would.</p>"
        f'<div class="scroll"><table id="sleeve-band-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


#: What the overlay saved, per UMA account (``sma.uma.OVERLAY_SAVINGS_COLUMNS``), as the page
#: reads it.
SAVINGS_COLUMNS = (
    "account_id",
    "trades_independent",
    "trades_overlay",
    "traded_independent",
    "traded_overlay",
    "gain_st_independent",
    "gain_lt_independent",
    "gain_st_overlay",
    "gain_lt_overlay",
    "tax_saved",
    "wash_sales_independent",
    "wash_sales_overlay",
)
_SAVINGS_HEADERS = (
    "Account",
    "Orders alone / overlay",
    "Traded alone / overlay",
    "Netted away",
    "Gains alone (ST / LT)",
    "Gains overlay (ST / LT)",
    "Gains not realized",
    "Tax saved",
    "Wash sales alone / overlay",
)


def savings_section(savings: pd.DataFrame | None, listed: frozenset[str] | None) -> str:
    """The page's "What the overlay saved" table beside the UMA sleeves: per UMA account traded
    tonight, the sleeves traded on their own (``sma.uma.overlay_savings``) against the overlay.

    Parameters
    ----------
    savings : frame with :data:`SAVINGS_COLUMNS` (money in USD), or None.
    listed : the accounts the page lists (None: all).

    Returns
    -------
    str
        HTML; empty text on a night without UMA accounts traded.
    """
    if savings is None or savings.empty:
        return ""
    rows = savings if listed is None else savings[savings["account_id"].isin(listed)]
    body = []
    for r in rows.sort_values("account_id").itertuples(index=False):
        alone = float(r.gain_st_independent) + float(r.gain_lt_independent)
        overlay = float(r.gain_st_overlay) + float(r.gain_lt_overlay)
        cells = (
            f"{int(r.trades_independent)} / {int(r.trades_overlay)}",
            f"{_usd(r.traded_independent)} / {_usd(r.traded_overlay)}",
            _usd(float(r.traded_independent) - float(r.traded_overlay)),
            f"{_usd(r.gain_st_independent)} / {_usd(r.gain_lt_independent)}",
            f"{_usd(r.gain_st_overlay)} / {_usd(r.gain_lt_overlay)}",
            _usd(alone - overlay),
            _usd(r.tax_saved),
            f"{int(r.wash_sales_independent)} / {int(r.wash_sales_overlay)}",
        )
        body.append(
            f'<tr data-account="{escape(str(r.account_id))}"><td>{escape(str(r.account_id))}</td>'
            + "".join(f'<td class="num">{text}</td>' for text in cells)
            + "</tr>"
        )
    head = "".join(f"<th>{escape(h)}</th>" for h in _SAVINGS_HEADERS)
    return (
        '<section id="overlay-savings"><h2>What the overlay saved '
        f'<span class="badge">{len(rows)}</span></h2>'
        '<p class="note">Each sleeve traded on its own to its model tonight (never traded): from '
        "its own lots oldest first, no netting across sleeves, no household wash coordination; "
        "against the overlay's one decision per account. Wash sales: loss sales a sibling "
        "sleeve's or the household's buy would wash, and buys of what the household sold at a "
        "loss within 30 days.</p>"
        f'<div class="scroll"><table id="savings-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


#: The structure fit per household (``sma.uma.structure_fits``), as the page reads it.
FIT_COLUMNS = ("household_id", "value", "fit")


def fit_section(fits: pd.DataFrame | None) -> str:
    """The page's "Structure fit" section: one line per household of the listed accounts, which
    structure fits it, manager-traded SMA or UMA, and why (``sma.uma.structure_fit``).

    Parameters
    ----------
    fits : frame with :data:`FIT_COLUMNS` (value USD), or None.

    Returns
    -------
    str
        HTML, every text escaped; empty text without fits.
    """
    if fits is None or fits.empty:
        return ""
    body = "".join(
        f'<tr data-household="{escape(str(r.household_id))}"><td>{escape(str(r.household_id))}'
        f'</td><td class="num">{_usd(r.value)}</td><td>{escape(str(r.fit))}</td></tr>'
        for r in fits.sort_values("household_id").itertuples(index=False)
    )
    return (
        f'<section id="structure-fit"><h2>Structure fit <span class="badge">{len(fits)}</span>'
        '</h2><p class="note">Per household: size against the firm\'s minimums, legacy '
        "concentration, accounts and model providers, and the household coordination they "
        "need.</p>"
        '<div class="scroll"><table id="fit-table"><thead><tr><th>Household</th><th>Value</th>'
        f"<th>Structure fit</th></tr></thead><tbody>{body}</tbody></table></div></section>"
    )
