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
from sma.rebalance._sign_search import (
    _bound_over,
    _clearly_at_bounds,
    _free_wrong_sides,
    _gain_of_fixed,
    _net_trade_with,
    solve_screened,
)
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
    for sides, start in ((buckets, relaxed), (problem, _over_all(whole, problem.qp, keep))):
        v, result, _ = solve_screened(problem, keep, sides, start, PARAMS)
        assert result.status == "optimal"
        assert np.all(v[~keep] == 0) and np.all((v >= 0) & (v <= problem.qp.upper))
        assert np.all(problem.qp.G @ v <= problem.qp.h + 1e-8)
        assert problem.qp.objective(v) == pytest.approx(whole.objective, abs=2e-6 * scale)


def _over_all(result, qp, keep):
    v = np.zeros(keep.size)
    v[keep] = result.v
    return type(result)(v, qp, result.status, result.iterations, result.eta)


def numpy_still_above(qp, keep, free, full, reject_above, v_free, eta, bound) -> bool:
    """``_bound_over``'s check as numpy calls (its reading before it was compiled)."""
    v = np.where(full, qp.upper, 0.0)
    v[free] = v_free
    z = np.bincount(qp.asset, qp.sign * v, minlength=qp.d.size)
    qz = qp.d * z + qp.B @ (qp.B.T @ z) + qp.p
    reduced = qp.sign * qz[qp.asset] + qp.cost + qp.G.T @ eta
    at_zero, at_full = keep & ~free & ~full, keep & full
    gain = (np.maximum(-reduced[at_zero], 0.0) * qp.upper[at_zero]).sum() + (
        np.maximum(reduced[at_full], 0.0) * qp.upper[at_full]
    ).sum()
    return bool(bound - gain > reject_above)


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_check_of_a_screened_solve_is_its_numpy_reading_to_the_bit(seed):
    """``_bound_over``'s compiled passes sum what the fixed variables could gain in numpy's order:
    at a bound just above or below ``bound - gain`` it answers as numpy does, NaN included."""
    qp = random_qp(seed, n=40, lots=seed % 3 + 1)
    rng = np.random.default_rng(seed)
    state = rng.integers(0, 3, qp.asset.size)  # 0: at zero, 1: free, 2: in full
    keep = rng.random(qp.asset.size) < 0.8
    free, full = keep & (state == 1), keep & (state == 2)
    v_free = rng.uniform(0, 1, free.sum()) * qp.upper[free]
    if seed == 5:
        v_free[0] = np.nan
    eta = rng.uniform(0, 2, qp.h.size)
    z = _net_trade_with(full, free, v_free, qp.upper, qp.asset, qp.sign, qp.d.size)
    zero_gain, full_gain = _gain_of_fixed(
        keep, free, full, qp.asset, qp.sign, qp.cost, qp.upper, qp.d, qp.p, z,
        qp.B @ (qp.B.T @ z), qp.G.T @ eta,
    )  # fmt: skip
    gain = zero_gain.sum() + full_gain.sum()
    for bound in (gain, np.nextafter(gain, np.inf), np.nextafter(gain, -np.inf), gain + 1.0):
        check = _bound_over(qp, keep, free, full, 0.0)
        assert check is not None
        assert check(v_free, eta, bound) == numpy_still_above(
            qp, keep, free, full, 0.0, v_free, eta, bound
        )
    want = np.where(full, qp.upper, 0.0)
    want[free] = v_free
    want = np.bincount(qp.asset, qp.sign * want, minlength=qp.d.size)
    assert z.tobytes() == want.tobytes()


def test_a_screened_round_frees_exactly_the_variables_on_the_wrong_side():
    rng = np.random.default_rng(3)
    reduced = rng.normal(0, 1e-9, 500) * rng.choice([1.0, 3.0], 500)
    state = rng.integers(0, 3, 500)
    zero, full = state == 0, state == 2
    wrong = (zero & (reduced < -1e-9)) | (full & (reduced > 1e-9))
    want_zero, want_full = zero & ~wrong, full & ~wrong
    assert _free_wrong_sides(zero, full, reduced) == wrong.any()
    np.testing.assert_array_equal(zero, want_zero)
    np.testing.assert_array_equal(full, want_full)
    assert not _free_wrong_sides(zero, full, reduced)


def test_the_start_fixes_what_numpys_comparisons_fix():
    """``_clearly_at_bounds`` (compiled) against its numpy reading, NaN reduced costs included."""
    rng = np.random.default_rng(11)
    upper = rng.uniform(0.001, 0.01, 400)
    v = np.where(rng.random(400) < 0.5, upper, upper * rng.random(400))
    reduced = rng.normal(0, 1e-6, 400)
    reduced[::37] = np.nan
    settled = rng.random(400) < 0.8
    zero, full = _clearly_at_bounds(settled, reduced, 1e-7, v, upper, 1e-9)
    np.testing.assert_array_equal(zero, settled & (reduced > 1e-7))
    np.testing.assert_array_equal(full, settled & (reduced < -1e-7) & (v > upper - 1e-9))
