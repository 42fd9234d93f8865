"""Model versions and what a new one changed (issue 19, "Model feeds").

Issue 19: "a model is a whole set of weights as of its date ... A model change (a new
effective_date) is picked up by the next night and reported: what changed, which accounts follow
it".
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from sma.uma import ModelChange, model_changes, models_in_force


def _models(*rows: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        [r.split(",") for r in rows],
        columns=["provider_id", "model_id", "effective_date", "symbol", "weight"],
    )
    return frame.assign(
        effective_date=pd.to_datetime(frame["effective_date"]), weight=frame["weight"].astype(float)
    )


MODELS = _models(
    "NORTHWIND,CORE,2026-10-01,AAPL,0.5",
    "NORTHWIND,CORE,2026-10-01,MSFT,0.3",
    "NORTHWIND,CORE,2026-10-01,JNJ,0.2",
    "NORTHWIND,CORE,2026-11-24,AAPL,0.5",
    "NORTHWIND,CORE,2026-11-24,MSFT,0.2",
    "NORTHWIND,CORE,2026-11-24,XOM,0.3",
    "ALDER,GROWTH,2026-09-01,MSFT,1",
)
SLEEVES = pd.DataFrame(
    {
        "account_id": ["A3", "A1", "A3", "A1"],
        "sleeve_id": ["S1", "S1", "S2", "S2"],
        "model_id": ["CORE", "CORE", "GROWTH", "CASH"],
    }
)


def test_the_model_in_force_is_its_latest_version_on_or_before_the_night():
    on_23 = models_in_force(MODELS, date(2026, 11, 23))
    on_24 = models_in_force(MODELS, date(2026, 11, 24))
    core = on_23[on_23["model_id"] == "CORE"]
    assert set(core["symbol"]) == {"AAPL", "MSFT", "JNJ"}
    assert set(on_24[on_24["model_id"] == "CORE"]["symbol"]) == {"AAPL", "MSFT", "XOM"}
    assert set(on_24["model_id"]) == {"CORE", "GROWTH"}


def test_a_model_whose_first_version_is_later_than_the_night_is_not_in_force():
    assert models_in_force(MODELS, date(2026, 8, 31)).empty


def test_a_new_version_reports_symbols_added_removed_and_reweighted_and_who_follows_it():
    """A version replaces the last whole: JNJ, absent from the new one, is removed."""
    changes = model_changes(MODELS, SLEEVES, date(2026, 11, 24), previous=date(2026, 11, 23))
    got = {
        (r.symbol, r.change, r.old_weight, r.new_weight)
        for r in changes.fillna({"old_weight": -1, "new_weight": -1}).itertuples()
    }
    assert got == {
        ("JNJ", ModelChange.REMOVED, 0.2, -1),
        ("MSFT", ModelChange.REWEIGHTED, 0.3, 0.2),
        ("XOM", ModelChange.ADDED, -1, 0.3),
    }, "AAPL kept its weight: not a change"
    assert set(changes["model_id"]) == {"CORE"}
    assert set(changes["accounts"]) == {"A1;A3"}
    assert set(changes["old_effective_date"]) == {pd.Timestamp("2026-10-01")}
    assert set(changes["new_effective_date"]) == {pd.Timestamp("2026-11-24")}


def test_a_version_that_took_effect_between_nights_is_picked_up_by_the_next_night():
    """A version dated on a weekend is reported on Monday night, once."""
    models = MODELS.assign(
        effective_date=MODELS["effective_date"].replace(
            pd.Timestamp("2026-11-24"), pd.Timestamp("2026-11-22")
        )
    )
    friday, monday, tuesday = date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)
    assert len(model_changes(models, SLEEVES, monday, previous=friday)) == 3
    assert model_changes(models, SLEEVES, tuesday, previous=monday).empty


def test_a_model_first_in_force_tonight_adds_every_symbol():
    changes = model_changes(MODELS, SLEEVES, date(2026, 9, 1), previous=date(2026, 8, 31))
    assert list(changes["symbol"]) == ["MSFT"]
    assert list(changes["change"]) == [ModelChange.ADDED]
    assert changes["old_effective_date"].isna().all()
    assert list(changes["accounts"]) == ["A3"]


def test_a_version_restating_the_same_weights_changes_nothing():
    restated = _models("ALDER,GROWTH,2026-09-01,MSFT,1", "ALDER,GROWTH,2026-11-24,MSFT,1")
    assert model_changes(restated, SLEEVES, date(2026, 11, 24), date(2026, 11, 23)).empty


def test_the_first_night_has_no_last_night_to_compare_with():
    assert model_changes(MODELS, SLEEVES, date(2026, 11, 24), previous=None).empty


def test_a_changed_model_nobody_follows_names_no_account():
    changes = model_changes(MODELS, SLEEVES.iloc[:0], date(2026, 11, 24), date(2026, 11, 23))
    assert set(changes["accounts"]) == {""}


def test_a_book_without_models_has_no_change():
    changes = model_changes(
        MODELS.iloc[:0], SLEEVES.iloc[:0], date(2026, 11, 24), date(2026, 11, 23)
    )
    assert changes.empty and list(changes.columns)[:2] == ["provider_id", "model_id"]
