"""The last 31 days of trading, cash balances and pending cash flows, consistent with the lots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.book._accounts import AccountDraw
from sma.book._holdings import LotDraw
from sma.book._params import BookParams, Funding
from sma.inbox import Side
from sma.ledger import wash_sale_window_start


@dataclass(frozen=True)
class TradeDraw:
    """One row per transaction; ``realized_gain`` is NaN for buys.

    Attributes
    ----------
    account, symbol : ndarray of shape (n,), int
    trade_date : ndarray of shape (n,), datetime64[D]
    side : ndarray of shape (n,), str -- BUY or SELL
    quantity : ndarray of shape (n,), shares
    price : ndarray of shape (n,), USD per share
    realized_gain : ndarray of shape (n,), USD
    """

    account: np.ndarray
    symbol: np.ndarray
    trade_date: np.ndarray
    side: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    realized_gain: np.ndarray


def window_start(as_of: np.datetime64, p: BookParams) -> np.datetime64:
    """First day of the transactions file: ``transaction_days`` calendar days up to the as-of
    date."""
    return as_of - np.timedelta64(p.transaction_days - 1, "D")


def recent_trades(
    rng: np.random.Generator,
    lots: LotDraw,
    accounts: AccountDraw,
    dates: np.ndarray,
    closes: np.ndarray,
    identical: np.ndarray,
    p: BookParams,
) -> TradeDraw:
    """Buys: every lot acquired in the window, as bought. Sells: part of some older lots.

    A sold lot keeps its remaining shares, so the lots stay the custodian's truth. No sale is drawn
    where the household bought the same or a substantially identical security in the 30 days
    before the window or in it, so the generated history holds no wash sale it does not record
    (IRS Publication 550, "Wash Sales").

    Parameters
    ----------
    identical : ndarray of shape (n_securities,), int -- one code per substantially identical set
    """
    start = window_start(dates[-1], p)
    n_sec = closes.shape[1]
    bought = lots.acquired >= start

    first_of_position = np.ones(len(lots), dtype=bool)
    same = (lots.account[1:] == lots.account[:-1]) & (lots.symbol[1:] == lots.symbol[:-1])
    first_of_position[1:] = ~same
    household_symbol = accounts.household[lots.account] * n_sec + identical[lots.symbol]
    recently_bought = np.unique(household_symbol[lots.acquired >= wash_sale_window_start(start)])
    eligible = (
        first_of_position & (lots.acquired < start) & ~np.isin(household_symbol, recently_bought)
    )
    sold = np.flatnonzero(eligible & (rng.random(len(lots)) < p.recent_sell_share))

    in_window = np.flatnonzero(dates >= start)
    day = in_window[rng.integers(len(in_window), size=len(sold))]
    sell_price = np.maximum(
        np.round(closes[day, lots.symbol[sold]] * (1.0 + rng.normal(0.0, 0.002, len(sold))), 2),
        0.01,
    )
    sell_qty = np.maximum(1.0, np.round(lots.quantity[sold] * rng.uniform(0.1, 1.0, len(sold))))
    sold_basis = np.round(sell_qty * lots.cost_basis[sold] / lots.quantity[sold], 2)
    gain = np.round(sell_qty * sell_price - sold_basis, 2)

    buys = np.flatnonzero(bought)
    account = np.concatenate([lots.account[buys], lots.account[sold]])
    trade_date = np.concatenate([lots.acquired[buys], dates[day]]).astype("datetime64[D]")
    symbol = np.concatenate([lots.symbol[buys], lots.symbol[sold]])
    side = np.concatenate(
        [np.full(len(buys), Side.BUY, dtype=object), np.full(len(sold), Side.SELL, dtype=object)]
    )
    order = np.lexsort((side == Side.SELL, symbol, trade_date, account))
    return TradeDraw(
        account=account[order],
        symbol=symbol[order],
        trade_date=trade_date[order],
        side=side[order],
        quantity=np.concatenate([lots.quantity[buys], sell_qty])[order],
        price=np.concatenate([lots.price[buys], sell_price])[order],
        realized_gain=np.concatenate([np.full(len(buys), np.nan), gain])[order],
    )


def cash_balances(rng: np.random.Generator, accounts: AccountDraw) -> np.ndarray:
    """Cash per account, USD: about the cash target for invested accounts, everything for new
    ones."""
    invested = accounts.value * accounts.cash_target * rng.uniform(0.5, 2.5, len(accounts))
    return np.round(np.where(accounts.funding == Funding.CASH, accounts.value, invested), 2)


def cash_flows(
    rng: np.random.Generator, accounts: AccountDraw, dates: np.ndarray, p: BookParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pending contributions (+) and withdrawals (-) requested in the last week.

    Returns
    -------
    account : ndarray of shape (n,), int
    amount : ndarray of shape (n,), USD, whole hundreds, never 0
    requested : ndarray of shape (n,), datetime64[D]
    """
    account = np.flatnonzero(rng.random(len(accounts)) < p.cash_flow_share)
    value = accounts.value[account]
    contribution = rng.random(len(account)) < 0.6
    amount = np.where(
        contribution,
        value * rng.uniform(0.02, 0.2, len(account)),
        -value * rng.uniform(0.01, 0.1, len(account)),
    )
    amount = np.where(amount >= 0, 1.0, -1.0) * np.maximum(np.round(np.abs(amount), -2), 100.0)
    requested = dates[len(dates) - 1 - rng.integers(0, 5, len(account))]
    return account, amount, requested


#: Charities the generated book's clients give to (fictional names).
CHARITIES = ("Riverside Food Bank", "Northfield Children's Hospital", "Open Library Fund")


def gift_requests(
    rng: np.random.Generator, accounts: AccountDraw, as_of: np.datetime64, first_part: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A charitable gift of appreciated stock (issue 21) from the first two taxable accounts of
    the book, asked for tonight: 1-3% of the account's value in whole hundreds (at least $500).

    Returns
    -------
    account : ndarray of shape (k,), int -- k <= 2, none outside the book's first part
    amount : ndarray of shape (k,), USD
    date : ndarray of shape (k,), datetime64[D] -- ``as_of``
    charity : ndarray of shape (k,), str
    """
    account = np.flatnonzero(accounts.account_type == "TAXABLE")[: 2 if first_part else 0]
    amount = np.maximum(
        np.round(accounts.value[account] * rng.uniform(0.01, 0.03, account.size), -2), 500.0
    )
    charity = np.asarray(CHARITIES, dtype=object)[np.arange(account.size) % len(CHARITIES)]
    return account, amount, np.full(account.size, as_of, dtype="datetime64[D]"), charity
