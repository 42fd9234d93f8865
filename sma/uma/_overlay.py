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
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID
from sma.uma._attribution import sleeve_targets
from sma.uma._by_account import by_account

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
        set(sleeves["account_id"]) & (set(attribution["account_id"]) | set(trades["account_id"]))
    )
    lots_of, trades_of, sells_of, sleeves_of, want_of = (
        by_account(f, accounts) for f in (attribution, trades, lot_sells, sleeves, want)
    )
    parts = [
        _book_account(
            account,
            lots_of(account),
            trades_of(account),
            sells_of(account),
            sleeves_of(account),
            want_of(account),
            closes,
            float(min_trade_value.get(account, 0.0)),
        )
        for account in accounts
    ]
    parts = [p for p in parts if p is not None]
    if not parts:
        return SleeveBooking(
            _empty(SLEEVE_TRADE_COLUMNS),
            _empty(TRANSFER_COLUMNS),
            attribution[["account_id", "lot_id", "symbol", "sleeve_id"]].iloc[:0],
            lot_sells.assign(sleeve_id="").iloc[:0],
        )
    return SleeveBooking(*(pd.concat(list(frames), ignore_index=True) for frames in zip(*parts)))


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _book_account(account, lots, trades, lot_sells, sleeves, want, closes, min_trade):
    """One account's booking: (trades, transfers, lot_sleeves, lot_sells) frames."""
    lots = lots.sort_values(["symbol", "lot_id"], kind="stable").reset_index(drop=True)
    order = sleeves.assign(cash=sleeves["model_id"] == CASH_MODEL_ID).sort_values(
        ["cash", "target_weight", "sleeve_id"], ascending=[True, False, True]
    )
    ids = order["sleeve_id"].astype(str).to_numpy()
    position = pd.Index(ids)
    symbols = np.unique(
        np.concatenate(
            [
                lots["symbol"].to_numpy(str),
                trades["symbol"].to_numpy(str),
                want["symbol"].to_numpy(str),
            ]
        )
    )
    book = _Book(
        symbol=np.searchsorted(symbols, lots["symbol"].to_numpy(str)),
        qty=lots["quantity"].to_numpy(float),
        sold=_sold_shares(lots, lot_sells),
        sleeve=position.get_indexer(lots["sleeve_id"].astype(str)),
        price=closes.reindex(symbols).astype(float).fillna(0.0).to_numpy(),
        goal=np.zeros((symbols.size, ids.size)),
    )
    np.add.at(
        book.goal,
        (
            np.searchsorted(symbols, want["symbol"].to_numpy(str)),
            position.get_indexer(want["sleeve_id"]),
        ),
        want["value"].to_numpy(float),
    )
    relief = book.relieve_in_selling_sleeve()
    sold_in = book.sleeve.copy()
    buys = trades[trades["side"] == "BUY"]
    shares = book.split_buys(np.searchsorted(symbols, buys["symbol"].to_numpy(str)), buys)
    netted = book.net(shares, min_trade)
    lot_ids, lot_symbols = lots["lot_id"].to_numpy(str), lots["symbol"].to_numpy(str)
    transfers = pd.DataFrame(
        {
            "account_id": account,
            "lot_id": lot_ids[relief + netted],
            "symbol": lot_symbols[relief + netted],
            "quantity": np.concatenate([book.qty[relief], book.qty[netted] - book.sold[netted]]),
            # a netted lot is sold (if at all) in its sleeve before the move
            "from_sleeve": np.concatenate([ids[book.before[relief]], ids[sold_in[netted]]]),
            "to_sleeve": ids[np.concatenate([sold_in[relief], book.sleeve[netted]])].astype(str),
            "kind": [str(TransferKind.RELIEF)] * len(relief)
            + [str(TransferKind.NETTING)] * len(netted),
        },
        columns=[c for c in TRANSFER_COLUMNS if c != "value"],
    )
    transfers.insert(
        4,
        "value",
        (
            transfers["quantity"].to_numpy(float)
            * book.price[np.searchsorted(symbols, transfers["symbol"].to_numpy(str))]
        ).round(2),
    )
    key = pd.MultiIndex.from_arrays([lot_ids, lot_symbols])
    relieved_in = pd.Series(ids[sold_in], index=key)
    relieved = lot_sells.assign(
        sleeve_id=relieved_in.reindex(
            pd.MultiIndex.from_arrays(
                [lot_sells["lot_id"].astype(str), lot_sells["symbol"].astype(str)]
            )
        ).to_numpy(object)
    )
    bought = _buy_rows(
        account, buys, shares[np.searchsorted(symbols, buys["symbol"].to_numpy(str))], ids
    )
    rows = [r for r in (bought, _sell_rows(account, relieved, trades)) if len(r)]
    booked = pd.concat(rows, ignore_index=True) if rows else _empty(SLEEVE_TRADE_COLUMNS)
    booked = booked.sort_values(["sleeve_id", "symbol", "side"], kind="stable")
    return (
        booked[SLEEVE_TRADE_COLUMNS].reset_index(drop=True),
        transfers[TRANSFER_COLUMNS],
        lots[["account_id", "lot_id", "symbol"]].assign(sleeve_id=ids[book.sleeve]),
        relieved,
    )


def _sold_shares(lots: pd.DataFrame, lot_sells: pd.DataFrame) -> np.ndarray:
    """Shares of each lot sold tonight, (n_lots,)."""
    sells = lot_sells.groupby(["lot_id", "symbol"])["quantity"].sum()
    key = pd.MultiIndex.from_arrays([lots["lot_id"], lots["symbol"]])
    return sells.reindex(key).fillna(0.0).to_numpy(float)


class _Book:
    """One account's lots as arrays of shape (n_lots,): symbol (row of ``goal``), shares, shares
    sold tonight, sleeve (column of ``goal``) now and ``before`` tonight's moves; ``price`` per
    symbol; ``goal`` (n_symbols, n_sleeves), the value each sleeve's model asks for, USD."""

    def __init__(self, symbol, qty, sold, sleeve, price, goal):
        self.symbol, self.qty, self.sold, self.price, self.goal = symbol, qty, sold, price, goal
        self.sleeve, self.before = sleeve.copy(), sleeve.copy()

    def held(self, shares: np.ndarray) -> np.ndarray:
        """Value of ``shares`` per lot, summed per symbol and sleeve, (n_symbols, n_sleeves)."""
        out = np.zeros_like(self.goal)
        np.add.at(out, (self.symbol, self.sleeve), shares * self.price[self.symbol])
        return out

    def relieve_in_selling_sleeve(self) -> list[int]:
        """Step 1: a lot sold whole from a sleeve not over its model in the symbol goes to the most
        over sleeve, while that sleeve's excess lasts. Returns the lots moved."""
        excess = self.held(self.qty) - self.goal
        moved = []
        for k in np.flatnonzero(self.sold > 0):
            j, own = self.symbol[k], self.sleeve[k]
            best = int(np.argmax(excess[j]))
            whole = self.sold[k] >= self.qty[k] - 1e-9
            if whole and excess[j, own] <= 0 < excess[j, best] and best != own:
                self.sleeve[k] = own = best
                moved.append(int(k))
            excess[j, own] -= self.sold[k] * self.price[j]
        return moved

    def split_buys(self, rows: np.ndarray, buys: pd.DataFrame) -> np.ndarray:
        """Step 3: shares bought per symbol and sleeve, (n_symbols, n_sleeves): each buy split
        among the sleeves lacking the symbol, by what each lacks, adding up to the buy exactly."""
        shares = np.zeros_like(self.goal)
        lacking_all = np.clip(self.goal - self.held(self.qty - self.sold), 0.0, None)
        for j, qty in zip(rows, buys["quantity"].to_numpy(float)):
            lacking = lacking_all[j]
            if lacking.sum() <= 0:
                lacking = np.zeros(self.goal.shape[1])
                lacking[int(np.argmax(self.goal[j]))] = 1.0  # no model: the first, the largest
            shares[j] += _exact_parts(qty, lacking)
        return shares

    def net(self, bought: np.ndarray, min_trade: float) -> list[int]:
        """Step 4: whole lots from sleeves over their model to sleeves under it, largest first,
        while a move brings the pair closer to their models (neither ends further than it was)
        and the shortfall is worth a trade. Returns the lots moved."""
        left = (self.qty - self.sold) * self.price[self.symbol]
        drift = self.held(self.qty - self.sold) + bought * self.price[:, None] - self.goal
        rows = np.flatnonzero(
            (drift.max(axis=1) > 0) & (-drift.min(axis=1) >= max(min_trade, 1e-9))
        )
        moved = []
        candidates = np.flatnonzero(np.isin(self.symbol, rows) & (left > 0))
        for k in candidates[np.lexsort((-left[candidates], self.symbol[candidates]))]:
            j, src = self.symbol[k], self.sleeve[k]
            dst = int(np.argmin(drift[j]))
            over, short, v = drift[j, src], -drift[j, dst], left[k]
            fits = v <= 2 * short and v <= 2 * over and v < over + short
            if over <= 0 or short < max(min_trade, 1e-9) or not fits:
                continue
            self.sleeve[k] = dst
            drift[j, src] -= v
            drift[j, dst] += v
            moved.append(int(k))
        return moved


def _exact_parts(total: float, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights``; the largest part takes the rounding
    remainder, so the parts add up to ``total`` exactly."""
    parts = total * weights / weights.sum()
    big = int(np.argmax(weights))
    parts[big] = 0.0
    parts[big] = total - parts.sum()
    return parts


def _buy_rows(account, buys: pd.DataFrame, split: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """One row per buy and sleeve with shares; notionals split like the shares."""
    if not len(buys):
        return _empty(SLEEVE_TRADE_COLUMNS)
    notional = np.stack(
        [_exact_parts(float(n), row) for n, row in zip(buys["notional"].to_numpy(float), split)]
    )
    b, k = np.nonzero(split > 0)
    return pd.DataFrame(
        {
            "account_id": account,
            "sleeve_id": ids[k],
            "symbol": buys["symbol"].to_numpy(str)[b],
            "side": "BUY",
            "quantity": split[b, k],
            "notional": notional[b, k],
            "reason": buys["reason"].to_numpy(object)[b],
        }
    )


def _sell_rows(account, relieved: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Sells per sleeve: the shares of the lots each relieves; quantities and notionals split
    so they add up to the account's sell exactly (the sleeve selling most takes the rounding)."""
    sells = trades[trades["side"] == "SELL"][["symbol", "quantity", "notional", "reason"]]
    per = relieved.groupby(["symbol", "sleeve_id"], as_index=False)["quantity"].sum()
    per = per.rename(columns={"quantity": "lots"}).merge(sells, on="symbol")
    if per.empty:
        return _empty(SLEEVE_TRADE_COLUMNS)
    by = per.groupby("symbol")["lots"]
    share = per["lots"] / by.transform("sum")
    out = per.assign(
        account_id=account,
        side="SELL",
        quantity=per["quantity"] * share,
        notional=per["notional"] * share,
    )
    big = by.idxmax()
    for col, total in (("quantity", per["quantity"]), ("notional", per["notional"])):
        others = out[col].groupby(out["symbol"]).transform("sum") - out[col]
        out.loc[big.to_numpy(), col] = (total - others)[big.to_numpy()]
    return out[SLEEVE_TRADE_COLUMNS]
