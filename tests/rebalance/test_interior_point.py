"""The compiled interior point (``sma.rebalance._interior_point``, numba) is the Python it is
written in: each step against a dense reference, and the whole solve against its own Python
reading (which is also what coverage sees of it)."""

from __future__ import annotations

import numpy as np
import pytest

import sma.rebalance._interior_point as ip
from sma.rebalance import TradeQP, solve_trade_qp
from tests.rebalance.test_qp import random_qp

COMPILED_SOLVE_FROM = ip.solve_from  # the fixture below swaps the module's for its Python reading
KERNELS = [
    "_cholesky",
    "_cho_solve",
    "_newton_solve",
    "_rows_times",
    "_schur_products",
    "_rows_transposed_times",
    "_step",
    "_finite",
    "_gradient",
    "_direction",
    "_linearised_bound",
    "solve_from",
]


def arguments(qp: TradeQP, tol: float = 1e-8, max_iter: int = 80) -> tuple:
    return (
        qp.asset.astype(np.int64),
        qp.sign,
        qp.upper,
        qp.cost,
        qp.d,
        np.ascontiguousarray(qp.B),
        qp.p,
        np.ascontiguousarray(qp.G),
        qp.h,
        tol,
        max_iter,
        qp.offset,
    )


@pytest.fixture
def python_kernels(monkeypatch):
    """The kernels as plain Python: what numba compiles, run line by line. The compiled solver is
    compiled first (or loaded from numba's cache): compiled after the patch, it would see Python
    functions where it calls its kernels."""
    ip.interior_point(*arguments(random_qp(1)))
    for name in KERNELS:
        monkeypatch.setattr(ip, name, getattr(ip, name).py_func)
    return ip.interior_point.py_func


def test_cholesky_factor_matches_numpy_and_refuses_a_matrix_that_is_not_positive_definite():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 4))
    spd = x.T @ x + np.eye(4)
    low = spd.copy()
    assert ip._cholesky.py_func(low)
    assert np.allclose(np.tril(low), np.linalg.cholesky(spd))
    b = rng.normal(size=4)
    solved = b.copy()
    ip._cho_solve.py_func(low, solved)
    assert np.allclose(solved, np.linalg.solve(spd, b))
    assert not ip._cholesky.py_func(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_newton_step_solves_the_dense_system_it_stands_for():
    """(A'QA + diag(theta)) x = r, with Q = diag(d) + B B' (Woodbury through the securities)."""
    qp = random_qp(5, n=8, k=3, lots=2)
    rng = np.random.default_rng(5)
    theta = rng.uniform(0.5, 50.0, qp.asset.size)
    r = rng.normal(size=qp.asset.size)
    a = np.zeros((qp.d.size, qp.asset.size))
    a[qp.asset, np.arange(qp.asset.size)] = qp.sign
    dense = a.T @ (np.diag(qp.d) + qp.B @ qp.B.T) @ a + np.diag(theta)
    inv_theta = 1.0 / theta
    hh = 1.0 / np.bincount(qp.asset, inv_theta)
    root = 1.0 / np.sqrt(qp.d + hh)
    scaled = qp.B * root[:, None]
    low = scaled.T @ scaled + np.eye(qp.B.shape[1])
    assert ip._cholesky.py_func(low)
    out = np.empty(qp.asset.size)
    ip._newton_solve.py_func(
        r, qp.asset, inv_theta, qp.sign * inv_theta, hh, root, scaled, low, out
    )
    assert np.allclose(out, np.linalg.solve(dense, r), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_solve_is_its_python_reading(seed, python_kernels):
    qp = random_qp(seed)
    v, eta, reduced, status, iterations = ip.interior_point(*arguments(qp))
    v_py, eta_py, reduced_py, status_py, iterations_py = python_kernels(*arguments(qp))
    assert (status, iterations) == (status_py, iterations_py) == (ip.OPTIMAL, iterations)
    assert np.allclose(v, v_py, rtol=1e-9, atol=1e-12)
    assert np.allclose(eta, eta_py, rtol=1e-6, atol=1e-12)
    assert np.allclose(reduced, reduced_py, rtol=1e-6, atol=1e-10)


def test_rows_that_cannot_hold_end_infeasible_in_both_readings(python_kernels):
    qp = random_qp(4)
    h = np.array([-10.0, 0.0])
    args = arguments(TradeQP(qp.asset, qp.sign, qp.upper, qp.cost, qp.d, qp.B, qp.p, qp.G, h))
    assert ip.interior_point(*args)[3] == python_kernels(*args)[3] == ip.INFEASIBLE


def test_a_problem_without_rows_is_solved_in_both_readings(python_kernels):
    qp = random_qp(6)
    free = TradeQP(
        qp.asset,
        qp.sign,
        qp.upper,
        qp.cost,
        qp.d,
        qp.B,
        qp.p,
        np.zeros((0, qp.asset.size)),
        np.zeros(0),
    )
    compiled, python = ip.interior_point(*arguments(free)), python_kernels(*arguments(free))
    assert compiled[3] == python[3] == ip.OPTIMAL
    assert np.allclose(compiled[0], python[0], rtol=1e-9, atol=1e-12)


def _optimum(qp) -> float:
    """The objective at the solver's own tight answer (what a lower bound must not pass)."""
    return solve_trade_qp(qp, 1e-10).objective


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_solve_stopped_at_a_bound_resumes_to_the_same_answer_to_the_bit(seed):
    """``solve_from``: a solve that stops where its lower bound passes ``stop_above`` and is
    resumed from its state walks the same iterates as one never stopped."""
    qp = random_qp(seed)
    args = arguments(qp, 1e-8)
    whole = ip.solve_from(*args, np.inf, np.empty(0), 0)
    stopped = ip.solve_from(*args, _optimum(qp) - 1e-3, np.empty(0), 0)
    assert stopped[3] == ip.ABOVE and stopped[4] < whole[4]
    resumed = ip.solve_from(*args, np.inf, stopped[5], stopped[4])
    assert resumed[3] == whole[3] == ip.OPTIMAL and resumed[4] == whole[4]
    for a, b in zip(resumed[:3], whole[:3]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_linearised_bound_never_passes_the_optimum(seed):
    """Module docstring: at every iterate the bound is at most the optimum, so a threshold at the
    optimum never stops a solve, and the bound approaches it (a threshold just below stops one)."""
    qp = random_qp(seed)
    args = arguments(qp, 1e-8)
    optimum = _optimum(qp)
    never = ip.solve_from(*args, optimum + 1e-9 * abs(optimum), np.empty(0), 0)
    assert never[3] == ip.OPTIMAL
    near = ip.solve_from(*args, optimum - 1e-4 * abs(optimum), np.empty(0), 0)
    assert near[3] == ip.ABOVE and near[6] <= optimum + 1e-12


def test_the_python_reading_stops_where_the_compiled_solve_does(python_kernels):
    qp = random_qp(2)
    args = arguments(qp, 1e-8)
    above = _optimum(qp) - 1e-3
    compiled = COMPILED_SOLVE_FROM(*args, above, np.empty(0), 0)
    python = ip.solve_from(*args, above, np.empty(0), 0)  # the fixture's Python reading
    assert compiled[3] == python[3] == ip.ABOVE and compiled[4] == python[4]
    assert compiled[6] == pytest.approx(python[6], rel=1e-9)
    resumed = ip.solve_from(*args, np.inf, python[5], python[4])
    whole = COMPILED_SOLVE_FROM(*args, np.inf, np.empty(0), 0)
    assert (resumed[3], resumed[4]) == (whole[3], whole[4]) == (ip.OPTIMAL, whole[4])
    assert np.allclose(resumed[0], whole[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reading", ["compiled", "python"])
def test_net_trade_sums_each_securitys_signed_trades_as_bincount_does_to_the_bit(reading):
    qp = random_qp(5)
    v = np.random.default_rng(5).uniform(0, 1, qp.asset.size) * qp.upper
    kernel = ip.net_trade if reading == "compiled" else ip.net_trade.py_func
    expected = np.bincount(qp.asset, qp.sign * v, minlength=qp.d.size + 3)
    np.testing.assert_array_equal(kernel(qp.asset, qp.sign, v, qp.d.size + 3), expected)


def _sequential_sum(x: np.ndarray, y: np.ndarray) -> float:
    """``x @ y`` summed one term at a time in order: the float the kernels' sums must give."""
    total = 0.0
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        total += a * b
    return total


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("reading", ["compiled", "python"])
def test_row_products_sum_each_row_in_the_variables_order_to_the_bit(rows, reading):
    """``_rows_times`` and ``_schur_products`` sum two rows (or four products) side by side; each
    sum is still the one-term-at-a-time sum, so the solver's answers are the same bits as before."""
    rng = np.random.default_rng(rows)
    G, m, v = rng.normal(size=(rows, 301)), rng.normal(size=(rows, 301)), rng.normal(size=301)
    times = ip._rows_times if reading == "compiled" else ip._rows_times.py_func
    expected = [_sequential_sum(G[a], v) for a in range(rows)]
    assert times(G, v).tolist() == expected
    schur = np.full((rows, rows), np.nan)
    products = ip._schur_products if reading == "compiled" else ip._schur_products.py_func
    products(G, m, schur)
    assert schur.tolist() == [
        [_sequential_sum(G[a], m[b]) for b in range(rows)] for a in range(rows)
    ]
