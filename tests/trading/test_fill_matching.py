"""Fills against the released blotter (issue 5, "sma fills load"): partial fills, duplicates,
unmatched rows, and every account at the block's average price."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trading_samples import BUY_AAPL, SELL_XOM, blotter, fills

from sma.trading import Blotter, FillLimits, FillsRejected, empty_booked, match_fills


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
    f = fills(
        (BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None),
        (SELL_XOM, "A1", "XOM", "SELL", 1, 99.0, "L2"),
    )
    m = match_fills(f, blotter(), empty_booked())
    assert open_of(m, f"{BUY_AAPL}-0001") == 10.0
    assert open_of(m, f"{BUY_AAPL}-0002") == 18.0
    assert open_of(m, f"{SELL_XOM}-0001") == 4.0
    lots = m.open_lots.set_index("lot_id")["open"].to_dict()
    assert lots == {"L1": 2.0, "L2": 2.0, "L9": 7.0}


def test_every_account_is_booked_at_the_blocks_average_price():
    """Issue 5: every account gets the block's average price (share-weighted)."""
    f = fills(
        (BUY_AAPL, "A1", "AAPL", "BUY", 10, 200.0, None),
        (BUY_AAPL, "A2", "AAPL", "BUY", 30, 204.0, None),
    )
    m = match_fills(f, blotter(), empty_booked())
    assert m.new["price"].tolist() == [203.0, 203.0]
    assert m.new["fill_price"].tolist() == [200.0, 204.0]
    assert (m.new["quantity"] * m.new["price"]).sum() == (
        m.new["quantity"] * m.new["fill_price"]
    ).sum()


def test_loading_the_same_fills_twice_books_nothing_the_second_time():
    f = fills(
        (BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None),
        (BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None),
    )
    first = match_fills(f, blotter(), empty_booked())
    assert len(first.new) == 2  # two identical partial fills in one file are two executions
    second = match_fills(f, blotter(), first.new)
    assert len(second.new) == 0 and second.duplicates == 2
    assert open_of(second, f"{BUY_AAPL}-0002") == 6.0


@pytest.mark.parametrize(
    ("row", "column", "why", "rule"),
    [
        (
            ("2026-11-25-BUY-TSLA", "A1", "TSLA", "BUY", 1, 200.0, None),
            "order_id",
            "no released order",
            "released_order",
        ),
        (
            (BUY_AAPL, "A3", "AAPL", "BUY", 1, 200.0, None),
            "account_id",
            "no allocation",
            "allocation",
        ),
        ((BUY_AAPL, "A1", "MSFT", "BUY", 1, 200.0, None), "symbol", "is for AAPL", "symbol"),
        ((BUY_AAPL, "A1", "AAPL", "SELL", 1, 200.0, None), "side", "is a BUY", "side"),
        ((SELL_XOM, "A1", "XOM", "SELL", 1, 100.0, "L9"), "lot_id", "instructed", "instructed_lot"),
        ((SELL_XOM, "A1", "XOM", "SELL", 1, 100.0, None), "lot_id", "(blank)", "instructed_lot"),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1, 200.0, "L1"),
            "lot_id",
            "must be blank",
            "instructed_lot",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 0, 200.0, None),
            "quantity",
            "positive",
            "positive_quantity",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", float("nan"), 200.0, None),
            "quantity",
            "positive",
            "positive_quantity",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 0.5, 200.0, None),
            "quantity",
            "whole number of shares",
            "whole_shares",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1e-12, 200.0, None),
            "quantity",
            "whole number of shares",
            "whole_shares",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1e17, 200.0, None),
            "quantity",
            "released 10",
            "open_quantity",
        ),
        ((BUY_AAPL, "A1", "AAPL", "BUY", 1, -1.0, None), "price", "positive", "positive_price"),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1, float("inf"), None),
            "price",
            "positive",
            "positive_price",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1, 999_999.0, None),
            "price",
            "more than 10% from the order's reference price 200",
            "price_collar",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 1, 0.001, None),
            "price",
            "reference price",
            "price_collar",
        ),
        (
            (BUY_AAPL, "A1", "AAPL", "BUY", 11, 200.0, None),
            "quantity",
            "released 10",
            "open_quantity",
        ),
        (
            (SELL_XOM, "A1", "XOM", "SELL", 3, 100.0, "L1"),
            "quantity",
            "instructed 2",
            "open_quantity",
        ),
    ],
)
def test_a_fill_that_does_not_match_the_release_is_refused_naming_row_column_and_rule(
    row, column, why, rule
):
    """Issue 5: fills that do not match a released order are rejected with a clear error;
    fills relieve exactly the instructed lots (PRODUCT.md, lot relief). Issue 14, defect 6: a
    quantity is whole shares, not beyond the allocation; a price is positive and inside the
    collar."""
    good = (BUY_AAPL, "A2", "AAPL", "BUY", 1, 200.0, None)
    with pytest.raises(FillsRejected) as e:
        match_fills(fills(good, row), blotter(), empty_booked(), source="fills.csv")
    assert [(p.row, p.column, p.rule) for p in e.value.problems] == [(2, column, rule)]
    assert why in e.value.problems[0].why
    assert "fills.csv: row 2" in str(e.value) and f"[rule {rule}]" in str(e.value)


def test_the_price_collar_is_a_limit_the_firm_sets():
    """Issue 14, defect 6: 215 is 7.5 % above AAPL's 200 reference: inside the default 10 %
    collar, outside a 5 % one."""
    f = fills((BUY_AAPL, "A1", "AAPL", "BUY", 1, 215.0, None))
    assert len(match_fills(f, blotter(), empty_booked()).new) == 1
    with pytest.raises(FillsRejected, match="price_collar"):
        match_fills(f, blotter(), empty_booked(), limits=FillLimits(price_collar=0.05))


def test_a_fractional_allocation_takes_its_own_fraction_and_no_other():
    """Issue 14, defect 6: half a share fills only an allocation that is itself fractional."""
    whole = blotter()
    allocations = whole.allocations.assign(
        quantity=whole.allocations["quantity"].where(whole.allocations["account_id"] != "A2", 30.5)
    )
    b = Blotter(whole.orders, allocations, whole.lot_instructions)
    ok = match_fills(
        fills(
            (BUY_AAPL, "A2", "AAPL", "BUY", 10.5, 200.0, None),
            (BUY_AAPL, "A2", "AAPL", "BUY", 20, 200.0, None),
        ),
        b,
        empty_booked(),
    )
    assert ok.open_allocations.set_index("account_id").loc["A2", "open"] == 0.0
    with pytest.raises(FillsRejected, match="whole_shares"):
        match_fills(fills((BUY_AAPL, "A2", "AAPL", "BUY", 10.25, 200.0, None)), b, empty_booked())


def test_a_replayed_execution_is_skipped_and_a_new_identical_execution_is_booked():
    """Issue 14, defect 5: fills are one broker execution each (FIX ExecID): the same exec_id
    again is a replay, a new exec_id with the same fields is a second, real partial fill."""
    first = match_fills(
        fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None)), blotter(), empty_booked()
    )
    replay = match_fills(
        fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None)), blotter(), first.new
    )
    assert replay.new.empty and replay.duplicates == 1
    again = match_fills(
        fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None), first_exec=2), blotter(), first.new
    )
    assert again.new["exec_id"].tolist() == ["X2"] and again.duplicates == 0
    assert open_of(again, f"{BUY_AAPL}-0002") == 6.0


def test_an_exec_id_twice_in_a_file_or_booked_before_with_other_fields_is_refused():
    """Issue 14: one row per execution; a resend that changes an execution is not a replay."""
    twice = fills(
        (BUY_AAPL, "A2", "AAPL", "BUY", 1, 200.0, None),
        (BUY_AAPL, "A2", "AAPL", "BUY", 1, 200.0, None),
    )
    twice["exec_id"] = "X1"
    with pytest.raises(FillsRejected) as e:
        match_fills(twice, blotter(), empty_booked())
    assert [(p.row, p.column, p.rule) for p in e.value.problems] == [
        (2, "exec_id", "unique_execution")
    ]
    first = match_fills(
        fills((BUY_AAPL, "A2", "AAPL", "BUY", 12, 200.0, None)), blotter(), empty_booked()
    )
    with pytest.raises(FillsRejected, match="booked before with other fields"):
        match_fills(fills((BUY_AAPL, "A2", "AAPL", "BUY", 13, 200.0, None)), blotter(), first.new)


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 6)), max_size=6))
def test_filled_plus_open_is_always_the_released_quantity(parts):
    """Invariant: shares are conserved through partial fills, loaded in any number of batches."""
    b = blotter()
    booked = empty_booked()
    for n, (who, q) in enumerate(parts):
        account = ("A1", "A2")[who]
        try:
            booked = pd.concat(
                [
                    booked,
                    match_fills(
                        fills((BUY_AAPL, account, "AAPL", "BUY", q, 200.0 + q, None), first_exec=n),
                        b,
                        booked,
                    ).new,
                ]
            )
        except FillsRejected:
            continue  # would overfill: refused, nothing booked
    m = match_fills(fills(), b, booked)
    assert (
        m.open_allocations["filled"] + m.open_allocations["open"]
    ).tolist() == m.open_allocations["ordered"].tolist()
    assert (m.open_allocations["open"] >= 0).all()
    assert m.open_allocations["filled"].sum() == booked["quantity"].sum()
