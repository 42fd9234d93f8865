"""A lower bound on a side flip's optimum, from the current answer's duals: the flips the side
search (``_sign_search``) can prove useless without solving them.

The trade problem (``_qp``) is ``min 1/2 z'Qz + p'z + c'v + offset`` over ``0 <= v <= u``,
``G v <= h``, with ``z = A v``. For any ``y`` (n,) and any row multipliers ``eta >= 0`` its
Lagrangian dual (Boyd & Vandenberghe, "Convex Optimization", 2004, section 5.1.3; the quadratic's
conjugate, example 3.22: ``q(z) >= y'z - q*(y)`` with ``q*(y) = 1/2 (y - p)'Q^-1 (y - p)``) is
a lower bound on the optimum over any set of variables ``K`` (the others fixed at zero)::

    g(y, eta) = offset - q*(y) - eta'h + sum over j in K of min(0, c_j + (A'y)_j + (G'eta)_j) u_j

At ``y = Q z0 + p`` (``z0`` the current answer's net trade) the coefficient of ``v_j`` is the
variable's reduced cost ``r_j`` at that answer, and ``q*(y) = 1/2 z0'Q z0``; for the answer's own
variables ``g`` is its objective (complementary slackness), which is why it is a good start for a
flip. A flip changes the variables of one group's securities only, so ``y`` is then moved along
those securities alone, one coordinate at a time, each to the maximum of ``g`` along it: a concave
piecewise quadratic in one number ``t``::

    phi(t) = -t w - 1/2 t^2 (Q^-1)_ss
             + sum over j of s in K of (min(0, r_j + sign_j t) - min(0, r_j)) u_j

(``w = z0_s`` plus what the earlier coordinates' moves add through ``Q^-1``). Every ``y`` gives a
valid bound, so the maximisation only has to be right, not exact; ``Q^-1`` comes from the same
Woodbury form the interior point uses (``Q = diag(d) + B B'``; one k x k Cholesky factor of
``I + B' D^-1 B`` an account).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numba import njit

from sma.rebalance._interior_point import _cho_solve
from sma.rebalance._qp import TradeQP

# A flip of more securities than this is not bounded (the search's first move may flip dozens of
# idle groups at once; it cannot do worse, so no bound could reject it).
MAX_SECURITIES = 16

# What the bound's floating-point sum may be off by, relative to the sum of its terms' sizes: the
# bound returned is lowered by that much, so it holds as computed.
ROUNDING = 1e-12

_kernel = njit(cache=True, error_model="numpy")


def conjugate_factor(qp: TradeQP) -> np.ndarray | None:
    """Lower Cholesky factor (k, k) of ``I + B' diag(d)^-1 B``, for ``Q^-1``'s entries (Woodbury:
    ``Q^-1 = D^-1 - D^-1 B (I + B'D^-1 B)^-1 B'D^-1``); None when the numbers do not allow one
    (then no flip is bounded: the search solves them, as it did without the bound)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        m = np.eye(qp.B.shape[1]) + qp.B.T @ (qp.B / qp.d[:, None])
    if not np.isfinite(m).all():
        return None
    try:
        return np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return None


def dual_base(qp: TradeQP, z: np.ndarray, eta: np.ndarray) -> float:
    """``offset - 1/2 z0'Q z0 - eta'h``: the part of the bound that does not depend on the flip,
    from the current answer's net trade ``z`` (n,)."""
    bz = qp.B.T @ z
    return float(qp.offset - 0.5 * (z @ (qp.d * z) + bz @ bz) - eta @ qp.h)


def lazy_factor(qp: TradeQP) -> Callable[[], np.ndarray | None]:
    """``conjugate_factor(qp)``, taken the first time it is asked for (an account whose search
    bounds no flip never pays for it) and kept."""
    return functools.cache(functools.partial(conjugate_factor, qp))


def bounder(
    qp: TradeQP,
    z: np.ndarray,
    eta: np.ndarray,
    reduced: np.ndarray,
    factor: Callable[[], np.ndarray | None],
) -> Callable[[np.ndarray, np.ndarray], float]:
    """``bound(keep, unsettled)``: ``flip_bound`` from the answer whose net trade is ``z``, with
    row multipliers ``eta`` and reduced costs ``reduced`` (``qp.reduced_cost_at(z, G'eta)``), for
    the flips of one round of the search (all from that answer); ``factor``: ``lazy_factor(qp)``."""
    base = dual_base(qp, z, eta)

    def bound(keep: np.ndarray, unsettled: np.ndarray) -> float:
        low = factor()
        if low is None:
            return -np.inf
        return flip_bound(
            keep, unsettled, reduced, qp.upper, qp.sign, qp.asset, qp.d, qp.B, low, z, base
        )

    return bound


@_kernel
def flip_bound(keep, unsettled, reduced, upper, sign, asset, d, B, low, z, base) -> float:
    """The lower bound (module docstring) on the optimum over the variables ``keep`` (nv,) bool, the
    flipped groups' variables being ``unsettled`` (nv,) bool (every variable of each security they
    touch: a group's securities are the group's), from the reduced costs ``reduced``
    (nv,) at the current answer, its net trade ``z`` (n,), ``dual_base``'s ``base`` and
    ``conjugate_factor``'s ``low``, lowered by what its floating-point sum may be off by
    (``ROUNDING``); ``-inf`` when the flip has more than ``MAX_SECURITIES`` securities, nan when a
    number is not finite (no bound: the caller solves)."""
    nv, n = keep.size, d.size
    box = 0.0
    for j in range(nv):
        if keep[j]:
            r = reduced[j]
            if not np.isfinite(r):
                return np.nan
            if r < 0.0:
                box += r * upper[j]
    # the flipped securities, in order, and the kept variables among the flipped groups'
    flipped = np.zeros(n, np.bool_)
    moving = np.empty(nv, np.int64)
    nm = 0
    for j in range(nv):
        if unsettled[j]:
            flipped[asset[j]] = True
            if keep[j]:
                moving[nm] = j
                nm += 1
    securities = np.flatnonzero(flipped)
    ns = securities.size
    if ns > MAX_SECURITIES:
        return -np.inf
    # Q^-1 among them: diag(1/d) - b_a' (L L')^-1 b_b, b_s = B_s / d_s (Woodbury)
    scaled = np.empty((ns, B.shape[1]))
    solved = np.empty_like(scaled)
    for a in range(ns):
        scaled[a] = B[securities[a]] / d[securities[a]]
        solved[a] = scaled[a]
        _cho_solve(low, solved[a])
    qi = np.empty((ns, ns))
    for a in range(ns):
        for b in range(ns):
            diagonal = 1.0 / d[securities[a]] if a == b else 0.0
            qi[a, b] = diagonal - scaled[a] @ solved[b]
    moved = np.zeros(ns)
    gain = 0.0
    for a in range(ns):
        s = securities[a]
        curvature = qi[a, a]
        if not curvature > 0.0:
            return np.nan
        w = z[s]
        for b in range(a):
            w += moved[b] * qi[a, b]
        m = 0
        for i in range(nm):
            if asset[moving[i]] == s:
                m += 1
        rc, sg, room = np.empty(m), np.empty(m), np.empty(m)
        c = 0
        for i in range(nm):
            j = moving[i]
            if asset[j] == s:
                rc[c], sg[c], room[c] = reduced[j], sign[j], upper[j]
                c += 1
        t, best = _best_step(w, curvature, rc, sg, room)
        moved[a] = t
        gain += best
    return base + box + gain - ROUNDING * (abs(base) + abs(box) + gain)


@_kernel
def _phi(t, w, curvature, rc, sg, room) -> float:
    """The change of the bound when ``y_s`` moves by ``t`` (module docstring)."""
    value = -t * w - 0.5 * curvature * t * t
    for j in range(rc.size):
        value += (min(0.0, rc[j] + sg[j] * t) - min(0.0, rc[j])) * room[j]
    return value


@_kernel
def _best_step(w, curvature, rc, sg, room):
    """The ``t`` that maximises the concave ``_phi`` and its value (>= 0: ``t = 0`` is a candidate):
    the maximum is at a breakpoint (a variable's reduced cost reaching zero) or where the
    derivative of a piece between two breakpoints is zero."""
    m = rc.size
    breaks = np.sort(-rc * sg)
    best_t, best = 0.0, 0.0
    for i in range(m + 1):
        lo = breaks[i - 1] if i > 0 else -np.inf
        hi = breaks[i] if i < m else np.inf
        if i < m:
            value = _phi(breaks[i], w, curvature, rc, sg, room)
            if value > best:
                best_t, best = breaks[i], value
        if not lo < hi:
            continue
        # a point inside the piece, where each variable's sign of r + sg t is the piece's
        if np.isfinite(lo) and np.isfinite(hi):
            inside = 0.5 * (lo + hi)
        elif np.isfinite(hi):
            inside = hi - 1.0
        elif np.isfinite(lo):
            inside = lo + 1.0
        else:
            inside = 0.0
        slope = -w  # the derivative of the piece, without the curvature's part
        for j in range(m):
            if rc[j] + sg[j] * inside < 0.0:
                slope += sg[j] * room[j]
        t = slope / curvature
        if lo <= t <= hi:
            value = _phi(t, w, curvature, rc, sg, room)
            if value > best:
                best_t, best = t, value
    return best_t, best
