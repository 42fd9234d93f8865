"""Statements list the period's corporate actions under activity, and Form 8949 shows the pieces
they realize with the right dates and basis (issue 22; shared/CORPORATE_ACTIONS.md; 26 U.S.C.
165(g)(1) and 301(c)(3))."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pandas as pd
from pypdf import PdfReader
from reporting_samples import statement_data

from sma.reporting import corporate_action_activity, form_8949_rows, render_statement_pdf

ACTIONS = pd.DataFrame(
    {
        "symbol": ["PAR", "PAR", "OLD", "GONE", "ELSE"],
        "ex_date": pd.to_datetime(
            ["2026-08-03", "2026-08-03", "2026-09-01", "2026-09-15", "2026-08-03"]
        ),
        "kind": ["SPINOFF", "SPINOFF", "SYMBOL_CHANGE", "MERGER_CASH", "SPLIT"],
        "ratio": [0.5, 0.5, None, None, 2.0],
        "new_symbol": ["KID", "KID", "NEW", None, None],
        "basis_fraction": [0.2794, 0.2794, None, None, None],
        "price": [None, None, None, 41.5, None],
    }
)


def test_the_period_actions_on_what_the_account_held_are_listed_once_in_words():
    listed = corporate_action_activity(
        ACTIONS, {"KID", "NEW", "GONE"}, date(2026, 7, 1), date(2026, 9, 30)
    )
    assert listed.values.tolist() == [
        [date(2026, 8, 3), "PAR", "Spin-off: 0.5 KID per share; 27.94% of the cost moved to KID"],
        [date(2026, 9, 1), "OLD", "Ticker change to NEW"],
        [date(2026, 9, 15), "GONE", "Merger: each share paid $41.50 in cash"],
    ]
    assert corporate_action_activity(ACTIONS, {"KID"}, date(2026, 10, 1), date(2026, 12, 31)).empty


def test_the_statement_prints_corporate_actions_under_activity():
    listed = corporate_action_activity(ACTIONS, {"KID"}, date(2026, 7, 1), date(2026, 9, 30))
    pdf = render_statement_pdf(replace(statement_data(), corporate_actions=listed))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Corporate actions" in text and "Spin-off: 0.5 KID per share" in text


def test_form_8949_dates_worthless_stock_december_31_and_names_a_return_of_capital_excess():
    """26 U.S.C. 165(g)(1): worthless stock is sold on the last day of the year; 301(c)(3): a
    distribution beyond basis is a gain with no share sold."""
    realized = pd.DataFrame(
        {
            "symbol": ["GONE", "RTN"],
            "lot_id": ["L1", "L2"],
            "acquired_date": pd.to_datetime(["2025-03-02", "2020-01-02"]),
            "sale_date": pd.to_datetime(["2026-12-31", "2026-08-03"]),
            "quantity": [10.0, 0.0],
            "proceeds": [0.0, 20.0],
            "cost_basis": [500.0, 0.0],
            "wash_sale_disallowed": [0.0, 0.0],
            "adjustment_code": ["", ""],
            "gain": [-500.0, 20.0],
            "term": ["LONG", "LONG"],
        }
    )
    rows = form_8949_rows(realized)
    assert rows[["description", "date_sold", "cost_basis", "gain"]].values.tolist() == [
        ["RTN distribution in excess of basis", "08/03/2026", 0.0, 20.0],
        ["10 sh. GONE", "12/31/2026", 500.0, -500.0],
    ]
