"""A simulated history's managers keep delivering versions (issue 19, "Book generator": "model
changes over time so `make demo`'s history shows some"): each new version holds the same names,
weights grown with their prices since the latest version."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sma.uma import model_changes, roll_models_forward

MODELS = pd.DataFrame(
    {
        "provider_id": ["ALDER", "ALDER"],
        "model_id": ["VALUE", "VALUE"],
        "effective_date": pd.to_datetime(["2026-11-02", "2026-11-02"]),
        "symbol": ["AAA", "BBB"],
        "weight": [0.5, 0.5],
    }
)


def _prices(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "symbol", "close"])


PRICES = _prices(
    ("2026-11-02", "AAA", 10.0),
    ("2026-11-02", "BBB", 20.0),
    ("2026-11-09", "AAA", 30.0),
    ("2026-11-09", "BBB", 20.0),
    ("2026-11-16", "AAA", 10.0),
)


def test_each_new_version_grows_the_weights_with_prices_since_the_latest():
    rolled = roll_models_forward(MODELS, PRICES, date(2026, 11, 13), every_days=5)
    new = rolled[rolled["effective_date"] == pd.Timestamp("2026-11-09")]
    assert dict(zip(new["symbol"], new["weight"], strict=True)) == pytest.approx(
        {"AAA": 0.75, "BBB": 0.25}
    )
    assert rolled["effective_date"].nunique() == 2, "the next version would be after `through`"


def test_a_name_without_a_close_is_left_out_of_the_new_version():
    rolled = roll_models_forward(MODELS, PRICES, date(2026, 11, 16), every_days=5)
    last = rolled[rolled["effective_date"] == pd.Timestamp("2026-11-16")]
    assert list(last["symbol"]) == ["AAA"] and list(last["weight"]) == [1.0]


def test_the_night_after_a_rolled_version_reports_it():
    rolled = roll_models_forward(MODELS, PRICES, date(2026, 11, 13), every_days=5)
    sleeves = pd.DataFrame({"account_id": ["A1"], "model_id": ["VALUE"]})
    changes = model_changes(rolled, sleeves, date(2026, 11, 9), previous=date(2026, 11, 6))
    assert list(changes["change"]) == ["REWEIGHTED", "REWEIGHTED"]


def test_no_close_at_all_on_a_version_day_adds_no_version_and_no_models_stay_none():
    prices = PRICES[PRICES["date"] != "2026-11-09"]
    assert len(roll_models_forward(MODELS, prices, date(2026, 11, 13), every_days=5)) == 2
    assert roll_models_forward(MODELS.iloc[:0], PRICES, date(2026, 11, 13), 5).empty
