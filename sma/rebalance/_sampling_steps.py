"""The whole-share name search of ``_sampling``, compiled (numba): each move's candidates (one more
or one less share of every buy and every lot's sale, and the best swaps between them) are passes
over the buys and lots, not ~60 numpy calls and a 128 x 128 pairing a move (issue 23: at 1 lot a
position the search, hundreds of moves, was most of a small account's decision). The numbers are
the ones the numpy search computed, in the same order, so the moves are the same
(``tests/rebalance/test_compiled_search_steps.py`` holds the two together).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sma.rebalance._rounding import _CENT, _SNAP

_MIN_GAIN_USD = 0.05  # a move must lower the objective by at least five cents of account value ...
_MIN_GAIN_PER_USD = 1e-3  # ... and by 10 bp of what it trades (twice the usual trading cost)
_SWAP_SIDE = 128  # moves of each kind paired into swaps: the best on their own


@njit(cache=True)
def best_pair(
    raise_change,
    raise_cash,
    raise_dz,
    raise_security,
    raise_group,
    raise_loss,
    buy_change,
    buy_cash,
    buy_dz,
    buy_security,
    buy_group,
    Q,
    q_scale,
    spendable,
    cent,
    ceiling=np.inf,
):
    """The lowest objective change of a raising move paired with a buy of another security, of
    those below ``ceiling`` (a pair that cannot beat the best move otherwise need not be found).

    A pair's change is the two moves' own changes plus their cross term ``dz_r * dz_b * Q[j_r,
    j_b]``, computed in that order (the same numbers as the numpy expression it replaced). Not
    allowed: a buy of the security raised, a buy the cash does not cover (``spendable`` plus what
    the move raises, less the buy's cash, below ``-cent``), and a loss sale beside a buy of its
    identical group (the wash-sale sign rule).

    Parameters
    ----------
    raise_change, raise_cash, raise_dz : ndarray of shape (m,)
        Each raising move's objective change, cash raised (USD) and net weight moved.
    raise_security, raise_group : ndarray of shape (m,), int
        Its security (row of ``Q``) and identical group.
    raise_loss : ndarray of shape (m,), bool
        Whether it is a loss sale.
    buy_change, buy_cash, buy_dz : ndarray of shape (s,)
        Each buy's objective change, cash used (USD) and net weight moved.
    buy_security, buy_group : ndarray of shape (s,), int
        Its security (column of ``Q``) and identical group.
    Q : ndarray of shape (n, n)
        The objective's factor Hessian ``B B'``.
    q_scale : ndarray of shape (n,)
        A bound of the cross terms: ``|Q[i, j]| <= q_scale[i] * q_scale[j]`` (``hessian_scale``).
    spendable, cent : float
        Cash above its target (USD) and the tolerance a cash test allows (USD).
    ceiling : float
        Only a pair whose change is below it counts.

    Returns
    -------
    tuple of (float, int, int)
        The pair's change and its positions (raising move, buy); ``(inf, -1, -1)`` when no pair is
        allowed below the ceiling. Ties go to the first pair in row order, as ``np.argmin`` does.
    """
    best, best_r, best_c = ceiling, -1, -1
    m, s = raise_change.size, buy_change.size
    if s == 0:
        return np.inf, -1, -1
    # A pair's change is at least its two own changes less the largest cross term their scales
    # allow (|dz_r| q_scale[j_r] times |dz_b| q_scale[j_b]). Rows from the lowest own change; the
    # rows left once that bound, with the largest scales still to come, is clearly above the best so
    # far (the slack keeps float rounding and ties out of it), and within a row each pair whose own
    # bound is. Which pairs are computed does not change the answer, only how many.
    col_scale = np.empty(s)
    for c in range(s):
        col_scale[c] = abs(buy_dz[c]) * q_scale[buy_security[c]]
    widest_buy, lowest_buy = col_scale.max(), buy_change.min()
    # the rows whose bound is not above the ceiling, from the lowest own change
    rows = np.empty(m, np.int64)
    n = 0
    for r in range(m):
        scale = abs(raise_dz[r]) * q_scale[raise_security[r]]
        if not _above(raise_change[r] + lowest_buy - scale * widest_buy, best):
            rows[n] = r
            n += 1
    rows = rows[:n][np.argsort(raise_change[rows[:n]])]
    m = n
    row_scale = np.empty(m)
    top = 0.0
    for i in range(m - 1, -1, -1):
        top = max(top, abs(raise_dz[rows[i]]) * q_scale[raise_security[rows[i]]])
        row_scale[i] = top
    for i in range(m):
        r = rows[i]
        if _above(raise_change[r] + lowest_buy - row_scale[i] * widest_buy, best):
            break
        jr = raise_security[r]
        scale = abs(raise_dz[r]) * q_scale[jr]
        if _above(raise_change[r] + lowest_buy - scale * widest_buy, best):
            continue
        left = spendable + raise_cash[r]
        for c in range(s):
            own = raise_change[r] + buy_change[c]
            if _above(own - scale * col_scale[c], best):
                continue
            jb = buy_security[c]
            if jr == jb or left - buy_cash[c] < -cent:
                continue
            if raise_loss[r] and raise_group[r] == buy_group[c]:
                continue
            total = raise_change[r] + buy_change[c] + raise_dz[r] * buy_dz[c] * Q[jr, jb]
            # the first pair in row order of equal changes, as np.argmin takes it
            if total < best or (total == best and (r < best_r or (r == best_r and c < best_c))):
                best, best_r, best_c = total, r, c
    return (best, best_r, best_c) if best_r >= 0 else (np.inf, -1, -1)


@njit(cache=True)
def _above(bound, best):
    """Whether a lower bound is clearly above the best change so far (by more than float noise)."""
    return bound - (1e-12 + 1e-9 * abs(bound)) > best


def hessian_scale(Q: np.ndarray) -> np.ndarray:
    """Scales that bound the cross terms of ``Q = B B'``: ``|Q[i, j]| <= scale[i] * scale[j]``.

    Parameters
    ----------
    Q : ndarray of shape (n, n)
        A Gram matrix ``B B'`` as floats computed it.

    Returns
    -------
    ndarray of shape (n,)
        ``sqrt(Q[i, i])`` widened by 1e-9: Cauchy-Schwarz, ``|b_i . b_j| <= |b_i| |b_j|``, with room
        for the rounding of the products (relative 1e-15 for tens of factors).
    """
    return np.sqrt(np.maximum(np.diag(Q), 0.0)) * (1.0 + 1e-9)


@njit(cache=True)
def _change(dz, grad, cost, dv, curv):
    """Objective change of moving net weight ``dz`` at linear cost ``cost * dv``, plus the hurdle a
    move must clear (``_MIN_GAIN_PER_USD`` of what it trades)."""
    return dz * grad + cost * dv + 0.5 * dz**2 * curv + _MIN_GAIN_PER_USD * abs(dz)


@njit(cache=True)
def _best(change):
    """Indices (ascending) of the (at most) ``_SWAP_SIDE`` lowest finite ``change``; of values tied
    at the cut, the first."""
    n = 0
    for i in range(change.size):
        if np.isfinite(change[i]):
            n += 1
    out = np.empty(min(n, _SWAP_SIDE), np.int64)
    if n <= _SWAP_SIDE:
        k = 0
        for i in range(change.size):
            if np.isfinite(change[i]):
                out[k] = i
                k += 1
        return out
    finite = np.empty(n)
    k = 0
    for i in range(change.size):
        if np.isfinite(change[i]):
            finite[k] = change[i]
            k += 1
    cut = np.partition(finite, _SWAP_SIDE - 1)[_SWAP_SIDE - 1]
    ties = _SWAP_SIDE  # of the values at the cut, the first as many as fill the side
    for i in range(change.size):
        if change[i] < cut:
            ties -= 1
    k = 0
    for i in range(change.size):  # in order: below the cut, and the first ties at it
        if change[i] < cut or (change[i] == cut and ties > 0):
            if change[i] == cut:
                ties -= 1
            out[k] = i
            k += 1
    return out


@njit(cache=True)
def _move(grad, Q, d, j, dz):
    for i in range(grad.size):
        grad[i] += Q[i, j] * dz
    grad[j] += d[j] * dz


@njit(cache=True)
def _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, b, shares):
    buy[b] += shares
    _move(grad, Q, d, buy_j[b], shares * buy_price[b] / value)


@njit(cache=True)
def _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, value, lot, shares):
    old, new = sell[lot], sell[lot] + shares
    if new >= lot_qty[lot] - _SNAP:
        new = lot_qty[lot]
    elif new <= _SNAP:
        new = 0.0
    sell[lot] = new
    _move(grad, Q, d, sell_j[lot], -(new - old) * sell_price[lot] / value)


@njit(cache=True)
def search_moves(
    buy, sell, prices, lots, securities, bounds, costs, grad, d, Q, q_scale, curv, numbers
):
    """Make the best whole-share move (``_sampling``'s module docstring) at most ``moves`` times,
    while one lowers the objective enough; ``buy``, ``sell`` and ``grad`` are updated in place.
    Returns the number of moves made.

    Parameters
    ----------
    buy : ndarray of shape (nb,); sell : ndarray of shape (nl,)
        Shares bought per buy variable and sold per lot.
    prices : tuple of ndarray (buy_price (nb,), sell_price (nl,)), USD a share
    lots : tuple of ndarray (lot_qty (nl,) shares, gain_per_share (nl,) USD)
    securities : tuple of int ndarray (buy_j (nb,), sell_j (nl,), group (na,))
        Security of each buy and lot, identical group of each security.
    bounds : tuple of ndarray (most (nb,), first_buy (nb,), first_sell (nl,)), shares
    costs : tuple of ndarray (buy_cost (nb,), sell_cost (nl,)), linear cost per weight traded
    grad, d, curv : ndarray of shape (na,); Q : ndarray of shape (na, na)
        The objective's gradient in the net trade, its Hessian ``diag(d) + Q``, and the diagonal
        ``d + diag(Q)``.
    q_scale : ndarray of shape (na,)
        Bounds of the cross terms, ``|Q[i, j]| <= q_scale[i] * q_scale[j]`` (``hessian_scale``).
    numbers : tuple of float (value, tc, min_value, budget, cash_now, target_cash, moves)
    """
    buy_price, sell_price = prices
    lot_qty, gain = lots
    buy_j, sell_j, group = securities
    most, first_buy, first_sell = bounds
    buy_cost, sell_cost = costs
    value, tc, min_value, budget, cash_now, target_cash, moves = numbers
    nb, nl, na = buy.size, sell.size, grad.size
    n_groups = group.max() + 1 if na else 0
    threshold = -_MIN_GAIN_USD / value
    made = 0
    b_step, b_change, b_cash = np.empty(nb), np.empty(nb), np.empty(nb)
    u_step, u_change, u_cash = np.empty(nb), np.empty(nb), np.empty(nb)
    s_step, s_change, s_cash = np.empty(nl), np.empty(nl), np.empty(nl)
    r_step, r_change = np.empty(nl), np.empty(nl)
    bought, sold_usd = np.empty(na, np.bool_), np.empty(na)
    cheapest = np.empty(na, np.int64)  # the lot of each security with the lowest sale change
    loss_sold, group_bought = np.empty(n_groups, np.bool_), np.empty(n_groups, np.bool_)
    # A move that is not allowed gets change inf and no arithmetic: its step and cash are not read.
    while made < moves:
        # what is bought, sold and sold at a loss
        bought[:] = False
        group_bought[:] = False
        for b in range(nb):
            if buy[b] > 0:
                bought[buy_j[b]] = True
                group_bought[group[buy_j[b]]] = True
        sold_usd[:] = 0.0
        loss_sold[:] = False
        for lot in range(nl):
            sold_usd[sell_j[lot]] += sell[lot] * sell_price[lot]
            if sell[lot] > 0 and gain[lot] < 0:
                loss_sold[group[sell_j[lot]]] = True
        spendable = (
            cash_now - np.dot((1 + tc) * buy, buy_price) + np.dot((1 - tc) * sell, sell_price)
        ) - target_cash
        room = budget - np.dot(sell, gain)
        for b in range(nb):  # one more step of each buy; one share less
            j = buy_j[b]
            step = 1.0 if buy[b] > 0 else first_buy[b]
            if sold_usd[j] > 0 or loss_sold[group[j]] or buy[b] + step > most[b]:
                b_change[b] = np.inf
                continue
            usd = step * buy_price[b]
            b_step[b] = step
            b_change[b] = _change(usd / value, grad[j], buy_cost[b], usd / value, curv[j])
            b_cash[b] = usd * (1 + tc)
        for b in range(nb):
            if buy[b] <= 0:
                u_change[b] = np.inf
                continue
            j = buy_j[b]
            step = 1.0 if (buy[b] - 1) * buy_price[b] >= min_value - 1e-9 else buy[b]
            usd = step * buy_price[b]
            u_step[b] = step
            u_change[b] = _change(-usd / value, grad[j], buy_cost[b], -usd / value, curv[j])
            u_cash[b] = usd * (1 + tc)
        cheapest[:] = -1
        for lot in range(nl):  # one more step of each lot's sale
            j = sell_j[lot]
            left = lot_qty[lot] - sell[lot]
            if left <= 1e-9 or bought[j] or (gain[lot] < 0 and group_bought[group[j]]):
                s_change[lot] = np.inf
                continue
            first = sold_usd[j] <= 0
            step = left if left < 1.0 else (first_sell[lot] if first else 1.0)
            usd = step * sell_price[lot]
            s_step[lot] = step
            dz = usd / value  # (-usd) / value is -(usd / value) to the bit: one division
            s_change[lot] = _change(-dz, grad[j], sell_cost[lot], dz, curv[j])
            s_cash[lot] = usd * (1 - tc)
            if (
                step > left + 1e-9
                or (first and usd < min_value - 1e-9)
                or step * gain[lot] > room + 1e-9
            ):
                s_change[lot] = np.inf
            elif np.isfinite(s_change[lot]) and (
                cheapest[j] < 0 or s_change[lot] < s_change[cheapest[j]]
            ):  # the first of ties
                cheapest[j] = lot
        for lot in range(nl):  # one share less of each lot's sale (a sold-out lot's fraction first)
            if sell[lot] <= 0:
                r_change[lot] = np.inf
                continue
            j = sell_j[lot]
            one = (
                sell[lot] - np.floor(sell[lot])
                if sell[lot] - np.floor(sell[lot] + _SNAP) > _SNAP
                else 1.0
            )
            rest = sold_usd[j] - one * sell_price[lot]
            whole = sell[lot] >= 1.0 and (rest >= min_value - 1e-9 or rest <= 1e-9)
            step = one if whole else sell[lot]
            after = sold_usd[j] - step * sell_price[lot]
            usd = step * sell_price[lot]
            r_step[lot] = step
            dz = usd / value
            r_change[lot] = _change(dz, grad[j], sell_cost[lot], -dz, curv[j])
            if (
                (after > 1e-9 and after < min_value - 1e-9)
                or -step * gain[lot] > room + 1e-9
                or usd * (1 - tc) > spendable + _CENT
            ):
                r_change[lot] = np.inf
        kind, at, best_single = _best_single(
            b_change, b_cash, spendable, u_change, s_change, r_change
        )
        # a swap is made only when it is below both the best single move and the threshold
        pair = _best_swap(
            (b_change, b_cash, b_step),
            (u_change, u_cash, u_step),
            (s_change, s_cash, s_step, cheapest),
            prices,
            gain,
            securities,
            Q,
            q_scale,
            value,
            spendable,
            min(best_single, threshold),
        )
        if best_single >= threshold and pair[0] >= threshold:
            break
        if pair[0] < best_single:
            _, raising, r, c = pair
            _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, c, b_step[c])
            if raising == 0:
                _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, r, -u_step[r])
            else:
                _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, value, r, s_step[r])
        elif kind == 0:
            _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, at, b_step[at])
        elif kind == 1:
            _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, at, -u_step[at])
        elif kind == 2:
            _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, value, at, s_step[at])
        else:
            _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, value, at, -r_step[at])
        made += 1
    return made


@njit(cache=True)
def _best_single(b_change, b_cash, spendable, u_change, s_change, r_change):
    """(kind, position, change) of the best single move: the lowest of each kind's minimum (the
    first kind of ties: buy, smaller buy, sale, smaller sale), at its first position."""
    kind, at, best = 0, 0, np.inf
    minima = np.full(4, np.inf)
    firsts = np.zeros(4, np.int64)
    for b in range(b_change.size):
        c = b_change[b] if b_cash[b] <= spendable + _CENT else np.inf
        if c < minima[0]:
            minima[0], firsts[0] = c, b
    for k, changes in ((1, u_change), (2, s_change), (3, r_change)):
        for i in range(changes.size):
            if changes[i] < minima[k]:
                minima[k], firsts[k] = changes[i], i
    for k in range(4):
        if minima[k] < best:
            kind, at, best = k, firsts[k], minima[k]
    return kind, at, best


@njit(cache=True)
def _best_swap(
    buys, unbuys, sales, prices, gain, securities, Q, q_scale, value, spendable, ceiling
):
    """(change, raising kind 0 smaller buy | 1 sale, raising move, buy) of the best swap below
    ``ceiling``: cash raised by one move spent on a buy of another security; change inf when none.
    The cheapest lot per security stands for its sales, and only the ``_SWAP_SIDE`` best moves of
    each kind on their own are paired (a move stays O(n))."""
    b_change, b_cash, b_step = buys
    u_change, u_cash, u_step = unbuys
    s_change, s_cash, s_step, cheapest = sales
    buy_price, sell_price = prices
    buy_j, sell_j, group = securities
    best = (np.inf, -1, -1, -1)
    spend = _best(b_change)
    if spend.size == 0:
        return best
    dz_b = b_step[spend] * buy_price[spend] / value
    buy_sec = buy_j[spend]
    lots = cheapest[cheapest >= 0]  # in the order of the securities
    lots = lots[_best(s_change[lots])]
    smaller = _best(u_change)
    for raising in range(2):
        if raising == 0:
            idx, change, cash = smaller, u_change, u_cash
            j = buy_j[idx]
            dz = -buy_price[idx] / value * u_step[idx]
            loss = np.zeros(idx.size, np.bool_)
        else:
            idx, change, cash = lots, s_change, s_cash
            j = sell_j[idx]
            dz = -sell_price[idx] / value * s_step[idx]
            loss = gain[idx] < 0
        if idx.size == 0:
            continue
        total, r, c = best_pair(
            change[idx],
            cash[idx],
            dz,
            j,
            group[j],
            loss,
            b_change[spend],
            b_cash[spend],
            dz_b,
            buy_sec,
            group[buy_sec],
            Q,
            q_scale,
            spendable,
            _CENT,
            min(ceiling, best[0]),
        )
        if r >= 0 and total < best[0]:
            best = (total, raising, idx[r], spend[c])
    return best
