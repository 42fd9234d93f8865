"""A UMA account's sleeve table on its statement (issue 19, "Reports": "statements with a sleeve
table (value, weight vs target, return vs the model's return) beside the account's performance").
Returns are time-weighted night by night from the sleeve's attributed lots (a buy between two
nights is a flow, not a return); the model's return chains its weights in force each night. The
examples are worked by hand."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader
from reporting_samples import statement_data

from sma.reporting import render_statement_pdf, sleeve_performance
from sma.reporting._sleeve_table import SLEEVE_TABLE_COLUMNS

START, END = date(2026, 10, 1), date(2026, 12, 31)
CLOSES = pd.DataFrame(
    {"AAA": [100.0, 110.0, 121.0], "BBB": [100.0, 100.0, 100.0]},
    index=pd.to_datetime(["2026-09-30", "2026-10-15", "2026-12-31"]),
)
SLEEVES = pd.DataFrame(
    {"sleeve_id": ["A", "C"], "model_id": ["MA", "CASH"], "target_weight": [0.9, 0.1]}
)
MODELS = pd.DataFrame(
    {
        "provider_id": "P",
        "model_id": "MA",
        "effective_date": date(2026, 1, 2),
        "symbol": ["AAA", "BBB"],
        "weight": [0.5, 0.5],
    }
)
#: 10 AAA in A on Sep 30; 15 on Oct 15 (5 bought in between: a flow).
LOT_SLEEVES = pd.DataFrame(
    {
        "as_of_date": [date(2026, 9, 30), date(2026, 10, 15), date(2026, 10, 15)],
        "lot_id": ["L1", "L1", "L2"],
        "symbol": "AAA",
        "quantity": [10.0, 10.0, 5.0],
        "sleeve_id": "A",
    }
)


def test_a_sleeve_returns_what_its_lots_earned_night_to_night_against_its_model():
    """A: 100 -> 110 -> 121 is +10 % twice, +21 % (the 5 bought on Oct 15 are a flow). MA, half
    AAA half BBB (flat): +5 % twice, +10.25 %. A ends with 15 x $121 = $1,815, the cash sleeve
    $185: weights 90.75 % and 9.25 %."""
    table = sleeve_performance(LOT_SLEEVES, CLOSES, SLEEVES, MODELS, 185.0, START, END)
    assert list(table.columns) == SLEEVE_TABLE_COLUMNS
    a, c = table.iloc[0], table.iloc[1]
    assert a.sleeve_return == pytest.approx(0.21) and a.model_return == pytest.approx(0.1025)
    assert a.value == pytest.approx(1_815.0) and a.weight == pytest.approx(0.9075)
    assert c.value == pytest.approx(185.0) and pd.isna(c.sleeve_return)
    assert a.since is None


def test_a_sleeve_history_starting_inside_the_period_says_since_when():
    table = sleeve_performance(LOT_SLEEVES.iloc[1:], CLOSES, SLEEVES, MODELS, 185.0, START, END)
    assert table.iloc[0].since == date(2026, 10, 15)
    assert table.iloc[0].sleeve_return == pytest.approx(0.10)


def test_the_statement_of_a_uma_account_prints_its_sleeve_table_and_what_the_overlay_saved():
    """Beside the account's performance; sleeve history from Oct 15 is said, not hidden."""
    table = sleeve_performance(LOT_SLEEVES.iloc[1:], CLOSES, SLEEVES, MODELS, 185.0, START, END)
    saved = {
        "nights": 3,
        "orders_netted_away": 4,
        "notional_netted_away": 5_000.0,
        "gains_not_realized": 250.0,
        "tax_saved": 100.0,
        "wash_sales_avoided": 1,
    }
    pdf = render_statement_pdf(replace(statement_data(), sleeves=table, overlay_savings=saved))
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[1].extract_text().split())
    assert "Return since Oct 15, 2026 Model return" in text, text
    assert "MA $1,815.00 90.75% 90.00% +10.00% +5.00%" in text
    assert "when the account's sleeve history begins" in text
    assert "4 order(s) and $5,000.00 of trading netted away" in text
    assert "1 wash sale(s) avoided" in text
    plain = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(render_statement_pdf(statement_data()))).pages
    )
    assert "sleeves" not in plain  # not a UMA account: no table


def test_sleeves_first_placed_at_the_period_end_are_valued_and_their_returns_said_to_start_later():
    """The statement of a period no night recorded sleeves for places the lots at the period's
    end (pipelines.statements): values and weights, no returns, and the note says why."""
    table = sleeve_performance(LOT_SLEEVES.iloc[1:], CLOSES, SLEEVES, MODELS, 185.0, START, END)
    table = table.assign(sleeve_return=float("nan"), model_return=float("nan"), since=END)
    pdf = render_statement_pdf(replace(statement_data(), sleeves=table))
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[1].extract_text().split())
    assert "the first date their lots were placed in sleeves" in text, text
    assert "when the account's sleeve history begins" not in text


def test_a_spinoffs_new_shares_are_the_sleeves_return_and_its_models():
    """AAA spins off $20 of new shares a share on Oct 15 and closes 90 instead of 110, then 99 on
    Dec 31. A holder has 90 + 20 = 110 that day: A is +10 % twice, +21 %, and MA +5 % twice,
    +10.25 %, as if nothing had been spun off; counted on closes alone A would read -1 % and MA
    -0.25 %, though its holders lost nothing."""
    closes = CLOSES.assign(AAA=[100.0, 90.0, 99.0])
    paid = pd.DataFrame(0.0, index=closes.index, columns=closes.columns)
    paid.loc["2026-10-15", "AAA"] = 20.0
    table = sleeve_performance(LOT_SLEEVES, closes, SLEEVES, MODELS, 185.0, START, END, paid)
    a = table.iloc[0]
    assert a.sleeve_return == pytest.approx(0.21) and a.model_return == pytest.approx(0.1025)
    on_closes = sleeve_performance(LOT_SLEEVES, closes, SLEEVES, MODELS, 185.0, START, END).iloc[0]
    assert on_closes.sleeve_return == pytest.approx(-0.01)
    assert on_closes.model_return == pytest.approx(-0.0025)
