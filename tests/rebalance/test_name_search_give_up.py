"""The name search from the names held gives up once it cannot win (issue 23).

A whole-share account too small for every name of its index searches its names twice
(``sma/rebalance/_tradable.py``): from the names it holds (at most 200 moves) and from the
optimiser's answer (at most 1,000). The first is taken unless the second ends more than a churn
hurdle below it, so names held are not churned for a local search's noise. On the 10,000-account
bench night the searches from the names held were two thirds of the name search's time, and the
answer from the optimiser's was taken in four of five. The search from the names held is now run
second, with the objective it must reach to win (``choose_names(..., give_up_above)``), and stops
as soon as a generous forecast says it will not get there: the optimiser's answer is taken, as it
would have been.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sma.rebalance._tradable as tradable
from sma.rebalance import EngineParams, build_problem, decide
from sma.rebalance._rounding import round_to_whole_shares, trade_weights
from sma.rebalance._sampling import choose_names
from sma.rebalance._signs import ContinuousDecision
from tests.rebalance.test_whole_share_sampling import account, index_universe, small_accounts

TC = EngineParams().trading_cost
PARAMS = EngineParams(sma_minimum_usd=0.0)  # small accounts, not flagged for their size here


def _start(shard, model, params=PARAMS):
    """The account's problem and its no-trade whole-share start (what the search from the names
    held starts from)."""
    problem = build_problem(shard, 0, model, params)
    nb, nl = problem.n_buys, problem.lots.size
    start = round_to_whole_shares(
        problem, ContinuousDecision(np.zeros(nb), np.zeros(nl), "optimal", 0.0, 0, 0), shard, params
    )
    return problem, start


def _search(shard, problem, start, moves, give_up_above=np.inf):
    """``choose_names`` from a copy of ``start``: (its result, the trades it left)."""
    ws = replace(start.shares, buy=start.shares.buy.copy(), sell=start.shares.sell.copy())
    made = choose_names(
        ws,
        problem,
        float(shard.cash[0]),
        float(shard.cash_target[0] * problem.value),
        problem.budget * problem.value,
        float(shard.min_trade_value[0]),
        TC,
        shard.identical_group[problem.assets],
        moves,
        None,
        give_up_above,
    )
    return made, ws


def _objective(problem, ws) -> float:
    return float(problem.qp.objective(trade_weights(ws, problem.value)))


def _cash_account():
    """Issue 17's $50k account funded with cash over a 300-name index: its search makes hundreds
    of one-share moves."""
    symbols, prices, weights, model = index_universe(300, seed=17)
    shard = account(symbols, prices, weights, cash=50_000.0)
    return shard, model


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=small_accounts(), bound=st.one_of(st.floats(-0.05, 0.0), st.just(-np.inf)))
def test_a_search_that_does_not_give_up_makes_the_moves_it_makes_without_a_bound(kw, bound):
    """Property: the bound only ever stops a search. Whatever ``give_up_above``, the search either
    gives up (None) or returns the same moves and trades as without one; a bound at or above where
    it starts (0: nothing asked) never makes it give up."""
    symbols, prices, weights = kw.pop("symbols"), kw.pop("prices"), kw.pop("weights")
    shard = account(symbols, prices, weights, **kw)
    _, _, _, model = index_universe(40, seed=0)
    problem, start = _start(shard, model, EngineParams())
    if not start.ok:
        return
    made, ws = _search(shard, problem, start, 400)
    bounded, bws = _search(shard, problem, start, 400, bound)
    if bound >= 0.0:
        assert bounded is not None
    if bounded is not None:
        assert bounded == made
        np.testing.assert_array_equal(bws.buy, ws.buy)
        np.testing.assert_array_equal(bws.sell, ws.sell)


def test_asked_for_the_impossible_the_search_gives_up_part_of_the_way():
    """A fall of the objective by the whole account's value cannot happen: the search gives up
    after at least 20 moves (its first forecast) and before the end of its run, its trades those of
    the search cut short there."""
    shard, model = _cash_account()
    problem, start = _start(shard, model)
    full, ws_full = _search(shard, problem, start, 200)
    assert full == 200  # the held search's cap: a rebuild is longer than that
    made, ws = _search(shard, problem, start, 200, give_up_above=-1.0)
    assert made is None
    stopped_at = [
        k
        for k in range(20, full)
        if np.array_equal(_search(shard, problem, start, k)[1].buy, ws.buy)
    ]
    assert stopped_at, "not the trades of any shorter search"
    assert _objective(problem, ws) > _objective(problem, ws_full)


@pytest.mark.parametrize("share", [1.0, 0.9, 0.5])
def test_a_search_asked_for_what_it_reaches_does_not_give_up(share):
    """The forecast is generous: asked to come ``share`` of the way it does come (its objective's
    own fall, measured by ``qp.objective`` after all its moves), the $50k account's search of
    hundreds of moves goes the whole way and makes the same moves as without a bound."""
    shard, model = _cash_account()
    problem, start = _start(shard, model)
    made, ws = _search(shard, problem, start, 1000)
    fall = _objective(problem, ws) - _objective(problem, start.shares)
    assert fall < 0
    bounded, bws = _search(shard, problem, start, 1000, give_up_above=share * fall)
    assert bounded == made
    np.testing.assert_array_equal(bws.buy, ws.buy)


def _concentrated(seed: int):
    """A ~$100k account holding 15 of its 300 index names (~$6k each, bought at 70-130 % of today's
    price), some cash: far from its index, so the search from the names held is a rebuild."""
    symbols, prices, weights, model = index_universe(300, seed=seed)
    rng = np.random.default_rng(seed)
    lots = []
    for j in rng.choice(300, 15, replace=False):
        shares = float(np.floor(6_000 / prices[j]) + 1)
        basis = shares * prices[j] * float(rng.uniform(0.7, 1.3))
        lots.append((str(symbols[j]), shares, basis, bool(rng.random() < 0.5)))
    return account(symbols, prices, weights, lots=lots, cash=float(rng.uniform(0, 20_000))), model


@pytest.mark.parametrize("seed", [0, 3, 6])
def test_a_rebuilding_account_gets_the_trades_it_got_with_both_searches_run_in_full(
    seed, monkeypatch
):
    """The night's decision is the one the two searches run in full gave (the hurdle rule of
    ``tradable``), and the search from the names held did give up on the way."""
    shard, model = _concentrated(seed)
    gave_up = []
    search = tradable.choose_names

    def counted(ws, *args):
        made = search(ws, *args)
        if np.isfinite(args[-1]):
            gave_up.append(made is None)
        return made

    monkeypatch.setattr(tradable, "choose_names", counted)
    now = decide(shard, model, PARAMS)
    assert gave_up == [True]

    def in_full(ws, *args):
        return search(ws, *args[:-1])  # every search without its bound: the rule before issue 23

    monkeypatch.setattr(tradable, "choose_names", in_full)
    before = decide(shard, model, PARAMS)
    assert len(now.trades) > 100
    for got, want in ((now.trades, before.trades), (now.lot_sells, before.lot_sells)):
        assert got.reset_index(drop=True).equals(want.reset_index(drop=True))
    assert now.records.iloc[0].objective == before.records.iloc[0].objective
