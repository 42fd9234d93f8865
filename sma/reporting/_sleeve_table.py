"""A UMA account's sleeves on its statement (issue 19, "Reports": "statements with a sleeve table
(value, weight vs target, return vs the model's return) beside the account's performance").

A sleeve's return is time-weighted from its attributed lots, night by night: the lots a sleeve
holds on one night (the store's ``uma_lot_sleeves`` with that night's shares) valued at that
night's close and at the next night's; trades, transfers and lots moving between sleeves happen
between the two and so are flows, never returns. The nights chain from the last night before the
period (its close is the period's start) to the period's end. Its model's return chains the same
nights over the model's weights in force each night (rebalanced nightly, as a model is delivered).
When the sleeve history starts after the period's start, the table says so ("since <date>").
A cash sleeve has no return of its own on the statement.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID
from sma.uma import models_in_force

#: One row per sleeve, as the statement prints it.
SLEEVE_TABLE_COLUMNS = [
    "sleeve_id",
    "model_id",
    "value",
    "weight",
    "target_weight",
    "sleeve_return",
    "model_return",
    "since",
]


def sleeve_performance(
    lot_sleeves: pd.DataFrame,
    closes: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    cash: float,
    start: date,
    end: date,
    paid: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The sleeve table of one UMA account for the period ``start`` .. ``end`` (the module's rule).

    Parameters
    ----------
    lot_sleeves : as_of_date, lot_id, symbol, quantity, sleeve_id -- the account's lots on each
        night, with their sleeves.
    closes : close per date (index, date-like) and symbol (columns), USD per share.
    sleeves : sleeve_id, model_id, target_weight -- the account's sleeves at the period end.
    models : every stored model version: provider_id, model_id, effective_date, symbol, weight.
    cash : the account's cash at the period end, USD (the cash sleeve's value).
    start, end : the period, inclusive.
    paid : optional, USD per share each symbol paid its holders besides its close, per date and
        symbol as ``closes`` (``sma.ledger.paid_out``): a spin-off's new shares and a return of
        capital paid after one night, by its next, are the sleeve's and the model's return (their
        holders have them; the new lots then joining a sleeve are a flow, as any lot moving).

    Returns
    -------
    Frame with :data:`SLEEVE_TABLE_COLUMNS`, in the sleeves' order: value at the end (USD),
    weight of the account, target weight, returns as fractions (NaN: none; a cash sleeve) and
    ``since``, the first night of the returns when later than the period's start (else None).
    """
    nights = sorted(pd.to_datetime(lot_sleeves["as_of_date"]).dt.date.unique())
    before = [d for d in nights if d < start]
    inside = [d for d in nights if start <= d <= end]
    chain = before[-1:] + inside
    since = None if before or not inside else inside[0]
    if paid is not None:  # the few days anything was paid, dated as ``px``
        days = paid[(paid != 0).to_numpy().any(axis=1)]
        paid = days.set_axis(pd.to_datetime(days.index))
    px = closes.copy()
    px.index = pd.to_datetime(px.index)
    px = px.sort_index()

    def close_on(day) -> pd.Series:
        return px.loc[: pd.Timestamp(day)].iloc[-1] if len(px.loc[: pd.Timestamp(day)]) else None

    held = lot_sleeves.assign(night=pd.to_datetime(lot_sleeves["as_of_date"]).dt.date)
    steps = list(zip(chain, chain[1:] + [end]))
    growth: dict[str, float] = {}
    model_growth: dict[str, float] = {}
    for a, b in steps:
        pa, pb = close_on(a), close_on(b)
        if pa is None or pb is None or a == b:
            continue
        pb = pb + _paid_between(paid, a, b).reindex(pb.index, fill_value=0.0)
        mine = held[held["night"] == a]
        qty = mine["quantity"].astype(float).to_numpy()
        va = qty * mine["symbol"].map(pa).astype(float).to_numpy()
        vb = qty * mine["symbol"].map(pb).astype(float).to_numpy()
        per = pd.DataFrame({"s": mine["sleeve_id"].to_numpy(), "a": va, "b": vb}).groupby("s").sum()
        for sleeve, row in per.iterrows():
            if row["a"] > 0:
                growth[str(sleeve)] = growth.get(str(sleeve), 1.0) * row["b"] / row["a"]
        weights = models_in_force(models, a)
        ratio = weights["symbol"].map(pb / pa).astype(float).fillna(1.0)
        for model, r in (weights["weight"] * ratio).groupby(weights["model_id"]).sum().items():
            model_growth[str(model)] = model_growth.get(str(model), 1.0) * float(r)
    last = held[held["night"] == nights[-1]] if nights else held
    p_end = close_on(end)
    value_of = (
        (last["quantity"].astype(float) * last["symbol"].map(p_end).astype(float))
        .groupby(last["sleeve_id"])
        .sum()
        if p_end is not None
        else pd.Series(dtype=float)
    )
    is_cash = sleeves["model_id"] == CASH_MODEL_ID
    n_cash = max(int(is_cash.sum()), 1)
    value = np.where(
        is_cash,
        cash / n_cash,
        sleeves["sleeve_id"].map(value_of).astype(float).fillna(0.0).to_numpy(),
    )
    total = float(value.sum()) + (0.0 if is_cash.any() else cash)
    return pd.DataFrame(
        {
            "sleeve_id": sleeves["sleeve_id"].to_numpy(),
            "model_id": sleeves["model_id"].to_numpy(),
            "value": value,
            "weight": value / total if total > 0 else np.zeros(len(value)),
            "target_weight": sleeves["target_weight"].astype(float).to_numpy(),
            "sleeve_return": [
                np.nan if c else growth.get(str(s), np.nan) - 1.0
                for s, c in zip(sleeves["sleeve_id"], is_cash)
            ],
            "model_return": [
                np.nan if c else model_growth.get(str(m), np.nan) - 1.0
                for m, c in zip(sleeves["model_id"], is_cash)
            ],
            "since": since,
        },
        columns=SLEEVE_TABLE_COLUMNS,
    )


def _paid_between(paid: pd.DataFrame | None, a: date, b: date) -> pd.Series:
    """USD per share each symbol paid its holders after night ``a``, up to night ``b``."""
    if paid is None or paid.empty:
        return pd.Series(dtype=float)
    return paid[(paid.index > pd.Timestamp(a)) & (paid.index <= pd.Timestamp(b))].sum()
