"""Fractional shares from proposal to fills (issue 17): a fractional-shares account's orders
reach the blotter, the CSVs and FIX 4.4 (Qty is a float field, FIX 4.4 Volume 1, "Data Types")
with the custodian's decimals and no float noise; its fills may be fractions to those decimals,
while a whole-share account's may not."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import simplefix
from trading_samples import BUY_AAPL, exceptions, fills, lot_sells, trades

from sma.trading import (
    FillLimits,
    FillsRejected,
    ProposalError,
    allocations_csv,
    build_blotter,
    desk_csv,
    empty_booked,
    fix_messages,
    match_fills,
)

AT = datetime(2026, 11, 26, 14, 30, 5, 123000, tzinfo=UTC)


def fractional_trades() -> pd.DataFrame:
    """A1 buys 0.1 and A2 0.2 share of AAPL (0.30000000000000004 when added as floats)."""
    t = trades()
    t.loc[0:1, "quantity"] = [0.1, 0.2]
    t["notional"] = t["quantity"] * t["price"]
    t["fractional_shares"] = t["account_id"].isin(["A1", "A2"])
    return t


def test_a_whole_share_account_may_not_propose_a_fraction():
    t = fractional_trades().assign(fractional_shares=False)
    with pytest.raises(ProposalError, match="does not allow fractional shares"):
        build_blotter(t, lot_sells(), exceptions())


def test_fractional_orders_reach_the_block_without_float_noise():
    b = build_blotter(fractional_trades(), lot_sells(), exceptions())
    block = b.orders.set_index("order_id").loc[BUY_AAPL]
    assert block["quantity"] == 0.3
    assert "0.30000000000000004" not in desk_csv(b)
    assert f"{BUY_AAPL},AAPL,BUY,0.3," in desk_csv(b)
    assert ",A1,AAPL,BUY,0.1," in allocations_csv(b)


def test_fix_order_qty_carries_the_decimals_and_parses_back():
    b = build_blotter(fractional_trades(), lot_sells(), exceptions())
    raw = b"".join(fix_messages(b, AT))
    assert b"38=0.3\x01" in raw and b"53=0.3\x01" in raw
    assert b"80=0.1\x01" in raw and b"80=0.2\x01" in raw
    assert b"0.30000000000000004" not in raw
    parser = simplefix.FixParser()
    parser.append_buffer(raw)
    orders = []
    while (m := parser.get_message()) is not None:
        if m.get(35) == b"D":
            orders.append(float(m.get(38)))
    assert sorted(orders) == sorted(b.orders["quantity"].tolist())


def test_a_fractional_account_books_fractional_fills_to_the_custodians_decimals():
    b = build_blotter(fractional_trades(), lot_sells(), exceptions())
    f = fills(
        (BUY_AAPL, "A1", "AAPL", "BUY", 0.1, 201.0, None),
        (BUY_AAPL, "A2", "AAPL", "BUY", 0.125, 201.0, None),
    )
    m = match_fills(f, b, empty_booked(), fractional=frozenset({"A1", "A2"}))
    assert m.new["quantity"].tolist() == [0.1, 0.125]
    too_fine = fills((BUY_AAPL, "A2", "AAPL", "BUY", 0.0125, 201.0, None), first_exec=9)
    with pytest.raises(FillsRejected) as caught:
        match_fills(too_fine, b, empty_booked(), fractional=frozenset({"A1", "A2"}))
    assert [(p.row, p.column, p.rule) for p in caught.value.problems] == [
        (1, "quantity", "fractional_decimals")
    ]
    four = FillLimits(fractional_decimals=4)
    m = match_fills(too_fine, b, empty_booked(), limits=four, fractional=frozenset({"A2"}))
    assert m.new["quantity"].tolist() == [0.0125]


def test_a_whole_share_account_refuses_a_fractional_fill_saying_why():
    b = build_blotter(fractional_trades(), lot_sells(), exceptions())
    f = fills((BUY_AAPL, "A2", "AAPL", "BUY", 0.125, 201.0, None))
    with pytest.raises(FillsRejected) as caught:
        match_fills(f, b, empty_booked(), fractional=frozenset({"A1"}))
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.rule) == (1, "quantity", "whole_shares")
    assert "does not allow fractional shares" in problem.why
