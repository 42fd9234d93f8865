"""The screened solve (``solve_screened``) answers the same convex problem as solving it whole: the
variables it fixes at a bound are checked by their reduced cost at the answer and freed when that
has the wrong sign, so its answer meets the problem's KKT conditions (Moehle, Kochenderfer, Boyd &
Ang, JOTA 2021, section 3; Nocedal & Wright, Numerical Optimization, theorem 16.4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sma.rebalance import EngineParams, build_problem, contested_groups, keep_for_sides
from sma.rebalance import solve_trade_qp as solve
from sma.rebalance._sides import lot_buckets
from sma.rebalance._sign_search import solve_screened
from tests.rebalance.test_engine_properties import random_shard
from tests.rebalance.test_qp import random_qp
from tests.rebalance.toy_shards import toy_model

PARAMS = EngineParams()


def test_fixing_variables_moves_their_trades_into_the_objective_without_changing_it():
    """``fix``: the objective of the free variables' problem at any point, plus what the fixed
    ones contribute, is the whole problem's objective; its rows lose what the fixed ones use."""
    qp = random_qp(7)
    rng = np.random.default_rng(7)
    state = rng.integers(0, 3, qp.asset.size)  # 0: at zero, 1: free, 2: at the upper bound
    free, full = state == 1, state == 2
    v = np.where(full, qp.upper, 0.0)
    v[free] = rng.uniform(0, 1, free.sum()) * qp.upper[free]
    fixed = qp.fix(free, full)
    assert fixed.objective(v[free]) == pytest.approx(qp.objective(v), rel=1e-12)
    assert np.allclose(fixed.G @ v[free] - fixed.h, qp.G @ v - qp.h)
    assert fixed.d.size == np.unique(qp.asset[free]).size


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), side_seed=st.integers(0, 2**16))
@example(seed=2435, side_seed=1)
def test_screened_solve_reaches_the_whole_problems_optimum(seed, side_seed):
    """From the lot buckets' loose answer (the engine's second step) and from the whole problem's
    own answer (the side search's starts), for a random side of every contested group. Seed 2435:
    a withdrawal, and the buckets' answer left out the sales that raise its cash (the screened
    problem was infeasible; the left-out trades are now let back in)."""
    shard = random_shard(seed, 1)
    try:
        problem = build_problem(shard, 0, toy_model(), PARAMS)
    except ValueError:  # the withdrawal is more than the account holds: no problem to solve
        return
    groups = shard.identical_group
    contested = contested_groups(problem, groups)
    sell = np.random.default_rng(side_seed).random(contested.size) < 0.5
    keep = keep_for_sides(problem, groups, contested[sell], contested[~sell])
    whole = solve(problem.qp.restrict(keep), PARAMS.solver_tolerance, 80)
    buckets = lot_buckets(problem)
    relaxed = solve(buckets.qp, PARAMS.relaxation_tolerance, 80)
    if whole.status != "optimal" or relaxed.status != "optimal":
        return
    scale = max(abs(whole.objective), 1e-3)
    for sides, start in ((buckets, relaxed), (problem, _over_all(whole, keep))):
        v, result, _ = solve_screened(problem, keep, sides, start, PARAMS)
        assert result.status == "optimal"
        assert np.all(v[~keep] == 0) and np.all((v >= 0) & (v <= problem.qp.upper))
        assert np.all(problem.qp.G @ v <= problem.qp.h + 1e-8)
        assert problem.qp.objective(v) == pytest.approx(whole.objective, abs=2e-6 * scale)


def _over_all(result, keep):
    v = np.zeros(keep.size)
    v[keep] = result.v
    return type(result)(v, result.objective, result.status, result.iterations, result.eta)
