"""The interior-point iterations of ``solve_trade_qp``, compiled (numba): one pass over the
variables per step instead of one numpy call per array operation.

Mehrotra predictor-corrector on the problem of ``_qp`` (Moehle, Kochenderfer, Boyd & Ang 2021,
section 3)::

    minimise 1/2 z'Qz + p'z + c'v   subject to   z = A v,  0 <= v <= u,  G v <= h

with ``Q = diag(d) + B B'``. Each Newton system ``(A'QA + diag(theta)) x = r`` is solved by
Woodbury twice: the per-variable diagonal folds into a per-security one (``hh``: the harmonic sum
of the variables' inverse curvatures), and ``diag(d + hh) + B B'`` into one k x k Cholesky factor
of ``I + S'S``, ``S = diag(d + hh)^-1/2 B`` (SPD and >= I: well conditioned). The r dense rows of
``G`` (cash, gain budget) take an r x r Schur complement. At 500 securities, 40 factors and a few
thousand variables a step is then the k x k product and a few passes over the variables; as numpy
calls it was ~130 dispatches and temporaries (issue 23's profile).

Status codes: 0 optimal, 1 iteration limit, 2 the rows cannot hold (infeasible), 3 the Newton
system broke down (non-finite or not positive definite), 4 stopped early: a lower bound on the
optimum is above the caller's ``stop_above`` (``solve_from``).

The lower bound at an iterate ``v`` with row multipliers ``eta >= 0`` is the linearisation's: the
objective is convex, so for every feasible ``v*``, ``f(v*) >= f(v) + g'(v* - v) + eta'(G v* - h)``
(``g`` the gradient; the last term is <= 0), and the right side is smallest over the box
``0 <= v* <= u`` where each variable sits at the bound its coefficient ``g + G'eta`` points to.
At the optimum it is the optimum (complementary slackness); on the way it trails it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OPTIMAL, MAX_ITER, INFEASIBLE, ABOVE = 0, 1, 2, 4

# numpy's error model: a float divided by zero is inf or nan, as in numpy, which the iterations'
# finiteness checks catch, instead of a test before every division that raises ZeroDivisionError.
# Without those tests and their branches the compiler schedules the loops' arithmetic freely:
# the solver takes ~14 % less time, every result the same to the bit (issue 23).
_kernel = njit(cache=True, error_model="numpy")


@_kernel
def net_trade(asset, sign, v, n) -> np.ndarray:
    """``z = A v`` (n,): each variable's signed trade summed into its security, in the variables'
    order (``np.bincount(asset, sign * v, minlength=n)`` to the bit, without its temporaries and
    dispatch: the engine takes a few dozen an account)."""
    z = np.zeros(n)
    for j in range(v.size):
        z[asset[j]] += sign[j] * v[j]
    return z


@_kernel
def _cholesky(m: np.ndarray) -> bool:
    """Lower Cholesky factor of the SPD matrix ``m``, in place; False when it is not SPD."""
    k = m.shape[0]
    for j in range(k):
        s = m[j, j]
        for q in range(j):
            s -= m[j, q] * m[j, q]
        if not s > 0.0:
            return False
        s = np.sqrt(s)
        m[j, j] = s
        for i in range(j + 1, k):
            t = m[i, j]
            for q in range(j):
                t -= m[i, q] * m[j, q]
            m[i, j] = t / s
    return True


@_kernel
def _cho_solve(low: np.ndarray, b: np.ndarray) -> None:
    """``b <- (L L')^-1 b`` for the lower factor ``low``, in place."""
    k = low.shape[0]
    for i in range(k):
        s = b[i]
        for q in range(i):
            s -= low[i, q] * b[q]
        b[i] = s / low[i, i]
    for i in range(k - 1, -1, -1):
        s = b[i]
        for q in range(i + 1, k):
            s -= low[q, i] * b[q]
        b[i] = s / low[i, i]


@_kernel
def _newton_solve(r, asset, inv_theta, a_it, hh, root, scaled, low, out) -> None:
    """``out <- (A'QA + diag(theta))^-1 r`` through the per-security system (module docstring)."""
    n = hh.size
    rho = np.zeros(n)
    for j in range(r.size):
        rho[asset[j]] += r[j] * a_it[j]
    # Element by element: the numbers of the array expressions, without their temporaries.
    y = np.empty(n)
    for i in range(n):
        y[i] = root[i] * (hh[i] * rho[i])
    g = scaled.T @ y
    _cho_solve(low, g)
    sg = scaled @ g
    pi = np.empty(n)
    for i in range(n):
        pi[i] = hh[i] * (root[i] * (y[i] - sg[i]) - rho[i])
    for j in range(r.size):
        out[j] = r[j] * inv_theta[j] + a_it[j] * pi[asset[j]]


@_kernel
def _rows_times(G, v) -> np.ndarray:
    """``G @ v`` (r,), also for r = 0: each row's sum in the variables' order, two rows a pass (a
    sum is a chain of dependent additions; two chains side by side take the time of one)."""
    r = G.shape[0]
    out = np.zeros(r)
    for a in range(0, r - 1, 2):
        s0 = s1 = 0.0
        for j in range(v.size):
            s0 += G[a, j] * v[j]
            s1 += G[a + 1, j] * v[j]
        out[a], out[a + 1] = s0, s1
    if r % 2:
        s = 0.0
        for j in range(v.size):
            s += G[r - 1, j] * v[j]
        out[r - 1] = s
    return out


@_kernel
def _schur_products(G, mgt, schur) -> None:
    """``schur[a, b] = G[a] @ mgt[b]`` for every pair of rows, each sum in the variables' order (as
    ``_rows_times``), all r x r of them in one pass when r <= 2 (four chains side by side)."""
    r = G.shape[0]
    if r == 2:
        s00 = s01 = s10 = s11 = 0.0
        for j in range(G.shape[1]):
            s00 += G[0, j] * mgt[0, j]
            s01 += G[0, j] * mgt[1, j]
            s10 += G[1, j] * mgt[0, j]
            s11 += G[1, j] * mgt[1, j]
        schur[0, 0], schur[0, 1], schur[1, 0], schur[1, 1] = s00, s01, s10, s11
        return
    for a in range(r):
        schur[a] = _rows_times(mgt, G[a])


@_kernel
def _rows_transposed_times(G, y) -> np.ndarray:
    """``G' @ y`` (nv,), also for r = 0."""
    out = np.zeros(G.shape[1])
    for a in range(G.shape[0]):
        for j in range(G.shape[1]):
            out[j] += G[a, j] * y[a]
    return out


@_kernel
def _step(x, dx) -> float:
    """Largest a <= 1 with x + a dx >= 0 (x > 0)."""
    # The quotients in a pass of their own, which the compiler vectorises (one in the comparing
    # loop is a division at a time); their minimum in four running minima, each a chain of its
    # own (one minimum is a chain of dependent comparisons). A minimum is the same in any order.
    q = dx / x
    w0 = w1 = w2 = w3 = 0.0
    m = q.size - q.size % 4
    for j in range(0, m, 4):
        if q[j] < w0:
            w0 = q[j]
        if q[j + 1] < w1:
            w1 = q[j + 1]
        if q[j + 2] < w2:
            w2 = q[j + 2]
        if q[j + 3] < w3:
            w3 = q[j + 3]
    for j in range(m, q.size):
        if q[j] < w0:
            w0 = q[j]
    worst = min(min(w0, w1), min(w2, w3))
    return min(1.0, -1.0 / worst) if worst < 0.0 else 1.0


@_kernel
def _finite(a) -> bool:
    """``np.isfinite(a).all()`` without the temporary."""
    for j in range(a.size):
        if not np.isfinite(a[j]):
            return False
    return True


@_kernel
def _gradient(v, asset, sign, cost, d, B, p, z, qz, grad) -> None:
    """Net trade ``z``, ``qz = Qz + p`` and the gradient in each variable, written in place."""
    z[:] = 0.0
    for j in range(v.size):
        z[asset[j]] += sign[j] * v[j]
    bz = B @ (B.T @ z)
    for i in range(z.size):  # ``d * z + bz + p`` without its temporaries
        qz[i] = d[i] * z[i] + bz[i] + p[i]
    for j in range(v.size):
        grad[j] = sign[j] * qz[asset[j]] + cost[j]


@_kernel
def _direction(x, nv, r, rd, rp, rc, rcw, G, mgt, schur, newton, dx) -> None:
    """The Newton direction for complementarity targets ``rc`` (of v s0 and t s1, stacked) and
    ``rcw`` (of w eta), written into ``dx`` (the layout of ``x``)."""
    asset, inv_theta, a_it, hh, root, scaled, low = newton
    r1 = np.empty(nv)
    for j in range(nv):
        r1[j] = -rd[j] + rc[j] / x[j] - rc[nv + j] / x[nv + j]
    m = np.empty(nv)
    _newton_solve(r1, asset, inv_theta, a_it, hh, root, scaled, low, m)
    w, eta = x[4 * nv : 4 * nv + r], x[4 * nv + r :]
    if r:
        y = _rows_times(G, m) + rp + rcw / eta
        _cho_solve(schur, y)
        m -= _rows_transposed_times(mgt, y)
        dx[4 * nv + r :] = y
        dx[4 * nv : 4 * nv + r] = (rcw - w * y) / eta
    for j in range(nv):
        dx[j] = m[j]
        dx[nv + j] = -m[j]
        dx[2 * nv + j] = (rc[j] - x[2 * nv + j] * m[j]) / x[j]
        dx[3 * nv + j] = (rc[nv + j] + x[3 * nv + j] * m[j]) / x[nv + j]


@_kernel
def interior_point(asset, sign, upper, cost, d, B, p, G, h, tol, max_iter, offset):
    """Solve to relative duality gap ``tol``; returns (v, eta, reduced, status, iterations):
    ``v`` (nv,) clipped into its bounds, the rows' multipliers ``eta`` (r,), the reduced cost
    ``s0 - s1`` (nv,) of each variable, a status code (module docstring). ``offset`` is the
    objective's constant: the gap is relative to the whole objective."""
    v, eta, reduced, status, it, _, _ = solve_from(
        asset, sign, upper, cost, d, B, p, G, h, tol, max_iter, offset, np.inf, np.empty(0), 0
    )
    return v, eta, reduced, status, it


@_kernel
def _linearised_bound(v, grad, gte, upper, eta, h, obj) -> float:
    """The lower bound on the optimum at the iterate ``v`` (module docstring); ``obj`` is the
    objective at ``v``, ``grad`` its gradient, ``gte`` = G'eta."""
    bound = obj
    for j in range(v.size):
        bound -= grad[j] * v[j]
        bound += min(0.0, (grad[j] + gte[j]) * upper[j])
    for a in range(h.size):
        bound -= eta[a] * h[a]
    return bound


@_kernel
def solve_from(asset, sign, upper, cost, d, B, p, G, h, tol, max_iter, offset, stop_above, x0, it0):
    """``interior_point``, which may stop early and be resumed: returns (v, eta, reduced, status,
    iterations, state, bound). At the first iterate whose lower bound on the optimum (module
    docstring, with ``offset``) is above ``stop_above`` it stops with status ``ABOVE``: ``bound``
    that bound, ``v`` and ``eta`` that iterate, ``state`` all of it, ``iterations`` the steps
    taken to it; called again with ``x0 = state`` and ``it0 = iterations`` (and ``stop_above``
    inf) it goes on exactly as if it had not stopped, so its answer is ``interior_point``'s to the
    bit. ``x0`` empty: start afresh (``it0`` 0)."""
    nv, r, n = asset.size, h.size, d.size
    k = B.shape[1]
    # The positive iterates in one array: v, t = u - v (tracked on its own: u - v loses precision
    # near u), the bound multipliers s0, s1, the row slacks w and multipliers eta.
    x = np.empty(4 * nv + 2 * r)
    dx = np.empty_like(x)
    x[:nv] = 0.5 * upper
    x[nv : 2 * nv] = upper - x[:nv]
    z, qz, grad = np.empty(n), np.empty(n), np.empty(nv)
    _gradient(x[:nv], asset, sign, cost, d, B, p, z, qz, grad)
    scale = max(np.abs(grad).max(), 1e-6)
    x[2 * nv : 3 * nv] = np.maximum(grad, 0.0) + scale
    x[3 * nv : 4 * nv] = np.maximum(-grad, 0.0) + scale
    x[4 * nv : 4 * nv + r] = np.maximum(h - _rows_times(G, x[:nv]), 1e-3)
    x[4 * nv + r :] = scale
    if x0.size:
        x[:] = x0
    n_comp = 2 * nv + r
    h_tol = tol * (1.0 + (np.abs(h).max() if r else 0.0))
    inv_theta, a_it = np.empty(nv), np.empty(nv)
    scaled = np.empty((n, k))
    mgt = np.empty((r, nv))  # the Newton system solved for each row of G: a contiguous row each
    rd, rc = np.empty(nv), np.empty(2 * nv)
    it = it0
    for it in range(it0 + 1, max_iter + 1):
        v, t = x[:nv], x[nv : 2 * nv]
        s0, s1 = x[2 * nv : 3 * nv], x[3 * nv : 4 * nv]
        w, eta = x[4 * nv : 4 * nv + r], x[4 * nv + r :]
        _gradient(v, asset, sign, cost, d, B, p, z, qz, grad)
        gte = _rows_transposed_times(G, eta)
        rd_max = 0.0
        for j in range(nv):
            rd[j] = grad[j] - s0[j] + s1[j] + gte[j]
            rd_max = max(rd_max, abs(rd[j]))
        rp = _rows_times(G, v) + w - h
        gap = v @ s0 + t @ s1 + w @ eta
        mu = gap / n_comp
        obj = 0.5 * (z @ (qz + p)) + cost @ v
        if (
            gap <= tol * max(abs(obj + offset), 1e-3)
            and rd_max <= tol * (1.0 + scale)
            and (r == 0 or np.abs(rp).max() <= h_tol)
        ):
            clipped = np.minimum(np.maximum(v, 0.0), upper)
            return clipped, eta.copy(), s0 - s1, OPTIMAL, it, x, np.nan
        if stop_above < np.inf:
            bound = _linearised_bound(v, grad, gte, upper, eta, h, obj + offset)
            if bound > stop_above:
                clipped = np.minimum(np.maximum(v, 0.0), upper)
                return clipped, eta.copy(), s0 - s1, ABOVE, it - 1, x.copy(), bound
        # The Newton system at this point (module docstring).
        hsum = np.zeros(n)
        for j in range(nv):
            inv_theta[j] = 1.0 / (s0[j] / v[j] + s1[j] / t[j])
            a_it[j] = sign[j] * inv_theta[j]
        for j in range(nv):  # apart: a scattering loop is not vectorised
            hsum[asset[j]] += inv_theta[j]
        hh = np.zeros(n)
        root = np.empty(n)
        for i in range(n):
            # Securities without variables have z fixed at 0: a huge curvature instead.
            if hsum[i] > 0.0:
                hh[i] = 1.0 / hsum[i]
                root[i] = 1.0 / np.sqrt(d[i] + hh[i])
            else:
                root[i] = 1e-15
            for q in range(k):
                scaled[i, q] = B[i, q] * root[i]
        low = scaled.T @ scaled
        for q in range(k):
            low[q, q] += 1.0
        if not (np.isfinite(low).all() and _cholesky(low)):
            break
        newton = (asset, inv_theta, a_it, hh, root, scaled, low)
        schur = np.empty((r, r))
        for a in range(r):
            _newton_solve(G[a], asset, inv_theta, a_it, hh, root, scaled, low, mgt[a])
        if r:
            _schur_products(G, mgt, schur)
            for a in range(r):
                schur[a, a] += w[a] / eta[a]
            if not (np.isfinite(schur).all() and _cholesky(schur)):
                break
        # Predictor: the affine direction (complementarity targets 0).
        for j in range(2 * nv):
            rc[j] = -x[j] * x[2 * nv + j]
        rcw = -w * eta
        _direction(x, nv, r, rd, rp, rc, rcw, G, mgt, schur, newton, dx)
        a_aff = _step(x, dx)
        gap_aff = 0.0
        for j in range(2 * nv):
            gap_aff += (x[j] + a_aff * dx[j]) * (x[2 * nv + j] + a_aff * dx[2 * nv + j])
        for a in range(r):
            gap_aff += (w[a] + a_aff * dx[4 * nv + a]) * (eta[a] + a_aff * dx[4 * nv + r + a])
        sigma = (gap_aff / gap) ** 3
        # Corrector: centred, with the predictor's second-order term.
        for j in range(2 * nv):
            rc[j] += sigma * mu - dx[j] * dx[2 * nv + j]
        rcw = rcw + sigma * mu - dx[4 * nv : 4 * nv + r] * dx[4 * nv + r :]
        _direction(x, nv, r, rd, rp, rc, rcw, G, mgt, schur, newton, dx)
        step = 0.99 * _step(x, dx)
        for j in range(x.size):  # ``x += step * dx`` without the temporary
            x[j] += step * dx[j]
        if not _finite(x[:nv]):
            break
    v = np.minimum(np.maximum(np.nan_to_num(x[:nv]), 0.0), upper)
    status = MAX_ITER
    if r and (_rows_times(G, v) > h + 1e-6).any():
        status = INFEASIBLE
    return v, np.empty(0), np.empty(0), status, it, x, np.nan
