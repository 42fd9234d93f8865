"""The decision record per sleeve: where each sleeve stood before and after tonight's trades.

Issue 19, "The overlay decision": "the decision record shows per sleeve: drift before/after,
tracking to its model, tax cost". A sleeve's weight is its value (its lots at tonight's close; a
cash sleeve's share of the account's cash, by target weight) over the account's value; its drift
is that weight minus its target weight, within its ``drift_band`` or not; its tracking to its
model is the active share, half the sum of |the sleeve's weight in a symbol - the model's|; its
tax cost is the tax on the gains its sells realize (at the account's short- and long-term rates;
a loss is a negative cost; nothing in an IRA or Roth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID, AccountType
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
    attribution : tonight's lots with their sleeves before the trades (``attribute_lots``).
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
    keys = ["account_id", "sleeve_id", "symbol"]
    before = _valued(attribution, closes).groupby(keys)["value"].sum()
    sold = booking.lot_sells.groupby(["account_id", "lot_id", "symbol"])["quantity"].sum()
    after_lots = booking.lot_sleeves.merge(
        attribution[["account_id", "lot_id", "symbol", "quantity"]]
    )
    left = sold.reindex(
        pd.MultiIndex.from_frame(after_lots[["account_id", "lot_id", "symbol"]])
    ).fillna(0.0)
    after_lots = after_lots.assign(quantity=after_lots["quantity"] - left.to_numpy(float))
    buys = booking.trades[booking.trades["side"] == "BUY"]
    after = (
        _valued(after_lots, closes)
        .groupby(keys)["value"]
        .sum()
        .add(buys.groupby(keys)["notional"].sum().astype(float), fill_value=0.0)
    )
    frame = sleeves.copy()
    cash = accounts.set_index("account_id")
    is_cash = frame["model_id"] == CASH_MODEL_ID
    cash_weight = frame["target_weight"].where(is_cash, 0.0)
    share = cash_weight / cash_weight.groupby(frame["account_id"]).transform("sum").replace(0, 1)
    for when, held in (("before", before), ("after", after)):
        lots_value = held.groupby(level=[0, 1]).sum()
        value = pd.Series(
            lots_value.reindex(pd.MultiIndex.from_frame(frame[["account_id", "sleeve_id"]]))
            .fillna(0.0)
            .to_numpy(float),
            index=frame.index,
        ) + share * frame["account_id"].map(cash[f"cash_{when}"]).astype(float)
        # astype: with no UMA account in the shard, mapping the empty frame keeps its string dtype
        uncovered = frame["account_id"].map(_uncovered_cash(frame, cash, when)).astype(float)
        total = value.groupby(frame["account_id"]).transform("sum") + uncovered
        frame[f"value_{when}"] = value
        frame[f"weight_{when}"] = np.where(total > 0, value / total, 0.0)
        frame[f"drift_{when}"] = frame[f"weight_{when}"] - frame["target_weight"]
        frame[f"within_band_{when}"] = frame[f"drift_{when}"].abs() <= frame["drift_band"] + 1e-12
        frame[f"active_share_{when}"] = _active_share(frame, held, models)
    flows = booking.trades.assign(notional=booking.trades["notional"].astype(float))
    by_side = flows.groupby(["account_id", "sleeve_id", "side"])["notional"].sum()
    moved = booking.transfers.assign(value=booking.transfers["value"].astype(float))
    gains = _gains(booking.lot_sells, cash)
    pairs = pd.MultiIndex.from_frame(frame[["account_id", "sleeve_id"]])

    def per_sleeve(series: pd.Series) -> np.ndarray:
        return series.reindex(pairs).fillna(0.0).to_numpy(float)

    frame["bought"] = per_sleeve(_side(by_side, "BUY"))
    frame["sold"] = per_sleeve(_side(by_side, "SELL"))
    frame["transferred_in"] = per_sleeve(moved.groupby(["account_id", "to_sleeve"])["value"].sum())
    frame["transferred_out"] = per_sleeve(
        moved.groupby(["account_id", "from_sleeve"])["value"].sum()
    )
    frame["realized_gain"] = per_sleeve(gains["realized_gain"])
    frame["tax_cost"] = per_sleeve(gains["tax_cost"])
    frame["band_reason"] = _band_reasons(frame, out_of_band)
    out = frame[SLEEVE_RECORD_COLUMNS].sort_values(["account_id", "sleeve_id"])
    return out.reset_index(drop=True)


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


def _valued(lots: pd.DataFrame, closes: pd.Series) -> pd.DataFrame:
    price = lots["symbol"].map(closes).astype(float).fillna(0.0)
    return lots.assign(value=lots["quantity"].astype(float) * price)


def _uncovered_cash(frame: pd.DataFrame, cash: pd.DataFrame, when: str) -> pd.Series:
    """Cash of accounts without a cash sleeve: in the account's value, in no sleeve."""
    has = frame.groupby("account_id")["model_id"].apply(lambda m: (m == CASH_MODEL_ID).any())
    amount = cash[f"cash_{when}"].reindex(has.index).astype(float).fillna(0.0)
    return amount.where(~has, 0.0)


def _active_share(frame: pd.DataFrame, held: pd.Series, models: pd.DataFrame) -> np.ndarray:
    """Half the sum over symbols of |sleeve weight - model weight|; NaN for a cash sleeve, 1.0
    for an invested sleeve holding nothing."""
    out = np.full(len(frame), np.nan)
    weights = models.groupby("model_id")
    for i, row in enumerate(frame.itertuples(index=False)):
        if row.model_id == CASH_MODEL_ID:
            continue
        key = (row.account_id, row.sleeve_id)
        mine = held.loc[key] if key in held.index.droplevel(2) else pd.Series(dtype=float)
        total = float(mine.sum())
        model = (
            weights.get_group(row.model_id).set_index("symbol")["weight"]
            if row.model_id in weights.groups
            else pd.Series(dtype=float)
        )
        if total <= 0:
            out[i] = 1.0
            continue
        diff = (mine / total).sub(model, fill_value=0.0).abs().sum()
        out[i] = 0.5 * float(diff)
    return out


def _side(by_side: pd.Series, side: str) -> pd.Series:
    if by_side.empty:
        return pd.Series(dtype=float)
    return (
        by_side.xs(side, level="side")
        if side in by_side.index.get_level_values(2)
        else (pd.Series(dtype=float))
    )


def _gains(lot_sells: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Realized gain and its tax per (account, sleeve)."""
    if lot_sells.empty:
        return pd.DataFrame({"realized_gain": pd.Series(dtype=float), "tax_cost": []})
    info = accounts.reindex(lot_sells["account_id"])
    taxable = info["account_type"].astype(str).str.upper().to_numpy() == AccountType.TAXABLE
    rate = np.where(
        lot_sells["term"].to_numpy() == "LONG",
        info["lt_tax_rate"].to_numpy(float),
        info["st_tax_rate"].to_numpy(float),
    )
    gain = lot_sells["realized_gain"].to_numpy(float)
    frame = lot_sells[["account_id", "sleeve_id"]].assign(
        realized_gain=gain, tax_cost=np.where(taxable, gain * rate, 0.0)
    )
    return frame.groupby(["account_id", "sleeve_id"])[["realized_gain", "tax_cost"]].sum()
