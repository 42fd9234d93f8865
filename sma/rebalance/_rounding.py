"""From optimal weights to whole-share orders that still satisfy every constraint.

Buys round down; gain lots round down and loss lots round up (so rounding never adds net gain);
a sale within a millionth of a whole lot sells the lot out (fractional lots after splits).
Trades under ``min_trade_value`` (per security and side) are dropped. Then, in order, until all
hold: gain-lot sales are cut, largest gain first, to the gain budget; buys are cut, largest first,
to the cash target; and if cash is still short, whole shares of the cheapest-to-sell lots (losses
first) are added within the gain budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams
from sma.rebalance._problem import AccountProblem
from sma.rebalance._signs import ContinuousDecision

_SNAP = 1e-6


@dataclass
class WholeShares:
    """Shares per buy variable (nb,) and per sell variable (nl,) of a problem, with what they imply."""

    buy: np.ndarray
    sell: np.ndarray
    buy_price: np.ndarray
    sell_price: np.ndarray
    lot_qty: np.ndarray
    gain_per_share: np.ndarray
    buy_asset: np.ndarray
    sell_asset: np.ndarray


def _shares(problem: AccountProblem, decision: ContinuousDecision, shard: ShardInputs) -> WholeShares:
    v = problem.value
    buy_price = shard.prices[problem.assets[problem.buy_asset]]
    lots = problem.lots
    sell_price = shard.prices[shard.lot_security[lots]]
    qty = shard.lot_qty[lots]
    buy = np.floor(decision.buys * v / buy_price + _SNAP)
    s = np.minimum(decision.sells * v / sell_price, qty)
    rounded = np.where(problem.loss_lot(), np.ceil(s - _SNAP), np.floor(s + _SNAP))
    sell = np.where(s >= qty - _SNAP * np.maximum(qty, 1.0), qty, np.minimum(rounded, np.floor(qty)))
    gain_per_share = sell_price - shard.lot_basis[lots] / qty
    pos = np.full(shard.n, -1)
    pos[problem.assets] = np.arange(problem.assets.size)
    return WholeShares(buy, np.maximum(sell, 0.0), buy_price, sell_price, qty, gain_per_share,
                       problem.buy_asset, pos[shard.lot_security[lots]])


def cash_after(ws: WholeShares, cash_now: float, tc: float) -> float:
    return cash_now - (1 + tc) * ws.buy @ ws.buy_price + (1 - tc) * ws.sell @ ws.sell_price


def _drop_small(ws: WholeShares, min_value: float, n_assets: int) -> None:
    ws.buy[ws.buy * ws.buy_price < min_value] = 0.0
    sold = np.bincount(ws.sell_asset, ws.sell * ws.sell_price, minlength=n_assets)
    ws.sell[sold[ws.sell_asset] < min_value] = 0.0


def _cut_gains(ws: WholeShares, budget: float) -> None:
    excess = ws.sell @ ws.gain_per_share - budget
    if excess <= 1e-9:
        return
    gain = ws.sell * ws.gain_per_share
    order = np.argsort(-gain, kind="stable")
    order = order[gain[order] > 0]
    before = np.concatenate([[0.0], np.cumsum(gain[order])[:-1]])
    ws.sell[order[before < excess]] = 0.0


def _cut_buys(ws: WholeShares, deficit: float, tc: float) -> None:
    unit = ws.buy_price * (1 + tc)
    cost = ws.buy * unit
    order = np.argsort(-cost, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(cost[order])[:-1]])
    cut = np.clip(deficit - before, 0.0, cost[order])
    ws.buy[order] -= np.minimum(np.ceil(cut / unit[order] - _SNAP), ws.buy[order])


def _add_sells(ws: WholeShares, deficit: float, budget: float, tc: float) -> None:
    left = np.where(ws.sell > 0, ws.lot_qty - ws.sell, ws.lot_qty)
    left = np.where(left >= 1.0, np.floor(left + _SNAP), left)
    order = np.argsort(ws.gain_per_share / ws.sell_price, kind="stable")
    order = order[left[order] > 0]
    unit = ws.sell_price[order] * (1 - tc)
    gains = left[order] * ws.gain_per_share[order]
    room = budget - ws.sell @ ws.gain_per_share
    order, unit = order[np.cumsum(gains) <= room + 1e-9], unit[np.cumsum(gains) <= room + 1e-9]
    before = np.concatenate([[0.0], np.cumsum(left[order] * unit)[:-1]])
    need = np.ceil(np.clip(deficit - before, 0.0, None) / unit - _SNAP)
    ws.sell[order] += np.minimum(left[order], need)


def round_to_whole_shares(
    problem: AccountProblem, decision: ContinuousDecision, shard: ShardInputs, params: EngineParams
) -> tuple[WholeShares, bool]:
    """Whole-share trades, and whether they meet the cash target and gain budget."""
    a, tc = problem.account, params.trading_cost
    ws = _shares(problem, decision, shard)
    cash_now = float(shard.cash[a] + shard.cash_flow[a])
    target_cash = float(shard.cash_target[a] * problem.value)
    budget = problem.budget * problem.value
    min_value = float(shard.min_trade_value[a])
    for _ in range(4):
        _drop_small(ws, min_value, problem.assets.size)
        _cut_gains(ws, budget)
        deficit = target_cash - cash_after(ws, cash_now, tc)
        if deficit > 1e-9:
            _cut_buys(ws, deficit, tc)
            deficit = target_cash - cash_after(ws, cash_now, tc)
        if deficit > 1e-9 and not ws.buy.any():
            _add_sells(ws, deficit, budget, tc)
        if meets_constraints(ws, cash_now, target_cash, budget, min_value, problem.assets.size, tc):
            return ws, True
    return ws, False


def meets_constraints(ws, cash_now, target_cash, budget, min_value, n_assets, tc) -> bool:
    sold = np.bincount(ws.sell_asset, ws.sell * ws.sell_price, minlength=n_assets)
    bought = ws.buy * ws.buy_price
    return bool(
        cash_after(ws, cash_now, tc) >= target_cash - 1e-6
        and ws.sell @ ws.gain_per_share <= budget + 1e-6
        and np.all(ws.sell <= ws.lot_qty + 1e-9)
        and np.all((bought == 0) | (bought >= min_value))
        and np.all((sold == 0) | (sold >= min_value))
    )
