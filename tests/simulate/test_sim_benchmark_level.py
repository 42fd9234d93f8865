"""The benchmark's level on a simulated path is the index the engine is given, held through the
path's corporate actions (``MarketPath.index_levels``): what an index fund holding it would be
worth. The simulator's tracking error is measured against it, so a level that drifts from the
index the accounts track reads as tracking error they do not have.

Before 2026-12-07 the level was day 0's weights held buy-and-hold for the whole path: a
merged-away name stayed in it as cash for ever after (the index the engine is given reinvests it),
and a spin-off cut the level by the child's value (its holders keep it). With the default rate of
corporate actions, `sma simulate --years 1 --vintages 8 --seed 11 --strategies ENGINE` reported a
tracking error rising from 1.0 % in the first vintage to 7.3 % in the seventh for the same engine
that tracks within 0.5-1.0 % on a path without actions; measured against this level it is
0.5-1.0 % on both.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.simulate._corporate import with_corporate_actions
from sma.simulate._market import MarketPath, generated_market
from tests.simulate.small_universe import SMALL_UNIVERSE


def _securities(symbols):
    return pd.DataFrame(
        {
            "symbol": symbols,
            "name": symbols,
            "sector": "Tech",
            "industry": "Software",
            "identical_group": None,
            "esg_tags": None,
        }
    )


def test_a_cash_merger_then_a_spinoff_by_hand():
    """Two members at half each; A is bought for cash at 12 on day 2, B spins off two C shares a
    share on day 3 (B 24 -> 16 + 2 x 4). An index fund of $1: 0.05 A and 0.025 B; day 1 worth
    0.05 x 11 + 0.025 x 22 = 1.10; day 2 0.05 x 12 + 0.025 x 22 = 1.15, when A's $0.60 is
    reinvested in B at 22; day 3 (0.025 + 0.6 / 22) x (16 + 2 x 4) = 1.15 x 24 / 22. (Day 0's
    weights held to day 3 would read 0.5 x 12 / 10 + 0.5 x 16 / 20 = 1.00, a 13 % fall on the
    day the fund rose 9 %.)"""
    dates = np.array(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"], "datetime64[D]")
    closes = np.array(
        [  # A, B, C (C trades from day 3; before, its when-issued share of B)
            [10.0, 20.0, 5.0],
            [11.0, 22.0, 5.5],
            [12.0, 22.0, 5.5],
            [12.0, 16.0, 4.0],
        ]
    )
    actions = pd.DataFrame(
        [
            {"symbol": "A", "ex_date": date(2025, 1, 6), "kind": "MERGER_CASH", "price": 12.0},
            {
                "symbol": "B",
                "ex_date": date(2025, 1, 7),
                "kind": "SPINOFF",
                "new_symbol": "C",
                "ratio": 2.0,
                "basis_fraction": 1 / 3,
            },
        ]
    )
    path = MarketPath(
        dates,
        _securities(["A", "B", "C"]),
        closes,
        np.array(["IDX"]),
        np.array([[0.5, 0.5, 0.0]]),
        actions,
        ((2, 0, -1),),
    )
    np.testing.assert_allclose(
        path.index_levels()[:, 0], [1.0, 1.10, 1.15, 1.15 * 24 / 22], rtol=1e-12
    )


def test_a_return_of_capital_does_not_lower_the_level():
    """B pays $2 a share back on day 1 and its close falls by it: the holders have the $2."""
    dates = np.array(["2025-01-02", "2025-01-03"], "datetime64[D]")
    actions = pd.DataFrame(
        [
            {
                "symbol": "B",
                "ex_date": date(2025, 1, 3),
                "kind": "RETURN_OF_CAPITAL",
                "amount_per_share": 2.0,
            }
        ]
    )
    path = MarketPath(
        dates,
        _securities(["A", "B"]),
        np.array([[10.0, 20.0], [10.0, 18.0]]),
        np.array(["IDX"]),
        np.array([[0.5, 0.5]]),
        actions,
    )
    np.testing.assert_allclose(path.index_levels()[:, 0], [1.0, 1.0], rtol=1e-12)


@pytest.fixture(scope="module")
def busy():
    market = generated_market(3, date(2024, 1, 2), 300, universe_params=SMALL_UNIVERSE)
    return market, with_corporate_actions(market, 20, 12.0, seed=3)


def test_without_corporate_actions_the_level_is_day_zeros_weights_held(busy):
    """A path without actions keeps the level it always had, to the bit (rate 0 reproduces old
    runs)."""
    market, _ = busy
    np.testing.assert_array_equal(
        market.index_levels(), (market.closes / market.closes[0]) @ market.weights0.T
    )


def _index_fund(path: MarketPath, b: int) -> np.ndarray:
    """Value of $1 invested on day 0 in benchmark ``b``, held in shares: each day marked at the
    closes plus what its members paid out (a spin-off's new shares at their close, a return of
    capital's cash); a member that leaves the index (``moves`` to -1) is sold at its close (its
    holders' deal), a renamed one becomes the new ticker's shares, and the cash goes back into
    the members in proportion to what the fund holds of each."""
    col = {s: j for j, s in enumerate(path.symbols)}
    shares = path.weights0[b] / path.closes[0]
    value = [1.0]
    for t in range(1, path.dates.size):
        cash = 0.0
        for a in path.actions_on(t).to_dict("records"):
            j = col[a["symbol"]]
            if a["kind"] == "SPINOFF":
                cash += shares[j] * a["ratio"] * path.closes[t, col[a["new_symbol"]]]
            elif a["kind"] == "RETURN_OF_CAPITAL":
                cash += shares[j] * a["amount_per_share"]
        for day, j, to in path.moves:
            if day == t:
                if to >= 0:
                    shares[to] += shares[j] * path.closes[t, j] / path.closes[t, to]
                else:
                    cash += shares[j] * path.closes[t, j]
                shares[j] = 0.0
        held = shares @ path.closes[t]
        shares = shares * (held + cash) / held
        value.append(held + cash)
    return np.array(value)


def test_the_level_is_what_an_index_fund_holding_the_index_is_worth(busy):
    """Every kind of action at 12x the realistic rates over 300 days: the level of each benchmark
    is the value of a fund that holds the index's shares through them."""
    _, path = busy
    kinds = set(path.actions["kind"])
    assert kinds >= {"SPINOFF", "MERGER_CASH", "MERGER_STOCK", "RETURN_OF_CAPITAL"}
    levels = path.index_levels()
    for b in range(path.benchmark_ids.size):
        np.testing.assert_allclose(levels[:, b], _index_fund(path, b), rtol=1e-9)


def test_no_action_names_a_ticker_after_it_changed(busy):
    """A renamed security trades on under its new ticker only; an action drawn on the old one
    later (before 2026-12-07: a cash merger of NPW 50 days after NPW became NPWN, which left
    NPWN's index weight following the frozen deal price) names a security no holder has."""
    _, path = busy
    actions = path.actions
    changes = actions[actions["kind"] == "SYMBOL_CHANGE"]
    assert len(changes)
    for change in changes.to_dict("records"):
        later = actions[actions["ex_date"] > change["ex_date"]]
        named = set(later["symbol"]) | set(later["new_symbol"].dropna())
        assert change["symbol"] not in named
