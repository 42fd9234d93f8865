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
    parts = [
        _book_account(
            account,
            attribution[attribution["account_id"] == account],
            trades[trades["account_id"] == account],
            lot_sells[lot_sells["account_id"] == account],
            sleeves[sleeves["account_id"] == account],
            want[want["account_id"] == account],
            closes,
            float(min_trade_value.get(account, 0.0)),
        )
        for account in sorted(set(sleeves["account_id"]) & set(attribution["account_id"]))
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
    sells = lot_sells.groupby(["lot_id", "symbol"])["quantity"].sum()
    key = pd.MultiIndex.from_arrays([lots["lot_id"], lots["symbol"]])
    sold = sells.reindex(key).fillna(0.0).to_numpy(float)
    order = sleeves.assign(cash=sleeves["model_id"] == CASH_MODEL_ID).sort_values(
        ["cash", "target_weight", "sleeve_id"], ascending=[True, False, True]
    )
    ids = order["sleeve_id"].astype(str).to_numpy()
    goal = want.pivot_table(index="symbol", columns="sleeve_id", values="value", aggfunc="sum")
    goal = goal.reindex(columns=ids).fillna(0.0)
    position = {s: i for i, s in enumerate(ids)}
    sleeve_of = lots["sleeve_id"].astype(str).to_numpy().copy()
    transfers: list[dict] = []
    bought: list[pd.DataFrame] = []
    for symbol in sorted(set(lots["symbol"]) | set(trades["symbol"])):
        price = float(closes.get(symbol, 0.0))
        target = goal.loc[symbol].to_numpy(float) if symbol in goal.index else np.zeros(ids.size)
        mine = np.flatnonzero(lots["symbol"].to_numpy() == symbol)
        lot = _SymbolLots(
            lots["lot_id"].to_numpy(str)[mine],
            lots["quantity"].to_numpy(float)[mine],
            sold[mine],
            np.array([position[s] for s in sleeve_of[mine]], dtype=int),
            price,
        )
        moved = _relieve_in_selling_sleeve(lot, target)
        buys = trades[(trades["symbol"] == symbol) & (trades["side"] == "BUY")]
        split = _split_buy(lot, target, buys, ids.size)
        netted = _net(lot, target, split * price, min_trade)
        for k, to in [*moved, *netted]:
            relief = (k, to) in moved
            shares = float(lot.qty[k] if relief else lot.qty[k] - lot.sold[k])
            transfers.append(
                {
                    "account_id": account,
                    "lot_id": lot.ids[k],
                    "symbol": symbol,
                    "quantity": shares,
                    "value": round(shares * price, 2),
                    "from_sleeve": ids[lot.before[k]],
                    "to_sleeve": ids[to],
                    "kind": str(TransferKind.RELIEF if relief else TransferKind.NETTING),
                }
            )
        sleeve_of[mine] = ids[lot.sleeve]
        if len(buys):
            bought.append(_buy_rows(account, symbol, buys.iloc[0], split, ids))
    lots = lots.assign(sleeve_id=sleeve_of)
    relieved = lot_sells.merge(_relieved_in(lots, transfers), on=["lot_id", "symbol"], how="left")
    rows = [*bought, _sell_rows(account, relieved, trades)]
    booked = pd.concat([r for r in rows if len(r)] or [_empty(SLEEVE_TRADE_COLUMNS)])
    booked = booked.sort_values(["sleeve_id", "symbol", "side"], kind="stable")
    return (
        booked[SLEEVE_TRADE_COLUMNS].reset_index(drop=True),
        pd.DataFrame(transfers, columns=TRANSFER_COLUMNS),
        lots[["account_id", "lot_id", "symbol", "sleeve_id"]],
        relieved,
    )


class _SymbolLots:
    """One account's lots of one symbol: ids, shares, shares sold tonight, sleeve (a position in
    the account's sleeves) before and after tonight's transfers, at ``price``."""

    def __init__(self, ids, qty, sold, sleeve, price):
        self.ids, self.qty, self.sold, self.price = ids, qty, sold, price
        self.sleeve = sleeve
        self.before = sleeve

    def held(self, n: int, remaining: bool = True) -> np.ndarray:
        """Value per sleeve, (n,) USD: of the shares left after tonight's sells, or of all."""
        shares = self.qty - self.sold if remaining else self.qty
        return np.bincount(self.sleeve, shares * self.price, minlength=n)


def _relieve_in_selling_sleeve(lot: _SymbolLots, target: np.ndarray) -> list[tuple[int, int]]:
    """Step 1: a lot sold whole from a sleeve not over its model goes to the most over sleeve
    first, while that sleeve's excess lasts. Returns (lot, to sleeve) moves; updates ``lot``."""
    lot.before = lot.sleeve.copy()
    excess = lot.held(target.size, remaining=False) - target
    moves = []
    for k in np.flatnonzero(lot.sold > 0):
        v = lot.sold[k] * lot.price
        own = lot.sleeve[k]
        whole = lot.sold[k] >= lot.qty[k] - 1e-9
        best = int(np.argmax(excess))
        if whole and excess[own] <= 0 < excess[best] and best != own:
            lot.sleeve = lot.sleeve.copy()
            lot.sleeve[k] = best
            moves.append((int(k), best))
            own = best
        excess[own] -= v
    return moves


def _split_buy(lot: _SymbolLots, target: np.ndarray, buys: pd.DataFrame, n: int) -> np.ndarray:
    """Step 3: shares of tonight's buy per sleeve, (n,), adding up to the buy exactly."""
    split = np.zeros(n)
    if not len(buys):
        return split
    shares = float(buys["quantity"].sum())
    lacking = np.clip(target - lot.held(n), 0.0, None)
    if lacking.sum() <= 0:
        lacking = np.zeros(n)
        lacking[int(np.argmax(target)) if target.max() > 0 else 0] = 1.0
    return _exact_parts(shares, lacking)


def _exact_parts(total: float, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights``; the largest part takes the rounding
    remainder, so the parts add up to ``total`` exactly."""
    parts = total * weights / weights.sum()
    big = int(np.argmax(weights))
    parts[big] = 0.0
    parts[big] = total - parts.sum()
    return parts


def _net(
    lot: _SymbolLots, target: np.ndarray, bought: np.ndarray, min_trade: float
) -> list[tuple[int, int]]:
    """Step 4: whole lots from sleeves over their model to sleeves under it, largest first, while
    a move brings the pair closer to their models (neither further) and the shortfall is worth a
    trade."""
    drift = lot.held(target.size) + bought - target
    moves = []
    for k in np.argsort(-(lot.qty - lot.sold) * lot.price, kind="stable"):
        v = (lot.qty[k] - lot.sold[k]) * lot.price
        src, dst = lot.sleeve[k], int(np.argmin(drift))
        over, short = drift[src], -drift[dst]
        # each side ends no further from its model than it was, and the pair closer
        fits = v <= 2 * short and v <= 2 * over and v < over + short
        if v <= 0 or over <= 0 or short < max(min_trade, 1e-9) or not fits:
            continue
        lot.sleeve = lot.sleeve.copy()
        lot.sleeve[k] = dst
        drift[src] -= v
        drift[dst] += v
        moves.append((int(k), dst))
    return moves


def _buy_rows(account, symbol, buy, split, ids) -> pd.DataFrame:
    keep = split > 0
    notional = _exact_parts(float(buy["notional"]), split)
    return pd.DataFrame(
        {
            "account_id": account,
            "sleeve_id": ids[keep],
            "symbol": symbol,
            "side": "BUY",
            "quantity": split[keep],
            "notional": notional[keep],
            "reason": buy["reason"],
        }
    )


def _relieved_in(lots: pd.DataFrame, transfers: list[dict]) -> pd.DataFrame:
    """The sleeve each lot is sold from: after a RELIEF move, else its sleeve before netting."""
    out = lots[["lot_id", "symbol"]].assign(sleeve_id=lots["sleeve_id"])
    netted = {
        (t["lot_id"], t["symbol"]): t["from_sleeve"]
        for t in transfers
        if t["kind"] == TransferKind.NETTING
    }
    if netted:
        key = list(zip(out["lot_id"], out["symbol"]))
        out["sleeve_id"] = [netted.get(k, s) for k, s in zip(key, out["sleeve_id"])]
    return out


def _sell_rows(account, relieved: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Sells per sleeve: the shares of the lots each relieves; quantities and notionals split
    so they add up to the account's sell exactly."""
    rows = []
    for sell in trades[trades["side"] == "SELL"].itertuples(index=False):
        mine = relieved[relieved["symbol"] == sell.symbol]
        per = mine.groupby("sleeve_id")["quantity"].sum()
        if per.empty:
            continue
        shares = _exact_parts(float(sell.quantity), per.to_numpy(float))
        notional = _exact_parts(float(sell.notional), per.to_numpy(float))
        rows.append(
            pd.DataFrame(
                {
                    "account_id": account,
                    "sleeve_id": per.index.to_numpy(str),
                    "symbol": sell.symbol,
                    "side": "SELL",
                    "quantity": shares,
                    "notional": notional,
                    "reason": sell.reason,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else _empty(SLEEVE_TRADE_COLUMNS)
