"""The simulated book: every fill booked through the ledger, plus shares, cash and the trade log.

Fills are at the day's close; trading costs (``fill_cost_bps`` per side on notional) are paid from
cash as a fee, outside the lots' basis, so a fill's tax facts are those the engine saw when it
decided (a lot bought and sold at one close is neither a gain nor a loss). Sales are booked before
buys,
so a day's buys are paid from its sales; the ledger (``sma.ledger.Ledger``) relieves the lots and
applies the wash-sale rule to every one of them.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from sma.book import action_cash
from sma.ledger import (
    SYMBOL_CHANGE_COLUMNS,
    CorporateAction,
    Ledger,
    ReliefMethod,
    notional_cents,
    recent_lot_purchases,
    under_current_symbols,
    usd_array_to_cents,
    usd_to_cents,
    wash_sale_blocks,
    wash_sale_window_start,
)
from sma.rebalance import AccountArrays, LotArrays

#: One order per row: account row, security column, side, shares, the lot to relieve ('' = by
#: ``method``), the relief method and the reason.
ORDER_COLUMNS = ["account", "security", "side", "quantity", "lot_id", "method", "reason"]
_BLOCK_INPUT = ["account_id", "household_id", "trade_date", "symbol", "side", "realized_gain"]
TRADE_LOG_COLUMNS = [
    "account_id",
    "trade_date",
    "symbol",
    "side",
    "quantity",
    "price",
    "reason",
    "realized_gain",
]


def orders_frame(
    account, security, side, quantity, reason, lot_id=None, method=ReliefMethod.SPECIFIC
) -> pd.DataFrame:
    n = np.size(account)
    return pd.DataFrame(
        {
            "account": np.asarray(account, np.int64),
            "security": np.asarray(security, np.int64),
            "side": np.broadcast_to(np.asarray(side, object), n),
            "quantity": np.asarray(quantity, float),
            "lot_id": np.broadcast_to(np.asarray("" if lot_id is None else lot_id, object), n),
            "method": np.broadcast_to(np.asarray(str(method), object), n),
            "reason": np.broadcast_to(np.asarray(reason, object), n),
        },
        columns=ORDER_COLUMNS,
    )


class SimBook:
    """Lots (in a ``Ledger``), shares (m, n), cash (m,) and the log of trades of one strategy.

    Parameters
    ----------
    acc : AccountArrays
    lots : DataFrame -- opening lots, the inbox ``lots`` columns (cost_basis in USD)
    cash : ndarray of shape (m,), USD
    recent : DataFrame -- the inbox ``transactions`` before the first day (wash-sale blocks)
    fill_cost : float -- fraction of the close lost per side
    first_day : datetime64[D] -- the first simulated day: opening lots acquired in the 30 days
        before it are the household's purchases too (``sma.ledger.recent_lot_purchases``), as a
        night counts them, whether or not ``recent`` lists them
    """

    def __init__(
        self,
        acc: AccountArrays,
        lots: pd.DataFrame,
        cash: np.ndarray,
        recent: pd.DataFrame,
        fill_cost: float,
        first_day: np.datetime64,
    ):
        self.acc = acc
        self.symbols = acc.universe.symbols
        groups = dict(zip(self.symbols.tolist(), acc.universe.identical_group.tolist()))
        self.group_of = groups
        self.ledger = Ledger(acc.frame[["account_id", "household_id", "account_type"]], groups)
        if len(lots):
            cents = [usd_to_cents(v) for v in lots["cost_basis"].to_numpy(float)]
            self.ledger.add_lots(lots.assign(cost_basis_cents=np.asarray(cents, np.int64)))
        self.shares = np.zeros((acc.m, self.symbols.size))
        j = acc.universe.index_of(lots["symbol"].astype(str))
        a = pd.Index(acc.ids).get_indexer(lots["account_id"].astype(str))
        np.add.at(self.shares, (a, j), lots["quantity"].to_numpy(float))
        self.cash = np.asarray(cash, float).copy()
        self.fill_cost = fill_cost
        self.realized_ytd = np.zeros(acc.m)
        self._year = None
        self._log: list[pd.DataFrame] = []
        house = dict(zip(acc.ids, acc.frame["household_id"].astype(str)))
        self._house = house
        self._recent: list[pd.DataFrame] = []
        if len(recent):
            self._remember(
                recent.assign(
                    household_id=recent["account_id"].map(house),
                    trade_date=pd.to_datetime(recent["trade_date"])
                    .to_numpy()
                    .astype("datetime64[D]"),
                    realized_gain=pd.to_numeric(recent["realized_gain"], errors="coerce"),
                )
            )
        if len(lots):
            bought = recent_lot_purchases(lots, pd.Series(house), first_day)
            self._remember(
                bought.assign(trade_date=bought["trade_date"].to_numpy().astype("datetime64[D]"))
            )
        # Lot ids are the trade date and a per-account count of the day's buys: they never depend on
        # who else runs, and a history simulated in legs (disjoint days) never opens an id twice.
        self._next_lot = np.zeros(acc.m, np.int64)
        self._lot_day = ""
        # Positions in the ledger's realized rows that corporate actions booked (no choice of the
        # strategy's: a cash merger's loss is not a harvest).
        self._action_rows: list[np.ndarray] = []
        # The tickers changed so far (SYMBOL_CHANGE): the blocks follow a security to its new name.
        self._symbol_changes = pd.DataFrame(columns=SYMBOL_CHANGE_COLUMNS)

    # -- state ---------------------------------------------------------------------------------
    def start_day(self, day: np.datetime64) -> None:
        """A new day numbers its lots afresh; a new calendar year starts the gain budget afresh."""
        year = int(day.astype("datetime64[Y]").astype(int))
        if year != self._year:
            self._year = year
            self.realized_ytd[:] = 0.0
        self._lot_day = str(day.astype("datetime64[D]")).replace("-", "")
        self._next_lot[:] = 0

    def lots(self) -> LotArrays:
        return LotArrays.from_open_lots(self.ledger.open_lots(), self.acc.ids, self.acc.universe)

    def blocks(self, day: np.datetime64) -> pd.DataFrame:
        """``wash_sale_blocks`` from the household trades in the wash-sale window of ``day``,
        today's included.

        ``wash_sale_blocks`` keeps the latest trade of each household and group, whatever the
        order the trades are listed in (accounts of a household trade in account order).
        """
        since = wash_sale_window_start(day)
        self._recent = [r for r in self._recent if len(r) and r["trade_date"].max() >= since]
        # a change on or before the window's first day renames no trade inside it
        changed = pd.to_datetime(self._symbol_changes["ex_date"]).to_numpy().astype("datetime64[D]")
        self._symbol_changes = self._symbol_changes[changed > since]
        if not self._recent:
            return wash_sale_blocks(pd.DataFrame(columns=_BLOCK_INPUT), self.group_of, day)
        recent = pd.concat(self._recent, ignore_index=True)
        recent = under_current_symbols(
            recent[recent["trade_date"] >= since], self._symbol_changes, day
        )
        return wash_sale_blocks(recent, self.group_of, day)

    def value(self, prices: np.ndarray) -> np.ndarray:
        """Holdings at ``prices`` plus cash, USD, shape (m,)."""
        return self.shares @ prices + self.cash

    def trade_log(self) -> pd.DataFrame:
        return (
            pd.concat(self._log, ignore_index=True)
            if self._log
            else pd.DataFrame(columns=TRADE_LOG_COLUMNS)
        )

    def realized_by_actions(self) -> np.ndarray:
        """Bool of shape (n_realized,), aligned with ``ledger.realized()``: True for the rows
        corporate actions booked (cash in lieu, mergers, returns of capital, worthless stock),
        False for the strategy's own sales."""
        listed = np.flatnonzero(~self.ledger.realized_rows.view("prior"))
        return np.isin(listed, np.concatenate([np.zeros(0, np.int64), *self._action_rows]))

    # -- corporate actions ---------------------------------------------------------------------
    def corporate_actions(self, actions: pd.DataFrame, day: np.datetime64) -> None:
        """Apply the actions going ex ``day`` to the lots, through the ledger, before the day's
        decision: shares follow the lots, the cash they pay (``sma.book.action_cash``) lands in
        cash and the gains they realize count against this year's gain budget."""
        before = self.ledger.open_lots()
        paid = action_cash(before, actions)
        renamed = actions[actions["kind"].astype(str) == "SYMBOL_CHANGE"]
        if len(renamed):
            renamed = renamed.reindex(columns=SYMBOL_CHANGE_COLUMNS).assign(ex_date=day)
            self._symbol_changes = pd.concat(
                [frame for frame in (self._symbol_changes, renamed) if len(frame)],
                ignore_index=True,
            )
        booked = [
            self.ledger.corporate_action(
                CorporateAction.from_row(str(a["kind"]), str(a["symbol"]), day, a, "price")
            )
            for a in actions.to_dict("records")
        ]
        positions = np.concatenate([np.zeros(0, np.int64), *booked])
        self._action_rows.append(positions)
        rows = self.ledger.realized_at(positions)
        a = pd.Index(self.acc.ids).get_indexer(rows["account_id"].astype(str))
        np.add.at(self.realized_ytd, a, rows["gain_cents"].to_numpy(float) / 100.0)
        self.cash += paid.reindex(self.acc.ids).fillna(0.0).to_numpy()
        after = self.ledger.open_lots()
        self.shares[:] = 0.0
        j = self.acc.universe.index_of(after["symbol"].astype(str))
        np.add.at(
            self.shares,
            (pd.Index(self.acc.ids).get_indexer(after["account_id"].astype(str)), j),
            after["quantity"].to_numpy(float),
        )

    # -- fills ---------------------------------------------------------------------------------
    def fill(self, orders: pd.DataFrame, day: np.datetime64, closes: np.ndarray) -> None:
        """Book ``orders`` (``ORDER_COLUMNS``) at today's closes: sales first, then buys."""
        if not len(orders):
            return
        orders = orders[orders["quantity"].to_numpy(float) > 0]
        side = orders["side"].to_numpy(object)
        account = orders["account"].to_numpy(np.int64)
        security = orders["security"].to_numpy(np.int64)
        quantity = orders["quantity"].to_numpy(float)
        reason = orders["reason"].to_numpy(object)
        sell, buy = side == "SELL", side == "BUY"
        a_s, j_s, q_s, a_b, j_b, q_b = (
            account[sell],
            security[sell],
            quantity[sell],
            account[buy],
            security[buy],
            quantity[buy],
        )
        p_s, p_b = closes[j_s], closes[j_b]
        gain, block_gain = self._book_sales(
            a_s,
            j_s,
            q_s,
            p_s,
            orders["lot_id"].to_numpy(object)[sell],
            orders["method"].to_numpy(object)[sell],
            day,
        )
        self._book_buys(a_b, j_b, q_b, p_b, day)
        # Money in the order the orders came, as one sale or buy at a time would add it up.
        np.subtract.at(self.shares, (a_s, j_s), q_s)
        np.add.at(self.cash, a_s, self._cash_usd(q_s, p_s, -1))
        np.add.at(self.realized_ytd, a_s, gain)
        np.add.at(self.shares, (a_b, j_b), q_b)
        np.subtract.at(self.cash, a_b, self._cash_usd(q_b, p_b, +1))
        self.shares[np.abs(self.shares) < 1e-9] = 0.0
        ids = self.acc.ids
        log = pd.DataFrame(
            {
                "account_id": np.concatenate([ids[a_s], ids[a_b]]).astype(object),
                "trade_date": np.full(a_s.size + a_b.size, day),
                "symbol": np.concatenate([self.symbols[j_s], self.symbols[j_b]]).astype(object),
                "side": np.array(["SELL"] * a_s.size + ["BUY"] * a_b.size, dtype=object),
                "quantity": np.concatenate([q_s, q_b]),
                "price": np.concatenate([p_s, p_b]),
                "reason": np.concatenate([reason[sell], reason[buy]]),
                "realized_gain": np.concatenate([gain, np.full(a_b.size, np.nan)]),
            },
            columns=TRADE_LOG_COLUMNS,
        )
        self._log.append(log)
        self._remember(
            log.assign(
                household_id=log["account_id"].map(self._house),
                realized_gain=np.concatenate([block_gain, np.full(a_b.size, np.nan)]),
            )
        )

    def _cash_usd(self, q: np.ndarray, price: np.ndarray, cost_sign: int) -> np.ndarray:
        """The cash each trade moves (USD, positive): its value and, with ``cost_sign``, the fill
        cost on it, each rounded to the cent by the ledger's rule (``sma.ledger.usd_to_cents``)."""
        value = notional_cents(q, price)
        cost = usd_array_to_cents(q * price * self.fill_cost)
        return value / 100.0 + cost_sign * (cost / 100.0)

    def _book_sales(self, a, j, q, price, lot_id, method, day) -> tuple[np.ndarray, np.ndarray]:
        """Relieve each sale's lots in the ledger; returns each sale's realized gain (USD) and the
        gain that decides whether it blocks buys: a sale with any lot piece at a loss blocks for 30
        days, even if it nets to a gain."""
        ids, symbols, rows = self.acc.ids, self.symbols, self.ledger.realized_rows
        proceeds = notional_cents(q, price)
        gain, block_gain = np.empty(a.size), np.empty(a.size)
        for i in range(a.size):
            lot = lot_id[i]
            booked = self.ledger.sell(
                cast(str, ids[a[i]]),
                cast(str, symbols[j[i]]),
                float(q[i]),
                int(proceeds[i]),
                day,
                ReliefMethod(method[i]),
                (lot,) if lot else (),
            )
            pieces = (rows.proceeds[booked] - rows.basis[booked] + rows.disallowed[booked]) / 100.0
            gain[i] = float(pieces.sum())
            loss = pieces < 0
            block_gain[i] = float(pieces[loss].sum()) if loss.any() else gain[i]
        return gain, block_gain

    def _book_buys(self, a, j, q, price, day) -> None:
        """Open a lot per buy, numbered by the day's count of buys of its account."""
        ids, symbols = self.acc.ids, self.symbols
        cost = notional_cents(q, price)
        for i in range(a.size):
            self._next_lot[a[i]] += 1
            self.ledger.buy(
                cast(str, ids[a[i]]),
                cast(str, symbols[j[i]]),
                f"SIM{self._lot_day}-{self._next_lot[a[i]]:04d}",
                float(q[i]),
                int(cost[i]),
                day,
            )

    def _remember(self, trades: pd.DataFrame) -> None:
        """Keep what can block a trade in the next 30 days: buys, and sales with a loss piece."""
        keep = (trades["side"].astype(str) == "BUY") | (trades["realized_gain"].to_numpy(float) < 0)
        self._recent.append(trades.loc[keep, _BLOCK_INPUT].reset_index(drop=True))
