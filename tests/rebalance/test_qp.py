"""The structured interior-point solver agrees with a generic conic solver (Clarabel through cvxpy)
on the same convex problem (Moehle et al. 2021, problem (3) with lots as variables)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp

from sma.rebalance import TradeQP, solve_trade_qp


def random_qp(seed: int, n: int = 30, k: int = 4, lots: int = 3) -> TradeQP:
    rng = np.random.default_rng(seed)
    B = rng.normal(0, 0.2, (n, k)) * 10
    d = rng.uniform(0.02, 0.2, n) * 100
    active = rng.normal(0, 0.01, n)
    L = n * lots
    lot_asset = np.repeat(np.arange(n), lots)
    gain = rng.uniform(-0.5, 0.6, L)
    return TradeQP(
        asset=np.concatenate([np.arange(n), lot_asset]),
        sign=np.concatenate([np.ones(n), -np.ones(L)]),
        upper=np.concatenate([np.full(n, 0.05), rng.uniform(0.001, 0.01, L)]),
        cost=np.concatenate([np.full(n, 5e-4), 5e-4 + 0.3 * gain]),
        d=d,
        B=B,
        p=d * active + B @ (B.T @ active),
        G=np.vstack(
            [
                np.concatenate([np.full(n, 1.0005), np.full(L, -0.9995)]),
                np.concatenate([np.zeros(n), gain]),
            ]
        ),
        h=np.array([0.01, 0.002]),
    )


def clarabel(qp: TradeQP) -> float:
    nv = qp.asset.size
    a = sp.csr_matrix((qp.sign, (qp.asset, np.arange(nv))), shape=(qp.d.size, nv))
    v = cp.Variable(nv)
    z = a @ v
    f = (
        0.5 * cp.sum_squares(cp.multiply(np.sqrt(qp.d), z))
        + 0.5 * cp.sum_squares(qp.B.T @ z)
        + qp.p @ z
        + qp.cost @ v
    )
    problem = cp.Problem(cp.Minimize(f), [v >= 0, v <= qp.upper, qp.G @ v <= qp.h])
    problem.solve(solver=cp.CLARABEL)
    return problem.value


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_interior_point_solver_reaches_clarabels_objective_within_its_bounds(seed):
    qp = random_qp(seed)
    result = solve_trade_qp(qp, tol=1e-8)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(clarabel(qp), rel=1e-6, abs=1e-9)
    assert np.all(result.v >= 0) and np.all(result.v <= qp.upper)
    assert np.all(qp.G @ result.v <= qp.h + 1e-8)


def test_an_infeasible_problem_comes_back_as_a_status_not_an_exception():
    qp = random_qp(4)
    impossible = TradeQP(
        qp.asset, qp.sign, qp.upper, qp.cost, qp.d, qp.B, qp.p, qp.G, np.array([-10.0, 0.0])
    )
    result = solve_trade_qp(impossible)
    assert result.status != "optimal"


def test_a_problem_with_nothing_to_trade_is_solved_by_no_trade_unless_a_row_needs_one():
    qp = random_qp(5)
    nothing = qp.restrict(np.zeros(qp.asset.size, bool))
    assert solve_trade_qp(nothing).status == "optimal"
    short = TradeQP(
        nothing.asset,
        nothing.sign,
        nothing.upper,
        nothing.cost,
        qp.d,
        qp.B,
        qp.p,
        nothing.G,
        np.array([-0.01, 0.002]),
    )
    assert solve_trade_qp(short).status == "infeasible"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_solve_asked_to_stop_above_a_value_its_optimum_passes_stops_early(seed):
    """``solve_trade_qp(above=...)``: the caller only wants an answer below ``above``; a problem
    whose optimum is clearly above it ends 'above' in fewer iterations."""
    qp = random_qp(seed)
    whole = solve_trade_qp(qp, tol=1e-8)
    stopped = solve_trade_qp(qp, tol=1e-8, above=whole.objective - 1e-3)
    assert stopped.status == "above" and stopped.iterations < whole.iterations


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_stop_the_caller_does_not_confirm_solves_on_to_the_same_answer_to_the_bit(seed):
    qp = random_qp(seed)
    whole = solve_trade_qp(qp, tol=1e-8)
    asked = []

    def not_for_me(v, eta, bound):
        asked.append(bound)
        return False

    resumed = solve_trade_qp(qp, tol=1e-8, above=whole.objective - 1e-3, still_above=not_for_me)
    assert asked, "the solve must have stopped once"
    assert (resumed.status, resumed.iterations) == (whole.status, whole.iterations)
    np.testing.assert_array_equal(resumed.v, whole.v)
    np.testing.assert_array_equal(resumed.eta, whole.eta)


def numpy_fix(qp: TradeQP, free: np.ndarray, full: np.ndarray) -> TradeQP:
    """``TradeQP.fix`` as numpy calls (its reading before the gathers were compiled)."""
    v_fixed = np.where(full, qp.upper, 0.0)
    z_fixed = np.bincount(qp.asset, qp.sign * v_fixed, minlength=qp.d.size)
    bz_fixed = qp.B.T @ z_fixed
    p = qp.p + (qp.d * z_fixed + qp.B @ bz_fixed)
    at = np.flatnonzero(free)
    present = np.zeros(qp.d.size, bool)
    present[qp.asset[at]] = True
    securities = np.flatnonzero(present)
    offset = (
        0.5 * (z_fixed @ (qp.d * z_fixed) + bz_fixed @ bz_fixed)
        + qp.p @ z_fixed
        + qp.cost @ v_fixed
        + qp.offset
    )
    return TradeQP(
        (np.cumsum(present) - 1)[qp.asset[at]],
        qp.sign[at],
        qp.upper[at],
        qp.cost[at],
        qp.d[securities],
        qp.B[securities],
        p[securities],
        qp.G[:, at],
        qp.h - qp.G @ v_fixed,
        float(offset),
    )


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(8))
def test_fixing_variables_gives_the_problem_numpy_gives_to_the_bit(seed):
    """``fix`` gathers and folds in compiled passes (``_free_part``); every array and the offset
    are those of the numpy operations it replaces, bit for bit, whatever is free or fixed."""
    qp = random_qp(seed, n=40 + seed, lots=seed % 4 + 1)
    rng = np.random.default_rng(seed)
    for share_free in (0.0, 0.3, 0.9, 1.0):
        free = rng.random(qp.asset.size) < share_free
        full = ~free & (rng.random(qp.asset.size) < 0.3)
        got, want = qp.fix(free, full), numpy_fix(qp, free, full)
        for name in ("asset", "sign", "upper", "cost", "d", "B", "p", "G", "h", "offset"):
            assert same_bits(getattr(got, name), getattr(want, name)), name


@pytest.mark.parametrize("seed", range(8))
def test_reduced_cost_is_numpys_sum_in_numpys_order_to_the_bit(seed):
    qp = random_qp(seed, n=40 + seed, lots=seed % 4 + 1)
    rng = np.random.default_rng(seed)
    v = rng.uniform(0, 1, qp.asset.size) * qp.upper * (rng.random(qp.asset.size) < 0.5)
    eta = rng.uniform(0, 1, qp.h.size)
    z = np.bincount(qp.asset, qp.sign * v, minlength=qp.d.size)
    qz = qp.d * z + qp.B @ (qp.B.T @ z) + qp.p
    want = qp.sign * qz[qp.asset] + qp.cost + qp.G.T @ eta
    assert same_bits(qp.reduced_cost(v, eta), want)


def test_a_solves_objective_is_its_problems_objective_at_its_answer():
    """``QPResult.objective`` is taken when read, from the problem solved: the same number as the
    objective at its ``v``, to the bit, for a fixed problem too (its offset included)."""
    qp = random_qp(6)
    free = np.random.default_rng(6).random(qp.asset.size) < 0.5
    for problem in (qp, qp.fix(free, np.zeros_like(free))):
        result = solve_trade_qp(problem, tol=1e-8)
        assert result.problem is problem
        assert same_bits(result.objective, problem.objective(result.v))
