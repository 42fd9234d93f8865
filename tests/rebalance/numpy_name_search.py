"""The whole-share name search as it was written in numpy (sma/rebalance/_sampling.py at 1048466,
before it was compiled into ``sma/rebalance/_sampling_steps.py``): the specification the compiled
search must keep, move for move. Only tests import it."""

from __future__ import annotations

import numpy as np

from sma.rebalance._problem import AccountProblem
from sma.rebalance._rounding import _CENT, _SNAP, WholeShares, cash_after

_MIN_GAIN_USD = 0.05
_MIN_GAIN_PER_USD = 1e-3
_SWAP_SIDE = 128


def _best(change: np.ndarray) -> np.ndarray:
    """Indices of the (at most) ``_SWAP_SIDE`` lowest finite ``change``."""
    ok = np.flatnonzero(np.isfinite(change))
    if ok.size > _SWAP_SIDE:
        ok = ok[np.argpartition(change[ok], _SWAP_SIDE)[:_SWAP_SIDE]]
    return np.sort(ok)


class _Search:
    """The state of one account's search: trades ``ws`` (changed in place) and the objective's
    gradient."""

    def __init__(
        self,
        ws: WholeShares,
        problem: AccountProblem,
        cash_now: float,
        target_cash: float,
        budget: float,
        min_value: float,
        tc: float,
        group: np.ndarray,
    ):
        qp, self.nb = problem.qp, problem.n_buys
        self.ws, self.value, self.tc, self.min_value, self.budget = (
            ws,
            problem.value,
            tc,
            min_value,
            budget,
        )
        self.cash_now, self.target_cash, self.group = cash_now, target_cash, group
        self.buy_j, self.sell_j = qp.asset[: self.nb], qp.asset[self.nb :]
        self.buy_cost, self.sell_cost = qp.cost[: self.nb], qp.cost[self.nb :]
        self.d = qp.d
        self.Q = qp.B @ qp.B.T  # (na, na): with diag(d), twice risk_aversion times the covariance
        self.curv = self.d + np.diag(self.Q)
        self.most = np.floor(qp.upper[: self.nb] * self.value / ws.buy_price + _SNAP)
        self.first_buy = np.maximum(np.ceil(min_value / ws.buy_price - _SNAP), 1.0)
        self.first_sell = np.maximum(np.ceil(min_value / ws.sell_price - _SNAP), 1.0)
        z = qp.net_trade(
            np.concatenate([ws.buy * ws.buy_price, ws.sell * ws.sell_price]) / self.value
        )
        self.grad = self.d * z + self.Q @ z + qp.p

    def _change(
        self, j: np.ndarray, dz: np.ndarray, cost: np.ndarray, dv: np.ndarray
    ) -> np.ndarray:
        """Objective change of moving net weight ``dz`` in securities ``j`` at linear cost
        ``cost * dv``, plus the hurdle a move must clear (``_MIN_GAIN_PER_USD`` of what it
        trades)."""
        return (
            dz * self.grad[j]
            + cost * dv
            + 0.5 * dz**2 * self.curv[j]
            + _MIN_GAIN_PER_USD * np.abs(dz)
        )

    def _masks(self):
        ws, na = self.ws, self.grad.size
        bought = np.bincount(self.buy_j, ws.buy, minlength=na) > 0
        sold_usd = ws.sold_per_asset(na)
        loss_sold = np.zeros(self.group.max() + 1, bool)
        loss_sold[self.group[self.sell_j[(ws.sell > 0) & (ws.gain_per_share < 0)]]] = True
        group_bought = np.zeros(self.group.max() + 1, bool)
        group_bought[self.group[self.buy_j[ws.buy > 0]]] = True
        return bought, sold_usd, loss_sold, group_bought

    def buy_moves(self, sold_usd, loss_sold, spendable):
        """(shares, change, cash used) of one more step of each buy; change inf where not
        allowed."""
        ws = self.ws
        step = np.where(ws.buy > 0, 1.0, self.first_buy)
        usd = step * ws.buy_price
        change = self._change(self.buy_j, usd / self.value, self.buy_cost, usd / self.value)
        cash = usd * (1 + self.tc)
        barred = (
            (sold_usd[self.buy_j] > 0)
            | loss_sold[self.group[self.buy_j]]
            | (ws.buy + step > self.most)
        )
        change[barred | (cash > spendable + _CENT)] = np.inf
        return step, change, cash

    def unbuy_moves(self):
        """(shares, change, cash raised) of one share less of each buy (all of it under
        min_trade_value)."""
        ws = self.ws
        step = np.where((ws.buy - 1) * ws.buy_price >= self.min_value - 1e-9, 1.0, ws.buy)
        usd = step * ws.buy_price
        change = self._change(self.buy_j, -usd / self.value, self.buy_cost, -usd / self.value)
        change[ws.buy <= 0] = np.inf
        return step, change, usd * (1 + self.tc)

    def sell_moves(self, bought, sold_usd, group_bought, room):
        """(shares, change, cash raised) of one more step of each lot's sale."""
        ws = self.ws
        left = ws.lot_qty - ws.sell
        first = sold_usd[self.sell_j] <= 0
        step = np.where(left < 1.0, left, np.where(first, self.first_sell, 1.0))
        usd = step * ws.sell_price
        change = self._change(self.sell_j, -usd / self.value, self.sell_cost, usd / self.value)
        loss = ws.gain_per_share < 0
        barred = (
            (left <= 1e-9)
            | (step > left + 1e-9)
            | (first & (usd < self.min_value - 1e-9))
            | bought[self.sell_j]
            | (loss & group_bought[self.group[self.sell_j]])
            | (step * ws.gain_per_share > room + 1e-9)
        )
        change[barred] = np.inf
        return step, change, usd * (1 - self.tc)

    def unsell_moves(self, sold_usd, room, spendable):
        """(shares, change, cash used) of one share less of each lot's sale (all of it when the
        security's sale would fall under min_trade_value; a sold-out lot's fraction first)."""
        ws = self.ws
        # A sold-out lot's fraction (after a split) goes first, so what stays sold is whole shares.
        one = np.where(
            ws.sell - np.floor(ws.sell + _SNAP) > _SNAP, ws.sell - np.floor(ws.sell), 1.0
        )
        rest = sold_usd[self.sell_j] - one * ws.sell_price
        step = np.where(
            (ws.sell >= 1.0) & ((rest >= self.min_value - 1e-9) | (rest <= 1e-9)), one, ws.sell
        )
        after = sold_usd[self.sell_j] - step * ws.sell_price
        usd = step * ws.sell_price
        change = self._change(self.sell_j, usd / self.value, self.sell_cost, -usd / self.value)
        cash = usd * (1 - self.tc)
        barred = (
            (ws.sell <= 0)
            | ((after > 1e-9) & (after < self.min_value - 1e-9))
            | (-step * ws.gain_per_share > room + 1e-9)
            | (cash > spendable + _CENT)
        )
        change[barred] = np.inf
        return step, change, cash

    def step(self) -> bool:
        """Make the best move; whether one lowered the objective enough."""
        ws = self.ws
        bought, sold_usd, loss_sold, group_bought = self._masks()
        spendable = cash_after(ws, self.cash_now, self.tc) - self.target_cash
        room = self.budget - ws.net_gain()
        b_step, b_change, b_cash = self.buy_moves(sold_usd, loss_sold, np.inf)
        u_step, u_change, u_cash = self.unbuy_moves()
        s_step, s_change, s_cash = self.sell_moves(bought, sold_usd, group_bought, room)
        r_step, r_change, _ = self.unsell_moves(sold_usd, room, spendable)
        single_buy = np.where(b_cash <= spendable + _CENT, b_change, np.inf)
        singles = [single_buy, u_change, s_change, r_change]
        best = [float(c.min()) if c.size else np.inf for c in singles]
        pair = self._best_swap(b_change, b_cash, u_change, u_cash, s_change, s_cash, spendable)
        threshold = -_MIN_GAIN_USD / self.value
        if min(best) >= threshold and (pair is None or pair[0] >= threshold):
            return False
        if pair is not None and pair[0] < min(best):
            _, kind, i, b = pair
            self._apply_buy(b, b_step[b])
            if kind == "unbuy":
                self._apply_buy(i, -u_step[i])
            else:
                self._apply_sell(i, s_step[i])
            return True
        k = int(np.argmin(best))
        i = int(np.argmin(singles[k]))
        if k == 0:
            self._apply_buy(i, b_step[i])
        elif k == 1:
            self._apply_buy(i, -u_step[i])
        elif k == 2:
            self._apply_sell(i, s_step[i])
        else:
            self._apply_sell(i, -r_step[i])
        return True

    def _best_swap(self, b_change, b_cash, u_change, u_cash, s_change, s_cash, spendable):
        """(change, 'unbuy'|'sell', raising move, buy) of the best swap, or None: cash raised by one
        move spent on a buy of another security. The cheapest lot per security stands for its sales,
        and only the ``_SWAP_SIDE`` best moves of each kind on their own are paired (a step stays
        O(n))."""
        spend = _best(b_change)
        if spend.size == 0:
            return None
        lots = np.flatnonzero(np.isfinite(s_change))
        if lots.size:  # the best lot of each security
            order = lots[np.lexsort((s_change[lots], self.sell_j[lots]))]
            lots = order[np.r_[True, self.sell_j[order][1:] != self.sell_j[order][:-1]]]
            lots = lots[_best(s_change[lots])]
        unbuys = _best(u_change)
        best = None
        ws = self.ws
        for kind, idx, change, cash, j, dz in (
            ("unbuy", unbuys, u_change, u_cash, self.buy_j, -ws.buy_price / self.value),
            ("sell", lots, s_change, s_cash, self.sell_j, -ws.sell_price / self.value),
        ):
            if idx.size == 0:
                continue
            shares = self._raise_shares(kind, idx)
            dz_r = dz[idx] * shares
            dz_b = (
                np.where(ws.buy[spend] > 0, 1.0, self.first_buy[spend]) * ws.buy_price[spend]
            ) / self.value
            total = (
                change[idx][:, None]
                + b_change[spend][None, :]
                + dz_r[:, None] * dz_b[None, :] * self.Q[np.ix_(j[idx], self.buy_j[spend])]
            )
            same = j[idx][:, None] == self.buy_j[spend][None, :]
            short = spendable + cash[idx][:, None] - b_cash[spend][None, :] < -_CENT
            total[same | short] = np.inf
            if kind == "sell":  # a loss sale and a buy of the same identical group: the sign rule
                loss = ws.gain_per_share[idx] < 0
                total[
                    loss[:, None]
                    & (self.group[j[idx]][:, None] == self.group[self.buy_j[spend]][None, :])
                ] = np.inf
            r, c = np.unravel_index(int(np.argmin(total)), total.shape)
            if np.isfinite(total[r, c]) and (best is None or total[r, c] < best[0]):
                best = (float(total[r, c]), kind, int(idx[r]), int(spend[c]))
        return best

    def _raise_shares(self, kind: str, idx: np.ndarray) -> np.ndarray:
        ws = self.ws
        if kind == "unbuy":
            return np.where(
                (ws.buy[idx] - 1) * ws.buy_price[idx] >= self.min_value - 1e-9, 1.0, ws.buy[idx]
            )
        sold_usd = ws.sold_per_asset(self.grad.size)
        left = ws.lot_qty[idx] - ws.sell[idx]
        first = sold_usd[self.sell_j[idx]] <= 0
        return np.where(left < 1.0, left, np.where(first, self.first_sell[idx], 1.0))

    def _move(self, j: int, dz: float) -> None:
        self.grad += self.Q[:, j] * dz
        self.grad[j] += self.d[j] * dz

    def _apply_buy(self, b: int, shares: float) -> None:
        self.ws.buy[b] += shares
        self._move(self.buy_j[b], shares * self.ws.buy_price[b] / self.value)

    def _apply_sell(self, lot: int, shares: float) -> None:
        ws = self.ws
        old, new = ws.sell[lot], ws.sell[lot] + shares
        new = ws.lot_qty[lot] if new >= ws.lot_qty[lot] - _SNAP else (0.0 if new <= _SNAP else new)
        ws.sell[lot] = new
        self._move(self.sell_j[lot], -(new - old) * ws.sell_price[lot] / self.value)


def numpy_choose_names(ws, problem, cash_now, target_cash, budget, min_value, tc, group, moves):
    """``sma.rebalance._sampling.choose_names`` as it was."""
    if moves <= 0 or problem.assets.size == 0:
        return 0
    group = np.unique(group, return_inverse=True)[1].reshape(-1)
    search = _Search(ws, problem, cash_now, target_cash, budget, min_value, tc, group)
    made = 0
    while made < moves and search.step():
        made += 1
    return made
