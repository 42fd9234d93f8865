"""From the optimiser's answer to the orders an account can actually place.

``round_to_whole_shares`` (``_rounding``) makes one answer tradable; here the answer is also
concentrated where whole shares and min_trade_value would otherwise throw most of it away.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams
from sma.rebalance._problem import AccountProblem
from sma.rebalance._qp import solve_trade_qp
from sma.rebalance._rounding import (
    Rounded,
    meets_constraints,
    round_to_whole_shares,
    trade_weights,
    whole_orders,
)
from sma.rebalance._sampling import MAX_MOVES, SearchHessian, choose_names, hessian
from sma.rebalance._signs import ContinuousDecision

# How much better (objective, fraction of value) the optimiser's answer must be than the search from
# the names held: 1 bp, and 5 % of every dollar of held names it sells without a loss to harvest
# (a sale that only swaps one name for another must earn 100 times its trading cost).
_CHURN_HURDLE = 1e-4
_CHURN_HURDLE_PER_SALE = 0.05
# Names are searched for when whole shares cost the answer more than this (objective, fraction of
# value) beside the convex optimum.
_SEARCH_FROM = 1e-4


def _churned(ws) -> float:
    """USD of lots sold at no loss: the sales that change the names held without a tax reason."""
    return float((ws.sell * ws.sell_price)[ws.gain_per_share >= 0].sum())


def _objective(problem: AccountProblem, rounded: Rounded) -> float:
    return (
        problem.qp.objective(trade_weights(rounded.shares, problem.value)) if rounded.ok else np.inf
    )


def tradable(
    problem: AccountProblem,
    continuous: ContinuousDecision,
    shard: ShardInputs,
    params: EngineParams,
) -> Rounded:
    """Whole-share trades of the optimiser's answer, concentrated where min_trade_value bites.

    The convex problem knows nothing of whole shares or min_trade_value, so in a small account (or
    one with a large minimum) it may spread a contribution over hundreds of names in amounts that
    rounding then drops. Up to ``params.min_trade_resolves`` times, the problem is solved again with
    only the trades big enough to survive (each buy and each security's sale at least
    min_trade_value, or the largest buys when none is), so the optimiser puts the money where it
    can go; the rounded answer with the lowest objective (tracking error, tax and cost) is kept, and
    it is never worse than starting from no trade.
    Trades are only ever taken away from a side-fixed answer, so the wash-sale sign rule holds.

    Then the names: whole-share moves (buys, sales and swaps between names, ``_sampling``) improve
    both the no-trade start and the best rounded answer; the second is taken only when it is better
    by ``_CHURN_HURDLE`` (more when it sells held names without a loss to harvest), so an account
    too small to hold every name keeps the subset it holds until a reason to change it outweighs
    the churn. An account that allows fractional shares can hold every name of its index, so the
    name search is skipped for it.
    """
    best = rounded = round_to_whole_shares(problem, continuous, shard, params)
    convex = (
        continuous.objective - problem.te2_offset
    )  # the objective without whole shares (nan: none)
    keep = continuous.keep if continuous.keep is not None else np.ones(problem.qp.asset.size, bool)
    v = np.concatenate([continuous.buys, continuous.sells])
    nb, value = problem.n_buys, problem.value
    used = None
    for _ in range(params.min_trade_resolves):
        survived = trade_weights(rounded.shares, value) > 0
        lost = (v > 0) & ~survived
        if not lost.any() or v[lost].sum() < params.min_trade_resolve_fraction:
            break
        use = keep & (
            survived | _big_enough(problem, v, float(shard.min_trade_value[problem.account]))
        )
        if used is not None and np.array_equal(use, used):
            break  # the same problem as the last re-solve: its answer is already rounded
        used = use
        # The others fixed at zero; securities left without a trade leave the factor algebra.
        result = solve_trade_qp(
            problem.qp.fix(use, np.zeros_like(use)),
            params.solver_tolerance,
            params.solver_max_iterations,
        )
        if result.status != "optimal":
            break
        v = np.zeros(keep.size)
        v[use] = np.where(result.v > params.trade_epsilon, result.v, 0.0)
        continuous = replace(continuous, buys=v[:nb], sells=v[nb:])
        rounded = round_to_whole_shares(problem, continuous, shard, params)
        if _objective(problem, rounded) < _objective(problem, best):
            best = rounded
    # Never worse than the whole-share trades that start from no trade at all: just the leftover
    # cash invested (or the cash target raised), each share only where it lowers the objective.
    nb, nl = problem.n_buys, keep.size - problem.n_buys
    start = round_to_whole_shares(
        problem, replace(continuous, buys=np.zeros(nb), sells=np.zeros(nl)), shard, params
    )
    best = start if _objective(problem, start) < _objective(problem, best) else best
    if _objective(problem, best) - convex < _SEARCH_FROM:  # whole shares cost (almost) nothing here
        return best
    if shard.fractional(problem.account):  # holds every name: no subset to choose
        return best
    # The name search from the positions held, and from the optimiser's answer: the second only when
    # it is better by more than the hurdle, so names held are not churned for a local search's
    # noise.
    if best is start:
        return _chosen_names(problem, start, shard, params, MAX_MOVES)
    # A night that keeps its names needs few moves; a search from them that needs many is rebuilding
    # the account, which it does better from the optimiser's answer. The search from the names held
    # can only win by ending within the hurdle of the other's objective, and the hurdle is at most
    # ``most``: once it forecasts that it will not get there, it gives up and the optimiser's answer
    # is taken, as it would have been (README "Measuring": on the 10,000-account bench night it gave
    # up in two of three of these searches, never where it would have won).
    terms = hessian(problem)  # the same problem searched twice
    moved = _chosen_names(problem, best, shard, params, MAX_MOVES, terms)
    most = _CHURN_HURDLE + _CHURN_HURDLE_PER_SALE * _churned(moved.shares) / problem.value
    to_win = _objective(problem, moved) + most - _objective(problem, start)
    held, gave_up = _searched(problem, start, shard, params, MAX_MOVES // 5, terms, to_win)
    if gave_up:
        return moved
    churn = max(_churned(moved.shares) - _churned(held.shares), 0.0) / problem.value
    hurdle = _CHURN_HURDLE + _CHURN_HURDLE_PER_SALE * churn
    return moved if _objective(problem, moved) < _objective(problem, held) - hurdle else held


def _chosen_names(
    problem: AccountProblem,
    rounded: Rounded,
    shard: ShardInputs,
    params: EngineParams,
    moves: int,
    terms: SearchHessian | None = None,
) -> Rounded:
    """The rounded answer improved by whole-share moves, buys and sales and swaps between names
    (``_sampling``: which names a small account holds); an answer that misses a constraint is left
    as it is, for the shortfall to be reported."""
    return _searched(problem, rounded, shard, params, moves, terms, np.inf)[0]


def _searched(
    problem: AccountProblem,
    rounded: Rounded,
    shard: ShardInputs,
    params: EngineParams,
    moves: int,
    terms: SearchHessian | None,
    give_up_above: float,
) -> tuple[Rounded, bool]:
    """``_chosen_names``, and whether the search gave up: it forecast that its objective would not
    fall to ``give_up_above`` from the rounded answer's (a change, ``choose_names``); then the
    rounded answer as it was."""
    if not rounded.ok:
        return rounded, False
    a, tc = problem.account, params.trading_cost
    cash_now = float(shard.cash[a] + shard.cash_flow[a])
    target_cash = float(shard.cash_target[a] * problem.value)
    budget, min_value = problem.budget * problem.value, float(shard.min_trade_value[a])
    ws = replace(rounded.shares, buy=rounded.shares.buy.copy(), sell=rounded.shares.sell.copy())
    made = choose_names(
        ws,
        problem,
        cash_now,
        target_cash,
        budget,
        min_value,
        tc,
        shard.identical_group[problem.assets],
        moves,
        terms,
        give_up_above,
    )
    if made is None:
        return rounded, True
    if not shard.fractional(a):  # the moves sell lots' fractions: orders whole again
        whole_orders(ws, shard, problem, budget)
    ok = meets_constraints(ws, cash_now, target_cash, budget, min_value, problem.assets.size, tc)
    return (Rounded(ws, ok, rounded.shortfall) if ok else rounded), False


def _big_enough(problem: AccountProblem, v: np.ndarray, min_value: float) -> np.ndarray:
    """Trades (problem variables) of at least ``min_value`` USD: each buy, each security's sale.
    When no buy is, the largest buys, as many as the money bought would fill at twice ``min_value``
    each."""
    nb, usd = problem.n_buys, v * problem.value
    sold = np.bincount(problem.qp.asset[nb:], usd[nb:], minlength=problem.assets.size)
    big = np.concatenate([usd[:nb] >= min_value, sold[problem.qp.asset[nb:]] >= min_value]) & (
        v > 0
    )
    if not big[:nb].any() and usd[:nb].sum() > 0:
        count = max(1, int(usd[:nb].sum() // max(2.0 * min_value, 1.0)))
        big[np.argsort(-usd[:nb], kind="stable")[:count]] = True
    return big
