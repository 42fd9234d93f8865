"""The checked proposal meets its output data contracts before the desk sees it (PRODUCT.md,
"Pre-trade compliance": quantity and notional within limits, no duplicate order)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.night._contracts import OUTPUT_CONTRACTS, output_contract_issues
from pipelines.validate import load_suite, run_suite_with_gx, validate_frame
from sma.compliance import PROPOSAL_LOT_SELLS, PROPOSAL_TRADES

AS_OF = date(2026, 11, 24)


def proposal() -> tuple[pd.DataFrame, pd.DataFrame]:
    trades = pd.DataFrame(
        {
            "run_id": ["2026-11-24"] * 2,
            "as_of_date": [AS_OF] * 2,
            "account_id": ["A1", "A2"],
            "household_id": ["H1", "H2"],
            "account_type": ["TAXABLE", "IRA"],
            "symbol": ["XOM", "CVX"],
            "side": ["SELL", "BUY"],
            "quantity": [10.0, 4.0],
            "price": [100.0, 150.0],
            "notional": [1000.0, 600.0],
            "reason": ["HARVEST", "REPLACE"],
        }
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": ["A1"],
            "symbol": ["XOM"],
            "lot_id": ["L1"],
            "quantity": [10.0],
            "proceeds": [1000.0],
            "realized_gain": [-250.0],
            "term": ["SHORT"],
            "reason": ["HARVEST"],
        }
    )
    return trades, lot_sells


def test_a_clean_proposal_meets_its_contracts():
    assert output_contract_issues(*proposal(), AS_OF).empty


@pytest.mark.parametrize(
    "column, value, rule",
    [
        ("quantity", 0.0, "quantity_limit"),
        ("quantity", 6e6, "quantity_limit"),
        ("notional", 3e7, "notional_limit"),
        ("price", float("nan"), "not_null"),
        ("reason", "BECAUSE", "in_set"),
        ("side", "SHORT", "in_set"),
        ("account_id", "../etc", "id_pattern"),
    ],
)
def test_a_trade_breaking_a_rule_is_caught_with_its_rule_and_account(column, value, rule):
    trades, lot_sells = proposal()
    trades.loc[1, column] = value
    issues = output_contract_issues(trades, lot_sells, AS_OF)
    assert (issues["rule"] == rule).any()
    assert set(issues.loc[issues["rule"] == rule, "row"]) == {2}


def test_a_duplicate_order_is_caught():
    trades, lot_sells = proposal()
    trades = pd.concat([trades, trades.iloc[[0]]], ignore_index=True)
    issues = output_contract_issues(trades, lot_sells, AS_OF)
    assert "duplicate_order" in set(issues["rule"])


def staged(trades: pd.DataFrame, lot_sells: pd.DataFrame) -> pd.DataFrame:
    """What the validator finds staging both frames, the way the night once always did."""
    found = [
        validate_frame(
            frame.loc[:, list(spec.column_names)].reset_index(drop=True),
            spec,
            AS_OF,
            contracts=OUTPUT_CONTRACTS,
        ).issues
        for spec, frame in ((PROPOSAL_TRADES, trades), (PROPOSAL_LOT_SELLS, lot_sells))
    ]
    return pd.concat(found, ignore_index=True)


def test_a_clean_proposal_gives_the_validators_own_empty_table():
    trades, lot_sells = proposal()
    pd.testing.assert_frame_equal(
        output_contract_issues(trades, lot_sells, AS_OF),
        staged(trades, lot_sells),
        check_exact=True,
    )


@pytest.mark.parametrize(
    "change",
    [
        "repeated order",
        "repeated lot sell",
        "one lot id sold in two accounts",
        "order repeated with a blank symbol",
        "bad side and repeated order",
        "text quantity",
        "no lot sells",
        "no orders",
    ],
)
def test_the_issues_found_are_the_validators_own(change):
    trades, lot_sells = proposal()
    if change == "repeated order":
        trades = pd.concat([trades, trades.iloc[[0]]], ignore_index=True)
    elif change == "repeated lot sell":
        lot_sells = pd.concat([lot_sells, lot_sells], ignore_index=True)
    elif change == "one lot id sold in two accounts":
        lot_sells = pd.concat([lot_sells, lot_sells.assign(account_id="A2")], ignore_index=True)
    elif change == "order repeated with a blank symbol":
        trades = pd.concat([trades, trades.iloc[[0]]], ignore_index=True)
        trades.loc[[0, 2], "symbol"] = ""
    elif change == "bad side and repeated order":
        trades = pd.concat([trades, trades.iloc[[1]]], ignore_index=True)
        trades.loc[0, "side"] = "HOLD"
    elif change == "text quantity":
        trades["quantity"] = ["10", "four"]
    elif change == "no lot sells":
        lot_sells = lot_sells.iloc[:0]
    else:
        trades, lot_sells = trades.iloc[:0], lot_sells.iloc[:0]
    pd.testing.assert_frame_equal(
        output_contract_issues(trades, lot_sells, AS_OF),
        staged(trades, lot_sells),
        check_exact=True,
    )


@pytest.mark.slow
def test_great_expectations_runs_the_output_suites_and_agrees():
    trades, _ = proposal()
    trades.loc[1, "reason"] = "BECAUSE"
    gx_found = run_suite_with_gx(
        load_suite("proposal_trades", OUTPUT_CONTRACTS), trades, {"as_of": AS_OF}
    )
    assert set(zip(gx_found["rule"], gx_found["row"])) >= {("in_set", 2)}
