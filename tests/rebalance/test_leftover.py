"""Step 4 of rounding (``sma.rebalance._rounding``): cash left above its target is bought a share at
a time where a share lowers the optimiser's objective most, while one does and the cash lasts. The
loop is compiled (``_leftover.buy_greedily``); these tests hold it to the numpy loop it replaced
(issue 23: the same trades, faster) and to its Python reading."""

from __future__ import annotations

import numpy as np
import pytest

from sma.rebalance._leftover import buy_greedily


def _instance(seed: int, coarse: bool):
    """A random greedy problem: 30 buys over 40 securities, 5 factors, $1M account."""
    rng = np.random.default_rng(seed)
    n, k, nb = 40, 5, 30
    B = rng.normal(0, 0.3, (n, k))
    d = rng.uniform(0.5, 2.0, n)
    asset = rng.choice(n, nb, replace=False).astype(np.int64)
    grad = rng.normal(-2e-3, 2e-3, n)
    price = rng.uniform(10, 500, nb) / (100.0 if coarse else 1.0)
    cost = np.full(nb, 5e-4)
    curvature = d[asset] + np.einsum("ij,ij->i", B[asset], B[asset])
    buy = np.where(rng.random(nb) < 0.3, rng.integers(1, 5, nb), 0).astype(float)
    most = buy + rng.integers(0, 40, nb)
    first = np.maximum(np.ceil(1_000.0 / price), 1.0)
    unit = price * (1 + 5e-4)
    return buy, price, unit, first, most, cost, curvature, asset, grad, d, B


def _numpy_loop(buy, price, unit, first, most, cost, curvature, asset, grad, d, B, value, spare,
                steps, coarse):  # fmt: skip
    """The loop as it was written in numpy before it was compiled (sma/rebalance/_rounding.py at
    b3c36e9): the specification the compiled loop must keep."""
    while steps != 0:
        steps -= 1
        step = np.where(buy > 0, 1.0, first)
        if coarse:
            slope = grad[asset] + cost
            best = np.floor(np.maximum(-slope, 0.0) / np.maximum(curvature, 1e-12) * value / price)
            step = np.maximum(
                step, np.minimum(best, np.minimum(np.floor(spare / unit), most - buy))
            )
        delta = step * price / value
        change = delta * (grad[asset] + cost) + 0.5 * delta**2 * curvature
        change[(step * unit > spare) | (buy + step > most)] = np.inf
        i = int(np.argmin(change))
        if not change[i] < 0:
            return
        buy[i] += step[i]
        spare -= step[i] * unit[i]
        j = asset[i]
        grad += B @ (B[j] * delta[i])
        grad[j] += d[j] * delta[i]


@pytest.mark.parametrize("coarse", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_compiled_greedy_buys_what_the_numpy_loop_bought(seed, coarse):
    args = _instance(seed, coarse)
    expected, compiled = [a.copy() for a in args], [a.copy() for a in args]
    steps = 4 * 30 + 100 if coarse else -1
    _numpy_loop(*expected, 1e6, 50_000.0, steps, coarse)
    buy_greedily(*compiled, 1e6, 50_000.0, steps, coarse)
    assert expected[0].sum() > args[0].sum(), "the instance must buy something"
    np.testing.assert_array_equal(compiled[0], expected[0])
    np.testing.assert_allclose(compiled[8], expected[8], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("coarse", [False, True])
def test_compiled_greedy_is_its_python_reading(coarse):
    args = _instance(11, coarse)
    python, compiled = [a.copy() for a in args], [a.copy() for a in args]
    buy_greedily.py_func(*python, 1e6, 50_000.0, -1, coarse)
    buy_greedily(*compiled, 1e6, 50_000.0, -1, coarse)
    np.testing.assert_array_equal(compiled[0], python[0])


def test_no_cash_to_spare_buys_nothing_and_no_share_that_raises_the_objective_is_bought():
    buy, price, unit, first, most, cost, curvature, asset, grad, d, B = _instance(3, False)
    before = buy.copy()
    buy_greedily(buy, price, unit, first, most, cost, curvature, asset, grad, d, B, 1e6, 0.0, -1,
                 False)  # fmt: skip
    np.testing.assert_array_equal(buy, before)
    uphill = np.full_like(grad, 1.0)  # every buy raises tracking error more than it is worth
    buy_greedily(buy, price, unit, first, most, cost, curvature, asset, uphill, d, B, 1e6, 1e9,
                 -1, False)  # fmt: skip
    np.testing.assert_array_equal(buy, before)


@pytest.mark.parametrize("spare", [500.0, 5_000.0, 20_000.0])
@pytest.mark.parametrize("seed", range(20, 30))
def test_compiled_greedy_buys_what_the_numpy_loop_bought_when_cash_or_room_runs_out(seed, spare):
    """The compiled loop keeps each buy's next step between steps and looks for the best in a
    second pass; where the cash or a buy's most shares stop it, it stops as the numpy loop did."""
    args = _instance(seed, False)
    expected, compiled = [a.copy() for a in args], [a.copy() for a in args]
    _numpy_loop(*expected, 1e6, spare, -1, False)
    buy_greedily(*compiled, 1e6, spare, -1, False)
    np.testing.assert_array_equal(compiled[0], expected[0])
    np.testing.assert_allclose(compiled[8], expected[8], rtol=1e-12, atol=1e-15)
