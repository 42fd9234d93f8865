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
from sma.uma._codes import (
    MISSING,
    combined,
    lookup,
    outer,
    positions,
    same_rows,
    sorted_codes,
    sum_by,
)
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
    close = closes.reindex(ids.symbols).astype(float).fillna(0.0).to_numpy(float)
    before = _held(ids.key("attribution"), attribution, close)
    after_lots, after_key = _after_sells(attribution, booking, ids)
    after = _held_after(_held(after_key, after_lots, close), booking.trades, ids)
    frame = sleeves.copy()
    cash = accounts.set_index("account_id")
    is_cash = frame["model_id"] == CASH_MODEL_ID
    cash_weight = frame["target_weight"].where(is_cash, 0.0)
    share = cash_weight / cash_weight.groupby(frame["account_id"]).transform("sum").replace(0, 1)
    pairs = ids.pair("sleeves")
    weights = _ModelWeights(models, ids)
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
        frame[f"active_share_{when}"] = _active_share(frame["model_id"], pairs, held, weights, ids)
    for column, usd in _flows(booking, ids, cash).items():
        frame[column] = lookup(usd, pairs)
    frame["band_reason"] = _band_reasons(frame, out_of_band)
    out = frame[SLEEVE_RECORD_COLUMNS].sort_values(["account_id", "sleeve_id"])
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class _Ids:
    """The shard's accounts, sleeves and symbols, each sorted (their positions are the codes:
    rows ordered by codes order as by the ids), and the codes of the inputs' id columns.

    Attributes
    ----------
    codes : ``"<frame>.<column>"`` -> int64 of shape (n_rows,), for the frames attribution,
        lot_sleeves, trades, lot_sells, transfers and sleeves.
    """

    accounts: pd.Index
    sleeves: pd.Index
    symbols: pd.Index
    codes: dict[str, np.ndarray]

    @classmethod
    def of(cls, attribution, booking: SleeveBooking, sleeves, models) -> _Ids:
        frames = {
            "attribution": attribution,
            "lot_sleeves": booking.lot_sleeves,
            "trades": booking.trades,
            "lot_sells": booking.lot_sells,
            "sleeves": sleeves,
        }
        moved = booking.transfers
        accounts = {f"{n}.account_id": f["account_id"] for n, f in frames.items()}
        accounts["transfers.account_id"] = moved["account_id"]
        sleeve_ids = {f"{n}.sleeve_id": f["sleeve_id"] for n, f in frames.items()}
        sleeve_ids |= {f"transfers.{c}": moved[c] for c in ("from_sleeve", "to_sleeve")}
        symbols = {f"{n}.symbol": f["symbol"] for n, f in frames.items() if n != "sleeves"}
        symbols["models.symbol"] = models["symbol"]
        codes: dict[str, np.ndarray] = {}
        vocabularies = []
        for columns in (accounts, sleeve_ids, symbols):
            found, vocabulary = sorted_codes(*columns.values())
            codes |= dict(zip(columns, found, strict=True))
            vocabularies.append(vocabulary)
        return cls(vocabularies[0], vocabularies[1], vocabularies[2], codes)

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @property
    def n_pairs(self) -> int:
        return len(self.accounts) * len(self.sleeves)

    def pair(self, frame: str, sleeve: str = "sleeve_id") -> np.ndarray:
        """One int64 key per (account, sleeve) row of ``frame``, shape (n_rows,)."""
        codes = [self.codes[f"{frame}.account_id"], self.codes[f"{frame}.{sleeve}"]]
        return combined(codes, [len(self.accounts), len(self.sleeves)])

    def key(self, frame: str) -> np.ndarray:
        """One int64 key per (account, sleeve, symbol) row of ``frame``, ordered as the
        triples are."""
        codes = [self.pair(frame), self.codes[f"{frame}.symbol"]]
        return combined(codes, [self.n_pairs, self.n_symbols])

    def key_of(self, lots: pd.DataFrame) -> np.ndarray:
        """:meth:`key` of a frame not among the inputs."""
        codes = [
            positions(lots["account_id"], self.accounts),
            positions(lots["sleeve_id"], self.sleeves),
            positions(lots["symbol"], self.symbols),
        ]
        return combined(codes, [len(self.accounts), len(self.sleeves), self.n_symbols])


# pandas' arithmetic let an infinite or missing close pass without a warning: so does this
@np.errstate(invalid="ignore")
def _held(key: np.ndarray, lots: pd.DataFrame, close: np.ndarray) -> pd.Series:
    """The lots' value at tonight's close (0 for a symbol without one) per (account, sleeve,
    symbol) key, USD, indexed by the sorted keys."""
    symbol = np.where(key == MISSING, MISSING, key % len(close)) if len(close) else key
    price = np.where(symbol == MISSING, 0.0, close[symbol] if len(close) else 0.0)
    return sum_by(key, lots["quantity"].astype(float).to_numpy(float) * price)


@np.errstate(invalid="ignore")
def _held_after(lots: pd.Series, trades: pd.DataFrame, ids: _Ids) -> pd.Series:
    """Value per (account, sleeve, symbol) key after tonight: the lots left and the buys, USD,
    indexed by the sorted keys."""
    buys = (trades["side"] == "BUY").to_numpy(bool)
    bought = sum_by(ids.key("trades")[buys], trades["notional"].astype(float).to_numpy(float)[buys])
    key, lots_usd, buys_usd = outer(lots, bought)
    return pd.Series(lots_usd + buys_usd, index=key)


def _after_sells(
    attribution: pd.DataFrame, booking: SleeveBooking, ids: _Ids
) -> tuple[pd.DataFrame, np.ndarray]:
    """The lots in their sleeves after tonight's transfers, less the shares sold from them, and
    their (account, sleeve, symbol) keys."""
    sleeved = booking.lot_sleeves
    quantity = attribution[_LOT + ["quantity"]]
    if "quantity" not in sleeved.columns and same_rows(sleeved, quantity, _LOT):
        # the booking lists the attribution's lots in their order: nothing to join
        lots = sleeved.assign(quantity=quantity["quantity"].array)
        key = ids.key("lot_sleeves")
        account, symbol = ids.codes["lot_sleeves.account_id"], ids.codes["lot_sleeves.symbol"]
    else:
        lots = sleeved.merge(quantity)
        key = ids.key_of(lots)
        account = positions(lots["account_id"], ids.accounts)
        symbol = positions(lots["symbol"], ids.symbols)
    sells = booking.lot_sells
    # lot ids only match lots to sells: numbered as found (the sums and lookups need no order)
    lot, lot_ids = pd.factorize(pd.concat([lots["lot_id"], sells["lot_id"]]))
    sizes = [len(ids.accounts), len(lot_ids), ids.n_symbols]
    sold_lot = [ids.codes["lot_sells.account_id"], lot[len(lots) :], ids.codes["lot_sells.symbol"]]
    sold = sum_by(combined(sold_lot, sizes), sells["quantity"].to_numpy(float))
    left = lookup(sold, combined([account, lot[: len(lots)], symbol], sizes))
    return lots.assign(quantity=lots["quantity"] - left), key


def _uncovered_cash(frame: pd.DataFrame, cash: pd.DataFrame, when: str) -> np.ndarray:
    """Cash of accounts without a cash sleeve: in the account's value, in no sleeve; per
    sleeve row, USD."""
    has = (frame["model_id"] == CASH_MODEL_ID).groupby(frame["account_id"]).transform("any")
    amount = frame["account_id"].map(cash[f"cash_{when}"]).astype(float).fillna(0.0)
    return np.where(has.to_numpy(bool), 0.0, amount.to_numpy(float))


class _ModelWeights:
    """Each model's weights by symbol: (symbol codes sorted, weights with NaN as 0), or the
    weights as a Series indexed by symbol for a model naming a symbol twice (pandas aligns
    those its own way)."""

    def __init__(self, models: pd.DataFrame, ids: _Ids):
        symbol = ids.codes["models.symbol"]
        model, names = pd.factorize(models["model_id"])
        order = np.lexsort((symbol, model))
        bounds = np.searchsorted(model[order], np.arange(len(names) + 1))
        weight = _nan_as_zero(models["weight"].to_numpy(float))
        self._of: dict = {}
        for code, name in enumerate(names):
            rows = order[bounds[code] : bounds[code + 1]]
            mine = symbol[rows]
            if np.any(mine[1:] == mine[:-1]) or np.any(mine == MISSING):
                self._of[name] = models.iloc[np.sort(rows)].set_index("symbol")["weight"]
            else:
                self._of[name] = mine, weight[rows]

    def of(self, model_id) -> tuple[np.ndarray, np.ndarray] | pd.Series:
        """The weights of ``model_id``; none for a model not in force."""
        return self._of.get(model_id, _NO_MODEL)


_NO_MODEL = (np.zeros(0, dtype=np.int64), np.zeros(0))


def _active_share(
    model_id: pd.Series,
    pairs: np.ndarray,
    held: pd.Series,
    weights: _ModelWeights,
    ids: _Ids,
) -> np.ndarray:
    """Half the sum over symbols of |sleeve weight - model weight|, shape (n_sleeves,); NaN for
    a cash sleeve, 1.0 for an invested sleeve holding nothing.

    Each sleeve's sum runs over the symbols of the sleeve or its model in their sorted order
    (where pandas' alignment puts them), summed by numpy sleeve by sleeve as before."""
    key = held.index.to_numpy()
    value = held.to_numpy(float)
    lo, hi = np.searchsorted(key // ids.n_symbols, np.stack([pairs, pairs + 1]))
    hi = np.where(pairs == MISSING, lo, hi)
    total = _sums(_nan_as_zero(value), lo, hi)
    invested = (model_id != CASH_MODEL_ID).to_numpy(bool)
    out = np.where(invested, np.where(total <= 0, 1.0, np.nan), np.nan)
    model_of = [weights.of(m) for m in model_id]
    series = np.array([isinstance(m, pd.Series) for m in model_of], dtype=bool)
    apart = np.flatnonzero(invested & ~(total <= 0) & ~series)
    out[apart] = 0.5 * _distances(apart, key, value, lo, hi, total, model_of, ids.n_symbols)
    for i in np.flatnonzero(invested & ~(total <= 0) & series):
        symbols = ids.symbols[key[lo[i] : hi[i]] % ids.n_symbols]
        mine = pd.Series(value[lo[i] : hi[i]], index=symbols) / total[i]
        out[i] = 0.5 * float(mine.sub(model_of[i], fill_value=0.0).abs().sum())
    return out


@np.errstate(divide="ignore", invalid="ignore")
def _distances(
    rows: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    total: np.ndarray,
    model_of: list,
    n_symbols: int,
) -> np.ndarray:
    """For each sleeve of ``rows``, the sum over the symbols of the sleeve or its model of
    |sleeve weight - model weight| (a side missing counts 0), shape (len(rows),). The sleeve's
    holdings are ``key[lo:hi]``, ``value[lo:hi]`` (USD), worth ``total``."""
    held, of = _spans(lo[rows], hi[rows])
    mine_key = of * n_symbols + key[held] % n_symbols
    mine = _nan_as_zero(value[held] / total[rows][of])
    models = [model_of[i] for i in rows]
    theirs_key = np.concatenate(
        [np.zeros(0, np.int64)] + [n * n_symbols + m[0] for n, m in enumerate(models)]
    )
    theirs = np.concatenate([np.zeros(0)] + [m[1] for m in models])
    union = np.union1d(mine_key, theirs_key)
    gap = np.zeros(len(union))
    gap[np.searchsorted(union, mine_key)] = mine
    gap[np.searchsorted(union, theirs_key)] -= theirs
    edges = np.searchsorted(union // n_symbols, np.arange(len(rows) + 1))
    return _sums(_nan_as_zero(np.abs(gap)), edges[:-1], edges[1:])


def _spans(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position ``lo[i] <= p < hi[i]``, for each i in turn, and the i of each."""
    size = hi - lo
    of = np.repeat(np.arange(len(lo)), size)
    return lo[of] + np.arange(size.sum()) - (np.cumsum(size) - size)[of], of


def _nan_as_zero(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), 0.0, values)


def _sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``values[lo[i]:hi[i]].sum()`` for each i: numpy's pairwise sum of each slice, the way
    ``Series.sum`` added the same values before."""
    return np.array([values[a:b].sum() for a, b in zip(lo, hi, strict=True)], dtype=float)


def _flows(booking: SleeveBooking, ids: _Ids, cash: pd.DataFrame) -> dict[str, pd.Series]:
    """USD bought, sold, transferred in and out, realized gain and its tax, summed per
    (account, sleeve) key."""
    trades, moved = booking.trades, booking.transfers
    notional = trades["notional"].astype(float).to_numpy(float)
    value = moved["value"].astype(float).to_numpy(float)
    gain, tax = _gains(booking.lot_sells, ids.codes["lot_sells.account_id"], ids, cash)
    (side,), sides = sorted_codes(trades["side"])
    by_side = sum_by(combined([ids.pair("trades"), side], [ids.n_pairs, len(sides)]), notional)

    def on(name: str) -> pd.Series:
        """The sums of one side, by (account, sleeve) key."""
        if name not in sides:
            return pd.Series(dtype=float)
        at = by_side.index.to_numpy() % len(sides) == sides.get_loc(name)
        return pd.Series(by_side.to_numpy()[at], index=by_side.index.to_numpy()[at] // len(sides))

    return {
        "bought": on("BUY"),
        "sold": on("SELL"),
        "transferred_in": sum_by(ids.pair("transfers", "to_sleeve"), value),
        "transferred_out": sum_by(ids.pair("transfers", "from_sleeve"), value),
        "realized_gain": sum_by(ids.pair("lot_sells"), gain),
        "tax_cost": sum_by(ids.pair("lot_sells"), tax),
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


def _gains(
    lot_sells: pd.DataFrame, account: np.ndarray, ids: _Ids, accounts: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Realized gain and its tax of each lot sell, USD, each of shape (n_sells,); a loss is a
    negative tax, nothing outside a taxable account (or one not in ``accounts``)."""
    where = accounts.index.get_indexer(ids.accounts) if len(ids.accounts) else np.zeros(0, int)
    at = np.where(account == MISSING, -1, where[account] if len(where) else -1)
    known = at >= 0
    taxable = accounts["account_type"].astype(str).str.upper().to_numpy() == AccountType.TAXABLE
    long = (lot_sells["term"] == "LONG").to_numpy(bool)
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
