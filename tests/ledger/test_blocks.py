"""Wash-sale blocks for the engine (PRODUCT.md "Tax rules": never buy what the household sold at a
loss in the last 30 days, never sell at a loss what it bought in the last 30 days; IRS Publication
550 "Wash Sales", window of 30 days before and after; Rev. Rul. 2008-5 for IRA purchases)."""

from __future__ import annotations

import pandas as pd

from sma.ledger import wash_sale_blocks
from sma.ledger._blocks import BLOCK_COLUMNS


def trades(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "household_id",
            "trade_date",
            "symbol",
            "side",
            "quantity",
            "price",
            "realized_gain",
        ],
    )


def blocks(frame: pd.DataFrame, as_of: str = "2026-03-31", groups=None) -> dict:
    out = wash_sale_blocks(frame, groups, as_of)
    assert list(out.columns) == BLOCK_COLUMNS
    return {
        (r.household_id, r.identical_group): (r.buy_blocked, r.loss_sale_blocked)
        for r in out.itertuples()
    }


def test_loss_sale_30_days_ago_blocks_buying_in_every_account_of_the_household_and_31_days_does_not():
    """Pub. 550: a buy within 30 days after a loss sale is a replacement (inclusive window)."""
    frame = trades(
        ("A", "H", "2026-03-01", "X", "SELL", 10, 50.0, -100.0),  # 30 days before 2026-03-31
        ("A", "H", "2026-02-28", "Y", "SELL", 10, 50.0, -100.0),  # 31 days before
    )
    assert blocks(frame) == {("H", "X"): (True, False)}


def test_gain_sale_blocks_nothing():
    """Pub. 550: wash-sale rules concern losses only."""
    assert blocks(trades(("A", "H", "2026-03-20", "X", "SELL", 10, 50.0, 250.0))) == {}


def test_purchase_in_the_last_30_days_blocks_a_loss_sale_in_the_household():
    """Pub. 550: a loss sale within 30 days after a purchase (here in the IRA, Rev. Rul. 2008-5) is
    washed."""
    frame = trades(("IRA", "H", "2026-03-10", "X", "BUY", 10, 50.0, None))
    assert blocks(frame) == {("H", "X"): (False, True)}


def test_blocks_follow_the_identical_group_and_stay_within_the_household():
    """Pub. 550: substantially identical stock; the rule reaches the household (PRODUCT.md), no
    further."""
    frame = trades(
        ("A", "H", "2026-03-20", "GOOGL", "SELL", 10, 50.0, -10.0),
        ("C", "H2", "2026-03-21", "MSFT", "BUY", 10, 50.0, None),
    )
    assert blocks(frame, groups={"GOOGL": "GOOG_CLASSES", "GOOG": "GOOG_CLASSES"}) == {
        ("H", "GOOG_CLASSES"): (True, False),
        ("H2", "MSFT"): (False, True),
    }


def test_trades_after_the_as_of_date_are_ignored():
    """The blocks are as of the trade date decided; later trades cannot have happened yet."""
    assert blocks(trades(("A", "H", "2026-04-01", "X", "SELL", 10, 50.0, -10.0))) == {}
