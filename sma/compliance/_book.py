"""What the pre-trade checks read: the proposal and the book it was decided on, and the same with
its ids as integer codes.

The rules join and group orders, lot sells and lots on their account, security and lot. Joined on
text, every rule hashes every id of every lot again; numbered once per book (a shard), the rules
join integers. The numbering is in sorted order of the ids, so a rule that groups or sorts by id
sees its rows in the same order it would on the text.

Of the book's lots the rules read two things: the shares held per position (all its lots) and the
lots tonight's lot sells name. Only those lots' ids are numbered (a shard holds three lots for
each one it sells); the rest are summed into their positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class ProposalBook:
    """What the checks need to know about the book, as frames.

    trades : account_id, symbol, side, quantity (shares), price (USD), notional (USD)
    lot_sells : account_id, symbol, lot_id, quantity (shares)
    lots : account_id, lot_id, symbol, quantity (shares held tonight)
    cash : account_id, amount (USD available tonight, after tonight's cash flows)
    held : account_id, reason (held out before the checks: bad input, breaks, failures)
    buy_blocked : account_id, symbol, why (restriction or wash-sale block)
    sell_blocked : account_id, symbol, why (NO_SELL)
    market : symbol, close (last close, USD), volume (shares, may be NaN)
    fractional : account_ids that may trade fractions of a share (the inbox's
        ``fractional_shares``), to ``decimals`` places (the custodian's); every other account
        trades whole shares
    budgets : account_id, left (USD of net gain the account may still realize this year, the
        engine's ``gain_budget_remaining``: negative when already overspent; inf or missing: no
        budget); the gain budget rule reads the lots' ``cost_basis`` (USD, the whole lot) when
        ``lots`` has it

    Ids are text and never blank (the inbox and output contracts refuse a blank id).
    """

    trades: pd.DataFrame
    lot_sells: pd.DataFrame
    lots: pd.DataFrame
    cash: pd.DataFrame
    held: pd.DataFrame
    buy_blocked: pd.DataFrame
    sell_blocked: pd.DataFrame
    market: pd.DataFrame
    fractional: frozenset[str] = frozenset()
    decimals: int = 3
    budgets: pd.DataFrame = field(default_factory=lambda: NO_BUDGETS.copy())


#: A book without gain budgets (every account unlimited).
NO_BUDGETS = pd.DataFrame({"account_id": pd.Series(dtype=object), "left": pd.Series(dtype=float)})

#: The frames of a :class:`ProposalBook`, in the order its fields list them.
FRAMES = (
    "trades",
    "lot_sells",
    "lots",
    "cash",
    "held",
    "buy_blocked",
    "sell_blocked",
    "market",
    "budgets",
)


@dataclass(frozen=True)
class CodedBook:
    """A :class:`ProposalBook` whose ``account_id``, ``symbol`` and ``lot_id`` columns are int64
    codes: positions in ``accounts``, ``symbols`` and ``lot_ids`` (the ids sorted), one numbering
    across all its frames.

    lots : account_id, lot_id, symbol, quantity (and cost_basis, when the book's lots have it) of
        the book's lots whose lot_id a lot sell names, in the book's order (``lot_ids`` are the ids
        the lot sells name)
    shares_held : Series of :meth:`position` keys (sorted) -> shares held in the position, the
        quantity of all the book's lots summed
    fractional : ndarray of shape (n_accounts,), bool: the account may trade fractions of a share
    """

    trades: pd.DataFrame
    lot_sells: pd.DataFrame
    lots: pd.DataFrame
    shares_held: pd.Series
    cash: pd.DataFrame
    held: pd.DataFrame
    buy_blocked: pd.DataFrame
    sell_blocked: pd.DataFrame
    market: pd.DataFrame
    budgets: pd.DataFrame
    fractional: np.ndarray
    decimals: int
    accounts: np.ndarray
    symbols: np.ndarray
    lot_ids: np.ndarray

    def position(self, frame: pd.DataFrame) -> np.ndarray:
        """One int64 key per row for its (account, symbol), in the order of the ids."""
        return frame["account_id"].to_numpy(np.int64) * len(self.symbols) + frame[
            "symbol"
        ].to_numpy(np.int64)

    def lot(self, frame: pd.DataFrame) -> np.ndarray:
        """One int64 key per row for its (account, lot, symbol), in the order of the ids."""
        account_lot = frame["account_id"].to_numpy(np.int64) * len(self.lot_ids) + frame[
            "lot_id"
        ].to_numpy(np.int64)
        return account_lot * len(self.symbols) + frame["symbol"].to_numpy(np.int64)

    def positions(self, keys: pd.Index | np.ndarray) -> pd.DataFrame:
        """account_id, symbol (codes) of :meth:`position` keys."""
        account, symbol = np.divmod(np.asarray(keys, dtype=np.int64), len(self.symbols))
        return pd.DataFrame({"account_id": account, "symbol": symbol})

    def lots_of(self, keys: pd.Index | np.ndarray) -> pd.DataFrame:
        """account_id, lot_id, symbol (codes) of :meth:`lot` keys."""
        account_lot, symbol = np.divmod(np.asarray(keys, dtype=np.int64), len(self.symbols))
        account, lot = np.divmod(account_lot, len(self.lot_ids))
        return pd.DataFrame({"account_id": account, "lot_id": lot, "symbol": symbol})

    def named(self, column: str, codes: pd.Series) -> np.ndarray:
        """The ids of ``codes`` (codes of ``column``: account_id, symbol or lot_id), as text."""
        names = {"account_id": self.accounts, "symbol": self.symbols, "lot_id": self.lot_ids}
        return names[column][codes.to_numpy(dtype=np.int64)]


def code_book(book: ProposalBook) -> CodedBook:
    """Number the ids of ``book`` once, in sorted order, for every rule to join on.

    Parameters
    ----------
    book : the proposal and the book it was decided on, ids as text.

    Returns
    -------
    The same frames, rows and columns, with each id column an int64 code; of the lots, those a
    lot sell names and the shares held per position.
    """
    frames = {name: getattr(book, name) for name in FRAMES}
    names = {}
    for column in ("account_id", "symbol"):
        holders = [name for name in FRAMES if column in frames[name]]
        codes, numbered = _numbered([frames[name][column] for name in holders])
        names[column] = _text(numbered)
        for name, coded in zip(holders, codes, strict=True):
            frames[name] = frames[name].assign(**{column: coded})
    sellers = [name for name in FRAMES if "lot_id" in frames[name] and name != "lots"]
    codes, lot_ids = _numbered([frames[name]["lot_id"] for name in sellers])
    for name, coded in zip(sellers, codes, strict=True):
        frames[name] = frames[name].assign(lot_id=coded)
    lots = frames.pop("lots")
    accounts, symbols = names["account_id"], names["symbol"]
    account, symbol = (lots[c].to_numpy(np.int64) for c in ("account_id", "symbol"))
    lot = _located(book.lots["lot_id"], lot_ids)
    sold = lot >= 0
    return CodedBook(
        **frames,
        lots=lots.loc[sold, _LOT_COLUMNS + (["cost_basis"] if "cost_basis" in lots else [])].assign(
            lot_id=lot[sold]
        ),
        shares_held=lots["quantity"].groupby(account * len(symbols) + symbol).sum(),
        fractional=np.isin(accounts, np.array(sorted(book.fractional), dtype=object)),
        decimals=book.decimals,
        accounts=accounts,
        symbols=symbols,
        lot_ids=_text(lot_ids),
    )


_LOT_COLUMNS = ["account_id", "lot_id", "symbol", "quantity"]


def _numbered(ids: list[pd.Series]) -> tuple[list[np.ndarray], pa.Array]:
    """One numbering of the ids of several columns, in sorted order: codes per column, and the ids
    numbered, sorted."""
    every = pa.chunked_array(
        [chunk for i in ids for chunk in _chunks(i.astype(str))], pa.large_string()
    )
    found = every.dictionary_encode().combine_chunks()
    order = pc.sort_indices(found.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[found.indices.to_numpy(zero_copy_only=False)]
    bounds = np.cumsum([len(i) for i in ids])[:-1]
    return np.split(codes, bounds), found.dictionary.take(pa.array(order))


def _text(ids: pa.Array) -> np.ndarray:
    return ids.to_numpy(zero_copy_only=False).astype(object)


def _located(ids: pd.Series, numbered: pa.Array) -> np.ndarray:
    """The code of each of ``ids`` among the ``numbered`` ids (sorted, unique), -1 where absent."""
    at = pc.index_in(pa.chunked_array(_chunks(ids.astype(str)), pa.large_string()), numbered)
    return at.fill_null(-1).to_numpy().astype(np.int64)


def _chunks(ids: pd.Series) -> list[pa.Array]:
    """The Arrow arrays holding ``ids`` (text), as they are: no copy of a column read from Arrow."""
    found = pa.array(ids, from_pandas=True)
    parts = found.chunks if isinstance(found, pa.ChunkedArray) else [found]
    return [part.cast(pa.large_string()) for part in parts]
