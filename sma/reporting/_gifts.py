"""Charitable gifts on the statement (issue 21): what was given, and the tax the client avoided.

Giving appreciated stock held more than a year deducts its fair market value and never realizes
its gain (IRS Publication 526, "Giving Property That Has Increased in Value"): the gain the lots
carried is a gain the client avoided realizing, worth that gain at the long-term rate.
"""

from __future__ import annotations

import pandas as pd

#: The delivered lots a statement is handed (``gifts_delivered`` of the account and period; not
#: ``sma.ledger.GIFT_LOT_COLUMNS``, the lots the night chooses).
DELIVERED_GIFT_COLUMNS = [
    "date",
    "request_id",
    "charity",
    "symbol",
    "quantity",
    "market_value",
    "unrealized_gain",
]
#: One line per gift on the statement.
GIFT_LINE_COLUMNS = ["date", "charity", "securities", "value", "gain_avoided", "tax_avoided"]


def gift_lines(gifts: pd.DataFrame, lt_tax_rate: float) -> pd.DataFrame:
    """One line per gift: its date, charity, the securities given, their value and the gain and
    tax the client avoided.

    Parameters
    ----------
    gifts : DataFrame
        ``DELIVERED_GIFT_COLUMNS``, one row per lot delivered (USD; ``quantity`` in shares).
    lt_tax_rate : float
        The account's long-term rate on file (fraction; 0 for a tax-deferred account).

    Returns
    -------
    DataFrame
        ``GIFT_LINE_COLUMNS`` by date and request: ``securities`` as "AAPL 10, MSFT 5" (shares
        summed per symbol), ``value`` and ``gain_avoided`` summed (USD), ``tax_avoided`` =
        ``gain_avoided`` x ``lt_tax_rate`` rounded to cents.
    """
    if gifts is None or not len(gifts):
        return pd.DataFrame(columns=GIFT_LINE_COLUMNS)
    per_symbol = gifts.groupby(["date", "request_id", "charity", "symbol"], as_index=False).agg(
        quantity=("quantity", "sum"),
        market_value=("market_value", "sum"),
        unrealized_gain=("unrealized_gain", "sum"),
    )
    per_symbol["text"] = (
        per_symbol["symbol"].astype(str)
        + " "
        + per_symbol["quantity"].map(lambda q: f"{q:,.3f}".rstrip("0").rstrip("."))
    )
    lines = per_symbol.groupby(["date", "request_id", "charity"], as_index=False).agg(
        securities=("text", ", ".join),
        value=("market_value", "sum"),
        gain_avoided=("unrealized_gain", "sum"),
    )
    lines["value"] = lines["value"].astype(float).round(2)
    lines["gain_avoided"] = lines["gain_avoided"].astype(float).round(2)
    lines["tax_avoided"] = (lines["gain_avoided"] * float(lt_tax_rate)).round(2)
    return lines.sort_values(["date", "request_id"], kind="stable")[GIFT_LINE_COLUMNS].reset_index(
        drop=True
    )
