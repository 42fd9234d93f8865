"""A primal-dual interior-point solver for one account's trade problem, exploiting factor structure.

The problem (Moehle, Kochenderfer, Boyd & Ang 2021, section 3, in weights of account value)::

    minimise   1/2 z' Q z + p' z + c' v
    subject to z = A v,   0 <= v <= u,   G v <= h

``v`` are the trade variables (a buy per security, a sell per lot), ``A`` sends each to its
security with sign +1 (buy) or -1 (sell), and ``Q = diag(d) + B B'`` is the scaled factor
covariance with B of shape (n, k). Each Newton step reduces to one system in ``z`` of the form
``(diag(d + h) + B B') dz = r`` (h: per-security harmonic sum of the barrier curvatures), solved
by Woodbury with one k x k Cholesky factor (the matrix is SPD and >= I); the two dense rows of
``G`` (cash, gain budget) take a 2 x 2 Schur complement. Mehrotra predictor-corrector steps,
compiled (``_interior_point``, numba: a Python loop of numpy calls was dispatch-bound, issue 23).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit

from sma.rebalance._interior_point import (
    ABOVE,
    INFEASIBLE,
    MAX_ITER,
    OPTIMAL,
    net_trade,
    solve_from,
)

_STATUS = {MAX_ITER: "max_iter", INFEASIBLE: "infeasible"}


@dataclass(frozen=True)
class TradeQP:
    """One account's convex trade problem in factor form.

    asset : ndarray of shape (nv,), int — security (0..n-1) of each variable
    sign : ndarray of shape (nv,), float — +1 buy, -1 sell
    upper : ndarray of shape (nv,), float > 0 — upper bound of each variable (weight)
    cost : ndarray of shape (nv,) — linear cost per unit of weight traded
    d : ndarray of shape (n,) > 0 — diagonal of Q
    B : ndarray of shape (n, k) — low-rank part of Q
    p : ndarray of shape (n,) — linear term in z
    G : ndarray of shape (r, nv), h : ndarray of shape (r,) — dense inequality rows
    offset : float — the objective's constant (the trades of variables fixed outside the problem,
    ``fix``), so that the solver's relative duality gap is relative to the whole objective
    """

    asset: np.ndarray
    sign: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    d: np.ndarray
    B: np.ndarray
    p: np.ndarray
    G: np.ndarray
    h: np.ndarray
    offset: float = 0.0

    def reduced_cost(self, v: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Derivative of the Lagrangian in each variable at ``v`` with row multipliers ``eta``
        (at an optimum, >= 0 for every variable at zero)."""
        return self.reduced_cost_at(self.net_trade(v), self.G.T @ eta)

    def reduced_cost_at(self, z: np.ndarray, g_eta: np.ndarray) -> np.ndarray:
        """``reduced_cost`` from the net trade ``z`` (n,) and ``G'eta`` (nv,)."""
        bb = self.B @ (self.B.T @ z)  # BLAS products, in numpy: a loop would sum in another order
        return _reduced_cost(self.asset, self.sign, self.cost, self.d, self.p, z, bb, g_eta)

    def net_trade(self, v: np.ndarray) -> np.ndarray:
        """Net trade of each security (n,) for the trades ``v`` (nv,), in weights."""
        return net_trade(self.asset, self.sign, np.asarray(v, dtype=float), self.d.size)

    def objective(self, v: np.ndarray) -> float:
        z = self.net_trade(v)
        return self._objective_at(v, z, self.B.T @ z, self.d * z)

    def _objective_at(self, v: np.ndarray, z: np.ndarray, bz: np.ndarray, dz: np.ndarray) -> float:
        """The objective at ``v`` given its net trade ``z``, ``B'z`` and ``d * z``."""
        return float(0.5 * (z @ dz + bz @ bz) + self.p @ z + self.cost @ v + self.offset)

    def fix(self, free: np.ndarray, full: np.ndarray) -> TradeQP:
        """The same problem over the variables where ``free``, those where ``full`` fixed at their
        upper bound and the others at zero; securities left without a free variable drop out
        (their net trade is fixed, its risk folded into ``p``). ``free`` and ``full`` are (nv,)
        bool and do not overlap."""
        # The elementwise work and the gathers compiled, a pass each (as numpy calls they were ~20
        # dispatches on arrays of a few hundred); the products stay BLAS calls, for their sums'
        # order.
        v_fixed, z_fixed, dz_fixed = _fixed_trades(full, self.upper, self.asset, self.sign, self.d)
        bz_fixed = self.B.T @ z_fixed
        asset, sign, upper, cost, d, B, p, G = _free_part(
            free,
            self.asset,
            self.sign,
            self.upper,
            self.cost,
            self.d,
            self.B,
            self.p,
            dz_fixed,
            self.B @ bz_fixed,
            self.G,
        )
        return TradeQP(
            asset,
            sign,
            upper,
            cost,
            d,
            B,
            p,
            G,
            self.h - self.G @ v_fixed,
            self._objective_at(v_fixed, z_fixed, bz_fixed, dz_fixed),
        )

    def restrict(self, keep: np.ndarray) -> TradeQP:
        """The same problem with only the variables where ``keep`` (others fixed at zero)."""
        return TradeQP(
            self.asset[keep],
            self.sign[keep],
            self.upper[keep],
            self.cost[keep],
            self.d,
            self.B,
            self.p,
            self.G[:, keep],
            self.h,
            self.offset,
        )


_kernel = njit(cache=True, error_model="numpy")  # as ``_interior_point``'s


@_kernel
def _reduced_cost(asset, sign, cost, d, p, z, bb, g_eta) -> np.ndarray:
    """``sign * (d * z + bb + p)[asset] + cost + g_eta`` (nv,), ``bb = B B'z``: numpy's operations
    in numpy's order, to the bit, in two passes."""
    qz = np.empty(d.size)
    for i in range(d.size):
        qz[i] = d[i] * z[i] + bb[i] + p[i]
    out = np.empty(asset.size)
    for j in range(asset.size):
        out[j] = sign[j] * qz[asset[j]] + cost[j] + g_eta[j]
    return out


@_kernel
def _fixed_trades(full, upper, asset, sign, d):
    """``v = np.where(full, upper, 0.0)`` (nv,), its net trade ``z`` (n,) (``net_trade``'s order)
    and ``d * z``."""
    v = np.zeros(upper.size)
    z = np.zeros(d.size)
    for j in range(upper.size):
        if full[j]:
            v[j] = upper[j]
        z[asset[j]] += sign[j] * v[j]
    return v, z, d * z


@_kernel
def _free_part(free, asset, sign, upper, cost, d, B, p, dz_fixed, bb_fixed, G):
    """The arrays of ``TradeQP.fix``'s problem: each variable array at the variables where
    ``free``, ``d``, ``B`` and ``p + (dz_fixed + bb_fixed)`` at the securities those trade (their
    variables renumbered to them), ``G`` at the free columns."""
    n, k, r = d.size, B.shape[1], G.shape[0]
    at = np.empty(free.size, np.int64)
    present = np.zeros(n, np.int64)
    nf = 0
    for j in range(free.size):  # without branches: whether a variable is free is a coin toss
        at[nf] = j
        nf += free[j]
        present[asset[j]] |= free[j]
    code = np.empty(n, np.int64)  # a security's place among those that stay
    securities = np.empty(n, np.int64)
    ns = 0
    for i in range(n):
        code[i] = ns
        securities[ns] = i
        ns += present[i]
    new_asset = np.empty(nf, np.int64)
    new_sign, new_upper, new_cost = np.empty(nf), np.empty(nf), np.empty(nf)
    for f in range(nf):
        j = at[f]
        new_asset[f] = code[asset[j]]
        new_sign[f] = sign[j]
        new_upper[f] = upper[j]
        new_cost[f] = cost[j]
    new_G = np.empty((r, nf))
    for a in range(r):
        for f in range(nf):
            new_G[a, f] = G[a, at[f]]
    new_d, new_p, new_B = np.empty(ns), np.empty(ns), np.empty((ns, k))
    for s in range(ns):
        i = securities[s]
        new_d[s] = d[i]
        new_p[s] = p[i] + (dz_fixed[i] + bb_fixed[i])
        for q in range(k):
            new_B[s, q] = B[i, q]
    return new_asset, new_sign, new_upper, new_cost, new_d, new_B, new_p, new_G


@dataclass(frozen=True)
class QPResult:
    """A solve's outcome as a value: ``status`` is 'optimal', 'max_iter', 'infeasible' or 'above'
    (stopped early: the optimum is above the caller's ``above``; ``v`` and ``eta`` the iterate).

    ``problem`` is the problem ``v`` is over, ``objective`` its objective at ``v``. ``eta`` (r,) are
    the multipliers of the dense rows (cash, gain budget), ``reduced`` (nv,) the reduced cost of
    each variable (> 0: it wants to be smaller).
    """

    v: np.ndarray
    problem: TradeQP
    status: str
    iterations: int
    eta: np.ndarray | None = None
    reduced: np.ndarray | None = None

    @cached_property
    def objective(self) -> float:
        """``problem.objective(v)``, taken when first read: the engine reads few solves' own."""
        # As in ``solve_trade_qp``: a non-finite iterate's status says so; no warnings.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return self.problem.objective(self.v)


# Whether a lower bound (``bound``) on the optimum, found at the iterate ``v`` with row multipliers
# ``eta``, also bounds the caller's own problem (see ``solve_trade_qp``).
StillAbove = Callable[[np.ndarray, np.ndarray, float], bool]


def solve_trade_qp(
    qp: TradeQP,
    tol: float = 1e-9,
    max_iter: int = 80,
    above: float = np.inf,
    still_above: StillAbove | None = None,
) -> QPResult:
    """Solve a ``TradeQP`` to relative duality gap ``tol``.

    With ``above`` finite the solve stops as soon as a lower bound on the optimum (the
    linearisation bound of ``_interior_point``) is above it, with status 'above': an answer the
    caller would reject, without the iterations that pin it down. ``still_above(v, eta, bound)``
    may check the bound against the caller's own problem (the variables ``fix`` left out); when it
    says no, the solve goes on from where it stopped, to the answer it gives without ``above``,
    to the bit.

    Returns
    -------
    QPResult
        ``v`` of shape (nv,), clipped into its bounds.
    """
    # An ill-conditioned account can make the iterates overflow; the loop notices non-finite
    # iterates and the result says so in its status, so numpy's warnings would only be noise.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return _interior_point(qp, tol, max_iter, above, still_above)


def _interior_point(
    qp: TradeQP,
    tol: float,
    max_iter: int,
    above: float = np.inf,
    still_above: StillAbove | None = None,
) -> QPResult:
    if qp.asset.size == 0:
        # nothing to trade: v = 0 is the answer if every row holds there (zero multipliers); a row
        # it breaks (fixed trades spent more cash than there is) no trade can mend
        zero = np.zeros(0)
        if np.any(qp.h < 0):
            return QPResult(zero, qp, "infeasible", 0)
        return QPResult(zero, qp, "optimal", 0, np.zeros(qp.G.shape[0]), zero)
    data = (
        np.ascontiguousarray(qp.asset, dtype=np.int64),
        np.ascontiguousarray(qp.sign, dtype=float),
        np.ascontiguousarray(qp.upper, dtype=float),
        np.ascontiguousarray(qp.cost, dtype=float),
        np.ascontiguousarray(qp.d, dtype=float),
        np.ascontiguousarray(qp.B, dtype=float),
        np.ascontiguousarray(qp.p, dtype=float),
        np.ascontiguousarray(qp.G, dtype=float).reshape(qp.h.size, qp.asset.size),
        np.ascontiguousarray(qp.h, dtype=float),
        float(tol),
        int(max_iter),
        float(qp.offset),
    )
    state, done = np.empty(0), 0
    while True:
        v, eta, reduced, status, iterations, state, bound = solve_from(
            *data, float(above), state, done
        )
        if status != ABOVE:
            break
        if still_above is None or still_above(v, eta, bound):
            return QPResult(v, qp, "above", iterations, eta)
        above, done = np.inf, iterations  # the bound was not the caller's: solve on
    if status == OPTIMAL:
        return QPResult(v, qp, "optimal", iterations, eta, reduced)
    return QPResult(v, qp, _STATUS[status], iterations)
