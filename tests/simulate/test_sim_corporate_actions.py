"""Issue 22, part 5: corporate actions on the simulated path, applied to the lots through the
ledger before the day's decision (shared/CORPORATE_ACTIONS.md, "Per-action fields and effects")."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.ledger import ReliefMethod
from sma.rebalance import account_arrays
from sma.simulate import SimulationParams, simulate
from sma.simulate._accounts import SimAccounts
from sma.simulate._book import SimBook, orders_frame
from sma.simulate._corporate import with_corporate_actions
from sma.simulate._market import generated_market
from sma.simulate._params import Profile
from tests.simulate.small_universe import SMALL_UNIVERSE


@pytest.fixture(scope="module")
def path():
    market = generated_market(3, date(2024, 1, 2), 300, universe_params=SMALL_UNIVERSE)
    return market, with_corporate_actions(market, 60, 12.0, seed=3)


def test_rate_zero_leaves_the_path_as_it_was(path):
    market, _ = path
    assert with_corporate_actions(market, 60, 0.0, seed=3) is market


def test_a_spun_off_child_trades_at_its_share_and_a_merged_name_leaves_the_index(path):
    """The child is worth basis_fraction of the parent on the ex-date (Form 8937 allocates basis
    by value); a cash-merged name stays at its deal price and leaves the index."""
    market, busy = path
    actions = busy.actions
    assert actions is not None
    spin = actions[actions["kind"] == "SPINOFF"].iloc[0]
    cash = actions[actions["kind"] == "MERGER_CASH"].iloc[0]
    t = int(np.searchsorted(busy.dates, spin["ex_date"]))
    col = {s: j for j, s in enumerate(busy.symbols)}
    bf = spin["basis_fraction"]
    parent_after = busy.closes[t, col[spin["symbol"]]]
    child = busy.closes[t, col[spin["new_symbol"]]]
    assert spin["ratio"] * child == pytest.approx(parent_after * bf / (1 - bf), abs=0.02)
    u = int(np.searchsorted(busy.dates, cash["ex_date"]))
    assert (busy.closes[u:, col[cash["symbol"]]] == cash["price"]).all()
    assert (busy.index_weights(u)[:, col[cash["symbol"]]] == 0).all()
    assert (busy.index_weights(u)[:, col[spin["new_symbol"]]] == 0).all()  # not in the index
    np.testing.assert_allclose(busy.index_weights(u).sum(axis=1), 1.0)
    assert np.isfinite(busy.closes).all() and (busy.closes >= 0.01).all()
    assert set(busy.actions["kind"]) >= {"MERGER_STOCK", "MERGER_MIXED", "SYMBOL_CHANGE"}


def _book_holding(busy, symbols):
    """One taxable account holding two lots of each of ``symbols``, bought before the path."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A1"],
            "household_id": ["H1"],
            "client_name": ["Client"],
            "account_type": ["TAXABLE"],
            "benchmark_id": [busy.benchmark_ids[0]],
            "tlh_enabled": [True],
            "st_tax_rate": [0.408],
            "lt_tax_rate": [0.238],
            "max_tracking_error": [0.01],
            "gain_budget": [np.nan],
            "min_trade_value": [100.0],
            "cash_target": [0.01],
            "inception_date": [pd.Timestamp("2020-01-02")],
            "fractional_shares": [False],
        }
    )
    acc = account_arrays(
        accounts,
        SimAccounts.empty("restrictions"),
        SimAccounts.empty("tilts"),
        busy.securities,
        busy.benchmark_ids,
    )
    lots = pd.DataFrame(
        {
            "account_id": "A1",
            "lot_id": [f"L{i}" for i in range(2 * len(symbols))],
            "symbol": [s for s in symbols for _ in range(2)],
            "quantity": [37.0, 101.0] * len(symbols),
            "cost_basis": [1234.56, 9876.54] * len(symbols),
            "acquired_date": pd.Timestamp("2022-03-01"),
            "adjusted_acquired_date": pd.Timestamp("2022-03-01"),
        }
    )
    book = SimBook(
        acc, lots, np.array([1000.0]), SimAccounts.empty("transactions"), 0.0, busy.dates[0]
    )
    return book, lots


def test_a_spinoff_and_a_cash_merger_conserve_shares_and_basis_through_the_ledger(path):
    """Spin-off: the parent keeps its shares and (1 - bf) of its basis, the child gets
    floor(q x ratio) shares (cash in lieu for the rest) and bf of the basis, lot by lot. Cash
    merger: every lot is sold at the deal price; proceeds are cash, the gain is realized."""
    _, busy = path
    actions = busy.actions
    assert actions is not None
    spin = actions[actions["kind"] == "SPINOFF"].iloc[[0]]
    cash = actions[actions["kind"] == "MERGER_CASH"].iloc[[0]]
    parent, target = spin["symbol"].iloc[0], cash["symbol"].iloc[0]
    book, lots = _book_holding(busy, [parent, target])
    day = busy.dates[100]
    book.corporate_actions(pd.concat([spin, cash]), day)

    after = book.ledger.open_lots()
    bf, ratio = spin["basis_fraction"].iloc[0], spin["ratio"].iloc[0]
    child = spin["new_symbol"].iloc[0]
    kept = after[after["symbol"] == parent].sort_values("lot_id")
    received = after[after["symbol"] == child].sort_values("lot_id")
    assert kept["quantity"].tolist() == [37.0, 101.0]
    assert received["quantity"].tolist() == list(np.floor(np.array([37.0, 101.0]) * ratio))
    basis = np.array([123456, 987654])
    np.testing.assert_allclose(
        kept["cost_basis_cents"].to_numpy() + received["cost_basis_cents"].to_numpy(),
        basis
        - np.round(
            basis * bf * (np.array([37.0, 101.0]) * ratio % 1) / (np.array([37.0, 101.0]) * ratio)
        ),
        atol=2,
    )
    assert not (after["symbol"] == target).any()
    j = {s: k for k, s in enumerate(book.symbols)}
    assert book.shares[0, j[target]] == 0
    assert book.shares[0, j[child]] == received["quantity"].sum()
    price = cash["price"].iloc[0]
    in_lieu = (np.array([37.0, 101.0]) * ratio % 1).sum() * spin["cash_in_lieu_price"].iloc[0]
    assert book.cash[0] == pytest.approx(1000.0 + 138 * price + in_lieu, abs=0.02)
    merger_gain = 138 * price - (1234.56 + 9876.54)
    assert book.realized_ytd[0] == pytest.approx(
        merger_gain + book.ledger.realized().query("symbol == @child")["gain_cents"].sum() / 100,
        abs=0.02,
    )


def test_the_book_tells_the_rows_corporate_actions_booked_from_its_own_sales(path):
    """The year table counts only the strategy's loss sales as harvested (issue 22): the book
    marks each realized row a corporate action booked."""
    _, busy = path
    actions = busy.actions
    assert actions is not None
    cash = actions[actions["kind"] == "MERGER_CASH"].iloc[[0]]
    target = cash["symbol"].iloc[0]
    other = next(s for s in busy.symbols if s not in set(actions["symbol"]))
    book, _ = _book_holding(busy, [target, other])
    book.corporate_actions(cash, busy.dates[100])
    j = {s: k for k, s in enumerate(book.symbols)}
    book.fill(
        orders_frame([0], [j[other]], "SELL", [37.0], "HARVEST", method=ReliefMethod.FIFO),
        busy.dates[101],
        busy.closes[101],
    )
    realized = book.ledger.realized()
    assert realized["symbol"].tolist() == [target, target, other]
    assert book.realized_by_actions().tolist() == [True, True, False]


@pytest.mark.slow
def test_a_simulated_year_with_corporate_actions_runs_and_books_them():
    """The engine runs a year on a path with actions at 20x the realistic rates: every fill and
    action goes through the ledger and each account ends with finite figures."""
    params = SimulationParams(
        years=1,
        seed=7,
        profiles=(Profile.LUMP_SUM,),
        universe=SMALL_UNIVERSE,
        corporate_action_rate=20.0,
        strategies=(SimulationParams().strategies[-1],),
    )
    result = simulate(params)
    assert np.isfinite(result.summary.select_dtypes("number").to_numpy()).all()
