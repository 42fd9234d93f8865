"""The run review page's UMA sleeves: per UMA account, where each sleeve stood before and after
tonight's decision (issue 19, "Reports": "review page with a sleeve view per UMA account").

One row per sleeve from the night's ``sleeves.parquet`` (``sma.uma.sleeve_records``): its model,
target weight, weight before and after, drift after against its band (out of band marked), active
share to its model before and after, what it bought, sold and moved without a trade, and the tax
cost of its sells.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from sma.reporting._format import money

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
    return (
        f'<section id="sleeves"><h2>UMA sleeves <span class="badge">{len(rows)}</span></h2>'
        f'<p class="note">{out_of_band} sleeve(s) outside their drift band after tonight. Drift is '
        "the sleeve's weight of the account minus its target weight; active share is half the sum "
        "of |the sleeve's weight in a symbol - its model's|.</p>"
        f'<div class="scroll"><table id="sleeve-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )
