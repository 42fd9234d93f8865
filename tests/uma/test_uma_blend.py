"""The account target a UMA account's sleeves blend to (issue 19).

Issue 19: sleeves "each following one model", with a "target_weight of the account", "cash sleeve
allowed": the account's target in a symbol is the sum over its sleeves of target_weight x the
symbol's weight in the sleeve's model; a cash sleeve is cash.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sma.uma import blended_target

MODELS = pd.DataFrame(
    {
        "model_id": ["CORE", "CORE", "GROWTH", "GROWTH"],
        "symbol": ["AAPL", "MSFT", "MSFT", "NVDA"],
        "weight": [0.6, 0.4, 0.5, 0.5],
    }
)


def _sleeves(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "sleeve_id", "model_id", "target_weight"])


def test_a_symbol_in_two_sleeves_models_gets_both_shares_and_cash_sleeve_is_the_cash_target():
    target = blended_target(
        _sleeves(
            ("A1", "S1", "CORE", 0.6),
            ("A1", "S2", "GROWTH", 0.3),
            ("A1", "S3", "CASH", 0.1),
        ),
        MODELS,
    )
    got = dict(zip(target.weights["symbol"], target.weights["weight"], strict=True))
    assert got == pytest.approx({"AAPL": 0.36, "MSFT": 0.24 + 0.15, "NVDA": 0.15})
    assert target.cash.to_dict() == pytest.approx({"A1": 0.1})
    assert target.weights["weight"].sum() + target.cash["A1"] == pytest.approx(1.0)
    assert target.unplaced.empty


def test_accounts_blend_separately_and_an_account_without_cash_sleeve_has_no_cash_target():
    target = blended_target(
        _sleeves(("A1", "S1", "CORE", 1.0), ("A2", "S1", "GROWTH", 0.9), ("A2", "S2", "CASH", 0.1)),
        MODELS,
    )
    per_account = target.weights.groupby("account_id")["weight"].sum()
    assert per_account.to_dict() == pytest.approx({"A1": 1.0, "A2": 0.9})
    assert target.cash.to_dict() == pytest.approx({"A1": 0.0, "A2": 0.1})


def test_a_sleeve_whose_model_is_not_in_force_is_reported_unplaced():
    target = blended_target(_sleeves(("A1", "S1", "CORE", 0.5), ("A1", "S2", "VALUE", 0.5)), MODELS)
    assert target.unplaced.to_dict("records") == [
        {"account_id": "A1", "sleeve_id": "S2", "model_id": "VALUE"}
    ]
    assert target.weights["weight"].sum() == pytest.approx(0.5)
