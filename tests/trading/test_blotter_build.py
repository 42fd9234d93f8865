"""Block orders and allocations (PRODUCT.md step 7; issue 5 "The blotter for a run")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from trading_samples import BUY_AAPL, RUN, SELL_XOM, exceptions, lot_sells, trades

from sma.trading import (
    Blotter,
    ContentDigest,
    ProposalError,
    build_blotter,
    content_hash,
    shrink_orders,
    without_accounts,
)
from sma.trading._blotter import ALLOCATION_COLUMNS, hold_out
from tests.example_counts import property_examples


def test_trades_are_aggregated_per_symbol_and_side_into_block_orders():
    """PRODUCT.md step 7: one block order per security and side."""
    b = build_blotter(trades(), lot_sells(), exceptions())
    orders = b.orders.set_index("order_id")
    assert list(orders.index) == [BUY_AAPL, SELL_XOM]
    assert orders.loc[BUY_AAPL, "quantity"] == 40.0
    assert orders.loc[SELL_XOM, "quantity"] == 12.0
    assert orders.loc[BUY_AAPL, "notional"] == 8000.0
    assert list(orders["n_allocations"]) == [2, 2]


def test_each_account_gets_one_allocation_with_its_pro_rata_share():
    """Issue 5: allocations pro rata, decided before release."""
    a = build_blotter(trades(), lot_sells(), exceptions()).allocations.set_index("allocation_id")
    assert a.loc[f"{BUY_AAPL}-0001", ["account_id", "quantity", "ratio"]].tolist() == [
        "A1",
        10.0,
        0.25,
    ]
    assert a.loc[f"{BUY_AAPL}-0002", ["account_id", "quantity", "ratio"]].tolist() == [
        "A2",
        30.0,
        0.75,
    ]


def test_accounts_held_out_by_the_night_never_reach_the_blotter():
    """PRODUCT.md pre-trade compliance: no order in an account held out."""
    b = build_blotter(trades(), lot_sells(), exceptions())
    assert "A4" not in set(b.allocations["account_id"])
    assert not b.orders["symbol"].eq("MSFT").any()


def test_sells_carry_versus_purchase_lot_instructions():
    """Issue 5: lot-level instructions for every sell: which lots, how many shares."""
    li = build_blotter(trades(), lot_sells(), exceptions()).lot_instructions
    assert li[["allocation_id", "lot_id", "quantity"]].values.tolist() == [
        [f"{SELL_XOM}-0001", "L1", 2.0],
        [f"{SELL_XOM}-0001", "L2", 3.0],
        [f"{SELL_XOM}-0002", "L9", 7.0],
    ]


def test_lot_sells_that_do_not_sum_to_the_sell_are_refused_naming_account_and_symbol():
    ls = lot_sells()
    ls.loc[0, "quantity"] = 1.0
    with pytest.raises(ProposalError) as e:
        build_blotter(trades(), ls, exceptions())
    assert (e.value.account_id, e.value.symbol) == ("A1", "XOM")


def test_a_sell_without_lot_instructions_is_refused():
    with pytest.raises(ProposalError, match="SELL without lot instructions"):
        build_blotter(trades(), lot_sells().iloc[:2], exceptions())


@pytest.mark.parametrize("quantity", [2.5, 0.0, -3.0, float("nan")])
def test_only_positive_whole_shares_are_traded(quantity):
    """PRODUCT.md per-account decision: whole shares."""
    t = trades()
    t.loc[1, "quantity"] = quantity
    with pytest.raises(ProposalError, match="whole number"):
        build_blotter(t, lot_sells(), exceptions())


def test_an_account_id_that_could_leave_its_folder_is_refused():
    """PRODUCT.md non-functional: ids used in file names cannot leave their folder."""
    t = trades()
    t.loc[1, "account_id"] = "../A2"
    with pytest.raises(ProposalError, match="account_id"):
        build_blotter(t, lot_sells(), exceptions())


@pytest.mark.parametrize(
    "lot_id", ["../L1", "L1/x", "", " L1", "L1\n", "-L1", "L" * 65, "Lé", "L1;rm"]
)
def test_a_lot_id_outside_the_id_rule_is_refused_and_named(lot_id):
    """sma.inbox.ID_PATTERN: an id starts with a letter, digit or '_' and has at most 64 of
    letters, digits, '.', '_' and '-' (safe in a file name); the first id breaking it is named."""
    ls = lot_sells()
    ls.loc[1, "lot_id"] = lot_id
    with pytest.raises(ProposalError, match="lot_id") as e:
        build_blotter(trades(), ls, exceptions())
    assert repr(lot_id) in str(e.value)


@given(st.text(alphabet="aZ09._-/ \né", max_size=70))
def test_the_id_rule_is_python_re_fullmatch_of_id_pattern(text):
    """A second path: Python's re.fullmatch of the same pattern decides every id alike."""
    import re

    from sma.inbox import ID_PATTERN
    from sma.trading._blotter import _check_ids

    allowed = re.fullmatch(ID_PATTERN, text) is not None
    try:
        _check_ids(pd.Series(["A1", text, "B2"]).to_numpy(dtype=object), "lot_id")
        refused = False
    except ProposalError as e:
        refused = True
        assert repr(text) in str(e)
    assert refused is not allowed


def test_the_same_proposal_in_any_row_order_gives_the_same_ids_and_hash():
    a = build_blotter(trades(), lot_sells(), exceptions())
    b = build_blotter(trades().iloc[::-1], lot_sells().iloc[::-1], exceptions())
    assert content_hash(a) == content_hash(b)
    pd.testing.assert_frame_equal(a.allocations, b.allocations)


def test_any_change_of_quantity_changes_the_content_hash():
    t = trades()
    t.loc[0, "quantity"] = 11.0
    assert content_hash(build_blotter(t, lot_sells(), exceptions())) != content_hash(
        build_blotter(trades(), lot_sells(), exceptions())
    )


def test_holding_an_account_out_shrinks_its_blocks_and_keeps_the_other_ids():
    """Issue 5: approving can hold single accounts out."""
    b = hold_out(build_blotter(trades(), lot_sells(), exceptions()), ["A1"])
    orders = b.orders.set_index("order_id")
    assert orders.loc[BUY_AAPL, "quantity"] == 30.0 and orders.loc[SELL_XOM, "quantity"] == 7.0
    assert b.allocations["allocation_id"].tolist() == [f"{BUY_AAPL}-0002", f"{SELL_XOM}-0002"]
    assert b.allocations["ratio"].tolist() == [1.0, 1.0]
    assert b.lot_instructions["lot_id"].tolist() == ["L9"]


def test_holding_out_every_account_of_a_block_drops_the_block():
    b = hold_out(build_blotter(trades(), lot_sells(), exceptions()), ["A1", "A3"])
    assert b.orders["order_id"].tolist() == [BUY_AAPL]


def test_holding_out_an_account_not_in_the_blotter_is_refused():
    with pytest.raises(KeyError, match="A9"):
        hold_out(build_blotter(trades(), lot_sells(), exceptions()), ["A9"])


@st.composite
def proposals(draw):
    n = draw(st.integers(1, 25))
    accounts = draw(st.lists(st.sampled_from([f"A{i}" for i in range(8)]), min_size=n, max_size=n))
    symbols = draw(
        st.lists(st.sampled_from(["AAPL", "MSFT", "BRK.B", "BF-B"]), min_size=n, max_size=n)
    )
    sides = draw(st.lists(st.sampled_from(["BUY", "SELL"]), min_size=n, max_size=n))
    qty = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n))
    t = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": pd.Timestamp(RUN),
            "account_id": accounts,
            "household_id": "H",
            "account_type": "TAXABLE",
            "symbol": symbols,
            "side": sides,
            "quantity": np.array(qty, float),
            "price": 10.0,
            "reason": "REBALANCE",
        }
    )
    t["notional"] = t["quantity"] * 10.0
    sells = t[t["side"] == "SELL"]
    ls = pd.DataFrame(
        {
            "account_id": sells["account_id"],
            "symbol": sells["symbol"],
            "lot_id": [f"L{i}" for i in range(len(sells))],
            "quantity": sells["quantity"],
        }
    )
    return t, ls


@property_examples(8, 30, given(proposals()))
def test_shares_are_conserved_from_proposal_to_blocks_allocations_and_lots(p):
    """Invariant (PRODUCT.md "Nothing is lost"): every share proposed is in exactly one allocation,
    blocks are the sums of their allocations, ratios sum to 1, lot instructions sum to the sells."""
    t, ls = p
    b = build_blotter(t, ls, exceptions().iloc[:0])
    assert b.allocations["quantity"].sum() == t["quantity"].sum()
    per_order = b.allocations.groupby("order_id")["quantity"].sum()
    assert per_order.to_dict() == b.orders.set_index("order_id")["quantity"].to_dict()
    assert np.allclose(b.allocations.groupby("order_id")["ratio"].sum(), 1.0)
    assert b.lot_instructions["quantity"].sum() == t.loc[t["side"] == "SELL", "quantity"].sum()
    assert b.allocations["allocation_id"].is_unique and b.orders["order_id"].is_unique


def test_a_night_with_nothing_to_trade_gives_an_empty_blotter_with_its_columns():
    b = build_blotter(trades().iloc[:0], lot_sells().iloc[:0], exceptions())
    assert b.orders.empty and list(b.allocations.columns) == list(ALLOCATION_COLUMNS)
    assert content_hash(b) == content_hash(
        hold_out(build_blotter(trades(), lot_sells(), exceptions()), ["A1", "A2", "A3"])
    )


def test_an_account_trading_one_security_for_two_reasons_gets_one_allocation_with_both():
    t = pd.concat(
        [trades(), trades().iloc[[0]].assign(quantity=5.0, reason="CASH_INVEST")], ignore_index=True
    )
    a = build_blotter(t, lot_sells(), exceptions()).allocations.set_index("allocation_id")
    assert a.loc[f"{BUY_AAPL}-0001", ["account_id", "quantity", "reason"]].tolist() == [
        "A1",
        15.0,
        "CASH_INVEST;REBALANCE",
    ]
    assert a.loc[f"{BUY_AAPL}-0002", "reason"] == "CASH_INVEST"


def test_an_account_only_flagged_to_the_pm_still_trades_while_a_held_one_does_not():
    """PRODUCT.md: accounts whose tracking error stays above the maximum are flagged to the PM,
    not held out; a pre-trade compliance failure holds the account out."""
    exc = pd.DataFrame(
        {
            "account_id": ["A1", "A3", "A4"],
            "kind": ["TE_LIMIT", "COMPLIANCE", "BREAK"],
            "reason": ["tracking error stays above", "pre-trade check failed", "position break"],
        }
    )
    accounts = set(build_blotter(trades(), lot_sells(), exc).allocations["account_id"])
    assert accounts == {"A1", "A2"}


def test_a_block_of_more_than_9999_accounts_numbers_its_allocations_with_more_digits_in_account_order():
    """Ids sort as text in the order of their numbers (issue 8: a block at 100,000 accounts has
    tens of thousands of allocations), and every id of one block has the same width."""
    n = 10_001
    t = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": pd.Timestamp(RUN),
            "account_id": [f"A{i:06d}" for i in range(n)],
            "household_id": "H",
            "account_type": "TAXABLE",
            "symbol": "AAPL",
            "side": "BUY",
            "quantity": 1.0,
            "price": 10.0,
            "notional": 10.0,
            "reason": "REBALANCE",
        }
    )
    small = t.iloc[:3].assign(symbol="MSFT")
    b = build_blotter(pd.concat([t, small]), lot_sells().iloc[:0], exceptions().iloc[:0])
    big = b.allocations[b.allocations["symbol"] == "AAPL"]
    assert big["allocation_id"].iloc[[0, -1]].tolist() == [f"{BUY_AAPL}-00001", f"{BUY_AAPL}-10001"]
    assert (
        big["allocation_id"].is_monotonic_increasing and big["account_id"].is_monotonic_increasing
    )
    assert (
        b.allocations.loc[b.allocations["symbol"] == "MSFT", "allocation_id"].iloc[0]
        == f"{RUN}-BUY-MSFT-0001"
    )


@property_examples(8, 30, given(proposals(), st.lists(st.integers(0, 60), max_size=4)))
def test_the_content_hash_does_not_depend_on_how_the_rows_are_sliced(p, cuts):
    """Issue 8: a big blotter is hashed as its files stream by, in slices of any size; the hash is
    the one of the whole blotter in memory."""
    b = build_blotter(*p, exceptions().iloc[:0])
    digest = ContentDigest()
    for name, frame in b.frames().items():
        bounds = sorted({0, len(frame), *(min(c, len(frame)) for c in cuts)})
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            digest.update(name, frame.iloc[lo:hi])
    assert digest.hexdigest() == content_hash(b)


def test_the_content_hash_changes_with_any_id_text_or_row_order_as_fed():
    b = build_blotter(trades(), lot_sells(), exceptions())
    base = content_hash(b)
    renamed = b.allocations.assign(
        reason=b.allocations["reason"].str.replace("REBALANCE", "REBALANC")
    )
    assert content_hash(Blotter(b.orders, renamed, b.lot_instructions)) != base
    moved = b.lot_instructions.assign(lot_id=["L1L", "2", "L9"])  # the same bytes, split elsewhere
    assert content_hash(Blotter(b.orders, b.allocations, moved)) != base
    fed = ContentDigest()  # rows fed out of the blotter's order are another content
    for name, frame in b.frames().items():
        fed.update(name, frame.iloc[::-1])
    assert fed.hexdigest() != base


def test_holding_out_in_slices_equals_holding_out_the_whole_blotter():
    """Issue 8: approve goes through a big blotter's allocations a batch at a time."""
    b = build_blotter(trades(), lot_sells(), exceptions())
    whole = hold_out(b, ["A1"])
    slices = [b.allocations.iloc[i : i + 1] for i in range(len(b.allocations))]
    orders = shrink_orders(b.orders, pd.concat([a[a["account_id"] == "A1"] for a in slices]))
    pd.testing.assert_frame_equal(orders, whole.orders)
    slices = [
        without_accounts(b.allocations.iloc[i : i + 1], "allocations", ["A1"], orders)
        for i in range(len(b.allocations))
    ]
    pd.testing.assert_frame_equal(pd.concat(slices, ignore_index=True), whole.allocations)
