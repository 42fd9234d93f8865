"""The overlay's view of one night's decision, sleeve by sleeve: which sleeve each trade is for,
and the lots that move between sleeves without a trade.

Issue 19, "Sleeves in the ledger": "relief picks lots within the selling sleeve first, and may
transfer lots between sleeves without a trade when that avoids one (recorded)"; "The overlay
decision": "trades are netted across sleeves (never a buy in one sleeve and a sell of the same
security in another on one night) ... Every trade keeps its reason and names its sleeve".

The account is decided once (:mod:`sma.rebalance`), so its trades are already net across sleeves
and its lot sells are the account-wide tax choice. This module books them to sleeves, per account
and symbol, against what each sleeve should hold (its target weight x its model's weight x the
account's value):

1. **Relief in the selling sleeve first.** A lot sold whole from a sleeve that is not over its
   model in the symbol, while another sleeve is, is booked as sold by the most over sleeve: the
   lot moves to it before the sale (a RELIEF transfer), as far as that sleeve's excess goes.
2. **Sells** relieve the sleeve each sold lot then belongs to.
3. **Buys** are split among the sleeves under their model in the symbol, in proportion to what
   each lacks; with none under, to the sleeve whose model weighs the symbol most, else (a symbol in
   no model: a harvest's replacement) the account's largest sleeve.
4. **Netting.** Where one sleeve still holds more than its model asks and another less, whole
   lots move from the first to the second (a NETTING transfer), largest first, while each move
   brings the two sleeves closer to their models (neither ends further than it was) and the
   shortfall is worth a trade (the account's min_trade_value): what sleeves traded on their own
   would have sold in one and bought in the other.

A shard's accounts are booked together, on arrays over all their lots, buys and lot sells
(:mod:`sma.uma._overlay_layout`), and each exactly as if it were booked alone: steps 1 and 4 go
lot by lot within an account and symbol, so they take the first lot of every (account, symbol)
at once, then the second, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.uma._attribution import sleeve_targets
from sma.uma._codes import sum_by
from sma.uma._overlay_layout import ShardArrays, shard_arrays

SLEEVE_TRADE_COLUMNS = [
    "account_id",
    "sleeve_id",
    "symbol",
    "side",
    "quantity",
    "notional",
    "reason",
]
TRANSFER_COLUMNS = [
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "value",
    "from_sleeve",
    "to_sleeve",
    "kind",
]


class TransferKind(StrEnum):
    """Why a lot moved between sleeves without a trade."""

    RELIEF = "RELIEF"  # sold tonight: booked in the sleeve over its model (step 1)
    NETTING = "NETTING"  # one sleeve's excess covers another's shortfall (step 4)
    BAND = "BAND"  # a sleeve out of its drift band brought back in (sma.uma.keep_in_band)


@dataclass(frozen=True)
class SleeveBooking:
    """Tonight's decision booked to sleeves.

    Attributes
    ----------
    trades : :data:`SLEEVE_TRADE_COLUMNS` -- per account, sleeve, symbol and side; quantities and
        notionals add up to the account's trades exactly (the last sleeve gets the remainder).
    transfers : :data:`TRANSFER_COLUMNS` -- lots moved between sleeves without a trade (value
        USD at tonight's close).
    lot_sleeves : account_id, lot_id, symbol, sleeve_id -- every lot's sleeve after tonight's
        transfers (the attribution the next night keeps).
    lot_sells : the account's lot sells with the ``sleeve_id`` each relieves.
    """

    trades: pd.DataFrame
    transfers: pd.DataFrame
    lot_sleeves: pd.DataFrame
    lot_sells: pd.DataFrame


def book_to_sleeves(
    attribution: pd.DataFrame,
    trades: pd.DataFrame,
    lot_sells: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    account_value: pd.Series,
    min_trade_value: pd.Series,
) -> SleeveBooking:
    """Book the accounts' trades and lot sells to their sleeves (the module's four steps).

    Parameters
    ----------
    attribution : tonight's lots with their sleeves (:func:`sma.uma.attribute_lots`).
    trades : the engine's trades (``sma.rebalance.TRADE_COLUMNS``); other accounts' are ignored.
    lot_sells : the engine's lot sells (``sma.rebalance.LOT_SELL_COLUMNS``).
    sleeves : account_id, sleeve_id, model_id, target_weight.
    models : the versions in force: model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    account_value : account_id -> value before tonight's trades, USD.
    min_trade_value : account_id -> the smallest trade worth making, USD.

    Returns
    -------
    SleeveBooking
    """
    want = sleeve_targets(sleeves, models)
    want = want.assign(value=want["weight"] * want["account_id"].map(account_value).astype(float))
    accounts = sorted(
        set(sleeves["account_id"].unique())
        & (set(attribution["account_id"].unique()) | set(trades["account_id"].unique()))
    )
    if not accounts:
        return SleeveBooking(
            _empty(SLEEVE_TRADE_COLUMNS),
            _empty(TRANSFER_COLUMNS),
            attribution[["account_id", "lot_id", "symbol", "sleeve_id"]].iloc[:0],
            lot_sells.assign(sleeve_id="").iloc[:0],
        )
    shard = shard_arrays(accounts, attribution, trades, lot_sells, sleeves, want, closes)
    book = _Book(shard)
    relief = book.relieve_in_selling_sleeve()
    sold_in = book.sleeve.copy()
    shares = book.split_buys()
    smallest = [max(float(min_trade_value.get(a, 0.0)), 1e-9) for a in accounts]
    netted = book.net(shares, np.array(smallest))
    relieved = _relieved(shard, lot_sells, sold_in)
    return SleeveBooking(
        _booked_trades(shard, shares, relieved, trades),
        _transfers(shard, attribution, book, sold_in, relief, netted),
        _lot_sleeves(shard, attribution, book.sleeve),
        relieved,
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


class _Book:
    """The shard's lots in their sleeves (:class:`ShardArrays`), moved by the steps in turn:
    ``sleeve`` (n_lots,) the column of each lot's sleeve now, ``before`` before tonight's moves.

    Each account's rows of the table are its own, so every step works on all accounts at once;
    where a step's rule goes lot by lot (each move changes what the next lot sees), it takes the
    first lot of every row at once, then the second, and so on (:func:`_turns`)."""

    def __init__(self, shard: ShardArrays):
        self.shard, self.lots, self.layout = shard, shard.lots, shard.layout
        self.sleeve, self.before = shard.lots.sleeve.copy(), shard.lots.sleeve.copy()
        self.lot_price = self.layout.price[self.lots.symbol]

    def held(self, shares: np.ndarray) -> np.ndarray:
        """Value of ``shares`` per lot, summed per row and sleeve in lot order, (n_rows, width)."""
        rows, width = self.layout.row_symbol.size, self.layout.width
        cells = self.lots.row * width + self.sleeve
        return np.bincount(cells, shares * self.lot_price, minlength=rows * width).reshape(
            rows, width
        )

    def relieve_in_selling_sleeve(self) -> np.ndarray:
        """Step 1: a lot sold whole from a sleeve not over its model in the symbol goes to the most
        over sleeve, while that sleeve's excess lasts. Returns the lots moved, in lot order."""
        lots = self.lots
        excess = self.held(lots.qty) - self.shard.goal
        excess[~self.layout.real] = -np.inf  # padding is never the most over sleeve
        sold = np.flatnonzero(lots.sold > 0)
        moved = np.zeros(lots.qty.size, dtype=bool)
        for turn in _turns(lots.row[sold]):
            k = sold[turn]
            j, own = lots.row[k], self.sleeve[k]
            best = excess[j].argmax(axis=1)
            whole = lots.sold[k] >= lots.qty[k] - 1e-9
            go = whole & (excess[j, own] <= 0) & (0 < excess[j, best]) & (best != own)
            own = np.where(go, best, own)
            self.sleeve[k], moved[k] = own, go
            excess[j, own] -= lots.sold[k] * self.lot_price[k]
        return np.flatnonzero(moved)

    def split_buys(self) -> np.ndarray:
        """Step 3: shares bought per row and sleeve, (n_rows, width): each buy split among the
        sleeves lacking the symbol, by what each lacks, adding up to the buy exactly."""
        lots, buys, goal = self.lots, self.shard.buys, self.shard.goal
        lacking = np.clip(goal - self.held(lots.qty - lots.sold), 0.0, None)[buys.row]
        parts = np.zeros_like(lacking)
        for n, these in _by_sleeve_count(self.layout.n_sleeves[buys.account]):
            weights = np.ascontiguousarray(lacking[these, :n])
            none = np.flatnonzero(weights.sum(axis=1) <= 0)
            weights[none] = 0.0  # no model: the first, the largest
            weights[none, goal[buys.row[these[none]], :n].argmax(axis=1)] = 1.0
            parts[these, :n] = _exact_parts(buys.qty[these], weights)
        width = self.layout.width
        cells = (buys.row[:, None] * width + np.arange(width)).ravel()
        rows = self.layout.row_symbol.size
        return np.bincount(cells, parts.ravel(), minlength=rows * width).reshape(rows, width)

    def net(self, bought: np.ndarray, smallest: np.ndarray) -> np.ndarray:
        """Step 4: whole lots from sleeves over their model to sleeves under it, largest first,
        while a move brings the pair closer to their models (neither ends further than it was)
        and the shortfall is worth a trade (``smallest`` (n_accounts,), USD). Returns the lots
        moved, account by account in the order tried."""
        lots, plan = self.lots, self.layout
        left = (lots.qty - lots.sold) * self.lot_price
        drift = (
            self.held(lots.qty - lots.sold)
            + bought * plan.price[plan.row_symbol][:, None]
            - self.shard.goal
        )
        real, smallest = plan.real, smallest[plan.row_account]
        rows = (np.where(real, drift, -np.inf).max(axis=1) > 0) & (
            -np.where(real, drift, np.inf).min(axis=1) >= smallest
        )
        tried = np.flatnonzero(rows[lots.row] & (left > 0))
        tried = tried[np.lexsort((-left[tried], lots.row[tried]))]
        moved = np.zeros(tried.size, dtype=bool)
        for turn in _turns(lots.row[tried]):
            k = tried[turn]
            j, src = lots.row[k], self.sleeve[k]
            dst = np.where(real[j], drift[j], np.inf).argmin(axis=1)
            over, short, v = drift[j, src], -drift[j, dst], left[k]
            fits = (v <= 2 * short) & (v <= 2 * over) & (v < over + short)
            go = ~(over <= 0) & ~(short < smallest[j]) & fits
            self.sleeve[k[go]] = dst[go]
            drift[j[go], src[go]] -= v[go]
            drift[j[go], dst[go]] += v[go]
            moved[turn[go]] = True
        return tried[moved]


def _turns(group: np.ndarray) -> list[np.ndarray]:
    """Positions of ``group`` (n,), equal values adjacent, dealt one per group at a time: the
    i-th array holds the i-th position of every group with more than i."""
    if not group.size:
        return []
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(group.size) - np.repeat(start, np.diff(np.r_[start, group.size]))
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _by_sleeve_count(n_sleeves: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Positions by their account's number of sleeves: the splits sum over exactly the account's
    sleeves, as when it was booked alone (a sum's rounding depends on how many it adds)."""
    return [(int(n), np.flatnonzero(n_sleeves == n)) for n in np.unique(n_sleeves)]


def _exact_parts(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each ``total`` (m,) split in proportion to its row of ``weights`` (m, n); the largest part
    takes the rounding remainder, so each row's parts add up to its total exactly."""
    parts = total[:, None] * weights / weights.sum(axis=1)[:, None]
    big, rows = weights.argmax(axis=1), np.arange(total.size)
    parts[rows, big] = 0.0
    parts[rows, big] = total - parts.sum(axis=1)
    return parts


def _transfers(shard, attribution, book: _Book, sold_in, relief, netted) -> pd.DataFrame:
    """:data:`TRANSFER_COLUMNS`: each account's RELIEF moves (lot order), then its NETTING ones."""
    lots, plan = shard.lots, shard.layout
    lot = np.concatenate([relief, netted])
    order = np.argsort(lots.account[lot], kind="stable")
    lot, account = lot[order], lots.account[lot[order]]
    quantity = np.concatenate([lots.qty[relief], lots.qty[netted] - lots.sold[netted]])[order]
    # a netted lot is sold (if at all) in its sleeve before the move
    source = np.concatenate([book.before[relief], sold_in[netted]])[order]
    target = np.concatenate([sold_in[relief], book.sleeve[netted]])[order]
    kinds = [str(TransferKind.RELIEF)] * relief.size + [str(TransferKind.NETTING)] * netted.size
    n = shard.n_accounts
    transfers = pd.DataFrame(
        {
            "account_id": np.asarray(plan.accounts, dtype=str)[account],
            "lot_id": attribution["lot_id"].iloc[lots.at[lot]].to_numpy(str),
            "symbol": plan.symbols[lots.symbol[lot]],
            "quantity": quantity,
            "from_sleeve": _typed_as_parts(plan.sleeve_id(account, source), account, n),
            "to_sleeve": plan.sleeve_id(account, target).astype(str),
            # no moves at all: an empty list, which pandas types float
            "kind": _typed_as_parts(np.array(kinds, dtype=object)[order], account, n)
            if kinds
            else [],
        },
        columns=[c for c in TRANSFER_COLUMNS if c != "value"],
    )
    transfers.insert(4, "value", (quantity * plan.price[lots.symbol[lot]]).round(2))
    return transfers


def _lot_sleeves(shard: ShardArrays, attribution: pd.DataFrame, sleeve) -> pd.DataFrame:
    """account_id, lot_id, symbol, sleeve_id: every lot's sleeve after tonight's transfers."""
    lots = shard.lots
    named = attribution[["account_id", "lot_id", "symbol"]].iloc[lots.at].reset_index(drop=True)
    sleeve_id = shard.layout.sleeve_id(lots.account, sleeve)
    return named.assign(sleeve_id=_typed_as_parts(sleeve_id, lots.account, shard.n_accounts))


def _relieved(shard: ShardArrays, lot_sells: pd.DataFrame, sold_in: np.ndarray) -> pd.DataFrame:
    """The accounts' lot sells with the sleeve each relieves (none for a lot not held)."""
    sells = shard.sells
    held = sells.lot >= 0
    sleeve_id = np.full(sells.at.size, np.nan, dtype=object)
    sleeve_id[held] = shard.layout.sleeve_id(sells.account[held], sold_in[sells.lot[held]])
    # an account naming no sleeve (no lot sells of lots it holds) had an untyped column
    sleeve_id = _typed_as_parts(sleeve_id, sells.account[held], shard.n_accounts)
    return lot_sells.iloc[sells.at].reset_index(drop=True).assign(sleeve_id=sleeve_id)


def _booked_trades(shard, shares, relieved, trades) -> pd.DataFrame:
    """:data:`SLEEVE_TRADE_COLUMNS`, account by account, each sorted by sleeve, symbol and side."""
    rows = [
        r for r in (_buy_rows(shard, shares, trades), _sell_rows(shard, relieved, trades)) if len(r)
    ]
    if not rows:
        return pd.concat([_empty(SLEEVE_TRADE_COLUMNS)], ignore_index=True)
    booked = pd.concat(rows, ignore_index=True).sort_values(
        ["_account", "sleeve_id", "symbol", "side"], kind="stable"
    )
    account = booked["_account"].to_numpy()
    booked = booked[SLEEVE_TRADE_COLUMNS].reset_index(drop=True)
    if np.bincount(account, minlength=shard.n_accounts).all():
        return booked
    return booked.astype(object)  # an account booking nothing added an empty object frame


def _buy_rows(shard: ShardArrays, shares: np.ndarray, trades: pd.DataFrame) -> pd.DataFrame:
    """One row per buy and sleeve with shares; notionals split like the shares."""
    buys, plan = shard.buys, shard.layout
    split = shares[buys.row]
    notional = np.zeros_like(split)
    for n, these in _by_sleeve_count(plan.n_sleeves[buys.account]):
        weights = np.ascontiguousarray(split[these, :n])
        notional[these, :n] = _exact_parts(buys.notional[these], weights)
    b, k = np.nonzero(split > 0)
    account = buys.account[b]
    return pd.DataFrame(
        {
            "_account": account,
            "account_id": np.asarray(plan.accounts, dtype=str)[account],
            "sleeve_id": plan.sleeve_id(account, k),
            "symbol": plan.symbols[plan.row_symbol[buys.row[b]]],
            "side": "BUY",
            "quantity": split[b, k],
            "notional": notional[b, k],
            "reason": trades["reason"].iloc[buys.at[b]].to_numpy(object),
        }
    )


def _sell_rows(shard: ShardArrays, relieved: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Sells per sleeve: the shares of the lots each relieves; quantities and notionals split
    so they add up to the account's sell exactly (the sleeve selling most takes the rounding)."""
    at = np.flatnonzero((shard.trade_account >= 0) & (trades["side"] == "SELL").to_numpy())
    at = at[np.argsort(shard.trade_account[at], kind="stable")]
    sells = trades[["symbol", "quantity", "notional", "reason"]].iloc[at]
    sells = sells.assign(_account=shard.trade_account[at])
    per = relieved[["symbol", "sleeve_id", "quantity"]].assign(_account=shard.sells.account)
    per = per.groupby(["_account", "symbol", "sleeve_id"], as_index=False)["quantity"].sum()
    per = per.rename(columns={"quantity": "lots"}).merge(sells, on=["_account", "symbol"])
    if per.empty:
        return per
    quantity, notional = _split_to_sleeves(per)
    out = per.assign(
        account_id=np.asarray(shard.layout.accounts, dtype=str)[per["_account"].to_numpy()],
        side="SELL",
        quantity=quantity,
        notional=notional,
    )
    return out[["_account", *SLEEVE_TRADE_COLUMNS]]


# pandas' arithmetic let a sell of no shares (0 / 0) pass without a warning: so does this
@np.errstate(divide="ignore", invalid="ignore")
def _split_to_sleeves(per: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each sleeve's part of its account's sell, quantity and notional, (n_rows,) each: the sell
    times the sleeve's share of the shares given up (``lots``); the sleeve giving up most (the
    first of equal ones, as ``idxmax``) takes the sell less the others' parts, so the parts add
    up to it exactly. ``per``'s rows of one (account, symbol) come together (sorted by them);
    the sums are pandas' group sums over the same rows in order (:func:`sum_by`)."""
    account, symbol = per["_account"].to_numpy(), per["symbol"].to_numpy(object)
    new = np.r_[True, (account[1:] != account[:-1]) | (symbol[1:] != symbol[:-1])]
    group, starts = np.cumsum(new) - 1, np.flatnonzero(new)
    lots = per["lots"].to_numpy(float)
    share = lots / _group_sums(group, lots)
    top = np.fmax.reduceat(lots, starts)[group]  # the most given up (NaN skipped, as idxmax)
    big = np.minimum.reduceat(np.where(lots == top, np.arange(lots.size), lots.size), starts)
    parts = []
    for column in ("quantity", "notional"):
        total = per[column].to_numpy(float)
        part = total * share
        others = _group_sums(group, part) - part
        part[big] = (total - others)[big]
        parts.append(part)
    return parts[0], parts[1]


def _group_sums(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row's group total, (n_rows,): ``transform("sum")`` of rows numbered by ``group``
    (0, 1, ... in order)."""
    return sum_by(group, values).to_numpy(float)[group]


def _typed_as_parts(values: np.ndarray, account: np.ndarray, n_accounts: int):
    """A column of text ``values`` (object) handed to pandas so that it is typed as when each
    account's frame was built alone and the frames concatenated: text where every account had
    rows in ``account`` (the accounts with rows); object where some had none (their empty
    columns were untyped, and the common type of text and untyped is object)."""
    if np.bincount(account, minlength=n_accounts).all():
        return values
    return pd.Series(values, dtype=object)
