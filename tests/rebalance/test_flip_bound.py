"""The side search's lower bound on a flip (``sma.rebalance._flip_bound``): weak duality (Boyd &
Vandenberghe, "Convex Optimization", 2004, section 5.1.3) says the Lagrangian dual at any point is
at most the optimum, and at an optimum's own multipliers it is the optimum (strong duality, section
5.2.3). Each is checked against the optimum found by a separate path, the interior point solving
the restricted problem to 1e-10; and the search that skips the flips the bound proves useless
ends exactly where the search that solves every flip ends."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.rebalance import EngineParams, _sign_search, contested_groups, solve_account
from sma.rebalance._flip_bound import (
    MAX_SECURITIES,
    _best_step,
    _phi,
    bounder,
    conjugate_factor,
    dual_base,
    flip_bound,
    lazy_factor,
)
from sma.rebalance._qp import solve_trade_qp
from sma.rebalance._sides import groups_of_variables
from tests.rebalance.test_sign_search import _one_account_problem, assert_same_decision

TIGHT = 1e-10


def _bound(qp, keep, unsettled, v, eta):
    reduced = qp.reduced_cost(v, eta)
    z = qp.net_trade(v)
    base = dual_base(qp, z, eta)
    low = conjugate_factor(qp)
    assert low is not None
    return flip_bound(
        keep, unsettled, reduced, qp.upper, qp.sign, qp.asset, qp.d, qp.B, low, z, base
    )


def _optimum(qp, keep) -> float:
    result = solve_trade_qp(qp.restrict(keep), TIGHT, 200)
    return result.objective if result.status == "optimal" else np.nan


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_the_bound_is_never_above_the_optimum_whatever_the_point_and_variables(seed, data):
    """Weak duality: from any trades ``v`` in the box and any multipliers ``eta >= 0``, for any
    set of variables kept and any securities moved, the bound is at most that set's optimum."""
    problem, groups = _one_account_problem(seed)
    if problem is None:
        return
    qp = problem.qp
    nv = qp.asset.size
    rng = np.random.default_rng(seed)
    keep = rng.random(nv) < data.draw(st.floats(0.3, 1.0))
    v = qp.upper * rng.random(nv) * (rng.random(nv) < 0.5)
    eta = rng.exponential(data.draw(st.sampled_from([1e-4, 1e-2, 1.0])), qp.h.size)
    gb, gs = groups_of_variables(problem, groups)
    group_of_var = np.concatenate([gb, gs])
    moved = rng.choice(np.unique(group_of_var), min(2, np.unique(group_of_var).size), replace=False)
    unsettled = np.isin(group_of_var, moved)
    optimum = _optimum(qp, keep)
    if np.isnan(optimum):
        return  # these variables cannot meet the rows: nothing to bound
    bound = _bound(qp, keep, unsettled, v, eta)
    assert bound <= optimum + 1e-9 * max(abs(optimum), 1e-3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_from_an_optimum_a_flip_of_several_securities_is_never_bounded_above_its_optimum(seed):
    """The search's case, where the bound is tight: from the optimum over some variables and its
    multipliers, the variables of two or three securities are toggled in or out (the moves along
    each security then interact through Q^-1); the bound stays at most the new optimum."""
    problem, _ = _one_account_problem(seed)
    if problem is None:
        return
    qp = problem.qp
    rng = np.random.default_rng(seed)
    start = rng.random(qp.asset.size) < 0.7
    result = solve_trade_qp(qp.restrict(start), TIGHT, 200)
    if result.status != "optimal":
        return
    v = np.zeros(qp.asset.size)
    v[start] = result.v
    securities = np.unique(qp.asset)
    moved = rng.choice(securities, min(securities.size, rng.integers(2, 4)), replace=False)
    unsettled = np.isin(qp.asset, moved)
    keep = start.copy()
    keep[unsettled] = rng.random(int(unsettled.sum())) < 0.5
    optimum = _optimum(qp, keep)
    if np.isnan(optimum):
        return
    bound = _bound(qp, keep, unsettled, v, result.eta)
    assert bound <= optimum + 1e-9 * max(abs(optimum), 1e-3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_at_an_optimum_and_its_own_multipliers_the_bound_is_the_optimum(seed):
    """Strong duality: at the optimum over the variables kept, with its multipliers, the bound with
    no flip is that optimum (to the solver's tolerance): the bound is as tight as it can be where
    the search starts, so it loses only what a flip itself changes."""
    problem, _ = _one_account_problem(seed)
    if problem is None:
        return
    qp = problem.qp
    result = solve_trade_qp(qp, TIGHT, 200)
    if result.status != "optimal":
        return
    nothing = np.zeros(qp.asset.size, bool)
    bound = _bound(qp, np.ones(qp.asset.size, bool), nothing, result.v, result.eta)
    assert bound == pytest.approx(result.objective, rel=1e-7, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    w=st.floats(-1, 1),
    curvature=st.floats(1e-3, 1e3),
    rc=st.lists(st.floats(-1, 1), min_size=0, max_size=6),
    data=st.data(),
)
def test_the_step_is_the_maximum_a_fine_grid_finds(w, curvature, rc, data):
    """``_best_step`` maximises a concave piecewise quadratic in one number; a grid of 20,001
    points over a range that holds every breakpoint and the pieces' stationary points finds
    nothing better, and its value is the function's at its step."""
    m = len(rc)
    rc = np.array(rc, float)
    sg = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=m, max_size=m)))
    room = np.array(data.draw(st.lists(st.floats(0, 1), min_size=m, max_size=m)))
    t, best = _best_step(w, curvature, rc, sg, room)
    assert best >= 0.0 and best == pytest.approx(_phi(t, w, curvature, rc, sg, room), abs=1e-12)
    reach = (abs(w) + room.sum()) / curvature + np.abs(rc).max(initial=0.0) + 1.0
    grid = max(_phi(x, w, curvature, rc, sg, room) for x in np.linspace(-reach, reach, 20_001))
    assert grid <= best + 1e-9


def test_a_flip_of_more_securities_than_the_limit_is_not_bounded():
    problem, groups = _one_account_problem(3)
    qp = problem.qp
    every = np.ones(qp.asset.size, bool)
    if np.unique(qp.asset).size > MAX_SECURITIES:
        assert _bound(qp, every, every, np.zeros(every.size), np.zeros(qp.h.size)) == -np.inf


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_flips_skipped_by_their_bound_leave_the_search_where_solving_them_leaves_it(seed):
    """A flip proven above the best answer so far by its bound is not solved; it counts as the
    solve it replaces, so the search takes the same path and returns the same trades, to the bit,
    as the search that solves every flip, in no more iterations."""
    problem, groups = _one_account_problem(seed)
    if problem is None or contested_groups(problem, groups).size == 0:
        return
    params = EngineParams()
    bounded = solve_account(problem, groups, params)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_sign_search, "bounder", lambda *args: lambda keep, unsettled: -np.inf)
        solved = solve_account(problem, groups, params)
    assert_same_decision(bounded, solved)


def test_numbers_that_allow_no_factor_bound_no_flip_and_the_search_solves_them():
    """A risk model whose specific variances underflow (d = 1e-320) leaves ``I + B'D^-1 B`` with
    no finite Cholesky factor: then no flip is bounded (each is solved, as before the bound), and
    the account is not failed for it."""
    from dataclasses import replace

    problem, _ = _one_account_problem(3)
    qp = replace(problem.qp, d=np.full(problem.qp.d.size, 1e-320))
    assert conjugate_factor(qp) is None
    every = np.ones(qp.asset.size, bool)
    v, eta = np.zeros(every.size), np.zeros(qp.h.size)
    bound = bounder(qp, qp.net_trade(v), eta, qp.reduced_cost(v, eta), lazy_factor(qp))
    assert bound(every, every) == -np.inf
