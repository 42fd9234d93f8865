"""Trades summed by reason: the review page's "what will trade and why" (PRODUCT.md, "Who uses it":
the portfolio manager reviews what will trade and why; "The nightly run", step 8, the run review
page). A 100,000-account night is read in batches, so the table over parts must be the table of
the whole, whatever the split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.ledger import usd_to_cents
from sma.reporting import ReasonTally
from sma.reporting._reasons import trades_by_reason
from tests.example_counts import property_examples

REASONS = ["REBALANCE", "HARVEST", "REPLACE", "CASH_INVEST", "TRANSITION", "SOMETHING_NEW"]

notionals = st.one_of(
    st.integers(1, 10**9).map(lambda cents: cents / 100),  # USD and cents, as the engine books them
    st.floats(1e-6, 1e9, allow_nan=False, allow_infinity=False),  # any price x fractional quantity
)
trade_rows = st.lists(
    st.tuples(
        st.sampled_from([f"ACC-{i:03d}" for i in range(6)]),
        st.sampled_from(["BUY", "SELL"]),
        notionals,
        st.sampled_from(REASONS),
    ),
    max_size=60,
)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "side", "notional", "reason"]).astype(
        {"account_id": str, "side": str, "notional": float, "reason": str}
    )


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(rows=trade_rows, cuts=st.lists(st.integers(0, 60), max_size=5), data=st.data())
def test_trades_by_reason_over_parts_in_any_split_and_order_is_the_table_of_the_whole(
    rows, cuts, data
):
    whole = frame(rows)
    bounds = sorted({0, len(whole), *(c for c in cuts if c <= len(whole))})
    parts = [whole.iloc[lo:hi] for lo, hi in zip(bounds, bounds[1:], strict=False)]
    tally = ReasonTally()
    for part in data.draw(st.permutations(parts)):
        tally.add(part)
    pd.testing.assert_frame_equal(tally.table(), trades_by_reason(whole), check_exact=True)


@property_examples(30, 200, given(rows=trade_rows))
def test_notionals_are_each_trades_cents_summed(rows):
    """Issue 18: money is summed in integer cents, each trade's notional rounded to the cent by
    the ledger's one rule (``sma.ledger.usd_to_cents``: half a cent away from zero), not as a
    float sum that depends on the order of the rows."""
    whole = frame(rows)
    table = trades_by_reason(whole).set_index("reason")
    for (reason, side), group in whole.groupby(["reason", "side"]):
        cents = sum(usd_to_cents(x) for x in group["notional"])
        assert table.loc[reason, "bought" if side == "BUY" else "sold"] == cents / 100


def test_a_half_cent_notional_counts_as_the_cent_above():
    """The ledger's rounding rule (half away from zero), not NumPy's half-to-even: two trades of
    $0.125 are 13 cents each."""
    trades = frame([("A", "BUY", 0.125, "REBALANCE"), ("B", "BUY", 0.125, "REBALANCE")])
    assert trades_by_reason(trades).loc[0, "bought"] == 0.26


def test_an_account_whose_trades_fall_in_two_parts_counts_once_per_reason():
    trades = frame(
        [
            ("ACC-001", "SELL", 100.0, "HARVEST"),
            ("ACC-001", "BUY", 99.5, "REPLACE"),
            ("ACC-001", "SELL", 10.0, "HARVEST"),
            ("ACC-002", "SELL", 5.0, "HARVEST"),
        ]
    )
    tally = ReasonTally()
    tally.add(trades.iloc[:1])
    tally.add(trades.iloc[1:])
    table = tally.table().set_index("reason")
    assert table.loc["HARVEST", ["trades", "accounts", "sells"]].tolist() == [3, 2, 3]
    assert table.loc["HARVEST", "sold"] == 115.0 and table.loc["REPLACE", "bought"] == 99.5


def test_reasons_come_in_the_engines_order_with_unknown_codes_last():
    trades = frame(
        [
            ("A", "BUY", 1.0, "ZZZ"),
            ("A", "BUY", 1.0, "CASH_INVEST"),
            ("A", "SELL", 1.0, "AAA"),
            ("A", "SELL", 1.0, "HARVEST"),
            ("A", "BUY", 1.0, "REBALANCE"),
        ]
    )
    assert trades_by_reason(trades)["reason"].tolist() == [
        "REBALANCE",
        "HARVEST",
        "CASH_INVEST",
        "AAA",
        "ZZZ",
    ]


def test_one_accounts_trades_without_account_ids_count_one_account_per_reason():
    """A statement's trades are one account's and carry no account id."""
    trades = frame(
        [
            ("", "SELL", 3150.0, "HARVEST"),
            ("", "BUY", 3100.0, "REPLACE"),
            ("", "SELL", 1900.0, "HARVEST"),
        ]
    )
    table = trades_by_reason(trades.drop(columns="account_id"))
    assert table[["reason", "trades", "accounts"]].values.tolist() == [
        ["HARVEST", 2, 1],
        ["REPLACE", 1, 1],
    ]


def test_no_trades_give_an_empty_table_with_every_column():
    table = ReasonTally().table()
    assert table.empty and list(table.columns) == [
        "reason",
        "trades",
        "accounts",
        "buys",
        "sells",
        "bought",
        "sold",
    ]
    assert trades_by_reason(frame([])).equals(table)


def test_a_missing_notional_adds_nothing_and_an_infinite_one_shows():
    trades = frame(
        [
            ("A", "BUY", np.nan, "REBALANCE"),
            ("A", "BUY", 2.5, "REBALANCE"),
            ("B", "SELL", np.inf, "HARVEST"),
        ]
    )
    table = trades_by_reason(trades).set_index("reason")
    assert table.loc["REBALANCE", ["trades", "bought"]].tolist() == [2, 2.5]
    assert table.loc["HARVEST", "sold"] == np.inf


def test_notionals_too_large_for_int64_cents_are_still_summed_exactly():
    """Cents are summed in int64 only when no sum can reach its limit; beyond (here three trades
    of $4e16, 1.2e19 cents together) they are Python's unbounded integers, exact all the same."""
    whole = frame(
        [("ACC-000", "BUY", 4e16, "REBALANCE")] * 3 + [("ACC-001", "BUY", 0.01, "HARVEST")]
    )
    table = trades_by_reason(whole).set_index("reason")
    assert table.loc["REBALANCE", "bought"] == 3 * usd_to_cents(4e16) / 100
    assert table.loc["HARVEST", "bought"] == 0.01
