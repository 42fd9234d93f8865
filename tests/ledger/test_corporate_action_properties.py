"""Every share and every cent of basis is conserved through every corporate action (PRODUCT.md
"Non-functional"; shared/CORPORATE_ACTIONS.md, "Exact ratios" and "One lot in, one lot out"),
for fractional holdings and ratios with no finite decimal."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.inbox import CorporateActionKind as Kind
from sma.ledger import CorporateAction, Ledger
from tests.example_counts import property_examples

ACCOUNTS = pd.DataFrame(
    {"account_id": ["A", "R"], "household_id": ["H", "H"], "account_type": ["TAXABLE", "ROTH"]}
)
ratios = st.fractions(min_value=Fraction(1, 50), max_value=Fraction(20), max_denominator=97)
prices = st.fractions(min_value=Fraction(0), max_value=Fraction(500), max_denominator=10_000)
holding = st.tuples(
    st.sampled_from(["A", "R"]),
    st.integers(1, 40_000).map(lambda n: n / 16),  # shares, fractional
    st.integers(0, 5_000_000),  # basis, cents
)


@property_examples(
    40,
    150,
    given(
        st.lists(holding, min_size=1, max_size=4),
        st.sampled_from([Kind.SPINOFF, Kind.MERGER_STOCK, Kind.MERGER_MIXED, Kind.SYMBOL_CHANGE]),
        ratios,
        st.fractions(
            min_value=Fraction(1, 1000), max_value=Fraction(999, 1000), max_denominator=1000
        ),
        prices,
        prices,
        st.booleans(),
    ),
)
def test_shares_and_basis_are_conserved_through_actions_that_hand_out_new_shares(
    held, kind, ratio, basis_fraction, cash, price, in_lieu
):
    ledger = Ledger(ACCOUNTS)
    for i, (account, shares, cents) in enumerate(held):
        ledger.buy(account, "P", f"L{i}", shares, cents, "2025-01-02")
    action = CorporateAction(
        kind,
        "P",
        np.datetime64("2026-03-02"),
        new_symbol="N",
        ratio=ratio,
        basis_fraction=basis_fraction,
        cash_per_share=cash,
        new_share_price=price,
        cash_in_lieu_price=price if in_lieu else None,
    )
    ledger.corporate_action(action)
    lots, realized = ledger.open_lots(), ledger.realized()
    new_ratio = Fraction(1) if kind is Kind.SYMBOL_CHANGE else ratio
    for i, (account, shares, cents) in enumerate(held):
        mine = lots[lots["lot_id"] == f"L{i}"].set_index("symbol")
        sold = realized[realized["lot_id"] == f"L{i}"]
        new_shares = Fraction(shares) * new_ratio
        kept = mine["quantity"].get("N", 0.0)
        if in_lieu and kind is not Kind.SYMBOL_CHANGE:
            assert kept == math.floor(new_shares)
        fraction_sold = sold.loc[sold["symbol"] == "N", "quantity"].sum()
        if account == "A":  # an IRA or Roth reports no sale, so only a taxable lot adds up here
            assert abs(kept + fraction_sold - float(new_shares)) <= 1e-9 * float(new_shares) + 1e-9
            assert mine["cost_basis_cents"].sum() + sold["cost_basis_cents"].sum() == cents
        if kind is Kind.SPINOFF:
            assert mine["quantity"]["P"] == shares
        else:
            assert "P" not in mine.index


@settings(max_examples=100, deadline=None)
@given(
    st.lists(holding, min_size=1, max_size=4),
    st.sampled_from([Kind.MERGER_CASH, Kind.WORTHLESS, Kind.RETURN_OF_CAPITAL]),
    prices,
)
def test_actions_that_pay_cash_or_close_lots_account_for_every_cent_of_basis(held, kind, amount):
    ledger = Ledger(ACCOUNTS)
    for i, (account, shares, cents) in enumerate(held):
        ledger.buy(account, "P", f"L{i}", shares, cents, "2025-01-02")
    ledger.corporate_action(
        CorporateAction(
            kind,
            "P",
            np.datetime64("2026-03-02"),
            price_per_share=amount,
            amount_per_share=amount,
        )
    )
    lots, realized = ledger.open_lots(), ledger.realized()
    for i, (account, shares, cents) in enumerate(held):
        left = lots.loc[lots["lot_id"] == f"L{i}", "cost_basis_cents"].sum()
        sold = realized[realized["lot_id"] == f"L{i}"]
        if kind is Kind.RETURN_OF_CAPITAL:
            paid = Fraction(shares) * amount * 100
            assert abs(left - max(cents - paid, 0)) <= Fraction(1, 2)
            assert sold["quantity"].sum() == 0
        elif account == "A":
            assert left == 0 and sold["cost_basis_cents"].sum() == cents
            assert sold["quantity"].sum() == shares
