"""The whole-share name search of ``_sampling``, compiled (numba): each move's candidates (one more
or one less share of every buy and every lot's sale, and the best swaps between them) are passes
over the buys and lots, not ~60 numpy calls and a 128 x 128 pairing a move (issue 23: at 1 lot a
position the search, hundreds of moves, was most of a small account's decision). The numbers are
the ones the numpy search computed, in the same order, so the moves are the same
(``tests/rebalance/test_compiled_search_steps.py`` holds the two together).

A candidate's change is ``dz * grad + cost * dv + 0.5 * dz**2 * curv + hurdle`` (``_change``).
Only its gradient term moves with every move; the other terms, its step and its cash depend on its
own buy, or on its security's sales, alone (``_buy_terms``, ``_lot_terms``), so they are kept and
computed again only for what a move touched, and each move adds the four terms in the formula's
order. Pairs are looked for only when the lowest changes and widest cross terms of the two sides
could beat the best single move at all, and within a row only over the buys its cash covers (in
bands of cash, a power of two each: most buys a row could reach are dearer than what it raises)
and until their own changes, in increasing order, leave no room (``_pair_rows``): which pairs are
computed never changes the answer, only how many. The 128 best moves of each kind are the start
of an order kept from move to move (``_keep_best``: a move reorders few of them), not a partition
and a sort each move.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sma.rebalance._rounding import _CENT, _SNAP

_MIN_GAIN_USD = 0.05  # a move must lower the objective by at least five cents of account value ...
_MIN_GAIN_PER_USD = 1e-3  # ... and by 10 bp of what it trades (twice the usual trading cost)
_SWAP_SIDE = 128  # moves of each kind paired into swaps: the best on their own
# What is kept of each move of a kind from move to move (``_candidates``), by position
_TERMS, _STEP, _CASH, _ALLOWED, _SCALE, _GAIN, _DZ, _POWER = range(8)
# The search's steps are inlined where they are called (numba IR): compiled as one function, the
# arrays a step unpacks from its tuples are not counted in and out at every call (NRT incref and
# decref were a tenth of the search); compiling takes ~10 s longer, once per source tree.
_step = njit(cache=True, inline="always")


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
    m, s = raise_change.size, buy_change.size
    raise_scale, buy_scale, buy_power = np.empty(m), np.empty(s), np.empty(s)
    for r in range(m):
        raise_scale[r] = abs(raise_dz[r]) * q_scale[raise_security[r]]
    for c in range(s):
        buy_scale[c] = abs(buy_dz[c]) * q_scale[buy_security[c]]
        buy_power[c] = _power(buy_cash[c])
    rows = (raise_change, raise_cash, raise_dz, raise_security, raise_group, raise_loss)
    buys = (buy_change, buy_cash, buy_dz, buy_security, buy_group, np.zeros(s, np.bool_))
    return _pair_rows(
        (np.argsort(raise_change, kind="mergesort"), rows, np.arange(m), raise_scale),
        _spending(
            np.argsort(buy_change, kind="mergesort"), buys, np.arange(s), buy_scale, buy_power
        ),
        Q,
        spendable,
        cent,
        ceiling,
    )


@_step
def _pair_rows(rows, buys, Q, spendable, cent, ceiling):
    """``best_pair`` of raising moves and buys, each (the moves paired in increasing order of their
    own change, (change, cash, dz, security, group, loss) by move, tie key by move, cross-term scale
    ``|dz| q_scale`` by move; the buys also their bounds, ``_spending``); returns the pair's change
    and its two moves."""
    r_items, (r_change, r_cash, r_dz, r_security, r_group, r_loss), r_key, r_scale = rows
    b_items, (b_change, b_cash, b_dz, b_security, b_group, _), b_key, b_scale, bounds = buys
    best, best_r, best_c, tie_r, tie_c = ceiling, -1, -1, -1, -1
    s = b_items.size
    if s == 0:
        return np.inf, -1, -1
    # A pair's change is at least its two own changes less the largest cross term their scales
    # allow (|dz_r| q_scale[j_r] times |dz_b| q_scale[j_b]); a pair is computed only when that
    # bound is not clearly above the best so far (the slack keeps float rounding and ties out).
    # Rows go from the lowest own change and stop once even the widest row still to come cannot
    # reach the best; the buys of each band of cash, from the lowest own change, stop once the
    # widest buy of the band still to come cannot. Which pairs are computed does not change the
    # answer, only how many.
    # Most pairs a row could reach are buys its cash does not cover (one share of a cheap name sold
    # for one of a dear one): the buys go by cash, in bands, so a row passes over the bands it can
    # afford and their buys alone.
    widest, (banded, band_start, band_least, band_widest) = bounds
    lowest_buy, widest_buy = b_change[b_items[0]], widest[0]
    kept, row_widest = _rows(r_items, r_change, r_scale, lowest_buy, widest_buy, best)
    for i in range(kept.size):
        r = kept[i]
        if _above(r_change[r] + lowest_buy - row_widest[i] * widest_buy, best):
            break
        scale = r_scale[r]
        if _above(r_change[r] + lowest_buy - scale * widest_buy, best):
            continue
        jr, left = r_security[r], spendable + r_cash[r]
        for band in range(band_least.size):
            if left - band_least[band] < -cent:
                break  # no buy of this band is covered, nor of a later one (dearer still)
            for k in range(band_start[band], band_start[band + 1]):
                c = banded[k]
                own = r_change[r] + b_change[c]
                if _above(own - scale * band_widest[k], best):
                    break
                if _above(own - scale * b_scale[c], best):
                    continue
                jb = b_security[c]
                if jr == jb or left - b_cash[c] < -cent:
                    continue
                if r_loss[r] and r_group[r] == b_group[c]:
                    continue
                total = r_change[r] + b_change[c] + r_dz[r] * b_dz[c] * Q[jr, jb]
                # the first pair in row order of equal changes, as np.argmin takes it
                if total < best or (
                    total == best and (r_key[r] < tie_r or (r_key[r] == tie_r and b_key[c] < tie_c))
                ):
                    best, best_r, best_c, tie_r, tie_c = total, r, c, r_key[r], b_key[c]
    return (best, best_r, best_c) if best_r >= 0 else (np.inf, -1, -1)


@_step
def _spending(items, side, key, scale, power):
    """The buys side of ``_pair_rows`` (``items`` of (change, cash, dz, security, group, loss)
    ``side``, tie ``key``, cross-term ``scale`` and ``_power`` of cash by move) with its bounds: the
    widest scale from each item on, and the items in bands of cash (``_cash_bands``). Computed once
    for the rows of either kind."""
    bands = _cash_bands(items, side[1], power, scale)
    return items, side, key, scale, (_widest_on(items, scale), bands)


@_step
def _power(usd):
    """The power of two of a positive number of dollars (``math.frexp``: ``usd < 2**power``), -inf
    of any other."""
    return float(math.frexp(usd)[1]) if usd > 0.0 and usd < np.inf else -np.inf


@_step
def _cash_bands(items, cash, power, scale):
    """``items`` (in order) in bands of ``cash`` (``power``: its ``_power`` by item), each band in
    that order: band 0 the cash that is not a positive number (no test passes over it), then one
    band a power of two, dearer band by dearer band. Returns the items banded, where each band
    starts, the least cash of each band (-inf: band 0 and empty bands) and the widest ``scale`` from
    each banded item on within its band."""
    s = items.size
    low, high = np.inf, -np.inf
    for k in range(s):
        if power[items[k]] > -np.inf:
            low, high = min(low, power[items[k]]), max(high, power[items[k]])
    n = int(high - low) + 2 if low <= high else 1
    band = np.empty(s, np.int64)
    start = np.zeros(n + 1, np.int64)
    for k in range(s):
        band[k] = int(power[items[k]] - low) + 1 if power[items[k]] > -np.inf else 0
        start[band[k] + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    fill, banded = start[:n].copy(), np.empty(s, np.int64)
    for k in range(s):
        banded[fill[band[k]]] = items[k]
        fill[band[k]] += 1
    least, widest = np.full(n, -np.inf), np.empty(s)
    for k in range(n):
        top, usd = 0.0, np.inf
        for at in range(start[k + 1] - 1, start[k] - 1, -1):
            top, usd = max(top, scale[banded[at]]), min(usd, cash[banded[at]])
            widest[at] = top
        if k > 0 and start[k] < start[k + 1]:
            least[k] = usd
    return banded, start, least, widest


@_step
def _widest_on(items, scale):
    """The widest ``scale`` of ``items`` from each position on."""
    widest = np.empty(items.size)
    top = 0.0
    for k in range(items.size - 1, -1, -1):
        top = max(top, scale[items[k]])
        widest[k] = top
    return widest


@_step
def _rows(items, change, scale, lowest_buy, widest_buy, ceiling):
    """Of ``items`` (in order), those whose bound with any buy is not clearly above ``ceiling``,
    and the widest scale from each on."""
    rows = np.empty(items.size, np.int64)
    n = 0
    for r in items:
        if not _above(change[r] + lowest_buy - scale[r] * widest_buy, ceiling):
            rows[n] = r
            n += 1
    return rows[:n], _widest_on(rows[:n], scale)


@_step
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


@_step
def _candidates(n):
    """Room for one kind of move of ``n`` buys or lots, kept from move to move: its terms
    (``_terms``), step (shares), cash (USD), whether what it alone decides allows it, its cross-term
    scale ``|dz| q_scale`` (``best_pair``), the gain it realises (USD), its net weight moved as
    a swap computes it and the ``_power`` of its cash (kept for buys: their bands in a swap)."""
    return (
        np.empty((n, 4)),
        np.empty(n),
        np.empty(n),
        np.zeros(n, np.bool_),
        np.empty(n),
        np.empty(n),
        np.empty(n),
        np.empty(n),
    )


@_step
def _terms(terms, i, dz, cost, dv, curv):
    """The terms of ``_change`` the gradient does not enter: moving net weight ``dz`` at linear
    cost ``cost * dv``, its curvature, and the hurdle a move must clear (``_MIN_GAIN_PER_USD`` of
    what it trades)."""
    terms[i, 0] = dz
    terms[i, 1] = cost * dv
    terms[i, 2] = 0.5 * dz**2 * curv
    terms[i, 3] = _MIN_GAIN_PER_USD * abs(dz)


@_step
def _change(terms, i, grad):
    """Objective change of candidate ``i`` at gradient ``grad``: ``dz * grad + cost * dv + 0.5 *
    dz**2 * curv + hurdle``, added in that order."""
    return terms[i, 0] * grad + terms[i, 1] + terms[i, 2] + terms[i, 3]


@_step
def _buy_terms(items, buy, account, q_scale, curv, numbers, more, less):
    """Keep the terms of the two moves of each buy of ``items``: one more step (a first buy:
    ``first_buy`` shares) and one share less (or the whole buy, when what is left would fall under
    ``min_value``). The tuples are unpacked once for all of them: an array taken from a tuple is
    counted in and out (NRT), which for one buy at a time was most of a search's start."""
    (buy_price, _), _, (buy_j, _, _), (most, first_buy, _), (buy_cost, _) = account
    value, tc, min_value = numbers[0], numbers[1], numbers[2]
    # (in the order of ``_candidates``: _TERMS, _STEP, _CASH, _ALLOWED, _SCALE, _GAIN, _DZ, _POWER)
    more_terms, more_step, more_cash, more_ok, more_scale, _, more_dz, more_power = more
    less_terms, less_step, less_cash, less_ok, less_scale, _, less_dz, _ = less
    for b in items:
        j = buy_j[b]
        step = 1.0 if buy[b] > 0 else first_buy[b]
        usd = step * buy_price[b]
        _terms(more_terms, b, usd / value, buy_cost[b], usd / value, curv[j])
        more_step[b], more_cash[b] = step, usd * (1 + tc)
        more_power[b] = _power(more_cash[b])
        more_ok[b] = not buy[b] + step > most[b]
        more_dz[b] = usd / value
        more_scale[b] = abs(more_dz[b]) * q_scale[j]
        less_ok[b] = buy[b] > 0
        if buy[b] <= 0:
            continue
        step = 1.0 if (buy[b] - 1) * buy_price[b] >= min_value - 1e-9 else buy[b]
        usd = step * buy_price[b]
        _terms(less_terms, b, -usd / value, buy_cost[b], -usd / value, curv[j])
        less_step[b], less_cash[b] = step, usd * (1 + tc)
        less_dz[b] = -buy_price[b] / value * step
        less_scale[b] = abs(less_dz[b]) * q_scale[j]


@_step
def _lot_terms(items, sell, sold_usd, account, q_scale, curv, numbers, more, less):
    """Keep the terms of the two moves of each lot of ``items``: one more step of its sale (a
    security's first sale: ``first_sell`` shares; a fraction left: all of it) and one share less (a
    fraction first; the whole sale when what the security keeps sold would fall under
    ``min_value``). Unpacked once for all of them (``_buy_terms``)."""
    (_, sell_price), (lot_qty, gain), (_, sell_j, _), (_, _, first_sell), (_, sell_cost) = account
    value, tc, min_value = numbers[0], numbers[1], numbers[2]
    more_terms, more_step, more_cash, more_ok, more_scale, more_gain, more_dz, _ = more
    less_terms, less_step, less_cash, less_ok, _, less_gain, _, _ = less
    for lot in items:
        j = sell_j[lot]
        left = lot_qty[lot] - sell[lot]
        more_ok[lot] = False
        if left > 1e-9:
            first = sold_usd[j] <= 0
            step = left if left < 1.0 else (first_sell[lot] if first else 1.0)
            usd = step * sell_price[lot]
            dz = usd / value  # (-usd) / value is -(usd / value) to the bit: one division
            _terms(more_terms, lot, -dz, sell_cost[lot], dz, curv[j])
            more_step[lot], more_cash[lot] = step, usd * (1 - tc)
            more_ok[lot] = not (step > left + 1e-9 or (first and usd < min_value - 1e-9))
            more_dz[lot] = -sell_price[lot] / value * step
            more_scale[lot] = abs(more_dz[lot]) * q_scale[j]
            more_gain[lot] = step * gain[lot]
        less_ok[lot] = False
        if sell[lot] <= 0:
            continue
        fraction = sell[lot] - np.floor(sell[lot] + _SNAP) > _SNAP
        one = sell[lot] - np.floor(sell[lot]) if fraction else 1.0
        rest = sold_usd[j] - one * sell_price[lot]
        whole = sell[lot] >= 1.0 and (rest >= min_value - 1e-9 or rest <= 1e-9)
        step = one if whole else sell[lot]
        after = sold_usd[j] - step * sell_price[lot]
        usd = step * sell_price[lot]
        dz = usd / value
        _terms(less_terms, lot, dz, sell_cost[lot], -dz, curv[j])
        less_step[lot], less_cash[lot] = step, usd * (1 - tc)
        less_ok[lot] = not (after > 1e-9 and after < min_value - 1e-9)
        less_gain[lot] = -step * gain[lot]


@_step
def _buy_changes(grad, buy_j, group, held, more, less, changes, spendable, lowest):
    """Each buy's change of one more step and of one share less (inf: not allowed): no buy of a
    security sold tonight nor of an identical group sold at a loss. ``lowest`` gets each kind's
    lowest change and its first position (a buy only if the cash ``spendable`` covers it, as
    ``_best_single`` takes them), its lowest finite change and widest cross-term scale
    (``_can_pair``)."""
    _, _, sold_usd, loss_sold = held
    b_change, u_change = changes
    more_terms, more_cash, more_ok, more_scale = (
        more[_TERMS],
        more[_CASH],
        more[_ALLOWED],
        more[_SCALE],
    )
    less_terms, less_ok, less_scale = less[_TERMS], less[_ALLOWED], less[_SCALE]
    lowest_b, first_b, lowest_u, first_u = np.inf, 0, np.inf, 0
    reach_b, widest_b, reach_u, widest_u = np.inf, 0.0, np.inf, 0.0
    for b in range(buy_j.size):
        j = buy_j[b]
        change = np.inf
        if more_ok[b] and not (sold_usd[j] > 0 or loss_sold[group[j]] > 0):
            change = _change(more_terms, b, grad[j])
            if np.isfinite(change):
                reach_b, widest_b = min(reach_b, change), max(widest_b, more_scale[b])
            if more_cash[b] <= spendable + _CENT and change < lowest_b:
                lowest_b, first_b = change, b
        b_change[b] = change
        change = np.inf
        if less_ok[b]:
            change = _change(less_terms, b, grad[j])
            if np.isfinite(change):
                reach_u, widest_u = min(reach_u, change), max(widest_u, less_scale[b])
            if change < lowest_u:
                lowest_u, first_u = change, b
        u_change[b] = change
    single, first, reach = lowest
    single[0], first[0], single[1], first[1] = lowest_b, first_b, lowest_u, first_u
    reach[0, 0], reach[0, 1], reach[1, 0], reach[1, 1] = reach_b, widest_b, reach_u, widest_u


@_step
def _lot_changes(grad, account, held, cash, more, less, changes, cheapest, lowest):
    """Each lot's change of one more step of its sale and of one share less (inf: not allowed):
    no sale of a security bought tonight nor a loss sale of an identical group bought, within the
    gain budget ``room`` and, selling less, the cash above target ``spendable``. ``cheapest`` gets
    each security's lot of the lowest sale change (the first of ties), ``lowest`` each kind's lowest
    change and first position and the sales' lowest finite change and widest cross-term scale
    (``_buy_changes``)."""
    _, (_, gain), (_, sell_j, group), _, _ = account
    bought, group_bought, _, _ = held
    room, spendable = cash
    s_change, r_change = changes
    more_terms, more_ok, more_scale, more_gain = (
        more[_TERMS],
        more[_ALLOWED],
        more[_SCALE],
        more[_GAIN],
    )
    less_terms, less_cash, less_ok, less_gain = (
        less[_TERMS],
        less[_CASH],
        less[_ALLOWED],
        less[_GAIN],
    )
    lowest_s, first_s, lowest_r, first_r = np.inf, 0, np.inf, 0
    reach_s, widest_s = np.inf, 0.0
    cheapest[:] = -1
    for lot in range(sell_j.size):
        j = sell_j[lot]
        change = np.inf
        if (
            more_ok[lot]
            and not (bought[j] > 0 or (gain[lot] < 0 and group_bought[group[j]] > 0))
            and not more_gain[lot] > room + 1e-9
        ):
            change = _change(more_terms, lot, grad[j])
            if np.isfinite(change):
                if cheapest[j] < 0 or change < s_change[cheapest[j]]:
                    cheapest[j] = lot
                reach_s, widest_s = min(reach_s, change), max(widest_s, more_scale[lot])
            if change < lowest_s:
                lowest_s, first_s = change, lot
        s_change[lot] = change
        change = np.inf
        if less_ok[lot] and not (
            less_gain[lot] > room + 1e-9 or less_cash[lot] > spendable + _CENT
        ):
            change = _change(less_terms, lot, grad[j])
            if change < lowest_r:
                lowest_r, first_r = change, lot
        r_change[lot] = change
    single, first, reach = lowest
    single[2], first[2], single[3], first[3] = lowest_s, first_s, lowest_r, first_r
    reach[2, 0], reach[2, 1] = reach_s, widest_s


@_step
def _can_pair(reach, kind, ceiling):
    """Whether some move of ``kind`` (1 smaller buy, 2 sale) paired with some buy could come below
    ``ceiling``: both kinds have a finite move, and the lowest changes less the widest cross term
    (a bound of every row ``_rows`` would keep) is not clearly above it."""
    if not (np.isfinite(reach[kind, 0]) and np.isfinite(reach[0, 0])):
        return False
    bound = reach[kind, 0] + reach[0, 0] - reach[kind, 1] * reach[0, 1]
    return not _above(bound, ceiling)


@_step
def _keep_best(order, keys, change):
    """Keep the start of ``order`` (``_SWAP_SIDE`` items) the lowest of all by (change, item),
    sorted, non-finite changes last, and ``keys`` their changes; the rest in no order. From the
    last move's order: the start sorted again by insertion (a move reorders few), then each of the
    rest that is below its end put in its place, the end put where it was."""
    top = min(order.size, _SWAP_SIDE)
    for i in range(top):
        keys[i] = change[order[i]] if np.isfinite(change[order[i]]) else np.inf
    for i in range(1, top):
        _insert(order, keys, i, order[i], keys[i])
    for i in range(top, order.size):
        item = order[i]
        key = change[item] if np.isfinite(change[item]) else np.inf
        if key < keys[top - 1] or (key == keys[top - 1] and item < order[top - 1]):
            order[i] = order[top - 1]
            _insert(order, keys, top - 1, item, key)


@_step
def _insert(order, keys, at, item, key):
    """Put ``item`` of change ``key`` in its place in the sorted ``order[:at]``, moving the later
    ones up one (over ``at``)."""
    k = at - 1
    while k >= 0 and (keys[k] > key or (keys[k] == key and order[k] > item)):
        order[k + 1], keys[k + 1] = order[k], keys[k]
        k -= 1
    order[k + 1], keys[k + 1] = item, key


@_step
def _best(order, keys):
    """The (at most) ``_SWAP_SIDE`` lowest finite changes of an ``order`` sorted by them (``keys``,
    ``_keep_best``): of values tied at the cut, the first."""
    n = 0
    while n < min(order.size, _SWAP_SIDE) and keys[n] < np.inf:
        n += 1
    return order[:n]


@_step
def _move(grad, Q, d, j, dz):
    for i in range(grad.size):
        grad[i] += Q[i, j] * dz
    grad[j] += d[j] * dz


@_step
def _apply_buy(buy, buy_price, buy_j, grad, Q, d, value, b, shares):
    buy[b] += shares
    _move(grad, Q, d, buy_j[b], shares * buy_price[b] / value)


@_step
def _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, value, lot, shares):
    old, new = sell[lot], sell[lot] + shares
    if new >= lot_qty[lot] - _SNAP:
        new = lot_qty[lot]
    elif new <= _SNAP:
        new = 0.0
    sell[lot] = new
    _move(grad, Q, d, sell_j[lot], -(new - old) * sell_price[lot] / value)


@_step
def _held(buy, sell, account, n_groups):
    """What is bought, sold and sold at a loss, as counts the moves keep: buys bought per security
    and per identical group, USD sold per security, loss sales per identical group."""
    (_, sell_price), (_, gain), (buy_j, sell_j, group), _, _ = account
    na = group.size
    bought, group_bought = np.zeros(na, np.int64), np.zeros(n_groups, np.int64)
    sold_usd, loss_sold = np.zeros(na), np.zeros(n_groups, np.int64)
    for b in range(buy.size):
        if buy[b] > 0:
            bought[buy_j[b]] += 1
            group_bought[group[buy_j[b]]] += 1
    for lot in range(sell.size):
        sold_usd[sell_j[lot]] += sell[lot] * sell_price[lot]
        if sell[lot] > 0 and gain[lot] < 0:
            loss_sold[group[sell_j[lot]]] += 1
    return bought, group_bought, sold_usd, loss_sold


@_step
def _lots_of(sell_j, na):
    """The lots of each security in lot order: security ``j``'s are ``order[start[j]:start[j +
    1]]`` (a counting sort: the stable argsort of ``sell_j`` in one pass)."""
    start = np.zeros(na + 1, np.int64)
    for lot in range(sell_j.size):
        start[sell_j[lot] + 1] += 1
    for j in range(na):
        start[j + 1] += start[j]
    order, fill = np.empty(sell_j.size, np.int64), start[:na].copy()
    for lot in range(sell_j.size):
        order[fill[sell_j[lot]]] = lot
        fill[sell_j[lot]] += 1
    return order, start


# When a search gives up (``search_moves``'s ``give_up_above``): not before ``_GIVE_UP_AFTER``
# moves; then once even ``_GIVE_UP_SLACK`` times the steepest recent move (an earlier move's change
# counted at ``_GIVE_UP_DECAY`` for each move made since), gained by every move left, could not
# take it below the bound, the moves' own changes read ``_GIVE_UP_MARGIN`` times larger (they add
# up to 1-2 % less than ``qp.objective``'s change over 200 moves, measured on the 10,000-account
# night's accounts).
_GIVE_UP_AFTER = 20
_GIVE_UP_SLACK = 2.0
_GIVE_UP_DECAY = 0.9
_GIVE_UP_MARGIN = 1.1


@njit(cache=True)
def search_moves(
    buy, sell, prices, lots, securities, bounds, costs, grad, d, Q, q_scale, curv, numbers
):
    """Make the best whole-share move (``_sampling``'s module docstring) at most ``moves`` times,
    while one lowers the objective enough; ``buy``, ``sell`` and ``grad`` are updated in place.
    Returns the number of moves made, and whether the search gave up: stopped because its
    objective will not, by a generous forecast, come below ``give_up_above`` (a change of the
    objective from where it started; inf: never). The forecast, first made after 20 moves, takes
    every move left to gain twice the steepest recent move (a greedy descent's moves gain less and
    less, with spikes) and reads the moves' changes 10 % larger (the ``_GIVE_UP_*`` constants).

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
    numbers : tuple of float (value, tc, min_value, budget, cash_now, target_cash, moves,
        give_up_above)
    """
    account = (prices, lots, securities, bounds, costs)
    buy_price, sell_price = prices
    buy_j, sell_j, group = securities
    value, tc, _, budget, cash_now, target_cash, moves, give_up_above = numbers
    nb, nl, na = buy.size, sell.size, grad.size
    held = _held(buy, sell, account, group.max() + 1 if na else 0)
    lots_of = _lots_of(sell_j, na)
    buys, unbuys = _candidates(nb), _candidates(nb)
    sales, unsales = _candidates(nl), _candidates(nl)
    _buy_terms(range(nb), buy, account, q_scale, curv, numbers, buys, unbuys)
    _lot_terms(range(nl), sell, held[2], account, q_scale, curv, numbers, sales, unsales)
    b_change, u_change, s_change, r_change = np.empty(nb), np.empty(nb), np.empty(nl), np.empty(nl)
    cheapest = np.empty(na, np.int64)  # the lot of each security with the lowest sale change
    reach = np.empty((3, 2))
    lowest = (np.empty(4), np.zeros(4, np.int64), reach)
    threshold = -_MIN_GAIN_USD / value
    terms = (q_scale, curv, numbers)
    no_loss = np.zeros(nb, np.bool_)
    sides = (np.arange(nb), buy_j, group[buy_j], no_loss, sell_j, group[sell_j], lots[1] < 0)
    orders = (
        (np.arange(nb), np.empty(nb)),
        (np.arange(nb), np.empty(nb)),
        (np.arange(na), np.empty(na)),
        np.empty(na),
    )
    made, descended, steepest = 0, 0.0, 0.0
    # A move that is not allowed gets change inf and no arithmetic: its step and cash are not read.
    # Cash and the gain budget are the numpy search's dot products, computed again when they move.
    bought, sold = np.empty(nb), np.empty(nl)
    buys_cash = _scaled_dot(buy, 1 + tc, buy_price, bought)
    sales_cash, room = _scaled_dot(sell, 1 - tc, sell_price, sold), budget - np.dot(sell, lots[1])
    while made < moves:
        spendable = (cash_now - buys_cash + sales_cash) - target_cash
        changes = (b_change, u_change, s_change, r_change)
        _buy_changes(grad, buy_j, group, held, buys, unbuys, changes[:2], spendable, lowest)
        _lot_changes(
            grad, account, held, (room, spendable), sales, unsales, changes[2:], cheapest, lowest
        )
        kind, at, best_single = _best_single(lowest[0], lowest[1])
        # a swap is made only when it is below both the best single move and the threshold
        pair = _best_swap(
            (b_change, u_change, s_change),
            (buys, unbuys, sales),
            sides,
            orders,
            cheapest,
            Q,
            spendable,
            min(best_single, threshold),
            reach,
        )
        if best_single >= threshold and pair[0] >= threshold:
            break
        if pair[0] < best_single:  # a buy, and a smaller buy (kind 1) or a sale (kind 2)
            kind, at, also = 0, pair[3], pair[1] + 1
            change = pair[0]
        else:
            also = -1
            change = best_single
        moved = (buy, sell, grad, d, Q, account, held)
        _make(kind, at, also, pair[2], moved, (buys, unbuys, sales, unsales), lots_of, terms)
        if kind <= 1 or also == 1:
            buys_cash = _scaled_dot(buy, 1 + tc, buy_price, bought)
        if kind >= 2 or also == 2:
            sales_cash = _scaled_dot(sell, 1 - tc, sell_price, sold)
            room = budget - np.dot(sell, lots[1])
        made += 1
        descended += change  # (changes are negative: the objective falls)
        steepest = min(_GIVE_UP_DECAY * steepest, change)
        if made >= _GIVE_UP_AFTER:
            forecast = descended + _GIVE_UP_SLACK * steepest * (moves - made)
            if _GIVE_UP_MARGIN * forecast > give_up_above:
                return made, True
    return made, False


@_step
def _scaled_dot(shares, rate, price, scaled):
    """``np.dot(rate * shares, price)`` (the same BLAS dot of the same products), the products
    written into ``scaled``: no array allocated a move."""
    for i in range(shares.size):
        scaled[i] = rate * shares[i]
    return np.dot(scaled, price)


@_step
def _make(kind, at, also, raising, moved, candidates, lots_of, terms):
    """Make the move of ``kind`` (0 buy, 1 smaller buy, 2 sale, 3 smaller sale) at ``at`` and, in a
    swap, the raising move of kind ``also`` at ``raising`` (``also`` -1: none): their steps are
    read before either is made."""
    buys, unbuys, sales, unsales = candidates
    shares = (buys[_STEP], unbuys[_STEP], sales[_STEP], unsales[_STEP])[kind][at]
    raised = 0.0 if also < 0 else (unbuys[_STEP][raising] if also == 1 else sales[_STEP][raising])
    if kind <= 1:
        _buy_moved(at, shares if kind == 0 else -shares, moved, terms, buys, unbuys)
    else:
        _sale_moved(at, shares if kind == 2 else -shares, moved, lots_of, terms, sales, unsales)
    if also == 1:
        _buy_moved(raising, -raised, moved, terms, buys, unbuys)
    elif also == 2:
        _sale_moved(raising, raised, moved, lots_of, terms, sales, unsales)


@_step
def _buy_moved(b, shares, moved, terms, buys, unbuys):
    """Buy ``shares`` more of buy ``b`` and keep what depends on it: the gradient, the securities
    and groups bought, and the terms of its own two moves."""
    buy, _, grad, d, Q, account, held = moved
    (buy_price, _), _, (buy_j, _, group), _, _ = account
    bought, group_bought, _, _ = held
    q_scale, curv, numbers = terms
    was = buy[b] > 0
    _apply_buy(buy, buy_price, buy_j, grad, Q, d, numbers[0], b, shares)
    if (buy[b] > 0) != was:
        one = 1 if buy[b] > 0 else -1
        bought[buy_j[b]] += one
        group_bought[group[buy_j[b]]] += one
    _buy_terms(range(b, b + 1), buy, account, q_scale, curv, numbers, buys, unbuys)


@_step
def _sale_moved(lot, shares, moved, lots_of, terms, sales, unsales):
    """Sell ``shares`` more of lot ``lot`` and keep what depends on it: the gradient, the groups
    sold at a loss, USD sold of its security (summed in lot order, as ``_held`` does) and the terms
    of the moves of every lot of that security (its first sale and what it keeps sold depend on
    it)."""
    _, sell, grad, d, Q, account, held = moved
    (_, sell_price), (lot_qty, gain), (_, sell_j, group), _, _ = account
    _, _, sold_usd, loss_sold = held
    order, start = lots_of
    q_scale, curv, numbers = terms
    was = sell[lot] > 0
    _apply_sell(sell, lot_qty, sell_price, sell_j, grad, Q, d, numbers[0], lot, shares)
    j = sell_j[lot]
    if gain[lot] < 0 and (sell[lot] > 0) != was:
        loss_sold[group[j]] += 1 if sell[lot] > 0 else -1
    usd = 0.0
    for k in range(start[j], start[j + 1]):
        usd += sell[order[k]] * sell_price[order[k]]
    sold_usd[j] = usd
    lots = order[start[j] : start[j + 1]]
    _lot_terms(lots, sell, sold_usd, account, q_scale, curv, numbers, sales, unsales)


@_step
def _best_single(single, first):
    """(kind, position, change) of the best single move: the lowest of each kind's minimum
    ``single`` (the first kind of ties: buy, smaller buy, sale, smaller sale), at its first
    position ``first``."""
    kind, at, best = 0, 0, np.inf
    for k in range(4):
        if single[k] < best:
            kind, at, best = k, first[k], single[k]
    return kind, at, best


@_step
def _best_swap(changes, moves, sides, orders, cheapest, Q, spendable, ceiling, reach):
    """(change, raising kind 0 smaller buy | 1 sale, raising move, buy) of the best swap below
    ``ceiling``: cash raised by one move spent on a buy of another security; change inf when none.
    The cheapest lot per security stands for its sales, and only the ``_SWAP_SIDE`` best moves of
    each kind on their own are paired (a move stays O(n)); a kind whose ``reach`` cannot come below
    the ceiling is not paired at all. ``orders`` (buys, smaller buys, securities' sales) are kept
    from move to move (``_keep_best``)."""
    b_change, u_change, s_change = changes
    buys, unbuys, sales = moves
    buy_index, buy_j, buy_group, no_loss, sell_j, lot_group, lot_loss = sides
    (buy_order, buy_keys), (unbuy_order, unbuy_keys), (sale_order, sale_keys), by_security = orders
    best = (np.inf, -1, -1, -1)
    if not (_can_pair(reach, 1, ceiling) or _can_pair(reach, 2, ceiling)):
        return best
    _keep_best(buy_order, buy_keys, b_change)
    spend = _best(buy_order, buy_keys)
    cols = _spending(
        spend,
        (b_change, buys[_CASH], buys[_DZ], buy_j, buy_group, no_loss),
        buy_index,
        buys[_SCALE],
        buys[_POWER],
    )
    for raising in range(2):
        below = min(ceiling, best[0])
        if not _can_pair(reach, raising + 1, below):
            continue
        if raising == 0:
            _keep_best(unbuy_order, unbuy_keys, u_change)
            side = (u_change, unbuys[_CASH], unbuys[_DZ], buy_j, buy_group, no_loss)
            rows = (_best(unbuy_order, unbuy_keys), side, buy_index, unbuys[_SCALE])
        else:  # a security's cheapest lot, its ties in the order of the securities
            for j in range(cheapest.size):
                by_security[j] = s_change[cheapest[j]] if cheapest[j] >= 0 else np.inf
            _keep_best(sale_order, sale_keys, by_security)
            lots = cheapest[_best(sale_order, sale_keys)]
            side = (s_change, sales[_CASH], sales[_DZ], sell_j, lot_group, lot_loss)
            rows = (lots, side, sell_j, sales[_SCALE])
        total, r, c = _pair_rows(rows, cols, Q, spendable, _CENT, below)
        if r >= 0 and total < best[0]:
            best = (total, raising, r, c)
    return best
