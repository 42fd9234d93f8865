"""The decision record per sleeve: where each sleeve stood before and after tonight's trades.

Issue 19, "The overlay decision": "the decision record shows per sleeve: drift before/after,
tracking to its model, tax cost". A sleeve's weight is its value (its lots at tonight's close; a
cash sleeve's share of the account's cash, by target weight) over the account's value; its drift
is that weight minus its target weight, within its ``drift_band`` or not; its tracking to its
model is the active share, half the sum of |the sleeve's weight in a symbol - the model's|; its
tax cost is the tax on the gains its sells realize (at the account's short- and long-term rates;
a loss is a negative cost; nothing in an IRA or Roth).

The shard's lots, trades and transfers are summed per sleeve at once, on integer codes
(:mod:`sma.uma._codes`) with pandas' group sums over the rows in their order; only the active share
is summed sleeve by sleeve, with numpy over the symbols in their sorted order, so every figure is
the one the per-sleeve frames gave, to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID, AccountType
from sma.uma._codes import MISSING, combined, lookup, outer, positions, sorted_codes, sum_by
from sma.uma._overlay import SleeveBooking

SLEEVE_RECORD_COLUMNS = [
    "account_id",
    "sleeve_id",
    "model_id",
    "target_weight",
    "drift_band",
    "value_before",
    "value_after",
    "weight_before",
    "weight_after",
    "drift_before",
    "drift_after",
    "within_band_before",
    "within_band_after",
    "active_share_before",
    "active_share_after",
    "bought",
    "sold",
    "transferred_in",
    "transferred_out",
    "realized_gain",
    "tax_cost",
    "band_reason",
]

_LOT = ["account_id", "lot_id", "symbol"]


def sleeve_records(
    attribution: pd.DataFrame,
    booking: SleeveBooking,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    accounts: pd.DataFrame,
    out_of_band: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One record per sleeve of the accounts booked (:func:`sma.uma.book_to_sleeves`).

    Parameters
    ----------
    attribution : tonight's lots with their sleeves before the trades (``attribute_lots``),
        one row per (account_id, lot_id, symbol) (the lots contract).
    booking : the night's trades, transfers and lot sells booked to sleeves.
    sleeves : account_id, sleeve_id, model_id, target_weight, drift_band.
    models : the versions in force: model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    accounts : account_id, account_type, st_tax_rate, lt_tax_rate, cash_before, cash_after (USD).
    out_of_band : account_id, sleeve_id, reason: why a sleeve could not be brought inside its
        drift band (:func:`sma.uma.keep_in_band`); None: no reasons known.

    Returns
    -------
    Frame with :data:`SLEEVE_RECORD_COLUMNS`, sorted by account_id, sleeve_id.
    """
    ids = _Ids.of(attribution, booking, sleeves, models)
    before = ids.held(attribution, _valued(attribution, closes, ids))
    after_lots = _after_sells(attribution, booking)
    lots_after = ids.held(after_lots, _valued(after_lots, closes, ids))
    buys = booking.trades["side"] == "BUY"
    bought_usd = sum_by(
        ids.key(booking.trades)[buys.to_numpy(bool)],
        booking.trades.loc[buys, "notional"].astype(float).to_numpy(float),
    )
    key, lots_usd, buys_usd = outer(lots_after, bought_usd)
    after = pd.Series(lots_usd + buys_usd, index=key)
    frame = sleeves.copy()
    cash = accounts.set_index("account_id")
    is_cash = frame["model_id"] == CASH_MODEL_ID
    cash_weight = frame["target_weight"].where(is_cash, 0.0)
    share = cash_weight / cash_weight.groupby(frame["account_id"]).transform("sum").replace(0, 1)
    pairs = ids.pair(frame["account_id"], frame["sleeve_id"])
    models_of = _ModelWeights(models, ids)
    for when, held in (("before", before), ("after", after)):
        lots_value = lookup(sum_by(held.index.to_numpy() // ids.n_symbols, held.to_numpy()), pairs)
        value = pd.Series(lots_value, index=frame.index) + share * frame["account_id"].map(
            cash[f"cash_{when}"]
        ).astype(float)
        uncovered = _uncovered_cash(frame, cash, when)
        total = value.groupby(frame["account_id"]).transform("sum") + uncovered
        frame[f"value_{when}"] = value
        frame[f"weight_{when}"] = np.where(total > 0, value / total, 0.0)
        frame[f"drift_{when}"] = frame[f"weight_{when}"] - frame["target_weight"]
        frame[f"within_band_{when}"] = frame[f"drift_{when}"].abs() <= frame["drift_band"] + 1e-12
        frame[f"active_share_{when}"] = _active_share(frame, pairs, held, models_of, ids)
    for column, usd in _flows(booking, ids, cash).items():
        frame[column] = lookup(usd, pairs)
    frame["band_reason"] = _band_reasons(frame, out_of_band)
    out = frame[SLEEVE_RECORD_COLUMNS].sort_values(["account_id", "sleeve_id"])
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class _Ids:
    """The shard's accounts, sleeves and symbols, each sorted: their positions are the codes, and
    rows ordered by codes order as by the ids."""

    accounts: pd.Index
    sleeves: pd.Index
    symbols: pd.Index

    @classmethod
    def of(cls, attribution, booking: SleeveBooking, sleeves, models) -> _Ids:
        frames = (attribution, booking.lot_sleeves, booking.trades, booking.lot_sells, sleeves)
        _, accounts = sorted_codes(
            *(f["account_id"] for f in frames), booking.transfers["account_id"]
        )
        _, sleeve_ids = sorted_codes(
            *(f["sleeve_id"] for f in frames),
            booking.transfers["from_sleeve"],
            booking.transfers["to_sleeve"],
        )
        _, symbols = sorted_codes(*(f["symbol"] for f in frames[:4]), models["symbol"])
        return cls(accounts, sleeve_ids, symbols)

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def n_pairs(self) -> int:
        return len(self.accounts) * len(self.sleeves)

    def pair(self, account: pd.Series, sleeve: pd.Series) -> np.ndarray:
        """One int64 key per (account, sleeve), shape (n_rows,)."""
        codes = [positions(account, self.accounts), positions(sleeve, self.sleeves)]
        return combined(codes, [len(self.accounts), len(self.sleeves)])

    def key(self, frame: pd.DataFrame) -> np.ndarray:
        """One int64 key per (account, sleeve, symbol) row of ``frame``, ordered as the
        triples (by symbol within a sleeve)."""
        pair = self.pair(frame["account_id"], frame["sleeve_id"])
        symbol = positions(frame["symbol"], self.symbols)
        return combined([pair, symbol], [self.n_pairs, self.n_symbols])

    def held(self, lots: pd.DataFrame, value: np.ndarray) -> pd.Series:
        """Value per (account, sleeve, symbol) key of ``lots``, USD, indexed by sorted key."""
        return sum_by(self.key(lots), value)


def _valued(lots: pd.DataFrame, closes: pd.Series, ids: _Ids) -> np.ndarray:
    """Each lot's value at tonight's close (0 for a symbol without one), USD, shape (n_lots,)."""
    close = closes.reindex(ids.symbols).astype(float).fillna(0.0).to_numpy(float)
    symbol = positions(lots["symbol"], ids.symbols)
    price = np.where(symbol == MISSING, 0.0, close[symbol])
    return lots["quantity"].astype(float).to_numpy(float) * price


def _after_sells(attribution: pd.DataFrame, booking: SleeveBooking) -> pd.DataFrame:
    """The lots in their sleeves after tonight's transfers, less the shares sold from them."""
    sleeved = booking.lot_sleeves
    quantity = attribution[_LOT + ["quantity"]]
    if "quantity" not in sleeved.columns and _same_lots(sleeved, quantity):
        # the booking lists the attribution's lots in their order: nothing to join
        lots = sleeved.assign(quantity=quantity["quantity"].array)
    else:
        lots = sleeved.merge(quantity)
    sells = booking.lot_sells
    lot, lot_ids = pd.factorize(pd.concat([lots["lot_id"], sells["lot_id"]]), sort=True)
    (account, sold_account), accounts = sorted_codes(lots["account_id"], sells["account_id"])
    (symbol, sold_symbol), symbols = sorted_codes(lots["symbol"], sells["symbol"])
    sizes = [len(accounts), len(lot_ids), len(symbols)]
    sold = sum_by(
        combined([sold_account, lot[len(lots) :], sold_symbol], sizes),
        sells["quantity"].to_numpy(float),
    )
    left = lookup(sold, combined([account, lot[: len(lots)], symbol], sizes))
    return lots.assign(quantity=lots["quantity"] - left)


def _same_lots(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    if len(left) != len(right):
        return False
    return all(bool(np.all(left[c].array == right[c].array)) for c in _LOT)


def _uncovered_cash(frame: pd.DataFrame, cash: pd.DataFrame, when: str) -> np.ndarray:
    """Cash of accounts without a cash sleeve: in the account's value, in no sleeve; per
    sleeve row, USD."""
    has = (frame["model_id"] == CASH_MODEL_ID).groupby(frame["account_id"]).transform("any")
    amount = frame["account_id"].map(cash[f"cash_{when}"]).astype(float).fillna(0.0)
    return np.where(has.to_numpy(bool), 0.0, amount.to_numpy(float))


class _ModelWeights:
    """Each model's weights by symbol, in the symbols' order."""

    def __init__(self, models: pd.DataFrame, ids: _Ids):
        symbol = positions(models["symbol"], ids.symbols)
        model, self._names = pd.factorize(models["model_id"])
        order = np.lexsort((symbol, model))
        self._model = model[order]
        self._symbol = symbol[order]
        self._weight = models["weight"].to_numpy()[order]
        self._models = models

    def of(self, model_id) -> tuple[np.ndarray, np.ndarray] | pd.Series:
        """(symbol codes, weights) of ``model_id`` (empty for a model not in force), or its
        weights by symbol as a Series where a symbol repeats (pandas aligns those its own way)."""
        code = self._names.get_indexer([model_id])[0] if len(self._names) else -1
        lo, hi = np.searchsorted(self._model, [code, code + 1]) if code >= 0 else (0, 0)
        symbol = self._symbol[lo:hi]
        if len(symbol) > 1 and (np.any(symbol[1:] == symbol[:-1]) or symbol[0] == MISSING):
            mine = self._models[self._models["model_id"] == model_id]
            return mine.set_index("symbol")["weight"]
        return symbol, self._weight[lo:hi]


def _active_share(
    frame: pd.DataFrame,
    pairs: np.ndarray,
    held: pd.Series,
    models: _ModelWeights,
    ids: _Ids,
) -> np.ndarray:
    """Half the sum over symbols of |sleeve weight - model weight|; NaN for a cash sleeve, 1.0
    for an invested sleeve holding nothing.

    Summed sleeve by sleeve with numpy over the symbols of the sleeve or its model in their
    sorted order (where pandas' alignment puts them), so each figure is the one before."""
    out = np.full(len(frame), np.nan)
    key = held.index.to_numpy()
    value = held.to_numpy(float)
    bounds = np.searchsorted(key // ids.n_symbols, np.stack([pairs, pairs + 1]))
    for i, model_id in enumerate(frame["model_id"]):
        if model_id == CASH_MODEL_ID:
            continue
        lo, hi = bounds[0, i], bounds[1, i]
        mine = value[lo:hi] if pairs[i] != MISSING else value[:0]
        total = float(np.nansum(mine))
        if total <= 0:
            out[i] = 1.0
            continue
        model = models.of(model_id)
        symbol = key[lo:hi] % ids.n_symbols
        out[i] = 0.5 * _distance(symbol, mine / total, model, ids)
    return out


def _distance(symbol: np.ndarray, weight: np.ndarray, model, ids: _Ids) -> float:
    """Sum over the symbols of either of |weight - model weight| (a side missing counts 0)."""
    if isinstance(model, pd.Series):
        mine = pd.Series(weight, index=ids.symbols[symbol])
        return float(mine.sub(model, fill_value=0.0).abs().sum())
    model_symbol, model_weight = model
    union = np.union1d(symbol, model_symbol)
    mine = np.zeros(len(union))
    theirs = np.zeros(len(union))
    mine[np.searchsorted(union, symbol)] = np.nan_to_num(weight, nan=0.0)
    theirs[np.searchsorted(union, model_symbol)] = np.nan_to_num(model_weight, nan=0.0)
    return float(np.nansum(np.abs(mine - theirs)))


def _flows(booking: SleeveBooking, ids: _Ids, cash: pd.DataFrame) -> dict[str, pd.Series]:
    """USD bought, sold, transferred in and out, realized gain and its tax, summed per
    (account, sleeve) key."""
    trades, moved = booking.trades, booking.transfers
    pair = ids.pair(trades["account_id"], trades["sleeve_id"])
    notional = trades["notional"].astype(float).to_numpy(float)
    value = moved["value"].astype(float).to_numpy(float)
    gain, tax = _gains(booking.lot_sells, cash)
    sold_pair = ids.pair(booking.lot_sells["account_id"], booking.lot_sells["sleeve_id"])

    (side,), sides = sorted_codes(trades["side"])
    by_side = sum_by(combined([pair, side], [ids.n_pairs, len(sides)]), notional)

    def on(name: str) -> pd.Series:
        """The sums of one side, by (account, sleeve) key."""
        if name not in sides:
            return pd.Series(dtype=float)
        at = by_side.index.to_numpy() % len(sides) == sides.get_loc(name)
        return pd.Series(by_side.to_numpy()[at], index=by_side.index.to_numpy()[at] // len(sides))

    return {
        "bought": on("BUY"),
        "sold": on("SELL"),
        "transferred_in": sum_by(ids.pair(moved["account_id"], moved["to_sleeve"]), value),
        "transferred_out": sum_by(ids.pair(moved["account_id"], moved["from_sleeve"]), value),
        "realized_gain": sum_by(sold_pair, gain),
        "tax_cost": sum_by(sold_pair, tax),
    }


def _band_reasons(frame: pd.DataFrame, out_of_band: pd.DataFrame | None) -> np.ndarray:
    """Why each sleeve out of band after tonight is; "" for a sleeve in band."""
    known = (
        pd.Series(dtype=object)
        if out_of_band is None or out_of_band.empty
        else out_of_band.set_index(["account_id", "sleeve_id"])["reason"]
    )
    why = known.reindex(pd.MultiIndex.from_frame(frame[["account_id", "sleeve_id"]]))
    why = why.fillna("out of band after tonight's trades").to_numpy(object)
    return np.where(frame["within_band_after"].to_numpy(bool), "", why)


def _gains(lot_sells: pd.DataFrame, accounts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Realized gain and its tax of each lot sell, USD, each of shape (n_sells,)."""
    at = positions(lot_sells["account_id"], accounts.index)
    taxable = accounts["account_type"].astype(str).str.upper().to_numpy() == AccountType.TAXABLE
    long = (lot_sells["term"] == "LONG").to_numpy(bool)
    known = at != MISSING
    rate = np.full(len(at), np.nan)
    rate[known] = np.where(
        long[known],
        accounts["lt_tax_rate"].to_numpy(float)[at[known]],
        accounts["st_tax_rate"].to_numpy(float)[at[known]],
    )
    gain = lot_sells["realized_gain"].to_numpy(float)
    is_taxable = np.zeros(len(at), dtype=bool)
    is_taxable[known] = taxable[at[known]]
    return gain, np.where(is_taxable, gain * rate, 0.0)
