"""Statements show fractional shares where an account holds or trades them (issue 17): 12.345
shares read 12.345, whole numbers read as before, float noise never reaches the client."""

from __future__ import annotations

from dataclasses import replace

import pytest
from reporting_samples import statement_data
from test_statement_pdf import pdf_text

from sma.reporting import render_statement_pdf
from sma.reporting._format import shares


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        (160.0, "160"),
        (1_250.0, "1,250"),
        (12.345, "12.345"),
        (0.001, "0.001"),
        (0.1 + 0.2, "0.3"),
        (5.000000000001, "5"),
        (1_234.5, "1,234.5"),
    ],
)
def test_shares_read_as_traded(quantity, text):
    assert shares(quantity) == text


def test_a_statement_shows_fractional_holdings_and_trades():
    data = statement_data()
    holdings = data.holdings.copy()
    holdings.loc[0, ["quantity", "long_term_quantity"]] = [12.345, 12.345]
    holdings.loc[0, "market_value"] = 12.345 * holdings.loc[0, "price"]
    trades = data.trades.copy()
    trades.loc[1, "quantity"] = 0.1 + 0.2
    _, text = pdf_text(render_statement_pdf(replace(data, holdings=holdings, trades=trades)))
    assert "12.345" in text and "0.3" in text and "0.30000000000000004" not in text
