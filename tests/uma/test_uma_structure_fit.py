"""The per-household structure fit line (issue 19, "Minimums": "the seed's choice questions
become a per-household 'structure fit' line on the review page: size, legacy concentration,
number of accounts and managers, need for household coordination"), at the firm's minimums of
$250k manager-traded and $50k UMA (the settings' defaults)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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


# The one-pass version against the household-at-a-time loop it replaced (tests/uma/
# loop_structure_fits.py): the same lines and the same values, to the bit, on random books with
# unvalued accounts, accounts without a household, ties for the largest stock, households without
# holdings, providers of accounts outside the page, and households of up to 12 accounts (numpy's
# pairwise sum departs from a running sum from 8 terms on).
@st.composite
def _books(draw):
    n = draw(st.integers(1, 30))
    households = draw(
        st.lists(st.sampled_from(["H1", "H2", "H3", "H4", None]), min_size=n, max_size=n)
    )
    if draw(st.booleans()):  # one large household
        households = ["H9"] * min(n, 12) + households[12:]
    values = draw(
        st.lists(
            st.one_of(st.none(), st.floats(0.0, 5e6, allow_nan=False), st.sampled_from([0.1, 0.2])),
            min_size=n,
            max_size=n,
        )
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "household_id": households,
            "account_type": draw(
                st.lists(
                    st.sampled_from(["TAXABLE", "ira", "IRA", "ROTH", None]), min_size=n, max_size=n
                )
            ),
            "value": [float("nan") if v is None else v for v in values],
        }
    )
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from([f"A{i}" for i in range(n)] + ["OTHER"]),
                st.sampled_from(["AAPL", "MSFT", "XOM", "ZZZ"]),
                st.one_of(st.sampled_from([0.1, 0.25, 0.5]), st.floats(0.0, 1.0)),
            ),
            max_size=40,
        )
    )
    holdings = pd.DataFrame(rows, columns=["account_id", "symbol", "weight"])
    providers = pd.DataFrame(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from([f"A{i}" for i in range(n)] + ["ELSEWHERE"]),
                    st.sampled_from(["P1", "P2", "P3"]),
                ),
                max_size=10,
            )
        ),
        columns=["account_id", "provider_id"],
    ).drop_duplicates()
    return accounts, holdings, providers


@settings(max_examples=300, deadline=None)
@given(book=_books())
def test_structure_fits_one_pass_is_the_household_loop_to_the_bit(book):
    from tests.uma.loop_structure_fits import loop_structure_fits

    accounts, holdings, providers = book
    got = structure_fits(accounts, holdings, providers, SMA, UMA)
    want = loop_structure_fits(accounts, holdings, providers, SMA, UMA)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["value"].map(float.hex).tolist() == want["value"].map(float.hex).tolist()
