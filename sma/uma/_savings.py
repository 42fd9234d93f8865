"""What the overlay saved: tonight's decision against each sleeve traded on its own.

Issue 19, "What the overlay saved": "For each UMA account the night also computes (without trading
it) what implementing each sleeve on its own would have traded, and reports the difference: trades
netted away, gains not realized, wash sales avoided."

The counterfactual (never traded) is a simple, documented rule, applied on the nights the overlay
trades the account or moves its lots between sleeves (the same trigger, so the two compare like for
like):

1. **Each sleeve alone to its own model.** A sleeve's goal in a symbol is its target weight x its
   model's weight x the account's value (:func:`sma.uma.sleeve_targets`); it holds its own lots
   (:func:`sma.uma.attribute_lots`). Where it holds more than its goal by at least the account's
   ``min_trade_value`` it sells the excess shares from its own lots, oldest first (FIFO, by the
   holding-period date); where it holds less by that much it buys the shortfall. The cash sleeve
   does not trade; buys are not limited by cash (the sleeves' sells and the cash sleeve fund them).
2. **No cross-sleeve netting**: a sleeve selling X and another buying X both trade.
3. **No household wash coordination.** A wash sale is counted (PRODUCT.md, "Tax rules": a loss
   sale and a purchase of a substantially identical security within 30 days) for each sleeve's
   sale of a group at a loss that a sibling sleeve's buy of the group tonight, or the household's
   purchase in the window (the night's ``loss_sale_blocked``), would wash; and for each buy of a
   group the household sold at a loss in the window (``buy_blocked``). The overlay's own trades are
   counted by the same rule.

Gains are realized at tonight's close against each lot's basis; a lot held more than a year is
long term. Tax is the gain at the account's short- or long-term rate (a loss is a negative tax;
nothing in an IRA or Roth).

The shard's accounts are worked at once, on integer codes (:mod:`sma.uma._codes`); only the
per-account totals are summed account by account, with numpy's summation over each account's rows
in their order, so every figure is the one the per-account frames gave, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID, AccountType
from sma.uma._attribution import sleeve_targets
from sma.uma._codes import (
    MISSING,
    combined,
    last_if_missing,
    outer,
    positions,
    same_rows,
    sorted_codes,
    split,
    starts,
    sum_by,
)

OVERLAY_SAVINGS_COLUMNS = [
    "account_id",
    "trades_independent",
    "trades_overlay",
    "traded_independent",
    "traded_overlay",
    "netted_away",
    "gain_st_independent",
    "gain_lt_independent",
    "gain_st_overlay",
    "gain_lt_overlay",
    "tax_independent",
    "tax_overlay",
    "tax_saved",
    "wash_sales_independent",
    "wash_sales_overlay",
]

_LONG_TERM_DAYS = 365
_LOT = ["account_id", "lot_id", "symbol"]
_DATES = ["acquired_date", "adjusted_acquired_date"]
_SOLD, _BOUGHT = 0, 1  # the overlay's own "sleeves": its sells and its buys


@dataclass(frozen=True)
class _Orders:
    """One kind of order of the trading accounts (sleeve buys or lot sells, the engine's trades
    or lot sells), rows grouped by account, each account's rows in their order in its own frame.

    Attributes
    ----------
    account : ndarray of shape (n_rows,), int64: position in the trading accounts, sorted.
    sleeve : ndarray of shape (n_rows,), int64: code of the sleeve (wash sales compare them).
    symbol : ndarray of shape (n_rows,), int64: code in the shard's sorted symbols.
    usd : ndarray of shape (n_rows,): notional of a buy or trade, proceeds of a sell, USD.
    gain : ndarray of shape (n_rows,): realized gain of a sell, USD.
    long : ndarray of shape (n_rows,), bool: a sell of a lot held more than a year.
    """

    account: np.ndarray
    sleeve: np.ndarray
    symbol: np.ndarray
    usd: np.ndarray
    gain: np.ndarray
    long: np.ndarray

    def take(self, rows: np.ndarray) -> _Orders:
        """The orders at ``rows`` (an index or a mask), in that order."""
        return _Orders(
            self.account[rows],
            self.sleeve[rows],
            self.symbol[rows],
            self.usd[rows],
            self.gain[rows],
            self.long[rows],
        )


def overlay_savings(
    attribution: pd.DataFrame,
    lots: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    accounts: pd.DataFrame,
    trades: pd.DataFrame,
    lot_sells: pd.DataFrame,
    transfers: pd.DataFrame,
    wash_blocks: pd.DataFrame,
    as_of: date,
    group_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Tonight's overlay trades against the sleeves traded independently (the module's rule).

    Parameters
    ----------
    attribution : tonight's lots with their sleeves (:func:`sma.uma.attribute_lots`).
    lots : the same lots with ``acquired_date`` and ``adjusted_acquired_date`` (holding period),
        one row per (account_id, lot_id, symbol) (the lots contract).
    sleeves : account_id, sleeve_id, model_id, target_weight; one row per (account_id,
        sleeve_id) (the sleeves contract).
    models : the versions in force: model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    accounts : indexed by account_id: household_id, account_type, st_tax_rate, lt_tax_rate,
        min_trade_value (USD) and value (before tonight's trades, USD).
    trades : the engine's trades (``sma.rebalance.TRADE_COLUMNS``).
    lot_sells : the engine's lot sells (``sma.rebalance.LOT_SELL_COLUMNS``).
    transfers : the lots moved between sleeves tonight (``sma.uma.TRANSFER_COLUMNS``).
    wash_blocks : household_id, identical_group, buy_blocked, loss_sale_blocked (the night's).
    as_of : tonight's date.
    group_of : symbol -> identical group; None or a missing symbol: the symbol itself.

    Returns
    -------
    Frame with :data:`OVERLAY_SAVINGS_COLUMNS`, one row per UMA account the overlay trades
    or moves lots of tonight, sorted by account_id. Money in USD; ``netted_away`` and
    ``tax_saved`` are independent minus overlay.
    """
    acted = set(trades["account_id"].unique()) | set(transfers["account_id"].unique())
    trading = sorted(set(sleeves["account_id"].unique()) & acted)
    if not trading:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OVERLAY_SAVINGS_COLUMNS})
    info = accounts.loc[trading]
    _, symbols = sorted_codes(
        attribution["symbol"], models["symbol"], trades["symbol"], lot_sells["symbol"]
    )
    shard = _Shard(pd.Index(trading), symbols, closes.astype(float).reindex(symbols))
    buys, sells = _independent(attribution, lots, sleeves, models, info, shard, as_of)
    done, done_sells = _overlay_trades(trades, shard), _overlay_lot_sells(lot_sells, shard)
    n = len(trading)
    edges = [starts(orders.account, n) for orders in (buys, sells, done, done_sells)]
    traded_ind = _traded(buys, edges[0]) + _traded(sells, edges[1])
    traded_ovl = _traded(done, edges[2])
    taxable = np.array([str(kind).upper() == AccountType.TAXABLE for kind in info["account_type"]])
    rates = info["st_tax_rate"].to_numpy(float), info["lt_tax_rate"].to_numpy(float)
    ind = _gains(sells, edges[1], taxable, *rates)
    ovl = _gains(done_sells, edges[3], taxable, *rates)
    blocks = _WashBlocks(wash_blocks, info["household_id"], symbols, group_of)
    # the account is one "sleeve" for its overlay trades: any buy of a group washes its loss sale
    bought = done.take(done.sleeve == _BOUGHT)
    return pd.DataFrame(
        {
            "account_id": trading,
            "trades_independent": np.diff(edges[0]) + _sleeve_symbols(sells, shard),
            "trades_overlay": np.diff(edges[2]),
            "traded_independent": traded_ind,
            "traded_overlay": traded_ovl,
            "netted_away": traded_ind - traded_ovl,
            "gain_st_independent": ind[0],
            "gain_lt_independent": ind[1],
            "gain_st_overlay": ovl[0],
            "gain_lt_overlay": ovl[1],
            "tax_independent": ind[2],
            "tax_overlay": ovl[2],
            "tax_saved": ind[2] - ovl[2],
            "wash_sales_independent": blocks.wash_sales(sells, buys, n),
            "wash_sales_overlay": blocks.wash_sales(done_sells, bought, n),
        },
        columns=OVERLAY_SAVINGS_COLUMNS,
    )


@dataclass(frozen=True)
class _Shard:
    """The accounts the overlay trades tonight and the symbols they touch, both sorted (their
    positions are the codes), with the symbols' closes (USD per share, NaN for none)."""

    accounts: pd.Index
    symbols: pd.Index
    close: pd.Series


# pandas' arithmetic let an infinite or missing close pass without a warning: so does this
@np.errstate(divide="ignore", invalid="ignore")
def _independent(
    attribution: pd.DataFrame,
    lots: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    info: pd.DataFrame,
    shard: _Shard,
    as_of: date,
) -> tuple[_Orders, _Orders]:
    """The sleeves' own trades (rule 1): buys in (account, sleeve, symbol) order, and lot sells
    in (account, sleeve, symbol, holding-period date, lot_id) order."""
    mine = sleeves[
        sleeves["account_id"].isin(shard.accounts) & (sleeves["model_id"] != CASH_MODEL_ID)
    ]
    want = sleeve_targets(mine, models)
    held = _held_lots(attribution, lots, shard.accounts)
    (held_sleeve, want_sleeve, mine_sleeve), sleeve_ids = sorted_codes(
        held["sleeve_id"], want["sleeve_id"], mine["sleeve_id"]
    )
    sizes = [len(shard.accounts), len(sleeve_ids), len(shard.symbols)]
    held_symbol = positions(held["symbol"], shard.symbols)
    held_key = combined(
        [positions(held["account_id"], shard.accounts), held_sleeve, held_symbol], sizes
    )
    close = shard.close.to_numpy(float)
    held_close = close[held_symbol]
    held_close = np.where((held_symbol == MISSING) | np.isnan(held_close), 0.0, held_close)
    want_account = positions(want["account_id"], shard.accounts)
    goal = sum_by(
        combined([want_account, want_sleeve, positions(want["symbol"], shard.symbols)], sizes),
        want["weight"].to_numpy() * info["value"].astype(float).to_numpy(float)[want_account],
    )
    key, want_usd, held_usd = outer(
        goal, sum_by(held_key, held["quantity"].to_numpy(float) * held_close)
    )
    # only the invested sleeves trade
    invested = combined([positions(mine["account_id"], shard.accounts), mine_sleeve], sizes[:2])
    trades = np.isin(key // sizes[2], invested)
    key, gap = key[trades], (want_usd - held_usd)[trades]
    account, sleeve, symbol = split(key, sizes)
    floor = np.maximum(info["min_trade_value"].astype(float).to_numpy(float)[account], 1e-9)
    buy = (gap >= floor) & (close[symbol] > 0)
    over = gap <= -floor
    no = np.zeros(int(buy.sum()))
    buys = _Orders(account[buy], sleeve[buy], symbol[buy], gap[buy], no, no.astype(bool))
    held_lots = _HeldLots(held, held_key, held_close)
    shares = -gap[over] / close[symbol[over]]
    return buys, _fifo_sells(held_lots, key[over], shares, as_of, sizes)


@dataclass(frozen=True)
class _HeldLots:
    """The trading accounts' lots (:func:`_held_lots`), each with its (account, sleeve, symbol)
    key, shape (n_lots,), and its symbol's close (0 for none), USD per share."""

    lots: pd.DataFrame
    key: np.ndarray
    close: np.ndarray


def _held_lots(attribution: pd.DataFrame, lots: pd.DataFrame, accounts: pd.Index) -> pd.DataFrame:
    """The accounts' lots: their sleeve and the date their holding period runs from (``since``:
    the adjusted acquisition date where there is one)."""
    own = ["account_id", "lot_id", "symbol", "quantity", "cost_basis", "sleeve_id"]
    held = attribution.loc[attribution["account_id"].isin(accounts), own]
    dated = lots[_LOT + _DATES]
    dated = dated[dated["account_id"].isin(accounts)]
    if same_rows(held, dated, _LOT):
        # the attribution lists the lots in their order: nothing to join
        held = held.assign(**{c: dated[c].array for c in _DATES})
    else:
        held = held.merge(dated, on=_LOT, how="left")
    adjusted = held["adjusted_acquired_date"]
    since = pd.to_datetime(adjusted.where(adjusted.notna(), held["acquired_date"]))
    return held.assign(since=since)


def _fifo_sells(
    held: _HeldLots, over: np.ndarray, shares: np.ndarray, as_of: date, sizes: list[int]
) -> _Orders:
    """Each over-held (account, sleeve, symbol) key of ``over`` sells ``shares`` from its own
    lots, oldest first (by holding-period date, then lot_id), in that order."""
    rows = np.flatnonzero(np.isin(held.key, over))
    since = held.lots["since"].to_numpy()[rows]
    lot_rank = held.lots["lot_id"].iloc[rows].rank(method="dense").to_numpy(float)
    order = np.lexsort((last_if_missing(lot_rank), last_if_missing(since), held.key[rows]))
    rows, key, since = rows[order], held.key[rows][order], since[order]
    quantity = held.lots["quantity"].to_numpy(float)[rows]
    # pandas' group cumsum, so the shares before each lot are the ones grouping by the ids gave
    before = pd.Series(quantity).groupby(key, sort=False).cumsum().to_numpy(float) - quantity
    sold = np.clip(shares[np.searchsorted(over, key)] - before, 0.0, quantity)
    per_share = held.lots["cost_basis"].to_numpy(float)[rows] / quantity
    close = held.close[rows]
    days = (pd.Timestamp(as_of) - pd.Series(since)).dt.days.to_numpy()
    kept = sold > 1e-12
    account, sleeve, symbol = split(key[kept], sizes)
    return _Orders(
        account,
        sleeve,
        symbol,
        (sold * close)[kept],
        (sold * (close - per_share))[kept],
        (days > _LONG_TERM_DAYS)[kept],
    )


def _overlay_trades(trades: pd.DataFrame, shard: _Shard) -> _Orders:
    """The engine's trades of the trading accounts; a buy in the sleeve _BOUGHT."""
    account = positions(trades["account_id"], shard.accounts)
    rows = _by_account(account)
    n = len(rows)
    buy = (trades["side"] == "BUY").to_numpy(bool)[rows]
    return _Orders(
        account[rows],
        np.where(buy, _BOUGHT, _SOLD),
        positions(trades["symbol"], shard.symbols)[rows],
        trades["notional"].astype(float).to_numpy(float)[rows],
        np.zeros(n),
        np.zeros(n, dtype=bool),
    )


def _overlay_lot_sells(lot_sells: pd.DataFrame, shard: _Shard) -> _Orders:
    """The engine's lot sells of the trading accounts, all in the sleeve _SOLD."""
    account = positions(lot_sells["account_id"], shard.accounts)
    rows = _by_account(account)
    n = len(rows)
    return _Orders(
        account[rows],
        np.full(n, _SOLD),
        positions(lot_sells["symbol"], shard.symbols)[rows],
        np.zeros(n),
        lot_sells["realized_gain"].astype(float).to_numpy(float)[rows],
        (lot_sells["term"].astype(str) == "LONG").to_numpy(bool)[rows],
    )


def _by_account(account: np.ndarray) -> np.ndarray:
    """The rows of the trading accounts (``account`` not missing), grouped by account, each
    account's rows in their order."""
    rows = np.flatnonzero(account != MISSING)
    return rows[np.argsort(account[rows], kind="stable")]


def _traded(orders: _Orders, edges: np.ndarray) -> np.ndarray:
    """USD traded per account, shape (n_accounts,): ``Series.sum`` of each account's rows (NaN
    skipped), summed by numpy over the rows in their order as before."""
    usd = np.where(np.isnan(orders.usd), 0.0, orders.usd)
    return np.array([usd[lo:hi].sum() for lo, hi in zip(edges[:-1], edges[1:], strict=True)])


def _gains(
    sells: _Orders,
    edges: np.ndarray,
    taxable: np.ndarray,
    st_rate: np.ndarray,
    lt_rate: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(short-term gain, long-term gain, tax on them) per account, USD, each of shape
    (n_accounts,); a loss is a negative tax, nothing outside a taxable account."""
    st = np.empty(len(edges) - 1)
    lt = np.empty(len(edges) - 1)
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        gain, long = sells.gain[lo:hi], sells.long[lo:hi]
        st[i], lt[i] = gain[~long].sum(), gain[long].sum()
    return st, lt, np.where(taxable, st * st_rate + lt * lt_rate, 0.0)


def _sleeve_symbols(sells: _Orders, shard: _Shard) -> np.ndarray:
    """How many (sleeve, symbol) each account's sleeves sell, shape (n_accounts,): one order
    each, however many lots it relieves."""
    n = len(shard.accounts)
    sizes = [n, int(sells.sleeve.max(initial=0)) + 1, len(shard.symbols)]
    key = np.unique(combined([sells.account, sells.sleeve, sells.symbol], sizes))
    return np.bincount(key // (sizes[1] * sizes[2]), minlength=n)


class _WashBlocks:
    """The night's wash-sale blocks of the trading accounts' households and each symbol's
    identical group (rule 3), as integer codes."""

    def __init__(
        self,
        wash_blocks: pd.DataFrame,
        household: pd.Series,
        symbols: pd.Index,
        group_of: pd.Series | None,
    ):
        names = _grouper(group_of)(pd.Series(symbols, dtype=object)).to_numpy(object)
        (block_group, symbol_group), groups = sorted_codes(
            wash_blocks["identical_group"], pd.Series(names, dtype=object), sort=False
        )
        self._group_of_symbol = symbol_group
        self._n_groups = len(groups)
        (self._household, block_household), _ = sorted_codes(
            household, wash_blocks["household_id"], sort=False
        )
        key = _household_group(block_household, block_group)
        known = (block_household != MISSING) & (block_group != MISSING)
        # a purchase in the window washes a loss sale tonight; a loss sale in it, a buy tonight
        self._purchased = np.unique(key[known & wash_blocks["loss_sale_blocked"].astype(bool)])
        self._lost = np.unique(key[known & wash_blocks["buy_blocked"].astype(bool)])

    def wash_sales(self, sells: _Orders, buys: _Orders, n_accounts: int) -> np.ndarray:
        """Per account, shape (n_accounts,): loss sales (per sleeve and group) a sibling
        sleeve's buy tonight or the household's purchase in the window washes, plus buys (per
        sleeve and group) of a group the household sold at a loss in the window."""
        losses = sells.take(sells.gain < 0)
        n_sleeves = 1 + max(losses.sleeve.max(initial=0), buys.sleeve.max(initial=0))
        sizes = [n_accounts, int(n_sleeves), self._n_groups]
        sold = _distinct(losses, self._group(losses), sizes)
        bought = _distinct(buys, self._group(buys), sizes)
        # how many sleeves buy each (account, group) tonight: one besides the seller washes it
        pairs, n_buying = np.unique(bought.account * sizes[2] + bought.group, return_counts=True)
        buying = _count_of(pairs, n_buying, sold.account * sizes[2] + sold.group)
        by_sibling = buying - np.isin(sold.key, bought.key) > 0
        washed = by_sibling | np.isin(self._key(sold), self._purchased)
        blocked = np.isin(self._key(bought), self._lost)
        return np.bincount(sold.account[washed], minlength=n_accounts) + np.bincount(
            bought.account[blocked], minlength=n_accounts
        )

    def _group(self, orders: _Orders) -> np.ndarray:
        group = self._group_of_symbol[orders.symbol] if len(orders.symbol) else orders.symbol
        return np.where(orders.symbol == MISSING, MISSING, group)

    def _key(self, found: _Distinct) -> np.ndarray:
        return _household_group(self._household[found.account], found.group)


@dataclass(frozen=True)
class _Distinct:
    """The distinct (account, sleeve, group) of some orders: account and group codes of shape
    (n_distinct,) and one int64 key each."""

    account: np.ndarray
    group: np.ndarray
    key: np.ndarray


def _distinct(orders: _Orders, group: np.ndarray, sizes: list[int]) -> _Distinct:
    key, first = np.unique(
        combined([orders.account, orders.sleeve, group], sizes), return_index=True
    )
    known = key != MISSING
    return _Distinct(orders.account[first[known]], group[first[known]], key[known])


def _count_of(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``counts`` of each of ``query`` in the sorted ``keys``; 0 for one not there."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[at] == query, counts[at], 0)


def _household_group(household: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One key per (household, group) code pair; negative where the household is missing."""
    return household.astype(np.int64) * (1 << 32) + group


def _grouper(group_of: pd.Series | None):
    def group(symbols: pd.Series) -> pd.Series:
        if group_of is None:
            return symbols.astype(str)
        mapped = symbols.map(group_of)
        return mapped.where(mapped.notna() & (mapped.astype(str) != ""), symbols).astype(str)

    return group
