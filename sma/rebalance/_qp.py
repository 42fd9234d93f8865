"""A primal-dual interior-point solver for one account's trade problem, exploiting factor structure.

The problem (Moehle, Kochenderfer, Boyd & Ang 2021, section 3, in weights of account value)::

    minimise   1/2 z' Q z + p' z + c' v
    subject to z = A v,   0 <= v <= u,   G v <= h

``v`` are the trade variables (a buy per security, a sell per lot), ``A`` sends each to its
security with sign +1 (buy) or -1 (sell), and ``Q = diag(d) + B B'`` is the scaled factor
covariance with B of shape (n, k). Each Newton step reduces to one system in ``z`` of the form
``(diag(d + h) + B B') dz = r`` (h: per-security harmonic sum of the barrier curvatures), solved
by Woodbury with one k x k inverse (the matrix is SPD and >= I); the two dense rows of ``G`` (cash,
gain budget) take a 2 x 2 Schur complement. Mehrotra predictor-corrector steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dpotrs as _potrs


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

    def reduced_cost(self, v: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Derivative of the Lagrangian in each variable at ``v`` with row multipliers ``eta``
        (at an optimum, >= 0 for every variable at zero)."""
        z = self.net_trade(v)
        qz = self.d * z + self.B @ (self.B.T @ z) + self.p
        return self.sign * qz[self.asset] + self.cost + self.G.T @ eta

    def net_trade(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.asset, self.sign * v, minlength=self.d.size)

    def objective(self, v: np.ndarray) -> float:
        z = self.net_trade(v)
        bz = self.B.T @ z
        return float(0.5 * (z @ (self.d * z) + bz @ bz) + self.p @ z + self.cost @ v)

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
        )


@dataclass(frozen=True)
class QPResult:
    """A solve's outcome as a value: ``status`` is 'optimal', 'max_iter' or 'infeasible'.

    ``eta`` (r,) are the multipliers of the dense rows (cash, gain budget), ``reduced`` (nv,) the
    reduced cost of each variable (> 0: it wants to be smaller).
    """

    v: np.ndarray
    objective: float
    status: str
    iterations: int
    eta: np.ndarray | None = None
    reduced: np.ndarray | None = None


class _Newton:
    """The reduced Newton system for a given barrier curvature ``theta`` of shape (nv,).

    ``(A'QA + diag(theta))^{-1}`` by Woodbury twice: the per-variable diagonal folds into a
    per-security one, and the factor part into one k x k Cholesky factor of ``I + B' D^-1 B`` (SPD
    and >= I: well conditioned), computed as ``S'S`` with ``S = D^-1/2 B`` (one symmetric product).
    """

    def __init__(self, qp: TradeQP, theta: np.ndarray):
        n, k = qp.B.shape
        self.asset = qp.asset
        self.inv_theta = 1.0 / theta
        self.a_it = qp.sign * self.inv_theta
        hsum = np.bincount(qp.asset, self.inv_theta, minlength=n)
        active = hsum > 0
        self.h = np.divide(1.0, hsum, out=np.zeros(n), where=active)
        # Securities without variables have z fixed at 0; give them a huge curvature instead.
        self.root = 1.0 / np.sqrt(qp.d + np.where(active, self.h, 1e30))
        self.scaled = qp.B * self.root[:, None]
        core = self.scaled.T @ self.scaled
        core.flat[:: k + 1] += 1.0
        self.chol, info = _potrf(core, lower=1, clean=0)
        if info != 0:
            raise np.linalg.LinAlgError("Newton system is not positive definite")

    def solve(self, r: np.ndarray) -> np.ndarray:
        """``(A'QA + diag(theta))^{-1} r`` for r of shape (nv,)."""
        rho = np.bincount(self.asset, r * self.a_it, minlength=self.h.size)
        y = self.root * (self.h * rho)
        core_rhs = _potrs(self.chol, self.scaled.T @ y, lower=1)[0]
        pi = self.h * (self.root * (y - self.scaled @ core_rhs) - rho)
        return r * self.inv_theta + self.a_it * pi[self.asset]


def _step_to_boundary(x: np.ndarray, dx: np.ndarray) -> float:
    """Largest a <= 1 with x + a dx >= 0 (x > 0): every positive iterate stacked in one array, so
    one division and one minimum replace one per iterate (the same number, as -1/x grows on x <
    0)."""
    worst = float((dx / x).min()) if x.size else 0.0
    return min(1.0, -1.0 / worst) if worst < 0 else 1.0


def _inverse(schur: np.ndarray) -> np.ndarray:
    """Inverse of the small Schur complement; one row (the cash row alone) is one division."""
    return 1.0 / schur if schur.shape == (1, 1) else np.linalg.inv(schur)


def solve_trade_qp(qp: TradeQP, tol: float = 1e-9, max_iter: int = 80) -> QPResult:
    """Solve a ``TradeQP`` to relative duality gap ``tol``.

    Returns
    -------
    QPResult
        ``v`` of shape (nv,), clipped into its bounds.
    """
    # An ill-conditioned account can make the iterates overflow; the loop notices non-finite
    # iterates and the result says so in its status, so numpy's warnings would only be noise.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return _interior_point(qp, tol, max_iter)


def _interior_point(qp: TradeQP, tol: float, max_iter: int) -> QPResult:
    nv, u = qp.asset.size, qp.upper
    if nv == 0:
        # nothing to trade: every row holds at v = 0 with zero multipliers
        zero = np.zeros(0)
        return QPResult(zero, qp.objective(zero), "optimal", 0, np.zeros(qp.G.shape[0]), zero)
    G, h = qp.G, qp.h
    r = h.size
    # The positive iterates live in one array: v, t = u - v (tracked on its own: u - v loses
    # precision near u), the bound multipliers s0, s1, the row slacks w and multipliers eta.
    x = np.empty(4 * nv + 2 * r)
    vt, s, w, eta = x[: 2 * nv], x[2 * nv : 4 * nv], x[4 * nv : 4 * nv + r], x[4 * nv + r :]
    v, t, s0, s1 = vt[:nv], vt[nv:], s[:nv], s[nv:]
    v[:] = 0.5 * u
    t[:] = u - v
    z = qp.net_trade(v)
    grad = qp.sign * (qp.d * z + qp.B @ (qp.B.T @ z) + qp.p)[qp.asset] + qp.cost
    scale = max(np.abs(grad).max(), 1e-6)
    s0[:] = np.maximum(grad, 0.0) + scale
    s1[:] = np.maximum(-grad, 0.0) + scale
    w[:] = np.maximum(h - G @ v, 1e-3)
    eta[:] = scale
    n_comp = 2 * nv + r
    # Steps in the same layout; the step of t is -dv, so the pairs (v, t) and (s0, s1) move as one
    # (t + a (-dv) is t - a dv, s1 - s1 (-dv) is s1 + s1 dv, to the last bit).
    dx = np.empty_like(x)
    dvt, ds, dw, deta = dx[: 2 * nv], dx[2 * nv : 4 * nv], dx[4 * nv : 4 * nv + r], dx[4 * nv + r :]
    dv, dt = dvt[:nv], dvt[nv:]
    for it in range(1, max_iter + 1):
        z = qp.net_trade(v)
        qz = qp.d * z + qp.B @ (qp.B.T @ z) + qp.p
        grad = qp.sign * qz[qp.asset] + qp.cost
        rd = grad - s0 + s1 + G.T @ eta
        rp = G @ v + w - h
        gap = v @ s0 + t @ s1 + w @ eta
        mu = gap / n_comp
        obj = float(0.5 * (z @ (qz + qp.p)) + qp.cost @ v)
        if (
            gap <= tol * max(abs(obj), 1e-3)
            and np.abs(rd).max() <= tol * (1.0 + scale)
            and (rp.size == 0 or np.abs(rp).max() <= tol * (1.0 + np.abs(h).max()))
        ):
            return QPResult(np.clip(v, 0.0, u), obj, "optimal", it, eta.copy(), s0 - s1)
        theta = s0 / v + s1 / t
        try:
            newton = _Newton(qp, theta)
            mgt = np.column_stack([newton.solve(row) for row in G]) if r else np.zeros((nv, 0))
            schur = G @ mgt
            schur.flat[:: r + 1] += w / eta
            schur_inv = _inverse(schur) if r else None
        except (np.linalg.LinAlgError, ValueError):
            break

        minus_rd, minus_rp = -rd, -rp

        # The closure is called only within this iteration, so the loop's current values are the
        # ones it must see (bugbear's B023 guards against late calls, which do not happen here).
        def direction(rc, rcw):
            """The Newton direction for complementarity targets ``rc`` (of v s0 and t s1, stacked)
            and ``rcw`` (of w eta), written into ``dx``."""
            q = rc / vt
            r1 = minus_rd + q[:nv] - q[nv:]  # noqa: B023
            m_r1 = newton.solve(r1)  # noqa: B023
            if r:
                y = schur_inv @ (G @ m_r1 - (minus_rp - rcw / eta))  # noqa: B023
                np.subtract(m_r1, mgt @ y, out=dv)  # noqa: B023
                deta[:] = y
                np.divide(rcw - w * y, eta, out=dw)
            else:
                dv[:] = m_r1
            np.negative(dv, out=dt)
            np.divide(rc - s * dvt, vt, out=ds)

        comp, comp_w = -vt * s, -w * eta
        direction(comp, comp_w)
        x_aff = x + _step_to_boundary(x, dx) * dx
        gap_aff = (
            x_aff[:nv] @ x_aff[2 * nv : 3 * nv]
            + x_aff[nv : 2 * nv] @ x_aff[3 * nv : 4 * nv]
            + x_aff[4 * nv : 4 * nv + r] @ x_aff[4 * nv + r :]
        )
        sigma = (gap_aff / gap) ** 3
        direction(comp + sigma * mu - dvt * ds, comp_w + sigma * mu - dw * deta)
        x += 0.99 * _step_to_boundary(x, dx) * dx
        if not np.all(np.isfinite(v)):
            break
    v = np.clip(np.nan_to_num(v), 0.0, u)
    status = "infeasible" if r and np.any(G @ v > h + 1e-6) else "max_iter"
    return QPResult(v, qp.objective(v), status, it)
