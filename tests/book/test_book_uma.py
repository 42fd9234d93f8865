"""The generated book's model-delivered UMA (issue 19, "Book generator": "three fictional model
providers (e.g. core index, dividend/value, growth, ESG-screened), 20-30% of generated accounts as
UMAs with 2-4 sleeves plus a cash sleeve, and model changes over time")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.book import BookError, generate_book
from sma.uma import model_changes
from tests.book.conftest import AS_OF, SMALL


@pytest.fixture(scope="module")
def big():
    return generate_book(400, 19, AS_OF, SMALL)


def test_a_quarter_of_accounts_are_umas(big):
    share = (big["accounts"]["implementation"] == "UMA").mean()
    assert 0.20 <= share <= 0.30
    assert set(big["accounts"]["implementation"]) == {"UMA", "MANAGER_TRADED"}


def test_every_uma_has_two_to_four_model_sleeves_and_one_cash_sleeve_summing_to_one(big):
    sleeves = big["sleeves"]
    uma = set(big["accounts"].loc[big["accounts"]["implementation"] == "UMA", "account_id"])
    assert set(sleeves["account_id"]) == uma, "a MANAGER_TRADED account has no sleeves"
    per = sleeves.groupby("account_id")
    cash = per["model_id"].agg(lambda m: int((m == "CASH").sum()))
    models = per["model_id"].agg(lambda m: int((m != "CASH").sum()))
    assert (cash == 1).all()
    assert models.between(2, 4).all() and set(models) == {2, 3, 4}
    assert np.allclose(per["target_weight"].sum(), 1.0, atol=1e-9)
    assert not sleeves.duplicated(["account_id", "model_id"]).any()
    assert sleeves["drift_band"].between(0, 1, inclusive="neither").all()


def test_three_providers_deliver_models_whose_versions_each_sum_to_one(big):
    models = big["models"]
    assert models["provider_id"].nunique() == 3
    assert models["model_id"].nunique() == 4
    sums = models.groupby(["provider_id", "model_id", "effective_date"])["weight"].sum()
    assert np.allclose(sums, 1.0) and (models["weight"] > 0).all()
    assert set(big["sleeves"]["model_id"]) - {"CASH"} <= set(models["model_id"])
    assert set(models["symbol"]) <= set(big["securities"]["symbol"])


def test_models_change_over_the_history_and_tonight(big):
    """A new version each quarter; the core models' latest is dated tonight, so the night after
    the book's previous business day sees a change, with the accounts following it."""
    models = big["models"]
    assert (models.groupby("model_id")["effective_date"].nunique() > 1).all()
    changes = model_changes(models, big["sleeves"], AS_OF, previous=date(2026, 11, 23))
    assert set(changes["model_id"]) == {"NW_CORE", "NW_ESG"}
    assert (changes["accounts"] != "").all()
    assert {"REWEIGHTED"} <= set(changes["change"])


def test_the_manager_traded_book_of_a_seed_is_the_same_with_or_without_umas():
    """The sleeves come from their own random stream: other tests' figures do not move."""
    with_umas = generate_book(40, 11, AS_OF, SMALL)
    without = generate_book(40, 11, AS_OF, replace(SMALL, uma_share=0.0))
    assert without["sleeves"].empty
    assert (without["accounts"]["implementation"] == "MANAGER_TRADED").all()
    for name, frame in without.items():
        if name in ("sleeves",):
            continue
        pd.testing.assert_frame_equal(
            frame.drop(columns="implementation", errors="ignore"),
            with_umas[name].drop(columns="implementation", errors="ignore"),
            obj=name,
        )


@pytest.mark.parametrize(
    "change, words",
    [({"uma_share": 1.5}, "uma_share"), ({"max_sleeves": 1}, "2 or more model sleeves")],
)
def test_a_uma_share_outside_zero_to_one_or_fewer_than_two_sleeves_is_refused(change, words):
    with pytest.raises(BookError, match=words):
        generate_book(5, 1, AS_OF, replace(SMALL, **change))
