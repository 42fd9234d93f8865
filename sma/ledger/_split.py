"""Splits on a whole book of lots at once (stock dividends are splits too).

A split multiplies each lot's shares by the ratio (new shares per old) and keeps its total basis
and its dates (IRS Publication 550, "Stock splits": the basis of the old shares is spread over
the new). ``Ledger.split`` applies the same rule to a ledger's open lots.
"""

from __future__ import annotations

from datetime import date

import pandas as pd


def apply_splits(
    lots: pd.DataFrame, actions: pd.DataFrame, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lots after every SPLIT going ex on ``as_of``, and the splits applied (symbol, ratio).

    Parameters
    ----------
    lots : frame with at least ``symbol, quantity`` (shares); other columns are kept as they are
    actions : the inbox ``corporate_actions`` (symbol, ex_date, kind, ratio)
    as_of : the night's date; several splits of one symbol that day multiply
    """
    today = actions[
        (pd.to_datetime(actions["ex_date"]).dt.date == as_of) & (actions["kind"] == "SPLIT")
    ]
    ratio = today.groupby("symbol")["ratio"].prod()
    if ratio.empty:
        return lots, today[["symbol", "ratio"]]
    factor = lots["symbol"].map(ratio).fillna(1.0).to_numpy(float)
    return lots.assign(quantity=lots["quantity"].to_numpy(float) * factor), today[
        ["symbol", "ratio"]
    ]
