"""A UMA statement for a period that no night recorded sleeves for (issue 19, "Reports": a sleeve
table with value and weight vs target): the demo's simulated history, or an account just moved to
UMA, has lots but no ``uma_lot_sleeves`` by the period's end. The statement places the lots in
sleeves by the night's own rule (``sma.uma.attribute_lots``) instead of showing every sleeve at
$0 and the cash sleeve at 100 % (found on the demo's 2026-Q3 statements)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.statements import _attributed_at_snapshot, _Book

END = date(2026, 9, 30)
MODELS = pd.DataFrame(
    {
        "provider_id": ["P", "P", "P"],
        "model_id": ["CORE", "CORE", "DIV"],
        "effective_date": [date(2026, 1, 2)] * 3,
        "symbol": ["AAA", "BBB", "CCC"],
        "weight": [0.5, 0.5, 1.0],
    }
)
SLEEVES = pd.DataFrame(
    {
        "sleeve_id": ["S1", "S2", "S3"],
        "model_id": ["CORE", "DIV", "CASH"],
        "target_weight": [0.6, 0.39, 0.01],
    }
)


def _book() -> _Book:
    lots = pd.DataFrame(
        {
            "account_id": ["U1"] * 4 + ["OTHER"],
            "lot_id": ["L1", "L2", "L3", "L4", "X1"],
            "symbol": ["AAA", "BBB", "CCC", "ZZZ", "AAA"],
            "quantity": [10.0, 20.0, 30.0, 5.0, 99.0],
            "cost_basis": [500.0, 900.0, 1_000.0, 50.0, 10.0],
        }
    )
    closes = pd.DataFrame(
        {"AAA": [100.0, 110.0], "BBB": [50.0, 55.0], "CCC": [20.0, 22.0], "ZZZ": [9.0, 10.0]},
        index=pd.to_datetime([date(2026, 9, 29), END]),
    )
    empty = pd.DataFrame()
    return _Book(END, empty, lots, empty, empty, closes, empty)


def test_lots_with_no_recorded_sleeve_are_placed_by_the_nights_rule_at_the_period_end():
    placed = _attributed_at_snapshot(_book(), "U1", SLEEVES, MODELS, cash=100.0)
    assert sorted(placed["lot_id"]) == ["L1", "L2", "L3", "L4"]  # every lot of U1, no other's
    sleeve = placed.set_index("lot_id")["sleeve_id"]
    assert sleeve["L3"] == "S2"  # CCC is in DIV's model only
    assert sleeve["L1"] == sleeve["L2"] == "S1"  # AAA and BBB are CORE's
    assert sleeve["L4"] == "S1"  # a name in no model: the largest sleeve (attribute_lots)
    assert set(placed["as_of_date"]) == {END}
    # shares are the snapshot's, so the sleeves' values add up to the securities held
    value = (placed["quantity"] * placed["symbol"].map(_book().closes.iloc[-1])).sum()
    assert value == pytest.approx(10 * 110.0 + 20 * 55.0 + 30 * 22.0 + 5 * 10.0)
