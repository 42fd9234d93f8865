"""Replay: book a list of transactions into the ledger in ``seq`` order (PRODUCT.md, "Interfaces").

This is the ledger on its own, for audits and for checking it against published examples
(``sma ledger replay``), and the way a year of a whole book is booked at once. Input frames are
typed already; reading files is the pipeline's job.

Speed without a second set of rules: households are independent, and so are identical groups
within a household. With FIFO relief, every (household, identical group) whose history cannot
hold a wash sale -- no loss piece has another lot of the group bought within 30 days of it, no
split, no specific-lot sale, lots bought in date order -- is relieved with arrays for all accounts
at once (``sma.ledger._fifo``); every other group is booked trade by trade by ``Ledger``. Both give
the same rows to the cent (a property test holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.errors import SmaError
from sma.ledger._blocks import WASH_SALE_WINDOW_DAYS, identical_groups
from sma.ledger._errors import LedgerError
from sma.ledger._fifo import FifoLots, FifoSales, relieve_fifo
from sma.ledger._holding import is_long_term
from sma.ledger._ledger import OPENING_LOT_COLUMNS, Ledger
from sma.ledger._relief import ReliefMethod


class Action(StrEnum):
    """What one row of a ledger replay does to the lots."""

    BUY = "BUY"  # opens lot ``lot_id`` at cost ``amount``
    SELL = "SELL"  # relieves ``quantity`` by the method, or from ``lot_ids`` (';'-separated)
    SPLIT = "SPLIT"  # ``ratio`` new shares per old share (stock dividends too)


#: Columns of the transactions a replay books (money in cents; ``row`` optional, for errors).
REPLAY_TRANSACTION_COLUMNS = (
    "seq",
    "account_id",
    "trade_date",
    "action",
    "symbol",
    "quantity",
    "amount_cents",
    "lot_id",
    "lot_ids",
    "ratio",
)


class ReplayRowError(SmaError):
    """A transaction the ledger refuses; nothing of the replay is kept."""

    def __init__(self, row: int, seq: int, column: str, rule: str, why: str):
        super().__init__(f"row {row} (seq {seq}), column {column}: {why} [rule: {rule}]")
        self.row, self.seq, self.column, self.rule, self.why = row, seq, column, rule, why


@dataclass(frozen=True)
class ReplayResult:
    """What a replay leaves: every realized piece in the order of the sales, and the open lots by
    account, symbol, acquisition date and lot id (columns as ``Ledger.realized``/``open_lots``)."""

    realized: pd.DataFrame
    open_lots: pd.DataFrame


_COLUMN_OF_RULE = {
    "no sale of more than is held": "quantity",
    "named lots must be held": "lot_ids",
    "lot ids are unique per account": "lot_id",
    "accounts must be known": "account_id",
}


def replay(
    accounts: pd.DataFrame,
    lots: pd.DataFrame | None,
    transactions: pd.DataFrame,
    method: ReliefMethod,
    identical_group=None,
    vectorised: bool = True,
) -> ReplayResult:
    """Apply ``transactions`` in ``seq`` order to the opening ``lots``.

    Parameters
    ----------
    accounts : DataFrame
        ``account_id, household_id, account_type``.
    lots : DataFrame or None
        Opening lots (``OPENING_LOT_COLUMNS``; money in cents); None = no lots.
    transactions : DataFrame
        ``row`` (where it was read, for errors; optional), ``seq, account_id, trade_date, action,
        symbol, quantity, amount_cents`` (cost of a buy, proceeds of a sell), ``lot_id`` (buys),
        ``lot_ids`` (';'-separated, specific-lot sells; blank = ``method``), ``ratio`` (splits;
        blank ``account_id`` = every account).
    method : ReliefMethod
        Relief for sells that name no lots.
    identical_group : mapping symbol -> identical group, optional
    vectorised : bool
        False books every trade one by one (the reference the array path is tested against).

    Raises
    ------
    ReplayRowError
        The first transaction (by seq) the ledger refuses.
    """
    if lots is None:
        lots = pd.DataFrame({c: pd.Series(dtype=object) for c in OPENING_LOT_COLUMNS})
    book = _Book(accounts, lots, transactions, identical_group)
    invalid = book.invalid_row()
    if invalid is not None:
        raise invalid
    fast_realized = fast_open = fast_error = None
    if vectorised and ReliefMethod(method) == ReliefMethod.FIFO:
        fast_realized, fast_open, fast_error, slow = book.fifo(book.wash_prone_keys())
    else:
        slow = book.all_keys()
    slow_realized, slow_open, slow_error = book.trade_by_trade(slow, ReliefMethod(method))
    errors = [e for e in (fast_error, slow_error) if e is not None]
    if errors:
        raise min(errors, key=lambda e: e.seq)
    realized = pd.concat(
        [f for f in (fast_realized, slow_realized) if f is not None], ignore_index=True
    )
    realized = realized.sort_values("seq", kind="stable").drop(columns="seq").reset_index(drop=True)
    open_lots = pd.concat([f for f in (fast_open, slow_open) if f is not None], ignore_index=True)
    open_lots = open_lots.sort_values(
        ["account_id", "symbol", "acquired_date", "lot_id"], kind="stable"
    ).reset_index(drop=True)
    return ReplayResult(_text_as_str(realized), _text_as_str(open_lots))


def _pick(lots: dict, from_buys: np.ndarray, from_opening: np.ndarray) -> np.ndarray:
    """A per-lot value taken from the buy transaction or the opening lot each lot came from."""
    out = np.empty(len(lots["index"]), dtype=from_buys.dtype)
    buy = lots["from_buy"]
    out[buy] = from_buys[lots["index"][buy]]
    out[~buy] = from_opening[lots["index"][~buy]]
    return out


def _text_as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """Both booking paths hand out text columns with one dtype."""
    text = [c for c in ("account_id", "symbol", "lot_id", "adjustment_code", "term") if c in frame]
    return frame.astype({c: "str" for c in text})


class _Book:
    """The replay's inputs as integer codes, in seq order."""

    def __init__(
        self,
        accounts: pd.DataFrame,
        lots: pd.DataFrame,
        transactions: pd.DataFrame,
        identical_group,
    ):
        self.accounts, self.lots, self.identical_group = (
            accounts,
            lots.reset_index(drop=True),
            identical_group,
        )
        order = np.argsort(transactions["seq"].to_numpy(), kind="stable")
        self.tx = transactions.iloc[order].reset_index(drop=True)
        if "row" not in self.tx:
            self.tx["row"] = order + 1
        index = pd.Index(accounts["account_id"].astype(str))
        household = pd.factorize(accounts["household_id"].astype(str))[0]
        self.taxable = accounts["account_type"].astype(str).str.upper().to_numpy() == "TAXABLE"
        self.tx_account = index.get_indexer(self.tx["account_id"].astype(str))
        self.lot_account = index.get_indexer(self.lots["account_id"].astype(str))
        symbols = pd.Index(
            pd.unique(
                np.r_[
                    self.lots["symbol"].astype(str).to_numpy(),
                    self.tx["symbol"].astype(str).to_numpy(),
                ]
            )
        )
        group = pd.factorize(identical_groups(symbols.to_numpy(dtype=object), identical_group))[0]
        self.n_symbols, n_groups = len(symbols), max(int(group.max(initial=-1)) + 1, 1)
        self.tx_symbol = symbols.get_indexer(self.tx["symbol"].astype(str))
        self.lot_symbol = symbols.get_indexer(self.lots["symbol"].astype(str))

        def key(account, symbol):
            return np.where(
                account >= 0, household[np.maximum(account, 0)] * n_groups + group[symbol], -1
            )

        self.tx_key, self.lot_key = (
            key(self.tx_account, self.tx_symbol),
            key(self.lot_account, self.lot_symbol),
        )
        self.group_of_symbol, self.n_groups = group, n_groups
        self.action = self.tx["action"].to_numpy(dtype=object)
        self.day = self.tx["trade_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        named = (
            self.tx["lot_ids"].fillna("").astype(str).to_numpy()
            if "lot_ids" in self.tx
            else np.full(len(self.tx), "")
        )
        self.named = named

    def invalid_row(self) -> ReplayRowError | None:
        """The first row (by seq) that no booking path may accept: a reused lot id, a quantity that
        is not a positive number of shares, a negative amount."""
        trade = np.isin(self.action, [Action.BUY, Action.SELL])
        quantity = self.tx["quantity"].to_numpy(dtype=float)
        amount = self.tx["amount_cents"].to_numpy(dtype=float)
        buy = np.flatnonzero(self.action == Action.BUY)
        ids = pd.DataFrame(
            {
                "account": np.r_[self.lot_account, self.tx_account[buy]],
                "lot_id": np.r_[
                    self.lots["lot_id"].astype(str).to_numpy(dtype=object),
                    self.tx["lot_id"].astype(str).to_numpy(dtype=object)[buy],
                ],
            }
        )
        reused = np.zeros(len(self.tx), dtype=bool)
        reused[buy] = ids.duplicated().to_numpy()[len(self.lots) :]
        checks = (
            (
                trade & ~(np.isfinite(quantity) & (quantity > 0)),
                "quantity",
                "quantities and ratios are positive and finite",
                "not a positive number of shares",
            ),
            (
                trade & ~(amount >= 0),
                "amount",
                "amounts are non-negative",
                "not a non-negative amount",
            ),
            (
                reused,
                "lot_id",
                "lot ids are unique per account",
                "lot id already used in the account",
            ),
        )
        found = [
            (int(np.flatnonzero(bad)[0]), column, rule, why)
            for bad, column, rule, why in checks
            if bad.any()
        ]
        if not found:
            return None
        i, column, rule, why = min(found)
        return self._error(i, column, rule, why)

    def all_keys(self) -> np.ndarray:
        """Every (household, identical group) key of the replay."""
        return np.unique(np.r_[self.tx_key, self.lot_key])

    def wash_prone_keys(self) -> np.ndarray:
        """(household, group) keys that must be booked trade by trade, before looking at losses."""
        split_groups = np.unique(self.group_of_symbol[self.tx_symbol[self.action == Action.SPLIT]])
        keys = np.r_[self.tx_key, self.lot_key]
        by_split = keys[np.isin(keys % self.n_groups, split_groups)]
        by_name = self.tx_key[(self.action == Action.SELL) & (self.named != "")]
        unknown = self.tx_key[self.tx_account < 0]
        return np.unique(np.r_[by_split, by_name, unknown, self._out_of_date_order()])

    def _out_of_date_order(self) -> np.ndarray:
        """Keys where a stream's lots are not bought in date order (FIFO would not be a queue)."""
        lots, _ = self._stream_lots(np.array([], dtype=np.int64))
        stream, acquired, key = lots["stream"], lots["acquired"], lots["key"]
        same = np.r_[False, stream[1:] == stream[:-1]]
        return np.unique(key[same & (acquired < np.r_[acquired[:1], acquired[:-1]])])

    def _stream_lots(self, slow: np.ndarray) -> tuple[dict, np.ndarray]:
        """Opening lots then buys, per stream in FIFO order, for keys not in ``slow``."""
        buy = np.flatnonzero((self.action == Action.BUY) & ~np.isin(self.tx_key, slow))
        opening = np.flatnonzero(~np.isin(self.lot_key, slow))
        acquired_opening = (
            pd.to_datetime(self.lots["acquired_date"])
            .to_numpy()
            .astype("datetime64[D]")
            .astype(np.int64)[opening]
        )
        stream = np.r_[
            self.lot_account[opening] * self.n_symbols + self.lot_symbol[opening],
            self.tx_account[buy] * self.n_symbols + self.tx_symbol[buy],
        ].astype(np.int64)
        rank = np.r_[np.full(len(opening), -1), buy].astype(np.int64)  # opening lots come first
        acquired = np.r_[acquired_opening, self.day[buy]]
        order = np.lexsort((np.r_[opening, buy], acquired * (rank < 0), rank, stream))
        source = np.r_[np.zeros(len(opening), bool), np.ones(len(buy), bool)][order]
        lots = {
            "stream": stream[order],
            "rank": rank[order],
            "acquired": acquired[order],
            "key": np.r_[self.lot_key[opening], self.tx_key[buy]][order],
            "from_buy": source,
            "index": np.r_[opening, buy][order],
        }
        return lots, buy

    def fifo(self, slow: np.ndarray):
        """FIFO with arrays for the keys not in ``slow``. Returns the realized rows, open lots and
        first oversell of those keys, and ``slow`` widened by the keys where a loss piece has a
        possible replacement (those are left to ``trade_by_trade``)."""
        lots, _ = self._stream_lots(slow)
        sell = np.flatnonzero((self.action == Action.SELL) & ~np.isin(self.tx_key, slow))
        sale_stream = (self.tx_account[sell] * self.n_symbols + self.tx_symbol[sell]).astype(
            np.int64
        )
        order = np.lexsort((sell, sale_stream))
        sell, sale_stream = sell[order], sale_stream[order]
        width = len(self.tx) + 2
        lot_position = lots["stream"] * width + lots["rank"] + 1
        before = np.searchsorted(lot_position, sale_stream * width + sell + 1) - np.searchsorted(
            lots["stream"], sale_stream
        )
        quantity = _pick(
            lots,
            self.tx["quantity"].to_numpy(dtype=float),
            self.lots["quantity"].to_numpy(dtype=float),
        )
        basis = _pick(
            lots,
            self.tx["amount_cents"].to_numpy(dtype=np.int64),
            self.lots["cost_basis_cents"].to_numpy(dtype=np.int64),
        )
        pieces = relieve_fifo(
            FifoLots(lots["stream"], quantity, basis),
            FifoSales(
                sale_stream,
                self.tx["quantity"].to_numpy(dtype=float)[sell],
                self.tx["amount_cents"].to_numpy(dtype=np.int64)[sell],
                before,
            ),
        )
        error = None
        if len(pieces.oversold):
            first = sell[pieces.oversold].min()
            error = self._error(
                first,
                "quantity",
                "no sale of more than is held",
                "sale of more shares than the account holds",
            )
        sale_row = sell[pieces.sale]
        adjusted = self._opening_adjusted(lots)
        loss = (pieces.proceeds < pieces.basis) & self.taxable[self.tx_account[sale_row]]
        washable = self._replacement_nearby(lots, pieces.lot[loss], sale_row[loss])
        slow_more = np.unique(self.tx_key[sale_row[loss][washable]])
        slow = np.union1d(slow, slow_more)
        piece_keep = ~np.isin(self.tx_key[sale_row], slow)
        lot_keep = ~np.isin(lots["key"], slow) & (pieces.open_quantity > 0)
        realized = self._fast_realized(lots, pieces, sale_row, adjusted, piece_keep)
        open_lots = self._fast_open(lots, pieces, adjusted, lot_keep)
        return realized, open_lots, error, slow

    def _opening_adjusted(self, lots: dict) -> np.ndarray:
        adjusted = lots["acquired"].copy()
        opening = ~lots["from_buy"]
        if opening.any():
            given = (
                pd.to_datetime(self.lots["adjusted_acquired_date"])
                .to_numpy()
                .astype("datetime64[D]")[lots["index"][opening]]
            )
            adjusted[opening] = np.where(
                np.isnat(given), lots["acquired"][opening], given.astype(np.int64)
            )
        return adjusted

    def _replacement_nearby(
        self, lots: dict, piece_lot: np.ndarray, sale_row: np.ndarray
    ) -> np.ndarray:
        """Whether another lot of the household's group was bought within 30 days of each loss
        piece."""
        shift = np.int64(1 << 22)  # days fit well within; keeps (key, day) in one sortable int64
        stamp = np.sort(lots["key"] * shift + lots["acquired"] + shift // 2)
        centre = self.tx_key[sale_row] * shift + self.day[sale_row] + shift // 2
        nearby = np.searchsorted(stamp, centre + WASH_SALE_WINDOW_DAYS, "right") - np.searchsorted(
            stamp, centre - WASH_SALE_WINDOW_DAYS, "left"
        )
        own = np.abs(lots["acquired"][piece_lot] - self.day[sale_row]) <= WASH_SALE_WINDOW_DAYS
        return nearby - own > 0

    def _fast_realized(self, lots, pieces, sale_row, adjusted, keep) -> pd.DataFrame:
        lot, row = pieces.lot[keep], sale_row[keep]
        sale_date = self.day[row].astype("datetime64[D]")
        return pd.DataFrame(
            {
                "seq": row,
                "account_id": self.accounts["account_id"]
                .astype(str)
                .to_numpy()[self.tx_account[row]],
                "symbol": self.tx["symbol"].to_numpy(dtype=object)[row],
                "lot_id": self._lot_ids(lots)[lot],
                "sale_date": sale_date,
                "quantity": pieces.quantity[keep],
                "proceeds_cents": pieces.proceeds[keep],
                "cost_basis_cents": pieces.basis[keep],
                "wash_sale_disallowed_cents": np.zeros(len(row), np.int64),
                "permanently_disallowed_cents": np.zeros(len(row), np.int64),
                "adjustment_code": np.full(len(row), "", object),
                "gain_cents": pieces.proceeds[keep] - pieces.basis[keep],
                "term": np.where(
                    is_long_term(adjusted[lot].astype("datetime64[D]"), sale_date), "LONG", "SHORT"
                ).astype(object),
                "acquired_date": lots["acquired"][lot].astype("datetime64[D]"),
                "adjusted_acquired_date": adjusted[lot].astype("datetime64[D]"),
            }
        )

    def _lot_ids(self, lots: dict) -> np.ndarray:
        return _pick(
            lots,
            self.tx["lot_id"].astype(str).to_numpy(dtype=object),
            self.lots["lot_id"].astype(str).to_numpy(dtype=object),
        )

    def _fast_open(self, lots, pieces, adjusted, keep) -> pd.DataFrame:
        account = _pick(lots, self.tx_account, self.lot_account)[keep]
        symbol = (lots["stream"][keep] % self.n_symbols).astype(np.int64)
        symbols = np.r_[
            self.lots["symbol"].astype(str).to_numpy(dtype=object),
            self.tx["symbol"].astype(str).to_numpy(dtype=object),
        ]
        names = pd.Series(symbols).groupby(np.r_[self.lot_symbol, self.tx_symbol]).first()
        return pd.DataFrame(
            {
                "account_id": self.accounts["account_id"].astype(str).to_numpy()[account],
                "lot_id": self._lot_ids(lots)[keep],
                "symbol": names.reindex(symbol).to_numpy(dtype=object),
                "quantity": pieces.open_quantity[keep],
                "cost_basis_cents": pieces.open_basis[keep],
                "acquired_date": lots["acquired"][keep].astype("datetime64[D]"),
                "adjusted_acquired_date": adjusted[keep].astype("datetime64[D]"),
                "wash_sale_adjustment_cents": np.zeros(int(keep.sum()), np.int64),
            }
        )

    def _error(self, i: int, column: str, rule: str, why: str) -> ReplayRowError:
        return ReplayRowError(
            int(self.tx["row"].iloc[i]), int(self.tx["seq"].iloc[i]), column, rule, why
        )

    def trade_by_trade(self, slow: np.ndarray, method: ReliefMethod):
        """Book the keys in ``slow`` (after ``fifo`` widened it) one trade at a time with
        ``Ledger``."""
        ledger = Ledger(self.accounts, self.identical_group)
        rows = np.flatnonzero(np.isin(self.tx_key, slow) | (self.action == Action.SPLIT))
        try:
            ledger.add_lots(self.lots[np.isin(self.lot_key, slow)])
        except LedgerError as error:
            return None, None, ReplayRowError(0, -1, "lots", error.rule, str(error))
        tx = {
            name: self.tx[name].to_numpy()
            for name in ("account_id", "symbol", "quantity", "amount_cents", "lot_id", "ratio")
        }
        sale_seq: list[int] = []
        for i in rows:
            action = self.action[i]
            try:
                if action == Action.BUY:
                    ledger.buy(
                        tx["account_id"][i],
                        tx["symbol"][i],
                        tx["lot_id"][i],
                        float(tx["quantity"][i]),
                        int(tx["amount_cents"][i]),
                        self.day[i].astype("datetime64[D]"),
                    )
                elif action == Action.SELL:
                    named = self.named[i]
                    ledger.sell(
                        tx["account_id"][i],
                        tx["symbol"][i],
                        float(tx["quantity"][i]),
                        int(tx["amount_cents"][i]),
                        self.day[i].astype("datetime64[D]"),
                        ReliefMethod.SPECIFIC if named else method,
                        tuple(named.split(";")) if named else (),
                    )
                    sale_seq.append(int(i))
                else:
                    ledger.split(
                        tx["symbol"][i], float(tx["ratio"][i]), tx["account_id"][i] or None
                    )
            except LedgerError as error:
                column = _COLUMN_OF_RULE.get(
                    error.rule, "ratio" if action == Action.SPLIT else "quantity"
                )
                return None, None, self._error(int(i), column, error.rule, str(error))
        realized = ledger.realized()
        sale = ledger.realized_rows.view("sale")
        realized.insert(0, "seq", np.asarray(sale_seq, dtype=np.int64)[sale[sale >= 0]])
        return realized, ledger.open_lots(), None
