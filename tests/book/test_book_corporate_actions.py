"""Issue 22, part 5: the book generator produces corporate actions at realistic rates, with fields
consistent with its closes (shared/CORPORATE_ACTIONS.md, "Per-action fields and effects"), and a
custodian's view (positions, cash) as after them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.book import write_inbox
from pipelines.settings import load_settings
from pipelines.validate import validate_inbox
from sma.book import (
    BookParams,
    CorporateActionRates,
    action_cash,
    book_market,
    draw_corporate_actions,
    generate_book,
)
from sma.inbox import GICS_SECTORS
from sma.ledger import apply_corporate_actions, reconcile
from sma.market import TRADING_DAYS, generate_universe

AS_OF = date(2026, 11, 24)  # a Tuesday
SMALL = BookParams(price_days=260, history_years=3)
#: Every kind several times tonight: the rates of a year, ~250 times over.
BUSY = BookParams(
    price_days=260, history_years=3, corporate_actions=CorporateActionRates().scaled(250)
)


@pytest.fixture(scope="module")
def busy():
    return generate_book(30, 11, AS_OF, BUSY), generate_book(30, 11, AS_OF, SMALL)


@pytest.mark.slow
def test_a_decade_of_nights_sees_the_yearly_rates_of_each_kind():
    """Ten years of nights: each kind's count is within 4 Poisson standard deviations of its
    yearly rate (S&P 500 index changes: about 20-30 acquisitions a year; see the rates' source)."""
    universe = generate_universe(5)
    closes = np.vstack([universe.price, universe.price])
    securities = universe.securities_frame()
    eligible = universe.in_index & (universe.identical_group == "")
    rates = CorporateActionRates()
    rng = np.random.default_rng(1)
    nights = 10 * TRADING_DAYS
    drawn = [
        draw_corporate_actions(
            rng, securities, eligible, closes, np.datetime64("2026-01-02"), rates
        ).actions
        for _ in range(nights)
    ]
    counts = pd.concat(drawn)["kind"].value_counts()
    for kind, rate in rates.per_kind().items():
        expected = rate * 10
        assert abs(counts.get(str(kind), 0) - expected) <= 4 * np.sqrt(expected) + 1, kind


def test_rate_zero_turns_corporate_actions_off_and_actions_draw_from_their_own_stream(busy):
    """Rate 0: no action. With or without actions the lots, accounts and trades are the same
    book (the actions draw from their own random stream), so existing books stay reproducible."""
    book, quiet = busy
    off = BookParams(
        price_days=260, history_years=3, corporate_actions=CorporateActionRates().scaled(0)
    )
    assert book_market(11, AS_OF, off).actions.actions.empty
    for name in ("accounts", "lots", "transactions", "restrictions", "cash_flows"):
        pd.testing.assert_frame_equal(book[name], quiet[name])


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_every_actions_fields_follow_the_generated_closes(seed):
    """A spin-off's basis_fraction is the child's share of the parent's value and the parent's
    close drops by it; a cash merger pays the last close plus at most 2 %; a stock or mixed
    merger's shares and cash are worth the target's close; a return of capital is a fraction of
    a percent of a REIT's price (Form 8937; PRODUCT.md's corporate_actions contract)."""
    params = BookParams(
        price_days=30, history_years=1, corporate_actions=CorporateActionRates().scaled(250)
    )
    market = book_market(seed, AS_OF, params)
    drawn, universe = market.actions, market.universe
    close = dict(zip(universe.symbol, market.history.closes[-1], strict=True))
    sector = dict(zip(universe.symbol, universe.sector, strict=True))
    actions = drawn.actions
    assert actions["symbol"].is_unique
    assert not set(actions["symbol"]) & set(actions["new_symbol"].dropna())
    assert set(drawn.securities["symbol"]).isdisjoint(universe.symbol)
    for a in actions.to_dict("records"):
        p = close[a["symbol"]]
        if a["kind"] == "SPINOFF":
            child = drawn.closes[a["new_symbol"]].iloc[-1]
            assert a["ratio"] * child == pytest.approx(a["basis_fraction"] * p, abs=0.01)
            assert drawn.tonight[a["symbol"]] == pytest.approx(
                p * (1 - a["basis_fraction"]), abs=0.01
            )
        elif a["kind"] == "MERGER_CASH":
            assert p - 0.005 <= a["price"] <= 1.02 * p + 0.005
        elif a["kind"] in ("MERGER_STOCK", "MERGER_MIXED"):
            cash = 0.0 if a["kind"] == "MERGER_STOCK" else a["cash_per_share"]
            value = a["ratio"] * close[a["new_symbol"]] + cash
            # Deal ratios are quoted to 4 decimals: off by at most half a unit of the 4th.
            assert value == pytest.approx(p, abs=0.00005 * close[a["new_symbol"]] + 0.006)
        elif a["kind"] == "RETURN_OF_CAPITAL":
            assert GICS_SECTORS[sector[a["symbol"]]] == "Real Estate"
            assert 0 < a["amount_per_share"] <= 0.006 * p + 1e-4


def test_the_custodians_positions_are_the_lots_after_tonights_actions(busy):
    """The night applies the actions, then reconciles (PRODUCT.md step 3): no break."""
    book, _ = busy
    assert set(book["corporate_actions"]["kind"]) >= {
        "SPINOFF",
        "MERGER_STOCK",
        "MERGER_CASH",
        "MERGER_MIXED",
        "SYMBOL_CHANGE",
        "RETURN_OF_CAPITAL",
    }
    accounts = book["accounts"][["account_id", "household_id", "account_type"]]
    after, _ = apply_corporate_actions(book["lots"], book["corporate_actions"], AS_OF, accounts)
    assert reconcile(after, book["positions"], 1e-9).empty
    gone = book["corporate_actions"].query("kind in ['MERGER_CASH', 'MERGER_STOCK']")["symbol"]
    assert not book["positions"]["symbol"].isin(gone).any()
    assert book["positions"]["symbol"].isin(book["corporate_actions"]["new_symbol"]).any()


def test_the_actions_cash_is_in_the_custodians_cash(busy):
    """Merger cash, boot, returns of capital and cash in lieu land in the account's cash."""
    book, quiet = busy
    paid = action_cash(book["lots"], book["corporate_actions"])
    extra = (
        book["cash"].set_index("account_id")["amount"]
        - quiet["cash"].set_index("account_id")["amount"]
    )
    assert paid.sum() > 0
    np.testing.assert_allclose(extra.reindex(paid.index), paid, atol=0.011)
    assert (extra.drop(paid.index) == 0).all()


def test_new_securities_have_closes_and_the_index_drops_what_left(busy):
    book, _ = busy
    actions = book["corporate_actions"]
    new = set(actions["new_symbol"].dropna())
    assert new <= set(book["securities"]["symbol"])
    days = book["prices"]["date"].nunique()
    per_symbol = book["prices"].groupby("symbol").size()
    assert (per_symbol.reindex(sorted(new)) == days).all()
    leaving = actions.query("kind in ['MERGER_CASH', 'MERGER_STOCK', 'MERGER_MIXED', 'WORTHLESS']")
    index = book["benchmarks"]
    assert not index["symbol"].isin(leaving["symbol"]).any()
    np.testing.assert_allclose(index.groupby("benchmark_id")["weight"].sum(), 1.0)


def test_a_book_with_every_kind_tonight_passes_the_inbox_validation(tmp_path, busy):
    book, _ = busy
    write_inbox(book, tmp_path, AS_OF, "csv")
    result = validate_inbox(tmp_path, AS_OF, load_settings().validation)
    assert result.issues.empty, result.issues.head(20).to_string()


def test_a_worthless_name_closes_at_a_cent_and_leaves_positions_and_the_index():
    """WORTHLESS (26 U.S.C. 165(g)(1)): every lot is closed; the custodian shows no position,
    the last trade is a cent and the index no longer holds the name."""
    only_worthless = CorporateActionRates(0, 0, 0, 0, 0, 0, worthless=3 * TRADING_DAYS)
    params = BookParams(price_days=60, history_years=1, corporate_actions=only_worthless)
    book = generate_book(20, 5, AS_OF, params)
    gone = book["corporate_actions"]["symbol"]
    assert len(gone) and (book["corporate_actions"]["kind"] == "WORTHLESS").all()
    tonight = book["prices"][pd.to_datetime(book["prices"]["date"]).dt.date == AS_OF]
    assert (tonight[tonight["symbol"].isin(gone)]["close"] == 0.01).all()
    assert not book["positions"]["symbol"].isin(gone).any()
    assert not book["benchmarks"]["symbol"].isin(gone).any()
