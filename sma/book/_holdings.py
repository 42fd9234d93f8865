"""What each account holds: index names chosen by cap weight, split into tax lots bought over the
years.

Everything is drawn over all positions and lots at once (numpy), never one Python object per lot.
Lots come back sorted by account, symbol and acquisition date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.book._accounts import AccountDraw
from sma.book._params import BookParams, Funding

_MONTH = 21  # business days between monthly contributions


@dataclass(frozen=True)
class LotDraw:
    """One row per open lot, sorted by (account, symbol, acquired).

    Attributes
    ----------
    account, symbol : ndarray of shape (n_lots,), int -- account row, security index
    quantity : ndarray of shape (n_lots,), shares (whole)
    cost_basis : ndarray of shape (n_lots,), USD, rounded to cents, wash-sale adjustments included
    price : ndarray of shape (n_lots,), USD per share paid
    acquired : ndarray of shape (n_lots,), datetime64[D] -- trade date
    adjusted : ndarray of shape (n_lots,), datetime64[D] -- holding-period start, NaT = acquired
    """

    account: np.ndarray
    symbol: np.ndarray
    quantity: np.ndarray
    cost_basis: np.ndarray
    price: np.ndarray
    acquired: np.ndarray
    adjusted: np.ndarray

    def __len__(self) -> int:
        return len(self.account)

    def take(self, order: np.ndarray) -> LotDraw:
        return LotDraw(*(getattr(self, f)[order] for f in self.__dataclass_fields__))


def choose_names(
    rng: np.random.Generator,
    accounts: AccountDraw,
    bench_weights: np.ndarray,
    excluded: tuple[np.ndarray, np.ndarray],
    chunk: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The index names each invested account holds, sampled without replacement by cap weight.

    Gumbel top-k over ``log(weight) + Gumbel noise`` per account: big names are almost always held,
    small accounts hold fewer of the small names. Excluded (account, security) pairs are never
    chosen.

    Returns
    -------
    account, symbol : ndarrays of shape (n_positions,), int, sorted by (account, symbol)
    """
    n, n_sec = len(accounts), bench_weights.shape[1]
    excl_account, excl_symbol = excluded
    invested = accounts.funding != Funding.CASH
    parts_account, parts_symbol = [], []
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        with np.errstate(divide="ignore"):
            key = np.log(bench_weights[accounts.benchmark[lo:hi]]) + rng.gumbel(
                size=(hi - lo, n_sec)
            )
        mine = (excl_account >= lo) & (excl_account < hi)
        key[excl_account[mine] - lo, excl_symbol[mine]] = -np.inf
        n_take = np.where(
            invested[lo:hi], np.minimum(accounts.n_names[lo:hi], np.isfinite(key).sum(axis=1)), 0
        )
        order = np.argsort(-key, axis=1, kind="stable")
        parts_account.append(np.repeat(np.arange(lo, hi), n_take))
        parts_symbol.append(order[np.arange(n_sec)[None, :] < n_take[:, None]])
    account = np.concatenate(parts_account) if parts_account else np.zeros(0, np.int64)
    symbol = np.concatenate(parts_symbol) if parts_symbol else np.zeros(0, np.int64)
    order = np.argsort(account * n_sec + symbol, kind="stable")
    return account[order], symbol[order]


def split_into_lots(
    rng: np.random.Generator, shares: np.ndarray, n_lots: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split each position's whole shares into ``n_lots`` lots of at least one share each.

    Parameters
    ----------
    shares : ndarray of shape (n_positions,), whole shares, >= n_lots
    n_lots : ndarray of shape (n_positions,), int, >= 1

    Returns
    -------
    position : ndarray of shape (n_lots_total,), int -- the position each lot belongs to
    quantity : ndarray of shape (n_lots_total,), whole shares; per position they sum to ``shares``
    """
    n_pos = len(shares)
    position = np.repeat(np.arange(n_pos), n_lots)
    starts = np.cumsum(n_lots) - n_lots
    draw = rng.exponential(size=len(position))
    share = draw / np.bincount(position, draw, minlength=n_pos)[position]
    quantity = 1.0 + np.floor((shares - n_lots)[position] * share)
    quantity[starts] += shares - np.bincount(position, quantity, minlength=n_pos)
    return position, quantity


def _index_lots(rng, accounts, bench_weights, excluded, closes, invest, p: BookParams):
    """Lots of the index names: shares from the cap weight, dates from how the account was
    funded."""
    last = closes.shape[0] - 1
    account, symbol = choose_names(rng, accounts, bench_weights, excluded, p.accounts_per_part)
    weight = bench_weights[accounts.benchmark[account], symbol]
    weight = weight / np.bincount(account, weight, minlength=len(accounts))[account]
    value = invest[account] * weight * np.exp(rng.normal(0.0, 0.2, len(account)))
    shares = np.maximum(1.0, np.round(value / closes[last, symbol]))

    inception = accounts.inception[account]
    months = (last - inception) // _MONTH
    funding = accounts.funding[account]
    monthly = funding == Funding.MONTHLY
    mean_extra = np.where(
        monthly, np.clip(months / 6.0, p.lots_monthly_min, p.lots_monthly_max), p.lots_lump_sum
    )
    mean_extra = np.where(accounts.heavy[account], p.heavy_lots, mean_extra)
    n_lots = np.minimum(1 + rng.poisson(mean_extra), shares).astype(np.int64)
    position, quantity = split_into_lots(rng, shares, n_lots)

    first = np.zeros(len(position), dtype=bool)
    first[np.cumsum(n_lots) - n_lots] = True
    inc = inception[position]
    any_day = inc + np.floor(rng.random(len(position)) * (last - inc + 1)).astype(np.int64)
    month_day = inc + _MONTH * np.floor(rng.random(len(position)) * (months[position] + 1)).astype(
        np.int64
    )
    day = np.where(monthly[position], month_day, np.where(first, inc, any_day))
    price = np.maximum(
        np.round(closes[day, symbol[position]] * (1.0 + rng.normal(0.0, 0.002, len(day))), 2), 0.01
    )
    return account[position], symbol[position], quantity, price, day


def _legacy_lots(rng, accounts, closes, as_of: np.datetime64):
    """One to three old lots of each legacy account's concentrated stock, at a low basis."""
    holders = np.flatnonzero(accounts.legacy_symbol >= 0)
    symbol = accounts.legacy_symbol[holders]
    value = accounts.value[holders] * rng.uniform(0.2, 0.6, len(holders))
    shares = np.maximum(1.0, np.round(value / closes[-1, symbol]))
    n_lots = np.minimum(rng.integers(1, 4, len(holders)), shares).astype(np.int64)
    position, quantity = split_into_lots(rng, shares, n_lots)
    acquired = np.busday_offset(as_of - rng.integers(3000, 9000, len(position)), 0, roll="backward")
    price = np.round(closes[-1, symbol[position]] * rng.uniform(0.03, 0.25, len(position)), 2)
    return holders[position], symbol[position], quantity, np.maximum(price, 0.01), acquired, value


def draw_lots(
    rng: np.random.Generator,
    accounts: AccountDraw,
    bench_weights: np.ndarray,
    excluded: tuple[np.ndarray, np.ndarray],
    dates: np.ndarray,
    closes: np.ndarray,
    p: BookParams,
) -> LotDraw:
    """Every open lot of the book, as of ``dates[-1]``.

    Parameters
    ----------
    bench_weights : ndarray of shape (n_benchmarks, n_securities)
    excluded : (account, security) pairs held none of
    dates : ndarray of shape (n_days,), datetime64[D] -- the simulated history, ending on the as-of
    date
    closes : ndarray of shape (n_days, n_securities), USD
    """
    as_of = dates[-1]
    l_account, l_symbol, l_qty, l_price, l_acquired, legacy_value = _legacy_lots(
        rng, accounts, closes, as_of
    )
    invest = accounts.value * (1.0 - accounts.cash_target * rng.uniform(0.5, 2.5, len(accounts)))
    invest[accounts.legacy_symbol >= 0] -= legacy_value
    i_account, i_symbol, i_qty, i_price, i_day = _index_lots(
        rng, accounts, bench_weights, excluded, closes, np.maximum(invest, 0.0), p
    )
    account = np.concatenate([i_account, l_account])
    symbol = np.concatenate([i_symbol, l_symbol])
    quantity = np.concatenate([i_qty, l_qty])
    price = np.concatenate([i_price, l_price])
    acquired = np.concatenate([dates[i_day], l_acquired]).astype("datetime64[D]")
    basis = np.round(quantity * price, 2)

    days = acquired.astype(np.int64)
    key = ((account * closes.shape[1] + symbol) << 22) | (days - days.min(initial=0))
    order = np.argsort(key, kind="stable")
    lots = LotDraw(
        account,
        symbol,
        quantity,
        basis,
        price,
        acquired,
        np.full(len(account), np.datetime64("NaT"), "datetime64[D]"),
    )
    return _carry_wash_sales(rng, lots.take(order), accounts, dates, p)


def _carry_wash_sales(
    rng, lots: LotDraw, accounts: AccountDraw, dates: np.ndarray, p: BookParams
) -> LotDraw:
    """A few older taxable lots replaced shares sold at a loss: basis raised, holding period carried
    over.

    The disallowed loss is added to the replacement lot's basis and its holding period starts
    earlier by the days the sold shares were held (IRS Publication 550, "Wash Sales").
    """
    window_start = dates[-1] - np.timedelta64(p.transaction_days - 1, "D")
    eligible = (
        accounts.taxable[lots.account] & (lots.acquired < window_start) & (lots.acquired > dates[0])
    )
    chosen = np.flatnonzero(eligible & (rng.random(len(lots)) < p.wash_adjusted_share))
    adjusted, basis = lots.adjusted.copy(), lots.cost_basis.copy()
    adjusted[chosen] = lots.acquired[chosen] - rng.integers(5, 300, len(chosen)).astype(
        "timedelta64[D]"
    )
    loss = lots.quantity[chosen] * lots.price[chosen] * rng.uniform(0.01, 0.08, len(chosen))
    basis[chosen] = np.round(basis[chosen] + loss, 2)
    return LotDraw(
        lots.account, lots.symbol, lots.quantity, basis, lots.price, lots.acquired, adjusted
    )
