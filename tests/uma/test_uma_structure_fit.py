"""The per-household structure fit line (issue 19, "Minimums": "the seed's choice questions
become a per-household 'structure fit' line on the review page: size, legacy concentration,
number of accounts and managers, need for household coordination"), at the firm's minimums of
$250k manager-traded and $50k UMA (the settings' defaults)."""

from __future__ import annotations

import pandas as pd

from sma.uma import structure_fit, structure_fits

SMA, UMA = 250_000.0, 50_000.0


def test_a_household_under_the_sma_minimum_fits_the_uma():
    line = structure_fit(180_000.0, 0.04, "AAPL", 1, 3, 1, SMA, UMA)
    assert line == "UMA fits: $180k (under the $250k SMA minimum), 3 managers, 1 account"


def test_one_large_account_with_a_legacy_position_fits_the_manager_traded_sma():
    line = structure_fit(1_200_000.0, 0.28, "AAPL", 1, 1, 1, SMA, UMA)
    assert line == "Manager-traded SMA fits: $1.2M, 1 account, legacy AAPL 28 %"


def test_several_managers_fit_the_uma_and_several_accounts_need_coordination():
    line = structure_fit(600_000.0, 0.09, "MSFT", 2, 2, 2, SMA, UMA)
    assert line == (
        "UMA fits: $600k, 2 managers, 2 accounts, household coordination across 2 tax types"
    )
    assert "legacy" not in line  # 9 % is under the 10 % that counts as concentration


def test_a_household_under_the_uma_minimum_fits_neither_yet():
    assert structure_fit(30_000.0, 0.0, "", 1, 1, 1, SMA, UMA).startswith(
        "Neither fits yet: $30k (under the $50k UMA minimum)"
    )


def test_per_household_from_accounts_holdings_and_model_providers():
    """H1: a $100k taxable UMA with two providers and a $60k IRA (the firm's): $160k, 3 managers,
    AAPL is 30 % of U1 and 50 % of I1 = $60k of $160k = 38 %. H2: one $400k manager-traded
    account."""
    accounts = pd.DataFrame(
        {
            "account_id": ["U1", "I1", "M1"],
            "household_id": ["H1", "H1", "H2"],
            "account_type": ["TAXABLE", "IRA", "TAXABLE"],
            "value": [100_000.0, 60_000.0, 400_000.0],
        }
    )
    holdings = pd.DataFrame(
        {
            "account_id": ["U1", "I1", "M1", "M1"],
            "symbol": ["AAPL", "AAPL", "MSFT", "XOM"],
            "weight": [0.30, 0.50, 0.05, 0.04],
        }
    )
    providers = pd.DataFrame({"account_id": ["U1", "U1"], "provider_id": ["P1", "P2"]})
    fits = structure_fits(accounts, holdings, providers, SMA, UMA).set_index("household_id")
    assert fits.loc["H1", "fit"] == (
        "UMA fits: $160k (under the $250k SMA minimum), 3 managers, 2 accounts, "
        "household coordination across 2 tax types, legacy AAPL 38 %"
    )
    assert fits.loc["H2", "fit"] == "Manager-traded SMA fits: $400k, 1 account"
    assert fits.loc["H2", "value"] == 400_000.0
    held = accounts.assign(value=[100_000.0, float("nan"), 400_000.0])
    fits = structure_fits(held, holdings, providers, SMA, UMA).set_index("household_id")
    assert fits.loc["H1", "fit"].endswith("(value of 1 account unknown tonight)")
    assert fits.loc["H1", "value"] == 100_000.0
