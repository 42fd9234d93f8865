"""Reconciliation: do the lots add up to what the custodian says each account holds?

The custodian's positions are the record of what an account owns; the lots are ours. Where they
disagree by more than a tolerance, the lots cannot be trusted to name what a sale relieves, so the
account is held out of trading that night (PRODUCT.md, "The nightly run", step 3: a break holds
the account) until operations fix the input.
"""

from __future__ import annotations

import pandas as pd

#: ``reconcile`` returns one row per break: the lots' shares against the custodian's.
BREAK_COLUMNS = ["account_id", "symbol", "lots", "custodian"]
#: ``reconciliation_holds`` returns one exception per account held: kind RECONCILIATION, reason in
#: words.
HOLD_COLUMNS = ["account_id", "kind", "reason"]


def reconcile(lots: pd.DataFrame, positions: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Positions where the lots do not add up to the custodian's quantity (``BREAK_COLUMNS``).

    Parameters
    ----------
    lots : DataFrame -- ``account_id, symbol, quantity`` (shares), one row per lot
    positions : DataFrame -- ``account_id, symbol, quantity`` (shares), the custodian's view
    tolerance : float -- shares; a difference above it is a break (a position on one side only
    counts as 0 on the other)

    Returns
    -------
    DataFrame, one row per (account_id, symbol) that breaks, sorted by account and symbol.
    """
    # Keys as plain objects when a side is empty: an empty Arrow-backed column (a shard whose
    # accounts hold no lots) has no chunks, and pandas cannot join on it. Otherwise grouped on the
    # text columns as read (Arrow strings): casting 350,000 lots' ids to Python objects first cost
    # twice the grouping itself (issue 23); the sums are the same.
    plain = not (len(lots) and len(positions))
    ours = _summed(lots, "lots", plain)
    theirs = _summed(positions, "custodian", plain)
    both = ours.merge(theirs, on=["account_id", "symbol"], how="outer").fillna(
        {"lots": 0.0, "custodian": 0.0}
    )
    return both[(both["lots"] - both["custodian"]).abs() > tolerance][BREAK_COLUMNS].reset_index(
        drop=True
    )


def _summed(frame: pd.DataFrame, name: str, plain: bool) -> pd.DataFrame:
    """Shares per (account_id, symbol) of ``frame``, in a column ``name``, sorted by the keys;
    ``plain``: the keys cast to Python objects first."""
    if plain:
        frame = frame.astype({"account_id": object, "symbol": object})
    return (
        frame.groupby(["account_id", "symbol"], as_index=False)["quantity"]
        .sum()
        .rename(columns={"quantity": name})
    )


def reconciliation_holds(breaks: pd.DataFrame) -> pd.DataFrame:
    """One exception per account with a break (``HOLD_COLUMNS``): the account is held tonight.

    The reason names the account's first break:
    ``reconciliation break: XOM lots 100 vs custodian 90``.
    """
    if breaks.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in HOLD_COLUMNS})
    why = (
        "reconciliation break: "
        + breaks["symbol"]
        + " lots "
        + breaks["lots"].map("{:g}".format)
        + " vs custodian "
        + breaks["custodian"].map("{:g}".format)
    )
    first = pd.DataFrame(
        {"account_id": breaks["account_id"], "kind": "RECONCILIATION", "reason": why}
    )
    return first.groupby("account_id", as_index=False).first()
