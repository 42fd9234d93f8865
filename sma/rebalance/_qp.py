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

import numpy as np

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
        z = self.net_trade(v)
        qz = self.d * z + self.B @ (self.B.T @ z) + self.p
        return self.sign * qz[self.asset] + self.cost + self.G.T @ eta

    def net_trade(self, v: np.ndarray) -> np.ndarray:
        """Net trade of each security (n,) for the trades ``v`` (nv,), in weights."""
        return net_trade(self.asset, self.sign, np.asarray(v, dtype=float), self.d.size)

    def objective(self, v: np.ndarray) -> float:
        z = self.net_trade(v)
        return self._objective_at(v, z, self.B.T @ z)

    def _objective_at(self, v: np.ndarray, z: np.ndarray, bz: np.ndarray) -> float:
        """The objective at ``v`` given its net trade ``z`` and ``B'z``."""
        return float(0.5 * (z @ (self.d * z) + bz @ bz) + self.p @ z + self.cost @ v + self.offset)

    def fix(self, free: np.ndarray, full: np.ndarray) -> TradeQP:
        """The same problem over the variables where ``free``, those where ``full`` fixed at their
        upper bound and the others at zero; securities left without a free variable drop out
        (their net trade is fixed, its risk folded into ``p``). ``free`` and ``full`` are (nv,)
        bool and do not overlap."""
        v_fixed = np.where(full, self.upper, 0.0)
        z_fixed = self.net_trade(v_fixed)
        bz_fixed = self.B.T @ z_fixed
        q_fixed = self.d * z_fixed + self.B @ bz_fixed
        p = self.p + q_fixed
        at = np.flatnonzero(free)  # one index for the seven arrays taken (a mask is read anew each)
        asset = self.asset[at]
        present = np.zeros(self.d.size, bool)
        present[asset] = True
        securities = np.flatnonzero(present)
        return TradeQP(
            (np.cumsum(present) - 1)[asset],
            self.sign[at],
            self.upper[at],
            self.cost[at],
            self.d[securities],
            self.B[securities],
            p[securities],
            self.G[:, at],
            self.h - self.G @ v_fixed,
            self._objective_at(v_fixed, z_fixed, bz_fixed),
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


@dataclass(frozen=True)
class QPResult:
    """A solve's outcome as a value: ``status`` is 'optimal', 'max_iter', 'infeasible' or 'above'
    (stopped early: the optimum is above the caller's ``above``; ``v`` and ``eta`` the iterate).

    ``eta`` (r,) are the multipliers of the dense rows (cash, gain budget), ``reduced`` (nv,) the
    reduced cost of each variable (> 0: it wants to be smaller).
    """

    v: np.ndarray
    objective: float
    status: str
    iterations: int
    eta: np.ndarray | None = None
    reduced: np.ndarray | None = None


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
            return QPResult(zero, qp.objective(zero), "infeasible", 0)
        return QPResult(zero, qp.objective(zero), "optimal", 0, np.zeros(qp.G.shape[0]), zero)
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
            return QPResult(v, qp.objective(v), "above", iterations, eta)
        above, done = np.inf, iterations  # the bound was not the caller's: solve on
    if status == OPTIMAL:
        return QPResult(v, qp.objective(v), "optimal", iterations, eta, reduced)
    return QPResult(v, qp.objective(v), _STATUS[status], iterations)
