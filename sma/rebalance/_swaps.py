"""The pairing step of the whole-share name search (``_sampling``), compiled (numba): the best swap
of up to 128 raising moves with up to 128 buys is one pass over the pairs, not a dozen numpy
arrays of 128 x 128 and a gather of the factor product (issue 23: at 1 lot a position the search
was most of a small account's decision, and this pairing most of the search)."""

from __future__ import annotations

import numpy as np
from numba import njit


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
    spendable,
    cent,
):
    """The lowest objective change of a raising move paired with a buy of another security.

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
    spendable, cent : float
        Cash above its target (USD) and the tolerance a cash test allows (USD).

    Returns
    -------
    tuple of (float, int, int)
        The pair's change and its positions (raising move, buy); ``(inf, -1, -1)`` when no pair is
        allowed. Ties go to the first pair in row order, as ``np.argmin`` does.
    """
    best, best_r, best_c = np.inf, -1, -1
    for r in range(raise_change.size):
        jr = raise_security[r]
        left = spendable + raise_cash[r]
        for c in range(buy_change.size):
            jb = buy_security[c]
            if jr == jb or left - buy_cash[c] < -cent:
                continue
            if raise_loss[r] and raise_group[r] == buy_group[c]:
                continue
            total = raise_change[r] + buy_change[c] + raise_dz[r] * buy_dz[c] * Q[jr, jb]
            if total < best:
                best, best_r, best_c = total, r, c
    return best, best_r, best_c
