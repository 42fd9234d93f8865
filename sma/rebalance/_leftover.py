"""The greedy loop of step 4 of ``_rounding`` (cash left above its target bought a share at a time),
compiled (numba): each step is one pass over the buys and one rank-one update of the gradient, not
a dozen numpy calls (issue 23: a few hundred steps an account were ~10 % of its decision)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def buy_greedily(
    buy, price, unit, first, most, cost, curvature, asset, grad, d, B, value, spare, steps, coarse
):
    """Buy, one step at a time, the buy that lowers the objective most, while one does and
    ``spare`` USD lasts; ``buy`` (nb,) shares and ``grad`` (n,) (the objective's gradient in the
    net trade of each security) are updated in place.

    Parameters
    ----------
    buy, price, unit, first, most, cost, curvature : ndarray of shape (nb,)
        Shares bought so far, price (USD), cost of a share with trading cost (USD), shares of a
        first buy, most shares in all, linear cost per weight, the objective's curvature.
    asset : ndarray of shape (nb,), int
        Security of each buy in ``grad``, ``d`` and ``B``.
    grad : ndarray of shape (n,); d : ndarray of shape (n,); B : ndarray of shape (n, k)
        The objective's gradient and its Hessian ``diag(d) + B B'`` in the net trade.
    value, spare : float
        Account value and cash that may be spent (USD).
    steps : int
        Steps at most (-1: until no buy helps).
    coarse : bool
        Each step buys as many units as lower its buy's objective most (fractional accounts).
    """
    nb, k, n = buy.size, B.shape[1], grad.size
    # Row j of B B' (the gradient's change per unit bought of security j), summed over the factors
    # in order as ``B[i] @ B[j]`` term by term; from the factors' rows stored contiguously, so the n
    # sums advance side by side. Kept per security: the greedy often buys one name again.
    factors = np.ascontiguousarray(B.T)
    cross = np.empty((8, n))
    cached = np.full(d.size, -1)
    rows = 0
    # A whole-share step of each buy (one share, or a first buy), what it costs, its weight and the
    # curvature term of its change, and whether it would pass the most shares: the same expressions
    # as a step of the loop takes them, kept per buy and taken again only for the buy bought.
    step_of, spend, delta_of, quad = np.empty(nb), np.empty(nb), np.empty(nb), np.empty(nb)
    past_most = np.empty(nb, np.bool_)
    for i in range(nb):
        step_of[i], spend[i], delta_of[i], quad[i], past_most[i] = _whole_step(
            i, buy, price, unit, first, most, curvature, value
        )
    change = np.empty(nb)
    while steps != 0:
        steps -= 1
        best_i, best_change, best_step = -1, np.inf, 0.0
        if coarse:
            for i in range(nb):
                slope = grad[asset[i]] + cost[i]
                step = 1.0 if buy[i] > 0 else first[i]
                weight = max(-slope, 0.0) / max(curvature[i], 1e-12)
                room = min(np.floor(spare / unit[i]), most[i] - buy[i])
                step = max(step, min(np.floor(weight * value / price[i]), room))
                if step * unit[i] > spare or buy[i] + step > most[i]:
                    continue
                delta = step * price[i] / value
                step_change = delta * slope + 0.5 * delta**2 * curvature[i]
                if step_change < best_change:
                    best_i, best_change, best_step = i, step_change, step
        else:
            # Every buy's change first, in a pass without branches, then the first of the least
            # among the buys the cash and the most shares allow (a quarter faster than one loop
            # that skips the others, on a night's calls).
            for i in range(nb):
                change[i] = delta_of[i] * (grad[asset[i]] + cost[i]) + quad[i]
            for i in range(nb):
                if change[i] < best_change and not past_most[i] and not spend[i] > spare:
                    best_i, best_change, best_step = i, change[i], step_of[i]
        if best_i < 0 or not best_change < 0:
            return
        buy[best_i] += best_step
        step_of[best_i], spend[best_i], delta_of[best_i], quad[best_i], past_most[best_i] = (
            _whole_step(best_i, buy, price, unit, first, most, curvature, value)
        )
        spare -= best_step * unit[best_i]
        j = asset[best_i]
        delta = best_step * price[best_i] / value
        if cached[j] < 0:
            row = np.zeros(n)
            for q in range(k):
                b_jq = B[j, q]
                f = factors[q]
                for i in range(n):
                    row[i] += f[i] * b_jq
            if rows == cross.shape[0]:
                grown = np.empty((2 * rows, n))
                grown[:rows] = cross
                cross = grown
            cross[rows] = row
            cached[j] = rows
            rows += 1
        row = cross[cached[j]]
        for i in range(n):
            grad[i] += row[i] * delta
        grad[j] += d[j] * delta


@njit(cache=True)
def _whole_step(i, buy, price, unit, first, most, curvature, value):
    """Buy ``i``'s next whole-share step as ``buy_greedily`` takes it: shares (one more, or a first
    buy), USD spent, weight, the curvature term of its change, and whether it passes the most
    shares."""
    step = 1.0 if buy[i] > 0 else first[i]
    delta = step * price[i] / value
    return step, step * unit[i], delta, 0.5 * delta**2 * curvature[i], buy[i] + step > most[i]
