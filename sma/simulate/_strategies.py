"""The three ways a simulated account is traded: the engine, a rules-based indexer, a threshold
harvester.

Each turns the day's state into orders (``ORDER_COLUMNS``); ``SimBook.fill`` books them. The
baselines honour the same wash-sale blocks and restrictions as the engine (a baseline that broke
them would not be a fair comparison), and hold their gain-budget accounts to the budget by scaling
down sales of gains on an estimate of each position's gain.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from sma.ledger import ReliefMethod
from sma.rebalance import EngineParams, LotArrays, ShardInputs, TradeReason, decide
from sma.risk import RiskModel
from sma.simulate._book import orders_frame


def engine_orders(shard: ShardInputs, model: RiskModel, params: EngineParams) -> pd.DataFrame:
    """The nightly engine's decision as orders: lot-level sales, whole-share buys."""
    out = decide(shard, model, params)
    index = pd.Index(shard.account_ids)
    sym = pd.Index(shard.symbols)
    ls, buys = out.lot_sells, out.trades[out.trades["side"] == "BUY"]
    buys = buys[~_washes_same_day_loss(shard, ls, buys)]
    return pd.concat(
        [
            orders_frame(
                index.get_indexer(ls["account_id"]),
                sym.get_indexer(ls["symbol"]),
                "SELL",
                ls["quantity"].to_numpy(float),
                ls["reason"].to_numpy(object),
                ls["lot_id"].to_numpy(object),
            ),
            orders_frame(
                index.get_indexer(buys["account_id"]),
                sym.get_indexer(buys["symbol"]),
                "BUY",
                buys["quantity"].to_numpy(float),
                buys["reason"].to_numpy(object),
            ),
        ],
        ignore_index=True,
    )


def _washes_same_day_loss(
    shard: ShardInputs, lot_sells: pd.DataFrame, buys: pd.DataFrame
) -> np.ndarray:
    """Buys that would replace a loss sale another account of the household makes the same night.

    The engine decides each account on its own, with blocks from earlier days only; a pre-trade
    check drops such a buy (IRS Pub. 550: a purchase in any account of the household, Rev. Rul.
    2008-5 for IRAs), keeping its cash.
    """
    if not len(buys) or not len(lot_sells):
        return np.zeros(len(buys), bool)
    index, sym = pd.Index(shard.account_ids), pd.Index(shard.symbols)
    a = index.get_indexer(lot_sells["account_id"])
    loss = (lot_sells["realized_gain"].to_numpy(float) < 0) & shard.taxable[a]
    sold = set(
        zip(
            shard.household_ids[a[loss]],
            shard.identical_group[sym.get_indexer(lot_sells["symbol"])[loss]],
        )
    )
    b = index.get_indexer(buys["account_id"])
    keys = zip(shard.household_ids[b], shard.identical_group[sym.get_indexer(buys["symbol"])])
    return np.fromiter((k in sold for k in keys), bool, len(buys))


def rules_orders(
    shard: ShardInputs,
    shares: np.ndarray,
    basis: np.ndarray,
    method: ReliefMethod,
    drift_tolerance: float,
    cash_tolerance: float,
) -> pd.DataFrame:
    """A rules-based indexer's orders: invest or raise cash pro rata, rebalance fully on drift.

    Parameters
    ----------
    shard : ShardInputs -- today's targets, prices, cash, flows, blocks (the engine's view)
    shares : ndarray of shape (m, n) -- shares held
    basis : ndarray of shape (m, n) -- USD cost basis of each position (for the gain-budget
    estimate)
    method : ReliefMethod -- how the ledger picks the lots of each sale
    drift_tolerance : float -- rebalance when half the sum of |weight - target| is above this
    cash_tolerance : float -- invest cash more than this fraction above target
    """
    p = shard.prices
    held = shares * p
    value = held.sum(axis=1) + shard.cash + shard.cash_flow
    safe = np.where(value > 0, value, 1.0)[:, None]
    want = shard.target * safe - held
    drift = 0.5 * np.abs(held / safe - shard.target).sum(axis=1)
    rebalance = (drift > drift_tolerance)[:, None]
    # A baseline never sells what the household bought in 30 days (a loss there would be washed).
    can_sell = ~shard.no_sell & ~shard.loss_sale_blocked & (held > 0)
    sell = np.where(rebalance & can_sell, np.clip(-want, 0.0, held), 0.0)
    need = shard.cash_target * value - (shard.cash + shard.cash_flow + sell.sum(axis=1))
    rest = np.where(can_sell, held - sell, 0.0)
    rest_total = rest.sum(axis=1)
    share = np.divide(
        np.clip(need, 0.0, None), rest_total, out=np.zeros_like(need), where=rest_total > 0
    )
    sell += rest * np.minimum(share, 1.0)[:, None]
    # Gain budget: scale sales of gains down to what the budget allows (estimated per position).
    gain_rate = np.divide(held - basis, held, out=np.zeros_like(held), where=held > 0)
    est_gain = (sell * np.clip(gain_rate, 0.0, None)).sum(axis=1)
    room = np.clip(shard.gain_budget_remaining, 0.0, None)
    scale = np.where(
        est_gain > room, np.divide(room, est_gain, out=np.zeros_like(room), where=est_gain > 0), 1.0
    )
    sell = np.where(gain_rate > 0, sell * scale[:, None], sell)
    small = shard.min_trade_value[:, None]
    sell_q = np.where(sell >= held * 0.999, shares, np.floor(sell / p))
    sell_q = np.where((sell_q * p < small) & (sell_q < shares), 0.0, sell_q)
    # Buys spend what the whole-share sells raise, not the fractional sells asked for.
    spare = shard.cash + shard.cash_flow + (sell_q * p).sum(axis=1) - shard.cash_target * value
    invest = rebalance[:, 0] | (spare > cash_tolerance * value)
    buy_want = np.where(shard.buy_blocked, 0.0, np.clip(want, 0.0, None))
    total_want = buy_want.sum(axis=1)
    fill = np.divide(
        np.clip(spare, 0.0, None), total_want, out=np.zeros_like(spare), where=total_want > 0
    )
    buy = buy_want * np.where(invest, np.minimum(fill, 1.0), 0.0)[:, None]

    buy_q = np.floor(buy / (p * 1.001))
    buy_q = np.where(buy_q * p < small, 0.0, buy_q)
    a_s, j_s = np.nonzero(sell_q > 0)
    a_b, j_b = np.nonzero(buy_q > 0)
    raising = (need > 0)[a_s]
    sell_reason = np.where(raising, TradeReason.CASH_RAISE, TradeReason.REBALANCE).astype(object)
    buy_reason = np.where(rebalance[a_b, 0], TradeReason.REBALANCE, TradeReason.CASH_INVEST).astype(
        object
    )
    return pd.concat(
        [
            orders_frame(a_s, j_s, "SELL", sell_q[a_s, j_s], sell_reason, method=method),
            orders_frame(a_b, j_b, "BUY", buy_q[a_b, j_b], buy_reason),
        ],
        ignore_index=True,
    )


def replacement_choice(
    correlation: np.ndarray, sectors: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """For each security, the others ranked by correlation, best first, restricted to its sector and
    to other identical groups: (n, n) indices, -1 where no candidate is left."""
    n = sectors.size
    ok = (sectors[:, None] == sectors[None, :]) & (group[:, None] != group[None, :])
    score = np.where(ok, correlation, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    return np.where(np.take_along_axis(ok, order, axis=1), order, -1).reshape(n, n)


def threshold_orders(
    shard: ShardInputs, lots: LotArrays, ranked: np.ndarray, threshold: float, fill_cost: float
) -> pd.DataFrame:
    """The classic harvester: sell every lot down more than ``threshold`` (HIFO -- all of the
    position's lots past the threshold go), and buy the sector's most correlated name that is not
    wash-blocked, excluded, or itself being harvested, with the proceeds.

    Losses are judged per lot on its basis (the ledger's wash-adjusted basis).
    """
    p = shard.prices
    harvests = shard.taxable & shard.tlh_enabled
    price = p[lots.security]
    loss_frac = price * lots.quantity / np.maximum(lots.basis, 1e-9) - 1.0
    take = (
        (loss_frac < -threshold)
        & harvests[lots.account]
        & ~shard.loss_sale_blocked[lots.account, lots.security]
        & ~shard.no_sell[lots.account, lots.security]
    )
    if not take.any():
        return orders_frame([], [], "SELL", [], [])
    idx = np.flatnonzero(take)
    order = idx[np.argsort(-(lots.basis[idx] / lots.quantity[idx]), kind="stable")]
    sells = orders_frame(
        lots.account[order],
        lots.security[order],
        "SELL",
        lots.quantity[order],
        TradeReason.HARVEST,
        lots.lot_id[order],
    )
    proceeds = (
        pd.DataFrame(
            {
                "a": lots.account[idx],
                "j": lots.security[idx],
                "v": lots.quantity[idx] * price[idx] * (1 - fill_cost),
            }
        )
        .groupby(["a", "j"])["v"]
        .sum()
    )
    sold = set(zip(proceeds.index.get_level_values(0), proceeds.index.get_level_values(1)))
    buy_a, buy_j, buy_q = [], [], []
    blocked = shard.buy_blocked | shard.exclude
    for (a, j), v in proceeds.items():
        for k in ranked[j]:
            if k < 0:
                break
            if not blocked[a, k] and (a, k) not in sold:
                q = np.floor(v / (p[k] * (1 + fill_cost)))
                if q > 0:
                    buy_a.append(a)
                    buy_j.append(k)
                    buy_q.append(q)
                break
    return pd.concat(
        [sells, orders_frame(buy_a, buy_j, "BUY", buy_q, TradeReason.REPLACE)], ignore_index=True
    )


def position_basis(lots: LotArrays, m: int, n: int) -> np.ndarray:
    """USD cost basis per account and security, (m, n)."""
    out = np.zeros((m, n))
    np.add.at(out, (lots.account, lots.security), lots.basis)
    return out


def without_gain_sales(shard: ShardInputs, barred: np.ndarray) -> ShardInputs:
    """``shard`` with every position of the ``barred`` accounts that holds a lot at a gain tonight
    made NO_SELL, so the engine realizes no gain there -- not even one a harvested loss would net.

    A gain is the sale's amount realized over the lot's adjusted basis (IRC section 1001(a)); the
    engine's gain budget counts net gains (losses offset gains, Schedule D), so a budget of zero
    alone still lets it spend a harvested loss on a gain. The targets are left as they are: the
    tracking error this costs shows.

    Parameters
    ----------
    shard : ShardInputs
    barred : ndarray of shape (m,), bool -- the accounts that sell no lot at a gain
    """
    gain = shard.prices[shard.lot_security] * shard.lot_qty - shard.lot_basis > 0
    lot = gain & barred[shard.lot_account]
    held_at_gain = np.zeros_like(shard.no_sell)
    held_at_gain[shard.lot_account[lot], shard.lot_security[lot]] = True
    if not held_at_gain.any():
        return shard
    return replace(shard, no_sell=shard.no_sell | held_at_gain)
