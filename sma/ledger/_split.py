"""Splits and the other corporate actions on a whole book of lots at once (stock dividends are
splits too).

A split multiplies each lot's shares by the ratio (new shares per old) and keeps its total basis
and its dates (IRS Publication 550, "Stock splits": the basis of the old shares is spread over
the new). ``Ledger.split`` applies the same rule to a ledger's open lots.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.ledger._corporate import CorporateAction
from sma.ledger._ledger import Ledger
from sma.ledger._money import usd_to_cents


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


_NOT_SPLIT = "SPLIT"


def apply_corporate_actions(
    lots: pd.DataFrame, actions: pd.DataFrame, as_of: date, accounts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lots after every corporate action going ex on ``as_of``, and the realized rows they book.

    Splits are applied as by ``apply_splits``; every other action (the inbox ``corporate_actions``
    kinds, fields as ``CORPORATE_ACTION_FIELDS``) goes lot by lot through the ledger
    (``Ledger.corporate_action``), so the night, the fills loader and ``sma ledger replay`` share
    one set of rules. Lots of symbols no action names are returned as they are.

    Parameters
    ----------
    lots : DataFrame
        ``account_id, lot_id, symbol, quantity, cost_basis`` (USD), ``acquired_date,
        adjusted_acquired_date``; other columns are carried to the lots descending from each lot.
    actions : DataFrame
        The inbox ``corporate_actions``: ``symbol, ex_date, kind, ratio`` and, as the kind needs,
        ``account_id, new_symbol, basis_fraction, cash_per_share, new_share_price,
        amount_per_share, cash_in_lieu_price, price`` (MERGER_CASH's cash per share).
    as_of : date
        The night; only actions going ex that day apply, in (symbol, kind) order.
    accounts : DataFrame
        ``account_id, household_id, account_type`` of every account in ``lots``.

    Returns
    -------
    (lots, realized) : the lots as after the actions (same columns; ``cost_basis`` float USD for
    the lots an action touched) and the realized rows (``Ledger.realized`` columns, cents).
    """
    lots, _ = apply_splits(lots, actions, as_of)
    today = actions[
        (pd.to_datetime(actions["ex_date"]).dt.date == as_of) & (actions["kind"] != _NOT_SPLIT)
    ].sort_values(["symbol", "kind"], kind="stable")
    ledger = Ledger(accounts)
    if today.empty:
        return lots, ledger.realized()
    touched = lots["symbol"].isin(today["symbol"]).to_numpy()
    mine = lots[touched]
    ledger.add_lots(mine.assign(cost_basis_cents=[usd_to_cents(v) for v in mine["cost_basis"]]))

    for row in today.to_dict("records"):
        ledger.corporate_action(
            CorporateAction.from_row(
                str(row["kind"]), str(row["symbol"]), np.datetime64(as_of, "D"), row, "price"
            )
        )
    after = ledger.open_lots()
    extras = [c for c in lots.columns if c not in after.columns and c != "cost_basis"]
    carried = after.merge(
        mine[["account_id", "lot_id", *extras]].drop_duplicates(["account_id", "lot_id"]),
        on=["account_id", "lot_id"],
        how="left",
    ).assign(cost_basis=after["cost_basis_cents"].to_numpy(np.int64) / 100.0)
    out = pd.concat([lots[~touched], carried[list(lots.columns)]], ignore_index=True)
    return out, ledger.realized()
