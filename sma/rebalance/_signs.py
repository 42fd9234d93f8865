"""One account's optimal trades under the non-convex rule "no buy and loss sale of one identical
group".

Moehle, Kochenderfer, Boyd & Ang, "Tax-Aware Portfolio Construction via Convex Optimization"
(JOTA 2021), section 5: with buys and lot sales as independent variables the problem is the convex
relaxation in which each security's trade cost is replaced by its convex envelope. Step 1 solves
that relaxation (lots pooled, loosely: it only chooses sides, see ``_sides``); step 2 solves the
full lot problem with every contested group's side fixed. Step 3 (``_sign_search``) flips one
group's side at a time while that lowers the objective, within a budget of solves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.rebalance._params import EngineParams, SignMethod
from sma.rebalance._problem import AccountProblem
from sma.rebalance._qp import QPResult, solve_trade_qp
from sma.rebalance._sides import (
    conflicting_groups,
    contested_groups,
    groups_of_variables,
    keep_for_sides,
    loss_sold_groups,
    lot_buckets,
    sides_from_local_cost,
    sides_from_relaxed_sign,
)
from sma.rebalance._sign_search import improve_sides, solve_screened
from sma.risk import tracking_error

_FORECAST_TOLERANCE = 3e-2  # the sided bucket solve of ``forecast_tracking_error``


@dataclass(frozen=True)
class ContinuousDecision:
    """The optimiser's trades before rounding, in weights.

    buys : ndarray (nb,) — per buy variable of the problem
    sells : ndarray (nl,) — per sell variable (lot) of the problem
    status : str — 'optimal', 'max_iter', 'infeasible'
    objective : float — risk_aversion * TE^2 + tax + trading cost, at these trades
    conflicts : int — identical groups where the relaxation bought and sold at a loss
    iterations : int — interior-point iterations over all solves
    keep : ndarray (nv,) bool — the variables of the final convex solve (all, when no side was
    fixed)
    """

    buys: np.ndarray
    sells: np.ndarray
    status: str
    objective: float
    conflicts: int
    iterations: int
    keep: np.ndarray | None = None


def max_cash_raise(problem: AccountProblem, keep_sell: np.ndarray | None = None) -> float:
    """Most cash (weight, before trading costs) sells alone can raise within the gain budget:
    losses first, then smallest gains. ``keep_sell`` (nl,) bool: the lot sales allowed (default
    all)."""
    qp, nb = problem.qp, problem.n_buys
    if keep_sell is None:
        keep_sell = np.ones(qp.asset.size - nb, bool)
    size = qp.upper[nb:][keep_sell]
    gain = problem.lot_gain[keep_sell]
    order = np.argsort(gain, kind="stable")
    size, gain = size[order], gain[order]
    realized = np.cumsum(size * gain)
    fits = realized <= problem.budget + 1e-12
    full = size[fits].sum()
    first_over = np.flatnonzero(~fits)
    if first_over.size:
        i = first_over[0]
        room = problem.budget - (realized[i - 1] if i > 0 else 0.0)
        full += max(room / gain[i], 0.0)
    return float(full)


def solve_account(
    problem: AccountProblem,
    group_of_asset: np.ndarray,
    params: EngineParams,
    search_below_te: float = np.inf,
    relaxed: QPResult | None = None,
    buckets: AccountProblem | None = None,
) -> ContinuousDecision:
    """Trades in weights that respect every constraint including the wash-sale sign rule.

    Step 1 (sides): the relaxation of ``lot_buckets(problem)``, solved loosely — it only has to tell
    the sides apart. When it respects the rule, the full problem is solved tightly and, if that too
    respects the rule, it is optimal for the non-convex problem and returned as is. Step 2: the full
    problem with every contested group's side fixed; then ``improve_sides`` flips sides one group at
    a time while that helps, for at most ``params.sign_search_solves`` solves. Trades below
    ``params.trade_epsilon`` (interior-point residue) are set to exactly zero, so the rule is
    checked on the traded values. When the two-step answer's tracking error (annual) is above
    ``search_below_te``, it is returned without the search: the caller raises risk aversion for an
    answer that far above the account's limit (``_decide``), so the search would be spent on an
    answer thrown away. ``relaxed``: the relaxation of ``lot_buckets(problem)`` when the caller
    has solved it already (``forecast_tracking_error``), so it is not solved again; ``buckets``:
    ``lot_buckets(problem)`` when the caller has built it already.
    """
    qp, nb, eps = problem.qp, problem.n_buys, params.trade_epsilon
    tol, iters = params.solver_tolerance, params.solver_max_iterations
    all_sells = np.ones(qp.asset.size - nb, bool)
    if (
        problem.kappa < 0
        and max_cash_raise(problem, all_sells) * (1 - params.trading_cost) < -problem.kappa
    ):
        return ContinuousDecision(
            np.zeros(nb), np.zeros(all_sells.size), "infeasible", np.nan, 0, 0
        )
    if params.sign_method == SignMethod.RELAX_AND_NET:
        return _relax_and_net(problem, group_of_asset, params)
    sides = lot_buckets(problem) if buckets is None else buckets
    if relaxed is None:
        relaxed = solve_trade_qp(sides.qp, params.relaxation_tolerance, iters)
    conflicts = conflicting_groups(sides, relaxed.v, group_of_asset, eps)
    iterations = relaxed.iterations
    if relaxed.status == "optimal" and conflicts.size == 0:
        full = solve_trade_qp(qp, tol, iters)
        iterations += full.iterations
        conflicts = conflicting_groups(problem, full.v, group_of_asset, eps)
        if full.status != "optimal" or conflicts.size == 0:
            return _decision(problem, full.v, full, conflicts.size, iterations, eps)
        sides, relaxed = problem, full
    if relaxed.status != "optimal":
        return _decision(problem, np.zeros(qp.asset.size), relaxed, conflicts.size, iterations, eps)
    if params.sign_method == SignMethod.TWO_STEP_LOCAL:
        sell_side, buy_side = sides_from_local_cost(sides, relaxed.v, group_of_asset)
    else:
        sell_side, buy_side = sides_from_relaxed_sign(sides, relaxed.v, group_of_asset, eps)
    keep = keep_for_sides(problem, group_of_asset, sell_side, buy_side)
    if (
        problem.kappa < 0
        and max_cash_raise(problem, keep[nb:]) * (1 - params.trading_cost) < -problem.kappa
    ):
        # The buy side would leave too little to sell for the cash target. Selling wherever the
        # relaxation sold at a loss keeps the relaxation's own sales, which raise enough.
        loss_sold = loss_sold_groups(sides, relaxed.v, group_of_asset, eps)
        contested = contested_groups(problem, group_of_asset)
        keep = keep_for_sides(
            problem,
            group_of_asset,
            np.intersect1d(contested, loss_sold),
            np.setdiff1d(contested, loss_sold),
        )
    v, second, its = solve_screened(problem, keep, sides, relaxed, params)
    iterations += its
    if (
        second.status == "optimal"
        and params.sign_search_solves > 0
        and (np.isinf(search_below_te) or _tracking_error(problem, v) <= search_below_te)
    ):
        found = improve_sides(problem, group_of_asset, params, v, second, keep)
        v, second, keep, iterations = (
            found.v,
            found.result,
            found.keep,
            iterations + found.iterations,
        )
    return _decision(problem, v, second, conflicts.size, iterations, eps, keep)


def forecast_tracking_error(
    problem: AccountProblem,
    group_of_asset: np.ndarray,
    params: EngineParams,
    buckets: AccountProblem | None = None,
) -> tuple[QPResult, float]:
    """Steps 1 and 2 on the lot buckets alone: the loose relaxation of ``lot_buckets(problem)``
    that ``solve_account`` starts from, and the tracking error (annual) after the buckets' answer
    with each contested group's side fixed as ``solve_account`` fixes it (nan unless solved). A
    forecast of the two-step answer's tracking error for the price of two small loose solves: the
    relaxation's own is no forecast, as it may sell a loss and buy the same name back (tracking
    far better than any answer that keeps the wash-sale rule). ``buckets``: ``lot_buckets(problem)``
    when the caller has built it already."""
    eps, iters = params.trade_epsilon, params.solver_max_iterations
    sides = lot_buckets(problem) if buckets is None else buckets
    relaxed = solve_trade_qp(sides.qp, params.relaxation_tolerance, iters)
    if relaxed.status != "optimal":
        return relaxed, np.nan
    if conflicting_groups(sides, relaxed.v, group_of_asset, eps).size == 0:
        return relaxed, _tracking_error(sides, relaxed.v)
    if params.sign_method == SignMethod.TWO_STEP_LOCAL:
        sell_side, buy_side = sides_from_local_cost(sides, relaxed.v, group_of_asset)
    else:
        sell_side, buy_side = sides_from_relaxed_sign(sides, relaxed.v, group_of_asset, eps)
    keep = keep_for_sides(sides, group_of_asset, sell_side, buy_side)
    sided = solve_trade_qp(sides.qp.restrict(keep), _FORECAST_TOLERANCE, iters)
    if sided.status != "optimal":
        return relaxed, np.nan
    v = np.zeros(keep.size)
    v[keep] = sided.v
    return relaxed, _tracking_error(sides, v)


def _tracking_error(problem: AccountProblem, v: np.ndarray) -> float:
    """Tracking error (annual) after the trades ``v`` (all variables of ``problem.qp``)."""
    return float(
        tracking_error(problem.risk, problem.w0 - problem.target + problem.qp.net_trade(v))
    )


def _relax_and_net(problem: AccountProblem, group_of_asset: np.ndarray, params: EngineParams):
    """The weak heuristic, for comparison: the relaxation, each conflicting group netted, no second
    solve."""
    qp, eps = problem.qp, params.trade_epsilon
    relaxed = solve_trade_qp(qp, params.solver_tolerance, params.solver_max_iterations)
    conflicts = conflicting_groups(problem, relaxed.v, group_of_asset, eps)
    if relaxed.status != "optimal" or conflicts.size == 0:
        return _decision(problem, relaxed.v, relaxed, conflicts.size, relaxed.iterations, eps)
    gb, gs = groups_of_variables(problem, group_of_asset)
    net = np.bincount(
        group_of_asset[problem.assets], qp.net_trade(relaxed.v), minlength=group_of_asset.max() + 1
    )
    netted = _net_out(problem, relaxed.v, conflicts, net, gb, gs)
    return _decision(problem, netted, relaxed, conflicts.size, relaxed.iterations, eps)


def _net_out(problem, v, conflicts, net, gb, gs) -> np.ndarray:
    """The weak heuristic: in each conflicting group keep only the side of the net trade, scaled to
    it."""
    nb = problem.n_buys
    out = v.copy()
    buys, sells = out[:nb], out[nb:]
    for g in conflicts:
        in_b, in_s = gb == g, gs == g
        if net[g] >= 0:
            total = buys[in_b].sum()
            buys[in_b] *= net[g] / total if total > 0 else 0.0
            sells[in_s] = 0.0
        else:
            total = sells[in_s].sum()
            sells[in_s] *= -net[g] / total if total > 0 else 0.0
            buys[in_b] = 0.0
    return out


def _decision(
    problem: AccountProblem,
    v: np.ndarray,
    result: QPResult,
    conflicts: int,
    iterations: int,
    eps: float,
    keep: np.ndarray | None = None,
):
    nb = problem.n_buys
    v = np.where(v > eps, v, 0.0)
    return ContinuousDecision(
        v[:nb].copy(),
        v[nb:].copy(),
        result.status,
        problem.qp.objective(v) + problem.te2_offset,
        conflicts,
        iterations,
        np.ones(v.size, bool) if keep is None else keep,
    )
