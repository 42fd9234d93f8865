"""Stock splits and stock dividends (PRODUCT.md "Tax rules": a split multiplies lot quantities by
the
ratio and keeps total basis and dates; IRS Publication 550, "Stock Splits" and "Stock Dividends":
the basis of the old stock is spread over the old and new shares, holding period unchanged)."""

from __future__ import annotations

import pandas as pd
import pytest

from sma.ledger import Ledger
from sma.ledger._errors import InvalidTradeError

ACCOUNTS = pd.DataFrame(
    {"account_id": ["A", "B"], "household_id": ["H", "H"], "account_type": ["TAXABLE", "TAXABLE"]}
)


def two_accounts() -> Ledger:
    ledger = Ledger(ACCOUNTS)
    ledger.buy("A", "X", "A1", 10, 1000_00, "2024-03-01")
    ledger.buy("A", "X", "A2", 5, 600_00, "2025-07-01")
    ledger.buy("B", "X", "B1", 3, 330_00, "2025-08-01")
    ledger.buy("A", "Y", "Y1", 7, 70_00, "2025-08-01")
    return ledger


def test_split_multiplies_each_lots_shares_and_keeps_basis_and_dates():
    """Pub. 550 "Stock Splits": no gain or loss; basis spread over the new shares; dates kept."""
    ledger = two_accounts()
    before = ledger.open_lots()
    ledger.split("X", 2.0)
    after = ledger.open_lots()
    is_x = after["symbol"] == "X"
    assert after.loc[is_x, "quantity"].tolist() == [20.0, 10.0, 6.0]
    assert after["cost_basis_cents"].tolist() == before["cost_basis_cents"].tolist()
    assert after["adjusted_acquired_date"].tolist() == before["adjusted_acquired_date"].tolist()
    assert after.loc[~is_x, "quantity"].tolist() == [7.0]


def test_stock_dividend_is_a_split_by_its_ratio():
    """Pub. 550 "Stock Dividends": a 5 % stock dividend is 1.05 new shares per old, basis kept."""
    ledger = two_accounts()
    ledger.split("X", 1.05, account_id="B")
    lots = ledger.open_lots().set_index("lot_id")
    assert lots.loc["B1", "quantity"] == pytest.approx(3.15)
    assert lots.loc["A1", "quantity"] == 10.0


def test_sale_after_a_split_relieves_post_split_shares_at_the_split_basis():
    """Pub. 550 "Stock Splits": after a 3-for-2 split, 15 shares carry the basis of the old 10."""
    ledger = Ledger(ACCOUNTS)
    ledger.buy("A", "X", "L", 10, 1500_00, "2024-01-02")
    ledger.split("X", 1.5)
    ledger.sell("A", "X", 15, 1800_00, "2026-01-05")
    sale = ledger.realized().iloc[0]
    assert (sale["quantity"], sale["cost_basis_cents"], sale["gain_cents"], sale["term"]) == (
        15.0,
        1500_00,
        300_00,
        "LONG",
    )


def test_split_ratio_must_be_positive():
    """PRODUCT.md inbox contract: ratio is new shares per old share, a positive number."""
    with pytest.raises(InvalidTradeError):
        two_accounts().split("X", 0.0)
