"""Which names a whole-share account holds, and how many shares: a local search after rounding.

An account too small to hold every name of its index in whole shares (and at least
``min_trade_value`` a trade) cannot follow the continuous answer name by name: rounding it drops
most small buys, and topping up leftover cash only ever adds. Index funds call the answer
*optimised sampling*: hold the subset of names, in whole shares, that tracks the index best. Here
that subset is found by a greedy descent of the optimiser's own objective (``risk_aversion * TE^2``
+ tax + trading cost, ``AccountProblem.qp``) over whole-share moves, from the rounded answer:

- buy one more share of a name (a first buy: the fewest shares worth ``min_trade_value``);
- buy one share less (or drop a buy that would fall under ``min_trade_value``);
- sell one more share of a lot (a first sale of a name: the fewest shares worth
  ``min_trade_value``);
- sell one share less of a lot (or drop its sale);
- a swap: cash raised by one of the moves that raise it (a sale or a smaller buy) spent on a buy of
  another name -- what lets a fully invested account trade an expensive name for a cheaper one.

The move that lowers the objective most is made, while one lowers it by more than
``_MIN_GAIN_USD`` and ``_MIN_GAIN_PER_USD`` of what it trades, at most ``moves`` times (the moves
compiled: ``_sampling_steps``). Every move
keeps every constraint: whole shares (a lot's last fraction is sold out), cash at or above its
target, the gain budget, min_trade_value, buy bounds (``max_overweight``), no buy of a name sold
tonight nor of an identical group sold at a loss, and no loss sale of a group bought tonight (the
wash-sale sign rule). Restricted and wash-blocked names have no buy variable, NO_SELL and
loss-blocked lots no sell variable (``build_problem``), so no move reaches them.

Trading cost on both legs of a swap makes the search prefer names already held: with prices
unchanged, the answer of one night is where the next night's search stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.rebalance._problem import AccountProblem
from sma.rebalance._rounding import _SNAP, WholeShares
from sma.rebalance._sampling_steps import hessian_scale, search_moves

#: Moves a night at most: a $50k account funded with cash takes about 200 (a first buy of ~150 names
#: and swaps); the cap bounds the time of a large account whose rounding was already close.
MAX_MOVES = 1000


@dataclass(frozen=True)
class SearchHessian:
    """The search's view of an account's objective Hessian ``diag(d) + Q``, computed once for the
    searches of one account's night (``hessian``).

    Attributes
    ----------
    Q : ndarray of shape (na, na)
        ``B B'``: with ``diag(d)``, twice risk_aversion times the covariance.
    scale : ndarray of shape (na,)
        Bounds of its cross terms, ``|Q[i, j]| <= scale[i] * scale[j]``.
    curv : ndarray of shape (na,)
        The Hessian's diagonal ``d + diag(Q)``.
    """

    Q: np.ndarray
    scale: np.ndarray
    curv: np.ndarray


def hessian(problem: AccountProblem) -> SearchHessian:
    """The Hessian terms the name search of ``problem`` reads (``SearchHessian``).

    Parameters
    ----------
    problem : AccountProblem
        The account's problem; ``problem.qp.B`` of shape (na, k) and ``problem.qp.d`` (na,).

    Returns
    -------
    SearchHessian
    """
    qp = problem.qp
    Q = qp.B @ qp.B.T
    return SearchHessian(Q, hessian_scale(Q), qp.d + np.diag(Q))


def choose_names(
    ws: WholeShares,
    problem: AccountProblem,
    cash_now: float,
    target_cash: float,
    budget: float,
    min_value: float,
    tc: float,
    group: np.ndarray,
    moves: int,
    terms: SearchHessian | None = None,
    give_up_above: float = np.inf,
) -> int | None:
    """Improve whole-share trades ``ws`` in place by at most ``moves`` whole-share moves (module
    docstring); ``group`` (na,) is the identical group code of each security in play. Returns the
    number of moves made. ``ws`` must meet every constraint on entry; it still does on return.
    ``terms`` is ``hessian(problem)`` when the caller searches the same problem more than once.

    ``give_up_above``: a change of the objective (``problem.qp``) from the start's, negative: a
    caller that only wants an answer whose objective has changed by at most this much (fallen at
    least that far) gets None, and ``ws`` part of the way, as soon as the search forecasts,
    generously, that it will not get there (``search_moves``); inf (the default): never."""
    if moves <= 0 or problem.assets.size == 0:
        return 0
    group = np.unique(group, return_inverse=True)[1].reshape(-1)
    qp, nb, value = problem.qp, problem.n_buys, problem.value
    terms = hessian(problem) if terms is None else terms
    Q = terms.Q
    z = qp.net_trade(np.concatenate([ws.buy * ws.buy_price, ws.sell * ws.sell_price]) / value)
    grad = qp.d * z + Q @ z + qp.p
    made, gave_up = search_moves(
        ws.buy,
        ws.sell,
        (ws.buy_price.astype(float), ws.sell_price.astype(float)),
        (ws.lot_qty.astype(float), ws.gain_per_share.astype(float)),
        (
            np.ascontiguousarray(qp.asset[:nb], dtype=np.int64),
            np.ascontiguousarray(qp.asset[nb:], dtype=np.int64),
            group.astype(np.int64),
        ),
        (
            np.floor(qp.upper[:nb] * value / ws.buy_price + _SNAP),
            np.maximum(np.ceil(min_value / ws.buy_price - _SNAP), 1.0),
            np.maximum(np.ceil(min_value / ws.sell_price - _SNAP), 1.0),
        ),
        (np.ascontiguousarray(qp.cost[:nb]), np.ascontiguousarray(qp.cost[nb:])),
        grad,
        np.ascontiguousarray(qp.d, dtype=float),
        Q,
        terms.scale,
        terms.curv,
        (
            float(value),
            float(tc),
            float(min_value),
            float(budget),
            float(cash_now),
            float(target_cash),
            int(moves),
            float(give_up_above),
        ),
    )
    return None if gave_up else made
