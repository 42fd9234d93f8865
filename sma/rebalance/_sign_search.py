"""A better side per contested identical group than the two-step rule: a local search flipping one
side at a time.

Once every contested group has a side (buy, or sell at a loss; never both tonight: IRC section 1091,
IRS Publication 550, "Wash Sales"), the account's problem is convex (Moehle, Kochenderfer, Boyd &
Ang, "Tax-Aware Portfolio Construction via Convex Optimization", JOTA 2021, section 5). From the
two-step answer, the search flips one group's side and solves again, keeping the flip when the
objective falls, until no flip helps or its budget of convex solves is spent
(``search_budget``: at least ``EngineParams.sign_search_solves``, more for a small account whose
solves are cheap) — a budget counted in solves and variables, not milliseconds, so the same inputs
give the same trades on any machine however loaded. It never returns anything worse than where it
started.

Only flips that can help are tried (KKT conditions): a flip adds back the group's other side and
drops its current one. If no variable of the other side has a negative reduced cost at the
current answer, that answer stays optimal with them added back, and dropping the current side can
only cost more; so only groups whose other side has a negative reduced cost are candidates, the
most negative first. Candidates whose current side trades nothing are flipped together: the
current answer stays allowed, so that one solve cannot do worse (on 500 names it captures nearly
all of the gain). Most single flips do not help; a lower bound on a flip's optimum from the current
answer's duals (``_flip_bound``) proves most of those above the best so far without a solve, and
such a flip is counted as the solve it would have cost, so the search's path is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sma.rebalance._flip_bound import bounder, lazy_factor
from sma.rebalance._params import EngineParams
from sma.rebalance._problem import AccountProblem
from sma.rebalance._qp import QPResult, StillAbove, TradeQP, solve_trade_qp
from sma.rebalance._sides import (
    contested_groups,
    group_mask,
    groups_of_variables,
)

# Solves of a screened problem before its answer is taken as it is (each frees the fixed variables
# the KKT check found on the wrong side).
_SCREEN_ROUNDS = 4


@dataclass(frozen=True)
class SearchResult:
    """The best allowed answer found (the one it started from when no flip helped).

    v : ndarray (nv,) — trades over all variables of ``problem.qp``, zero outside ``keep``
    result : QPResult — the convex solve that gave ``v`` (its ``v`` over the solved variables only)
    keep : ndarray (nv,) bool — the variables its sides allow
    objective : float — objective of ``v`` (with ``problem.te2_offset``), trades below epsilon read
    as none
    solves, iterations, flips : int — convex solves and interior-point iterations spent, flips kept
    """

    v: np.ndarray
    result: QPResult
    keep: np.ndarray
    objective: float
    solves: int
    iterations: int
    flips: int


def snapped_objective(problem: AccountProblem, v: np.ndarray, eps: float) -> float:
    """The objective of ``v`` as the engine reads it: trades below ``eps`` (solver residue) are
    none."""
    return problem.qp.objective(np.where(v > eps, v, 0.0)) + problem.te2_offset


def solve_screened(
    problem: AccountProblem,
    keep: np.ndarray,
    sides: AccountProblem,
    start: QPResult,
    params: EngineParams,
    unsettled: np.ndarray | None = None,
    reject_above: float = np.inf,
    start_reduced: np.ndarray | None = None,
) -> tuple[np.ndarray, QPResult, int]:
    """Solve the full problem on ``keep`` as a smaller one whose answer is the same (KKT
    conditions).

    At ``start`` (an answer of ``sides``: the problem itself or its lot buckets, over all its
    variables) a variable whose reduced cost is clearly positive (most gain lots, buys of
    overweight names) is left at zero; when ``start`` is an answer of the problem itself, one at
    its upper bound whose reduced cost is clearly negative (most loss lots to harvest) is fixed
    there. Variables where ``unsettled`` (nv,) bool (a flipped group's: the start says little about
    them) are never fixed. The problem is solved over the rest, with the
    securities whose trades are all fixed out of the factor algebra. Any fixed variable whose
    reduced cost at the answer has the wrong sign is freed and the problem solved again, so the
    answer is the optimum over all of ``keep``; a screened problem with no answer is solved again
    with the sales fixed in full freed, then the trades left at zero. Returns the answer over all
    variables, the last solve (its ``objective`` over all variables) and the iterations of every
    solve.

    ``reject_above`` (objective of ``problem.qp``): a caller that only wants an answer below it
    gets status 'above' as soon as a solve proves the optimum over all of ``keep`` above it (its
    lower bound, less what the variables fixed out of it could still gain at that iterate: the
    bound then holds for the whole problem); every other answer is the same as without it.
    ``start_reduced``: the reduced cost of every variable at ``start`` when ``sides`` is the
    problem itself and the caller has it already (``qp.reduced_cost(start.v, start.eta)``).
    """
    qp = problem.qp
    zero, full, its = _fixed_at_start(problem, keep, sides, start, params, unsettled, start_reduced)
    for _ in range(_SCREEN_ROUNDS):
        free = keep & ~zero & ~full
        result = solve_trade_qp(
            qp.fix(free, full),
            params.solver_tolerance,
            params.solver_max_iterations,
            reject_above,
            _bound_over(qp, keep, free, full, reject_above),
        )
        v = np.where(full, qp.upper, 0.0)
        v[free] = result.v
        if result.status == "above":
            return v, result, its + result.iterations
        its += result.iterations
        if result.status != "optimal" or result.eta is None:
            if full.any():
                full[:] = False  # the sales fixed in full may have spent what the cash row allows
            elif zero.any():
                zero[:] = False  # the trades left out may be the ones the cash row needs
            else:
                break
            continue
        if not _free_wrong_sides(zero, full, qp.reduced_cost(v, result.eta)):
            break
    return v, result, its


@njit(cache=True)
def _free_wrong_sides(zero, full, reduced) -> bool:
    """Frees, in place, every variable left at zero whose reduced cost is clearly negative and
    every one fixed in full whose reduced cost is clearly positive (on the wrong side of the KKT
    conditions); whether there was any."""
    wrong = False
    for j in range(reduced.size):
        if (zero[j] and reduced[j] < -1e-9) or (full[j] and reduced[j] > 1e-9):
            zero[j] = full[j] = False
            wrong = True
    return wrong


def _bound_over(qp, keep, free, full, reject_above: float) -> StillAbove | None:
    """``still_above`` for a solve of ``qp.fix(free, full)`` (``solve_trade_qp``): whether its
    lower bound, at an iterate, still holds above ``reject_above`` for ``qp`` over all of ``keep``.
    The bound of the smaller problem assumed the fixed variables stay where they are; over the
    whole box each could still move to the bound its reduced cost points to, which lowers the
    bound by its reduced cost times its room (the linearisation bound of ``_interior_point``)."""

    if reject_above == np.inf:
        return None  # the solve never stops early: nothing to check

    def still_above(v_free: np.ndarray, eta: np.ndarray, bound: float) -> bool:
        # (asked at most once a solve: nothing is worth taking ahead of it)
        z = _net_trade_with(full, free, v_free, qp.upper, qp.asset, qp.sign, qp.d.size)
        bb = qp.B @ (qp.B.T @ z)  # BLAS products and numpy's sums: their order, to the bit
        gain_zero, gain_full = _gain_of_fixed(
            keep, free, full, qp.asset, qp.sign, qp.cost, qp.upper, qp.d, qp.p, z, bb, qp.G.T @ eta
        )
        return bool(bound - (gain_zero.sum() + gain_full.sum()) > reject_above)

    return still_above


@njit(cache=True)
def _net_trade_with(full, free, v_free, upper, asset, sign, n) -> np.ndarray:
    """The net trade (n,) of the trades ``upper`` where ``full``, ``v_free`` (in order) where
    ``free``, zero elsewhere: ``net_trade`` of ``v = np.where(full, upper, 0.0)`` after
    ``v[free] = v_free``, in its order."""
    z = np.zeros(n)
    f = 0
    for j in range(upper.size):
        vj = upper[j] if full[j] else 0.0
        if free[j]:
            vj = v_free[f]
            f += 1
        z[asset[j]] += sign[j] * vj
    return z


@njit(cache=True)
def _gain_of_fixed(keep, free, full, asset, sign, cost, upper, d, p, z, bb, g_eta):
    """What each variable of ``keep`` fixed out of the solve could still gain, in variable order:
    of those at zero ``np.maximum(-reduced, 0.0) * upper``, of those in full
    ``np.maximum(reduced, 0.0) * upper``, ``reduced`` being ``TradeQP.reduced_cost`` from ``z``,
    ``bb = B B'z`` and ``g_eta = G'eta`` (numpy's operations in numpy's order; a NaN stays one)."""
    qz = np.empty(d.size)
    for i in range(d.size):
        qz[i] = d[i] * z[i] + bb[i] + p[i]
    n_zero = n_full = 0
    for j in range(keep.size):
        if keep[j] and not free[j]:
            if full[j]:
                n_full += 1
            else:
                n_zero += 1
    gain_zero, gain_full = np.empty(n_zero), np.empty(n_full)
    a = b = 0
    for j in range(keep.size):
        if keep[j] and not free[j]:
            reduced = sign[j] * qz[asset[j]] + cost[j] + g_eta[j]
            if full[j]:
                gain_full[b] = (reduced if reduced >= 0.0 or reduced != reduced else 0.0) * upper[j]
                b += 1
            else:
                lower = -reduced
                gain_zero[a] = (lower if lower >= 0.0 or lower != lower else 0.0) * upper[j]
                a += 1
    return gain_zero, gain_full


def _fixed_at_start(problem, keep, sides, start, params, unsettled, start_reduced=None):
    """The variables of ``keep`` that ``solve_screened`` first leaves at zero and fixes at their
    upper bound, (nv,) bool each, and the iterations spent finding them."""
    qp, margin = problem.qp, params.screen_margin
    if start_reduced is not None:
        reduced = start_reduced
    else:
        # The same net trades as the starting answer: each variable's reduced cost only needs z
        # and eta (``qp.reduced_cost`` when ``sides`` is the problem, to the bit). Without eta no
        # row adds to it (zeros: the +0.0 the sum adds without them).
        g_eta = qp.G.T @ start.eta if start.eta is not None else np.zeros(qp.asset.size)
        reduced = qp.reduced_cost_at(sides.qp.net_trade(start.v), g_eta)
    settled = keep if unsettled is None else keep & ~unsettled
    its = 0
    if sides is problem:
        zero, full = _clearly_at_bounds(
            settled, reduced, margin, start.v, qp.upper, params.trade_epsilon
        )
    else:
        zero = settled & (reduced > margin)
        # The lot buckets' answer may buy and harvest one group at once, so it only tells which lot
        # sales cost too much. A loose solve of the lots on their sides tells the rest.
        zero[: problem.n_buys] = False
        loose = solve_trade_qp(
            qp.fix(keep & ~zero, np.zeros_like(keep)),
            params.relaxation_tolerance,
            params.solver_max_iterations,
        )
        its += loose.iterations
        if loose.status == "optimal" and loose.eta is not None:
            v = np.zeros(keep.size)
            v[keep & ~zero] = loose.v
            reduced = qp.reduced_cost(v, loose.eta)
            zero = settled & (reduced > margin)
            full = settled & (reduced < -margin)
        else:
            full = np.zeros_like(keep)
    return zero, full, its


@njit(cache=True)
def _clearly_at_bounds(settled, reduced, margin, v, upper, eps):
    """Of the ``settled`` variables, those whose reduced cost is clearly positive (``> margin``:
    left at zero) and those whose reduced cost is clearly negative (``< -margin``) at their upper
    bound in ``v`` (within ``eps``: fixed there); (nv,) bool each, numpy's comparisons in one
    pass."""
    zero = np.empty(settled.size, np.bool_)
    full = np.empty(settled.size, np.bool_)
    for j in range(settled.size):
        zero[j] = settled[j] and reduced[j] > margin
        full[j] = settled[j] and reduced[j] < -margin and v[j] > upper[j] - eps
    return zero, full


def improve_sides(
    problem: AccountProblem,
    group_of_asset: np.ndarray,
    params: EngineParams,
    v: np.ndarray,
    result: QPResult,
    keep: np.ndarray,
) -> SearchResult:
    """Flip contested groups' sides from the allowed answer ``v`` (over all variables, optimal over
    the variables ``keep``, ``result`` its solve): first every candidate whose current side trades
    nothing, at once, then one candidate at a time, keeping the first move that lowers the objective
    and starting again from it, until no move helps or the account's budget of solves
    (``search_budget``) is spent."""
    eps, qp, nb = params.trade_epsilon, problem.qp, problem.n_buys
    budget = search_budget(params, qp.asset.size)
    contested = contested_groups(problem, group_of_asset)
    gb, gs = groups_of_variables(problem, group_of_asset)
    group_of_var = np.concatenate([gb, gs])
    # A flip moves a group's buys and loss sales in or out; its gain sales stay whatever the side.
    loss = problem.loss_lot()
    sided = np.concatenate([np.ones(nb, bool), loss])
    n_groups = int(group_of_asset.max()) + 1

    # a sell-side group has none of its buys kept
    sells = ~group_mask(gb[keep[:nb]], n_groups)[contested]
    best = snapped_objective(problem, v, eps)
    solves = iterations = flips = 0
    factor = lazy_factor(qp)
    while contested.size and solves < budget:
        # The reduced cost at the current answer: which flips may help, every trial's screening
        # and its lower bound (all start from this answer).
        reduced, bound = None, None
        if result.eta is not None:
            z = qp.net_trade(v)  # once, for both
            reduced = qp.reduced_cost_at(z, qp.G.T @ result.eta)
            bound = bounder(qp, z, result.eta, reduced, factor)
        candidates = _flips_that_may_help(
            qp, v, result, keep, sided, group_of_var, contested, reduced
        )
        idle = _side_idle(v, keep, sided, group_of_var, contested, eps, n_groups)[candidates]
        # Flipping every group whose current side does not trade keeps ``v`` allowed, so that one
        # solve cannot do worse; then the groups whose current side trades, one at a time.
        # (only as many single flips as the budget can still pay for: there may be hundreds)
        singles = candidates[~idle][: budget - solves]
        moves = ([candidates[idle]] if idle.any() else []) + [
            singles[i : i + 1] for i in range(singles.size)
        ]
        improved = False
        for move in moves[: budget - solves]:
            trial, trial_keep, unsettled = _trial_sides(
                sells, move, contested, n_groups, gb, gs, loss, group_of_var
            )
            above = _clearly_above(best, problem.te2_offset)
            if bound is not None and bound(trial_keep, unsettled) > above:
                # Proven above without a solve (``_flip_bound``): the solve would have been
                # rejected too. Counted as the solve it replaces, so the search's path and budget
                # stay the same.
                solves += 1
                continue
            trial_v, trial_result, its = solve_screened(
                problem,
                trial_keep,
                problem,
                _over_all(result, qp, v),
                params,
                unsettled,
                above,
                reduced,
            )
            solves, iterations = solves + 1, iterations + its
            if trial_result.status != "optimal":
                # these sides cannot meet the cash target (or the solver gave up), or their optimum
                # is clearly above the best so far: not a move
                continue
            value = snapped_objective(problem, trial_v, eps)
            if value < best - 1e-7 * max(abs(best), 1e-3):  # beyond the solver's own accuracy
                best, v, result, keep, sells = value, trial_v, trial_result, trial_keep, trial
                flips, improved = flips + move.size, True
                break
        if not improved:
            break
    return SearchResult(v, result, keep, best, solves, iterations, flips)


@njit(cache=True)
def _trial_sides(sells, move, contested, n_groups, gb, gs, loss, group_of_var):
    """One trial of ``improve_sides``: the sides ``sells`` (a bool per contested group: on the
    sell side) with the groups at ``move`` (positions in ``contested``) flipped; the variables
    those sides keep (``keep_for_sides``: no buy on the sell side, no loss sale (``loss``) on the
    buy side; ``gb``, ``gs`` the groups of the buys and sales); and the variables of the flipped
    groups (``group_of_var``), (nv,) bool each. One pass each instead of ~20 numpy calls."""
    trial = sells.copy()
    for m in move:
        trial[m] = not trial[m]
    side = np.zeros(n_groups, np.int8)  # 0 not contested, 1 sell side, 2 buy side
    for c in range(contested.size):
        side[contested[c]] = 1 if trial[c] else 2
    flipped = np.zeros(n_groups, np.bool_)
    for m in move:
        flipped[contested[m]] = True
    nb = gb.size
    keep = np.empty(nb + gs.size, np.bool_)
    for i in range(nb):
        keep[i] = side[gb[i]] != 1
    for lot in range(gs.size):
        keep[nb + lot] = not (side[gs[lot]] == 2 and loss[lot])
    unsettled = np.empty(group_of_var.size, np.bool_)
    for j in range(group_of_var.size):
        unsettled[j] = flipped[group_of_var[j]]
    return trial, keep, unsettled


def _clearly_above(best: float, te2_offset: float) -> float:
    """An objective (of ``problem.qp``, without ``te2_offset``) that a trial whose optimum is above
    it cannot beat ``best`` by the search's margin (1e-7 of it) even after the solver's own
    inaccuracy (relative gap ``solver_tolerance``, 1e-6; margin 1e-5 of the objective) and the
    snap of trades below ``trade_epsilon``: ``improve_sides`` stops such a trial's solve early
    and takes the same path as if it had solved it in full."""
    qp_best = best - te2_offset
    return qp_best + 1e-5 * max(abs(qp_best), 1e-3) + 1e-7 * max(abs(best), 1e-3)


def search_budget(params: EngineParams, variables: int) -> int:
    """Convex solves the side search may spend on an account with ``variables`` trade variables.

    At least ``params.sign_search_solves`` (0: no search), and more while the solves' variables add
    up to at most ``params.sign_search_work``, up to ``params.sign_search_max_solves``: each solve
    costs about its variable count, so this is a time budget per account that gives the same trades
    on any machine. A small account's solves are cheap and it gets more of them.
    """
    floor = params.sign_search_solves
    if floor <= 0:
        return 0
    by_work = params.sign_search_work // max(variables, 1)
    return int(max(floor, min(params.sign_search_max_solves, by_work)))


def _flips_that_may_help(
    qp, v, result, keep, sided, group_of_var, contested, reduced=None
) -> np.ndarray:
    """Positions in ``contested`` of the groups whose other side has a variable with a negative
    reduced cost at ``v`` (``reduced``, when the caller has it), most negative first (the module
    docstring says why no other flip can help)."""
    if reduced is None:
        eta = result.eta if result.eta is not None else np.zeros(qp.h.size)
        reduced = qp.reduced_cost(v, eta)
    slot = np.full(group_of_var.max() + 1, -1)
    slot[contested] = np.arange(contested.size)
    want = _least_reduced_cost(keep, sided, group_of_var, slot, reduced, contested.size)
    helps = np.flatnonzero(want < -1e-9)
    return helps[np.argsort(want[helps], kind="stable")]


@njit(cache=True)
def _least_reduced_cost(keep, sided, group_of_var, slot, reduced, n_slots):
    """The least reduced cost (0 when none is below it) of each contested group's other side: the
    variables of a side not kept, (n_slots,). ``np.minimum.at`` over them in their order, to the
    bit (np.minimum's rule: a NaN wins, and of two equal the second), in one pass."""
    want = np.zeros(n_slots)
    for i in range(keep.size):
        if keep[i] or not sided[i]:
            continue
        at = slot[group_of_var[i]]
        if at >= 0:
            r = reduced[i]
            want[at] = want[at] if want[at] < r or want[at] != want[at] else r
    return want


@njit(cache=True)
def _side_idle(v, keep, sided, group_of_var, contested, eps, n_groups) -> np.ndarray:
    """Whether each contested group's current side trades nothing in ``v``, shape
    (len(contested),) (one pass over the variables, compiled)."""
    trading = np.zeros(n_groups, np.bool_)
    for i in range(v.size):
        if keep[i] and sided[i] and v[i] > eps:
            trading[group_of_var[i]] = True
    return ~trading[contested]


def _over_all(result: QPResult, qp: TradeQP, v: np.ndarray) -> QPResult:
    """``result`` with ``v`` over all variables of ``qp``, so it can seed the screening of the next
    solve."""
    return QPResult(v, qp, result.status, result.iterations, result.eta)
