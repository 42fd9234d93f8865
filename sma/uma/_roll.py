"""Model versions for days past the last one delivered: a simulated history's manager keeps
delivering (issue 19, "Book generator": "model changes over time so `make demo`'s history shows
some").
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.uma._models import MODEL_KEY


def roll_models_forward(
    models: pd.DataFrame, prices: pd.DataFrame, through: date, every_days: int
) -> pd.DataFrame:
    """Add a version of each model every ``every_days`` business days after its latest, through
    ``through``: the same names, each weight grown with its price since the latest version and
    renormalised (what a cap-weighted model's weights do as prices move).

    Parameters
    ----------
    models : every version delivered: provider_id, model_id, effective_date, symbol, weight.
    prices : closes: date, symbol, close (USD per share).
    through : the last day a new version may take effect.
    every_days : business days between versions, >= 1.

    Returns
    -------
    ``models`` with the new versions appended (same columns), sorted by provider_id, model_id,
    effective_date, symbol. A name without a close on the latest version's date or on the new
    version's date is left out of the new version.
    """
    frame = models.assign(effective_date=pd.to_datetime(models["effective_date"]))
    if frame.empty:
        return frame
    close = prices.assign(date=pd.to_datetime(prices["date"])).set_index(["date", "symbol"])[
        "close"
    ]
    latest = frame[
        frame["effective_date"] == frame.groupby(MODEL_KEY)["effective_date"].transform("max")
    ]
    added = []
    for _, version in latest.groupby(MODEL_KEY, sort=True):
        start = np.datetime64(version["effective_date"].iloc[0].date(), "D")
        n_new = max(int(np.busday_count(start, np.datetime64(through, "D"))), 0) // every_days
        days = np.busday_offset(start, np.arange(1, n_new + 1) * every_days, roll="forward")
        base = close.reindex(
            pd.MultiIndex.from_arrays([version["effective_date"], version["symbol"]])
        )
        for day in days[days <= np.datetime64(through, "D")]:  # through may be a holiday
            on = pd.Timestamp(day)
            now = close.reindex(pd.MultiIndex.from_arrays([[on] * len(version), version["symbol"]]))
            grown = version["weight"].to_numpy() * now.to_numpy() / base.to_numpy()
            keep = np.isfinite(grown) & (grown > 0)
            if not keep.any():
                continue
            added.append(
                version[keep].assign(effective_date=on, weight=grown[keep] / grown[keep].sum())
            )
    out = pd.concat([frame, *added], ignore_index=True)
    return out.sort_values([*MODEL_KEY, "effective_date", "symbol"]).reset_index(drop=True)
