"""Which side each identical group takes: buy, or sell at a loss — never both tonight.

Selling at a loss while buying the same or a substantially identical security is a wash sale
(IRC section 1091; IRS Publication 550, "Wash Sales"). A group is *contested* when the account could
do both; each contested group gets one side before the final convex solve (Moehle, Kochenderfer,
Boyd & Ang, "Tax-Aware Portfolio Construction via Convex Optimization", JOTA 2021, section 5).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sma.rebalance._problem import AccountProblem
from sma.rebalance._qp import TradeQP


def groups_of_variables(
    problem: AccountProblem, group_of_asset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Group code of each buy variable and each sell variable."""
    qp = problem.qp
    g = group_of_asset[problem.assets[qp.asset]]
    return g[: problem.n_buys], g[problem.n_buys :]


def conflicting_groups(
    problem: AccountProblem, v: np.ndarray, group_of_asset: np.ndarray, eps: float
) -> np.ndarray:
    """Group codes where ``v`` both buys and sells a loss lot."""
    nb = problem.n_buys
    gb, gs = groups_of_variables(problem, group_of_asset)
    return _both(gb[v[:nb] > eps], gs[(v[nb:] > eps) & problem.loss_lot()], group_of_asset)


def contested_groups(problem: AccountProblem, group_of_asset: np.ndarray) -> np.ndarray:
    """Identical groups where the problem could both buy and sell a loss lot: each needs a side."""
    gb, gs = groups_of_variables(problem, group_of_asset)
    return _both(gb, gs[problem.loss_lot()], group_of_asset)


def _both(first: np.ndarray, second: np.ndarray, group_of_asset: np.ndarray) -> np.ndarray:
    """The group codes in both ``first`` and ``second``, sorted and unique (``np.intersect1d``'s
    answer, by a table over the codes instead of two sorts)."""
    n_groups = int(group_of_asset.max()) + 1 if group_of_asset.size else 0
    return np.flatnonzero(group_mask(first, n_groups) & group_mask(second, n_groups))


def isin_codes(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``np.isin(values, codes)`` for non-negative integer codes (securities' positions, identical
    groups), by a table over their range instead of a sort.

    Parameters
    ----------
    values, codes : ndarray of int >= 0

    Returns
    -------
    ndarray of the shape of ``values``, bool
    """
    size = int(max(values.max(initial=-1), codes.max(initial=-1))) + 1
    return group_mask(codes, size)[values]


def group_mask(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Which group codes occur in ``codes``, as a table: ``group_mask(codes, n)[g]`` is
    ``np.isin(g, codes)`` for any array of codes ``g`` (a lookup, not a sort).

    Parameters
    ----------
    codes : ndarray of int, group codes in 0..n_groups-1
    n_groups : int

    Returns
    -------
    ndarray of shape (n_groups,), bool
    """
    table = np.zeros(n_groups, bool)
    table[codes] = True
    return table


def keep_for_sides(
    problem: AccountProblem, group_of_asset: np.ndarray, sell_side: np.ndarray, buy_side: np.ndarray
) -> np.ndarray:
    """Variables kept when ``sell_side`` groups may not buy and ``buy_side`` groups may not sell at
    a loss."""
    gb, gs = groups_of_variables(problem, group_of_asset)
    n_groups = int(group_of_asset.max()) + 1 if group_of_asset.size else 0
    keep_buy = ~group_mask(sell_side, n_groups)[gb]
    keep_sell = ~(group_mask(buy_side, n_groups)[gs] & problem.loss_lot())
    return np.concatenate([keep_buy, keep_sell])


def sides_from_relaxed_sign(problem, v, group_of_asset, eps) -> tuple[np.ndarray, np.ndarray]:
    """Moehle et al. (2021), section 5: each contested group takes the side of its relaxed net
    trade; a group the relaxation left alone sells if it is overweight, else buys."""
    contested = contested_groups(problem, group_of_asset)
    n_groups = group_of_asset.max() + 1
    gid = group_of_asset[problem.assets]
    net = np.bincount(gid, problem.qp.net_trade(v), minlength=n_groups)[contested]
    over = np.bincount(gid, problem.w0 - problem.target, minlength=n_groups)[contested]
    sell = np.where(np.abs(net) > eps, net < 0, over > 0)
    return contested[sell], contested[~sell]


def sides_from_local_cost(problem, v, group_of_asset) -> tuple[np.ndarray, np.ndarray]:
    """Each contested group keeps the side whose loss costs less at the relaxed solution ``v``.

    Dropping the group's buys (sell side) or its loss sales (buy side) changes each security's net
    trade by ``dz``; the objective changes by ``g dz + 1/2 Q_ii dz^2`` (gradient ``g`` and diagonal
    of ``Q`` at ``v``, other trades held) minus the linear cost of the dropped trades.
    """
    qp, nb = problem.qp, problem.n_buys
    contested = contested_groups(problem, group_of_asset)
    z = qp.net_trade(v)
    grad = qp.d * z + qp.B @ (qp.B.T @ z) + qp.p
    q_ii = qp.d + np.einsum("ij,ij->i", qp.B, qp.B)
    n = qp.d.size
    slot = np.full(group_of_asset.max() + 1, -1)
    slot[contested] = np.arange(contested.size)
    # Every security belongs to one group, so a group's change is the sum of its securities'
    # changes.
    slot_of_asset = slot[group_of_asset[problem.assets]]
    in_play = slot_of_asset >= 0

    def change(var: np.ndarray, dz_sign: float) -> np.ndarray:
        var = var[in_play[qp.asset[var]]]
        dz = np.bincount(qp.asset[var], dz_sign * v[var], minlength=n)
        quad = np.bincount(
            slot_of_asset[in_play],
            (dz * (grad + 0.5 * q_ii * dz))[in_play],
            minlength=contested.size,
        )
        return quad - np.bincount(
            slot_of_asset[qp.asset[var]], qp.cost[var] * v[var], minlength=contested.size
        )

    to_sell = change(np.arange(nb), -1.0)
    to_buy = change(nb + np.flatnonzero(problem.loss_lot()), +1.0)
    sell = to_sell < to_buy
    return contested[sell], contested[~sell]


def loss_sold_groups(problem, v, group_of_asset, eps) -> np.ndarray:
    _, gs = groups_of_variables(problem, group_of_asset)
    return np.unique(gs[(v[problem.n_buys :] > eps) & problem.loss_lot()])


def lot_buckets(problem: AccountProblem) -> AccountProblem:
    """The problem with each security's lots pooled by (loss or gain, tax rate): at most a few sell
    variables per security, each the value-weighted average of its lots (a sale of a bucket is the
    same fraction of each of its lots, so every bucket solution is a lot solution). Used to choose
    sides."""
    qp, nb = problem.qp, problem.n_buys
    asset, upper = qp.asset[nb:], qp.upper[nb:]
    rate_code, n_rates = _rate_codes(problem.lot_rate)
    key = (asset * 2 + problem.loss_lot()) * n_rates + rate_code
    # np.unique(key, return_inverse=True) by a table over the keys' range (no sort of the lots)
    present = np.zeros(qp.d.size * 2 * n_rates, bool)
    present[key] = True
    buckets = np.flatnonzero(present)
    inv = (np.cumsum(present) - 1)[key]
    size = np.bincount(inv, upper)

    def pooled(x: np.ndarray) -> np.ndarray:
        return np.bincount(inv, x * upper, minlength=buckets.size) / size

    bucket_qp = TradeQP(
        asset=np.concatenate([qp.asset[:nb], buckets // (2 * n_rates)]),
        sign=np.concatenate([qp.sign[:nb], -np.ones(buckets.size)]),
        upper=np.concatenate([qp.upper[:nb], size]),
        cost=np.concatenate([qp.cost[:nb], pooled(qp.cost[nb:])]),
        d=qp.d,
        B=qp.B,
        p=qp.p,
        G=np.hstack([qp.G[:, :nb], np.array([pooled(row[nb:]) for row in qp.G])]),
        h=qp.h,
    )
    return replace(
        problem,
        lots=np.full(buckets.size, -1),
        lot_gain=pooled(problem.lot_gain),
        lot_rate=pooled(problem.lot_rate),
        qp=bucket_qp,
    )


def _rate_codes(rate: np.ndarray) -> tuple[np.ndarray, int]:
    """Each lot's tax rate as its rank among the distinct rates (``np.unique(rate,
    return_inverse=True)[1]``) and how many there are (1 when there are no lots). An account's
    lots have one or two rates (short and long term), told apart by the least and the most of them
    without a sort; any other mix is ranked by ``np.unique``.

    Parameters
    ----------
    rate : ndarray of shape (nl,), tax rate of each lot

    Returns
    -------
    ndarray of shape (nl,), int, and int
    """
    if rate.size == 0:
        return np.zeros(0, np.intp), 1
    low, high = rate.min(), rate.max()
    if low == high:
        return np.zeros(rate.size, np.intp), 1
    at_high = rate == high
    if (at_high | (rate == low)).all():
        return at_high.astype(np.intp), 2
    _, code = np.unique(rate, return_inverse=True)
    return code, int(code.max()) + 1
