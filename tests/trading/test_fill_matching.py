"""Fills against the released blotter (issue 5, "sma fills load"): partial fills, duplicates,
unmatched rows, and every account at the block's average price."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trading_samples import BUY_AAPL, SELL_XOM, blotter, fills

from sma.trading import FillsRejected, empty_booked, match_fills


def open_of(match, allocation_id: str) -> float:
    return float(match.open_allocations.set_index("allocation_id").loc[allocation_id, "open"])


def test_a_complete_set_of_fills_leaves_nothing_open():
    f = fills(
        (BUY_AAPL, "A1", "AAPL", "BUY", 10, 201.0, None),
        (BUY_AAPL, "A2", "AAPL", "BUY", 30, 201.0, None),
        (SELL_XOM, "A1", "XOM", "SELL", 2, 99.0, "L1"),
        (SELL_XOM, "A1", "XOM", "SELL", 3, 99.0, "L2"),
        (SELL_XOM, "A3", "XOM", "SELL", 7, 99.0, "L9"),
    )
    m = match_fills(f, blotter(), empty_booked())
    assert len(m.new) == 5 and m.duplicates == 0
    assert m.open_allocations["open"].eq(0).all() and m.open_lots["open"].eq(0).all()


def test_partial_fills_leave_the_right_open_quantity_per_allocation_and_lot():
    """Issue 5: partial fills report unfilled quantity."""
    f = fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None), (SELL_XOM, "A1", "XOM", "SELL", 1, 99.0, "L2"))
    m = match_fills(f, blotter(), empty_booked())
    assert open_of(m, f"{BUY_AAPL}-0001") == 10.0
    assert open_of(m, f"{BUY_AAPL}-0002") == 18.0
    assert open_of(m, f"{SELL_XOM}-0001") == 4.0
    lots = m.open_lots.set_index("lot_id")["open"].to_dict()
    assert lots == {"L1": 2.0, "L2": 2.0, "L9": 7.0}


def test_every_account_is_booked_at_the_blocks_average_price():
    """Issue 5: every account gets the block's average price (share-weighted)."""
    f = fills((BUY_AAPL, "A1", "AAPL", "BUY", 10, 200.0, None), (BUY_AAPL, "A2", "AAPL", "BUY", 30, 204.0, None))
    m = match_fills(f, blotter(), empty_booked())
    assert m.new["price"].tolist() == [203.0, 203.0]
    assert m.new["fill_price"].tolist() == [200.0, 204.0]
    assert (m.new["quantity"] * m.new["price"]).sum() == (m.new["quantity"] * m.new["fill_price"]).sum()


def test_loading_the_same_fills_twice_books_nothing_the_second_time():
    f = fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None), (BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None))
    first = match_fills(f, blotter(), empty_booked())
    assert len(first.new) == 2  # two identical partial fills in one file are two fills
    second = match_fills(f, blotter(), first.new)
    assert len(second.new) == 0 and second.duplicates == 2
    assert open_of(second, f"{BUY_AAPL}-0002") == 6.0


@pytest.mark.parametrize(
    ("row", "column", "why"),
    [
        (("2026-11-25-BUY-TSLA", "A1", "TSLA", "BUY", 1, 10.0, None), "order_id", "no released order"),
        ((BUY_AAPL, "A3", "AAPL", "BUY", 1, 10.0, None), "account_id", "no allocation"),
        ((BUY_AAPL, "A1", "MSFT", "BUY", 1, 10.0, None), "symbol", "is for AAPL"),
        ((BUY_AAPL, "A1", "AAPL", "SELL", 1, 10.0, None), "side", "is a BUY"),
        ((SELL_XOM, "A1", "XOM", "SELL", 1, 10.0, "L9"), "lot_id", "instructed"),
        ((SELL_XOM, "A1", "XOM", "SELL", 1, 10.0, None), "lot_id", "(blank)"),
        ((BUY_AAPL, "A1", "AAPL", "BUY", 1, 10.0, "L1"), "lot_id", "must be blank"),
        ((BUY_AAPL, "A1", "AAPL", "BUY", 0, 10.0, None), "quantity", "positive"),
        ((BUY_AAPL, "A1", "AAPL", "BUY", 1, -1.0, None), "price", "positive"),
        ((BUY_AAPL, "A1", "AAPL", "BUY", 11, 10.0, None), "quantity", "released 10"),
        ((SELL_XOM, "A1", "XOM", "SELL", 3, 10.0, "L1"), "quantity", "instructed 2"),
    ],
)
def test_a_fill_that_does_not_match_the_release_is_rejected_naming_row_and_column(row, column, why):
    """Issue 5: fills that do not match a released order are rejected with a clear error;
    fills relieve exactly the instructed lots (PRODUCT.md, lot relief)."""
    good = (BUY_AAPL, "A2", "AAPL", "BUY", 1, 200.0, None)
    with pytest.raises(FillsRejected) as e:
        match_fills(fills(good, row), blotter(), empty_booked(), source="fills.csv")
    assert [(p.row, p.column) for p in e.value.problems] == [(2, column)]
    assert why in e.value.problems[0].why
    assert "fills.csv: row 2" in str(e.value)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 6)), max_size=6))
def test_filled_plus_open_is_always_the_released_quantity(parts):
    """Invariant: shares are conserved through partial fills, loaded in any number of batches."""
    b = blotter()
    booked = empty_booked()
    for who, q in parts:
        account = ("A1", "A2")[who]
        try:
            booked = pd.concat([booked, match_fills(fills((BUY_AAPL, account, "AAPL", "BUY", q, 200.0 + q, None)), b, booked).new])
        except FillsRejected:
            continue  # would overfill: refused, nothing booked
    m = match_fills(fills(), b, booked)
    assert (m.open_allocations["filled"] + m.open_allocations["open"]).tolist() == m.open_allocations["ordered"].tolist()
    assert (m.open_allocations["open"] >= 0).all()
    assert m.open_allocations["filled"].sum() == booked["quantity"].sum()
