"""Wash-sale blocks for the engine (PRODUCT.md "Tax rules": never buy what the household sold at a
loss in the last 30 days, never sell at a loss what it bought in the last 30 days; IRS Publication
550 "Wash Sales", window of 30 days before and after; Rev. Rul. 2008-5 for IRA purchases)."""

from __future__ import annotations

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.ledger import SYMBOL_CHANGE_COLUMNS, under_current_symbols, wash_sale_blocks
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


# -- a ticker changed inside the window (CORPORATE_ACTIONS.md: SYMBOL_CHANGE, the same security) --


def changes(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SYMBOL_CHANGE_COLUMNS)


def test_a_loss_sale_before_a_ticker_change_blocks_buying_the_new_ticker():
    """Pub. 550: a buy of the same security within 30 days after a loss sale is a replacement, and
    a SYMBOL_CHANGE keeps the security (CORPORATE_ACTIONS.md). Sold as OLD on Mar 10, renamed NEW
    on Mar 20: on Mar 31 the household must not buy NEW. (The simulator bought it back 21 days
    after harvesting it, and its ledger washed the loss.)"""
    frame = trades(("A", "H", "2026-03-10", "OLD", "SELL", 10, 50.0, -100.0))
    renamed = under_current_symbols(
        frame, changes(("OLD", "NEW", "2026-03-20", None)), "2026-03-31"
    )
    assert blocks(renamed) == {("H", "NEW"): (True, False)}
    assert blocks(frame) == {("H", "OLD"): (True, False)}  # what the night used to block


def test_a_buy_before_a_ticker_change_blocks_a_loss_sale_of_the_new_ticker():
    """Pub. 550: a loss sale within 30 days after buying the same security is washed."""
    frame = trades(("A", "H", "2026-03-25", "OLD", "BUY", 10, 50.0, None))
    renamed = under_current_symbols(frame, changes(("OLD", "NEW", "2026-03-26", "")), "2026-03-31")
    assert blocks(renamed) == {("H", "NEW"): (False, True)}


def test_a_ticker_renamed_twice_ends_under_its_last_name_and_later_changes_wait():
    """Changes apply in ex-date order, listed in any order; one going ex after the night being
    decided has not happened yet."""
    frame = trades(
        ("A", "H", "2026-03-02", "A1", "SELL", 10, 50.0, -1.0),
        ("A", "H", "2026-03-02", "Q1", "SELL", 10, 50.0, -1.0),
    )
    renamed = under_current_symbols(
        frame,
        changes(
            ("A2", "A3", "2026-03-20", None),
            ("A1", "A2", "2026-03-05", None),
            ("Q1", "Q2", "2026-04-01", None),
        ),
        "2026-03-31",
    )
    assert renamed["symbol"].tolist() == ["A3", "Q1"]


def test_trades_after_the_change_and_other_accounts_keep_their_ticker():
    """A trade of the old ticker on or after the ex date is another issuer's that took the ticker
    over; a change limited to one account (``account_id``) renames that account's trades only."""
    frame = trades(
        ("A", "H", "2026-03-10", "OLD", "SELL", 10, 50.0, -1.0),
        ("A", "H", "2026-03-22", "OLD", "BUY", 10, 50.0, None),
        ("B", "H", "2026-03-10", "ONE", "SELL", 10, 50.0, -1.0),
        ("C", "H", "2026-03-10", "ONE", "SELL", 10, 50.0, -1.0),
    )
    renamed = under_current_symbols(
        frame,
        changes(("OLD", "NEW", "2026-03-20", None), ("ONE", "ONE2", "2026-03-20", "C")),
        "2026-03-31",
    )
    assert renamed["symbol"].tolist() == ["NEW", "OLD", "ONE", "ONE2"]
    assert frame["symbol"].tolist() == ["OLD", "OLD", "ONE", "ONE"]  # the input is not changed


# -- a second path: the same blocks as plain SQL over the trades ------------------------------------

_SQL_BLOCKS = """
WITH t AS (
    SELECT household_id,
           coalesce(nullif(trim(g.grp), ''), t.symbol) AS identical_group,
           CAST(trade_date AS DATE) AS day, upper(side) AS side, realized_gain
    FROM trades t LEFT JOIN groups g ON g.symbol = t.symbol
    WHERE CAST(trade_date AS DATE) BETWEEN $start AND $as_of
)
SELECT household_id, identical_group,
       max(CASE WHEN side = 'SELL' AND coalesce(realized_gain, 0) < 0 THEN day END) AS last_loss,
       max(CASE WHEN side = 'BUY' THEN day END) AS last_buy
FROM t
WHERE (side = 'SELL' AND coalesce(realized_gain, 0) < 0) OR side = 'BUY'
GROUP BY ALL ORDER BY ALL
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["H1", "H2", "h0", "Hé"]),
            st.integers(-5, 45),  # days before the as-of date (negative: after it)
            st.sampled_from(["AAA", "BBB", "CCC", "dd"]),
            st.sampled_from(["BUY", "SELL", "sell", "Buy"]),
            st.one_of(st.none(), st.floats(-50, 50)),
        ),
        max_size=60,
    )
)
def test_blocks_are_what_plain_sql_over_the_trades_finds(rows):
    """Every (household, identical group) with a loss sale or a buy in the 30-day window (IRS
    Publication 550), its latest dates and its blocks, as DuckDB finds them from the trades
    directly: an independent path to the numbers the engine trades on (issue 23 regrouped them on
    integer codes)."""
    as_of = pd.Timestamp("2026-03-31")
    frame = trades(
        *[
            ("A1", h, as_of - pd.Timedelta(days=d), s, side, 1.0, 10.0, g)
            for h, d, s, side, g in rows
        ]
    )
    groups = {"AAA": "G1", "BBB": "G1", "CCC": " "}
    out = wash_sale_blocks(frame, groups, "2026-03-31")
    con = duckdb.connect()
    con.register("trades", frame.astype({"realized_gain": float}))
    con.register("groups", pd.DataFrame({"symbol": list(groups), "grp": list(groups.values())}))
    start = (as_of - pd.Timedelta(days=30)).date()
    sql = con.execute(_SQL_BLOCKS, {"start": start, "as_of": as_of.date()}).fetchall()
    found = [
        (
            r.household_id,
            r.identical_group,
            None if pd.isna(r.last_loss_sale_date) else r.last_loss_sale_date.date(),
            None if pd.isna(r.last_buy_date) else r.last_buy_date.date(),
            r.buy_blocked,
            r.loss_sale_blocked,
        )
        for r in out.itertuples()
    ]
    assert found == [
        (h, g, loss, buy, loss is not None, buy is not None) for h, g, loss, buy in sql
    ]
