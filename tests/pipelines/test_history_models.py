"""``make demo``'s history carries model versions past the generated book's (issue 19: "model
changes over time so `make demo`'s history shows some"): a version a quarter, at the simulated
closes, in every snapshot the history loads."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipelines.history import with_model_versions
from sma.book import BookParams


def test_a_snapshot_gets_a_version_each_quarter_since_the_latest_delivered():
    every = BookParams().model_version_days
    days = np.busday_offset(np.datetime64("2026-01-02"), np.arange(0, 2 * every + 1))
    prices = pd.DataFrame(
        {"date": pd.to_datetime(days), "symbol": "AAA", "close": np.linspace(10, 20, len(days))}
    )
    models = pd.DataFrame(
        {
            "provider_id": ["ALDER"],
            "model_id": ["VALUE"],
            "effective_date": [pd.Timestamp("2026-01-02")],
            "symbol": ["AAA"],
            "weight": [1.0],
        }
    )
    frames = {"models": models, "prices": prices, "lots": pd.DataFrame()}
    out = with_model_versions(frames, days[-1].astype(object))
    assert list(out["models"]["effective_date"]) == list(
        pd.to_datetime(days[[0, every, 2 * every]])
    )
    assert out["lots"] is frames["lots"], "the other files are the snapshot's own"
    assert date(2026, 1, 2) in set(out["models"]["effective_date"].dt.date)
