"""Reconciliation of our lots against the custodian's positions (PRODUCT.md, the nightly flow:
an account whose lots do not add up to the custodian's shares is held out)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from sma.ledger import reconcile


def frame(rows: list[tuple], arrow: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["account_id", "symbol", "quantity"]).astype(
        {"quantity": float}
    )
    if (
        arrow
    ):  # as a shard's Parquet file reads back: Arrow-backed text, possibly with no chunks at all
        text = pd.ArrowDtype(pa.string())
        df = df.astype({"account_id": text, "symbol": text})
    return df


def test_a_position_whose_lots_differ_from_the_custodian_breaks_and_one_on_a_single_side_counts_as_zero():
    lots = frame([("A1", "AAPL", 60), ("A1", "AAPL", 40), ("A1", "XOM", 5)])
    custodian = frame([("A1", "AAPL", 100), ("A1", "MSFT", 3)])
    breaks = reconcile(lots, custodian, tolerance=1e-6)
    assert breaks[["symbol", "lots", "custodian"]].values.tolist() == [
        ["MSFT", 0.0, 3.0],
        ["XOM", 5.0, 0.0],
    ]


def test_a_shard_whose_accounts_hold_no_lots_reconciles_instead_of_crashing():
    """A 40-account book (seed 3) had a shard of cash-only accounts: its empty Arrow-backed lots
    made the join fail with ArrowInvalid and the whole night stopped."""
    empty = frame([], arrow=True)
    assert reconcile(empty, frame([], arrow=True), tolerance=1e-6).empty
    breaks = reconcile(empty, frame([("A7", "AAPL", 2)], arrow=True), tolerance=1e-6)
    assert breaks[["account_id", "symbol", "lots", "custodian"]].values.tolist() == [
        ["A7", "AAPL", 0.0, 2.0]
    ]
