"""The night's corporate actions on a whole book of lots (PRODUCT.md, "The nightly run" step 3:
apply corporate actions before deciding; shared/CORPORATE_ACTIONS.md for each kind)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from sma.ledger import apply_corporate_actions

AS_OF = date(2026, 3, 2)
ACCOUNTS = pd.DataFrame(
    {"account_id": ["A", "I"], "household_id": ["H", "H"], "account_type": ["TAXABLE", "IRA"]}
)
LOTS = pd.DataFrame(
    {
        "account_id": ["A", "A", "I", "A"],
        "lot_id": ["L1", "L2", "L3", "L4"],
        "symbol": ["P", "M", "P", "K"],
        "quantity": [100.0, 10.0, 7.0, 5.0],
        "cost_basis": [Decimal("10000.00"), Decimal("500.00"), Decimal("700.00"), 50.0],
        "acquired_date": pd.to_datetime(["2024-01-02", "2025-06-02", "2025-01-02", "2020-01-02"]),
        "adjusted_acquired_date": pd.to_datetime(["2024-01-02", None, None, None]),
    }
)


def actions(*rows: dict) -> pd.DataFrame:
    columns = ["symbol", "ex_date", "kind", "ratio", "new_symbol", "basis_fraction", "price"]
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)


def test_a_spinoff_tonight_gives_each_lot_a_lot_of_the_new_name_before_deciding():
    """Form 8937 basis allocation; the new lot keeps the id and dates (26 U.S.C. 1223(1))."""
    spin = {"symbol": "P", "ex_date": AS_OF, "kind": "SPINOFF", "ratio": 0.5}
    lots, realized = apply_corporate_actions(
        LOTS, actions({**spin, "new_symbol": "S", "basis_fraction": 0.25}), AS_OF, ACCOUNTS
    )
    by = lots.set_index(["symbol", "lot_id"])
    assert by.loc[("P", "L1"), "cost_basis"] == 7500.0
    assert (by.loc[("S", "L1"), "quantity"], by.loc[("S", "L1"), "cost_basis"]) == (50.0, 2500.0)
    assert (by.loc[("S", "L3"), "quantity"], by.loc[("S", "L3"), "cost_basis"]) == (3.5, 175.0)
    assert by.loc[("S", "L1"), "acquired_date"] == pd.Timestamp("2024-01-02")
    assert by.loc[("M", "L2"), "cost_basis"] == Decimal("500.00")  # untouched lots as they were
    assert len(realized) == 0


def test_a_cash_merger_tonight_closes_the_lots_and_books_the_sale_in_the_taxable_account():
    """The contract, MERGER_CASH: every lot sold for shares x price; the IRA reports nothing."""
    lots, realized = apply_corporate_actions(
        LOTS,
        actions({"symbol": "P", "ex_date": AS_OF, "kind": "MERGER_CASH", "price": 120.0}),
        AS_OF,
        ACCOUNTS,
    )
    assert "P" not in set(lots["symbol"])
    assert realized[
        ["account_id", "lot_id", "proceeds_cents", "cost_basis_cents"]
    ].values.tolist() == [["A", "L1", 1_200_000, 1_000_000]]


def test_actions_going_ex_another_day_and_splits_are_applied_as_before():
    """PRODUCT.md "Tax rules": a split multiplies quantities and keeps basis and dates."""
    lots, realized = apply_corporate_actions(
        LOTS,
        actions(
            {"symbol": "M", "ex_date": AS_OF, "kind": "SPLIT", "ratio": 2.0},
            {"symbol": "K", "ex_date": date(2026, 3, 3), "kind": "WORTHLESS"},
        ),
        AS_OF,
        ACCOUNTS,
    )
    assert lots.set_index("lot_id")["quantity"].to_dict() == {
        "L1": 100.0,
        "L2": 20.0,
        "L3": 7.0,
        "L4": 5.0,
    }
    assert len(realized) == 0
