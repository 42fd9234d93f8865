"""A shard's UMA accounts laid out as arrays for the overlay (:mod:`sma.uma._overlay`), built once
for the whole shard rather than account by account.

Each account keeps its own table of symbols by sleeves, as when it was booked alone: a *row* is
one of its symbols (those of its lots, its trades and its sleeves' models), a *column* one of its
sleeves in booking order (invested before cash, the largest target weight first, then by id).
All accounts' rows sit in one ``(n_rows, width)`` table, account after account, padded to the
account with the most sleeves. Text values become codes that follow the text's sort order, so
sorting by code sorts as the text would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.inbox import CASH_MODEL_ID
from sma.uma._codes import arrow_text, positions


def text_codes(*columns: pd.Series) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted union of the columns' values as text (as ``Series.to_numpy(str)`` writes them)
    and each column's values as codes into it, ``(n_rows,)`` each."""
    factorised = [pd.factorize(column, use_na_sentinel=False) for column in columns]
    texts = [np.asarray(pd.Index(uniques).to_numpy(str), dtype=str) for _, uniques in factorised]
    union = np.unique(np.concatenate(texts))
    return union, [np.searchsorted(union, t)[codes] for (codes, _), t in zip(factorised, texts)]


def known_codes(column: pd.Series, texts: np.ndarray) -> np.ndarray:
    """Each value's code in ``texts`` (sorted text, as :func:`text_codes` gives), -1 where the
    value is not there, (n_rows,)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    named = np.asarray(pd.Index(uniques).to_numpy(str), dtype=str)
    place = np.minimum(np.searchsorted(texts, named), max(texts.size - 1, 0))
    found = (texts[place] == named) if texts.size else np.zeros(named.size, dtype=bool)
    return np.where(found, place, -1)[codes]


@dataclass(frozen=True)
class Layout:
    """The accounts' sleeves and symbols.

    Attributes
    ----------
    accounts : the account ids, sorted; an account is its place here.
    sleeve_ids : ndarray of shape (n_sleeves,), object -- sleeve ids (text), account by account,
        each account's in booking order.
    first_sleeve, n_sleeves : ndarray of shape (n_accounts,) -- where each account's sleeves
        start in ``sleeve_ids``, and how many it has (at least one).
    symbols : ndarray of shape (n_symbols,), str -- every symbol named, sorted.
    price : ndarray of shape (n_symbols,) -- tonight's close, USD per share (0 where unknown).
    row_account, row_symbol : ndarray of shape (n_rows,) -- each row's account and symbol,
        sorted by account then symbol.
    """

    accounts: list[str]
    sleeve_ids: np.ndarray
    first_sleeve: np.ndarray
    n_sleeves: np.ndarray
    symbols: np.ndarray
    price: np.ndarray
    row_account: np.ndarray
    row_symbol: np.ndarray

    @property
    def width(self) -> int:
        """Columns of the table: the most sleeves of any account."""
        return int(self.n_sleeves.max())

    @property
    def real(self) -> np.ndarray:
        """Mask of the table's cells that are an account's sleeve, not padding, (n_rows, width)."""
        return np.arange(self.width) < self.n_sleeves[self.row_account][:, None]

    def row(self, account: np.ndarray, symbol: np.ndarray) -> np.ndarray:
        """Row of each (account, symbol code) pair, (n,)."""
        keys = self.row_account * self.symbols.size + self.row_symbol
        return np.searchsorted(keys, account * self.symbols.size + symbol)

    def sleeve_id(self, account: np.ndarray, column: np.ndarray) -> np.ndarray:
        """The id (text) of each account's sleeve in ``column``, (n,), object."""
        return self.sleeve_ids[self.first_sleeve[account] + column]

    def column(self, account: np.ndarray, sleeve_id: pd.Series) -> np.ndarray:
        """Column of each row's sleeve in its account's table, (n,). A sleeve the account does not
        have is taken as its last column (``Index.get_indexer``'s -1 indexing the table)."""
        texts, (given, known) = text_codes(sleeve_id, pd.Series(self.sleeve_ids, dtype=object))
        owner = np.repeat(np.arange(self.n_sleeves.size), self.n_sleeves)
        table = np.full((self.n_sleeves.size, texts.size), -1)
        table[owner, known] = np.arange(owner.size) - self.first_sleeve[owner]
        found = table[account, given]
        return np.where(found >= 0, found, self.n_sleeves[account] - 1)


def layout(
    accounts: list[str],
    sleeves: pd.DataFrame,
    closes: pd.Series,
    symbol_columns: list[tuple[np.ndarray, pd.Series]],
) -> tuple[Layout, list[np.ndarray]]:
    """The layout of ``accounts`` (sorted, each with at least one sleeve) and the symbol codes of
    ``symbol_columns``: (account of each row, symbol column) pairs, whose rows make the table."""
    symbols, codes = text_codes(*(column for _, column in symbol_columns))
    keys = np.unique(
        np.concatenate(
            [account * symbols.size + code for (account, _), code in zip(symbol_columns, codes)]
        )
    )
    sleeve_ids, n_sleeves = _booking_order(sleeves, accounts)
    _refuse_repeated_sleeve_ids(sleeve_ids, n_sleeves)
    return (
        Layout(
            accounts=accounts,
            sleeve_ids=sleeve_ids,
            first_sleeve=np.cumsum(n_sleeves) - n_sleeves,
            n_sleeves=n_sleeves,
            symbols=symbols,
            price=closes.reindex(symbols).astype(float).fillna(0.0).to_numpy(),
            row_account=keys // max(symbols.size, 1),
            row_symbol=keys % max(symbols.size, 1),
        ),
        codes,
    )


def _booking_order(sleeves: pd.DataFrame, accounts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sleeve ids (text, object) account by account, each account's invested sleeves before its
    cash, the largest target weight first, then by id; and each account's number of sleeves."""
    account = positions(sleeves["account_id"], pd.Index(accounts))
    mine = sleeves[account >= 0].assign(_account=account[account >= 0])
    order = mine.assign(cash=mine["model_id"] == CASH_MODEL_ID).sort_values(
        ["_account", "cash", "target_weight", "sleeve_id"], ascending=[True, True, False, True]
    )
    n_sleeves = np.bincount(order["_account"].to_numpy(), minlength=len(accounts))
    return order["sleeve_id"].astype(str).to_numpy(), n_sleeves


def _refuse_repeated_sleeve_ids(sleeve_ids: np.ndarray, n_sleeves: np.ndarray) -> None:
    """An account naming one sleeve id twice cannot be booked (its sleeves are told by id)."""
    _, (codes,) = text_codes(pd.Series(sleeve_ids, dtype=object))
    account = np.repeat(np.arange(n_sleeves.size), n_sleeves)
    pairs = account * (int(codes.max(initial=0)) + 1) + codes
    if np.unique(pairs).size < pairs.size:
        raise pd.errors.InvalidIndexError(
            "Reindexing only valid with uniquely valued Index objects"
        )


@dataclass(frozen=True)
class Lots:
    """The accounts' lots sorted by account, symbol and lot id, arrays of shape (n_lots,).

    Attributes
    ----------
    at : row of the attribution frame.
    account, row, symbol : the lot's account, row of the table and symbol (code).
    qty, sold : shares held, and of them sold tonight.
    sleeve : column (sleeve) of the lot in its account's table.
    """

    at: np.ndarray
    account: np.ndarray
    row: np.ndarray
    symbol: np.ndarray
    qty: np.ndarray
    sold: np.ndarray
    sleeve: np.ndarray


@dataclass(frozen=True)
class Buys:
    """The accounts' buys, account by account in trade order, arrays of shape (n_buys,): ``at``
    (row of the trades frame), ``account``, ``row`` of the table, ``qty`` shares, ``notional``
    USD."""

    at: np.ndarray
    account: np.ndarray
    row: np.ndarray
    qty: np.ndarray
    notional: np.ndarray


@dataclass(frozen=True)
class Sells:
    """The accounts' lot sells, account by account in order, arrays of shape (n_sells,): ``at``
    (row of the lot sells frame), ``account``, ``lot`` (place in :class:`Lots`, -1 for a lot
    not held)."""

    at: np.ndarray
    account: np.ndarray
    lot: np.ndarray


@dataclass(frozen=True)
class ShardArrays:
    """A shard's UMA accounts for the overlay: ``layout``, ``lots``, ``buys``, ``sells``,
    ``trade_account`` (n_trades,) each trade's account (-1 for others) and ``goal``
    (n_rows, width), the value each sleeve's model asks for, USD."""

    layout: Layout
    lots: Lots
    buys: Buys
    sells: Sells
    trade_account: np.ndarray
    goal: np.ndarray

    @property
    def n_accounts(self) -> int:
        """How many accounts are booked."""
        return len(self.layout.accounts)


def shard_arrays(
    accounts: list[str],
    attribution: pd.DataFrame,
    trades: pd.DataFrame,
    lot_sells: pd.DataFrame,
    sleeves: pd.DataFrame,
    want: pd.DataFrame,
    closes: pd.Series,
) -> ShardArrays:
    """The arrays of ``accounts`` (sorted, each with a sleeve); ``want`` is what each sleeve
    should hold (account_id, sleeve_id, symbol, value USD)."""
    lot_account = positions(attribution["account_id"], pd.Index(accounts))
    trade_account = positions(trades["account_id"], pd.Index(accounts))
    want_account = positions(want["account_id"], pd.Index(accounts))
    held, traded, wanted = (
        np.flatnonzero(a >= 0) for a in (lot_account, trade_account, want_account)
    )
    plan, (lot_symbol, trade_symbol, want_symbol) = layout(
        accounts,
        sleeves,
        closes,
        [
            (lot_account[held], attribution["symbol"].iloc[held]),
            (trade_account[traded], trades["symbol"].iloc[traded]),
            (want_account[wanted], want["symbol"].iloc[wanted]),
        ],
    )
    sell_account = positions(lot_sells["account_id"], pd.Index(accounts))
    sold_at = np.flatnonzero(sell_account >= 0)
    sold_at = sold_at[np.argsort(sell_account[sold_at], kind="stable")]
    lots, lot_of_sell = _lots(
        plan,
        attribution,
        held,
        lot_account[held],
        lot_symbol,
        lot_sells,
        sold_at,
        sell_account[sold_at],
    )
    symbol_of_trade = np.full(len(trades), -1)
    symbol_of_trade[traded] = trade_symbol
    rows, width = plan.row_symbol.size, plan.width
    cells = plan.row(want_account[wanted], want_symbol) * width + plan.column(
        want_account[wanted], want["sleeve_id"].iloc[wanted]
    )
    goal = np.bincount(cells, want["value"].to_numpy(float)[wanted], minlength=rows * width)
    return ShardArrays(
        layout=plan,
        lots=lots,
        buys=_buys(plan, trades, trade_account, symbol_of_trade),
        sells=Sells(sold_at, sell_account[sold_at], lot_of_sell),
        trade_account=trade_account,
        goal=goal.reshape(rows, width),
    )


def _buys(plan: Layout, trades: pd.DataFrame, account: np.ndarray, symbol: np.ndarray) -> Buys:
    """The accounts' buys (``account`` and ``symbol`` code of every trade, -1 for others')."""
    bought = np.flatnonzero((account >= 0) & (trades["side"] == "BUY").to_numpy())
    bought = bought[np.argsort(account[bought], kind="stable")]
    return Buys(
        at=bought,
        account=account[bought],
        row=plan.row(account[bought], symbol[bought]),
        qty=trades["quantity"].to_numpy(float)[bought],
        notional=trades["notional"].to_numpy(float)[bought],
    )


def _lots(plan, attribution, held, account, symbol, lot_sells, sold_at, sell_account):
    """The accounts' :class:`Lots`, and the lot each lot sell sells (-1 if none is held)."""
    lot_code, sell_code = _lot_codes(
        attribution["lot_id"].iloc[held], lot_sells["lot_id"].iloc[sold_at]
    )
    order = np.lexsort((lot_code, symbol, account))
    at, account, symbol, lot_code = held[order], account[order], symbol[order], lot_code[order]
    n_lot_codes = int(max(lot_code.max(initial=-1), sell_code.max(initial=-1))) + 1
    sell_symbol = known_codes(lot_sells["symbol"].iloc[sold_at], plan.symbols)
    lot_key = (account * n_lot_codes + lot_code) * plan.symbols.size + symbol
    sell_key = (sell_account * n_lot_codes + sell_code) * plan.symbols.size + sell_symbol
    lot_of_sell = np.where(sell_symbol >= 0, _find(lot_key, sell_key), -1)
    sold = np.zeros(at.size)
    found = lot_of_sell >= 0
    quantity = lot_sells["quantity"].to_numpy(float)[sold_at[found]]
    # summed as the groupby of the lot sells per lot sums them (compensated, in order)
    per_lot = pd.Series(quantity).groupby(lot_of_sell[found]).sum()
    sold[per_lot.index.to_numpy()] = per_lot.to_numpy()
    lots = Lots(
        at=at,
        account=account,
        row=plan.row(account, symbol),
        symbol=symbol,
        qty=attribution["quantity"].to_numpy(float)[at],
        sold=sold,
        sleeve=plan.column(account, attribution["sleeve_id"].iloc[at].astype(str)),
    )
    return lots, lot_of_sell


def _lot_codes(held: pd.Series, sold: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Lot ids of the lots held and of the lot sells as codes into one set, in sort order."""
    if isinstance(held.dtype, pd.StringDtype) and isinstance(sold.dtype, pd.StringDtype):
        # text: Arrow's dense rank (the place among the distinct ids, sorted as their UTF-8
        # bytes, a missing id after every other), one sort instead of a hash and a sort
        ids = pa.concat_arrays([arrow_text(held), arrow_text(sold)])
        ranked = pc.rank(ids, tiebreaker="dense").to_numpy().astype(np.int64) - 1
        return ranked[: len(held)], ranked[len(held) :]
    codes, uniques = pd.factorize(pd.concat([held, sold], ignore_index=True))
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[np.asarray(uniques.argsort())] = np.arange(len(uniques))
    rank[-1] = len(uniques)  # a missing lot id (code -1) sorts last, as sort_values puts it
    ranked = rank[codes]
    return ranked[: len(held)], ranked[len(held) :]


def _find(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Place of each ``wanted`` key in ``keys`` (unique), -1 where absent."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError("cannot handle a non-unique multi-index!")  # a lot held twice
    if not keys.size:
        return np.full(wanted.size, -1)
    place = np.minimum(np.searchsorted(ordered, wanted), keys.size - 1)
    return np.where(ordered[place] == wanted, order[place], -1)
