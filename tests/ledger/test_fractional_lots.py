"""Fractional shares through the ledger (issue 17): relief, wash sales and splits of lots of a
fraction of a share, the custodian's 0.001 share. Shares and basis (whole cents) are conserved
exactly as for whole shares: a piece's basis is its pro-rata share of the lot's, in cents, and
what is left keeps the rest (PRODUCT.md, "Nothing is lost")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.ledger import Ledger, ReliefMethod

HOUSEHOLD = pd.DataFrame(
    {
        "account_id": ["A", "B", "IRA"],
        "household_id": ["H", "H", "H"],
        "account_type": ["TAXABLE", "TAXABLE", "IRA"],
    }
)


def usd(dollars: float) -> int:
    return round(dollars * 100)


def lot(ledger: Ledger, lot_id: str) -> pd.Series:
    return ledger.open_lots().set_index("lot_id").loc[lot_id]


def test_selling_an_eighth_of_a_share_of_a_ten_and_a_half_share_lot():
    """0.125 of 10.5 shares bought for $1,050.00 relieves $12.50 of basis (pro rata by shares);
    10.375 shares keep $1,037.50; nothing is lost to rounding."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 10.5, usd(1_050), "2026-01-05")
    ledger.sell("A", "X", 0.125, usd(15), "2026-03-02", ReliefMethod.SPECIFIC, lot_ids=("L1",))
    sale = ledger.realized().iloc[0]
    assert (sale["quantity"], sale["cost_basis_cents"], sale["gain_cents"]) == (
        0.125,
        usd(12.50),
        usd(2.50),
    )
    assert (lot(ledger, "L1")["quantity"], lot(ledger, "L1")["cost_basis_cents"]) == (
        10.375,
        usd(1_037.50),
    )


def test_basis_in_cents_is_conserved_when_the_pro_rata_share_is_not_a_whole_cent():
    """0.001 share of 3 shares bought for $100.00 is $0.0333...: the piece takes 3 cents rounded
    half away from zero to whole cents, and the lot keeps exactly the rest."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 3.0, usd(100), "2026-01-05")
    ledger.sell("A", "X", 0.001, 4, "2026-03-02")
    sold = int(ledger.realized()["cost_basis_cents"].sum())
    assert sold + int(lot(ledger, "L1")["cost_basis_cents"]) == usd(100)
    assert sold == 3


def test_a_three_for_two_split_of_a_third_of_a_share():
    """PRODUCT.md, "Tax rules": a split multiplies the lot's shares by the ratio and keeps its
    total basis and dates: 0.333 share becomes 0.4995 share at the same $40.00."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 0.333, usd(40), "2026-01-05")
    assert ledger.split("X", 1.5) == 1
    after = lot(ledger, "L1")
    assert after["quantity"] == pytest.approx(0.4995, abs=1e-12)
    assert after["cost_basis_cents"] == usd(40)
    assert str(after["acquired_date"].date()) == "2026-01-05"
    ledger.sell("A", "X", float(after["quantity"]), usd(50), "2026-03-02")
    assert ledger.open_lots().empty
    assert ledger.realized()["cost_basis_cents"].sum() == usd(40)


def test_a_replacement_of_four_tenths_of_a_share_washes_forty_percent_of_the_loss():
    """IRS Pub. 550, "Wash Sales" (more or less stock bought than sold; Treas. Reg. 1.1091-1(c)):
    only the replaced shares' loss is disallowed. 1 share bought for $100 and sold for $80 (a $20
    loss); 0.4 share bought back 10 days later: $8 disallowed and added to the new lot's basis,
    $12 deductible."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "OLD", 1.0, usd(100), "2025-06-02")
    ledger.sell("A", "X", 1.0, usd(80), "2026-02-03")
    ledger.buy("A", "X", "NEW", 0.4, usd(32), "2026-02-13")
    sale = ledger.realized().iloc[0]
    assert (sale["wash_sale_disallowed_cents"], sale["adjustment_code"]) == (usd(8), "W")
    assert sale["gain_cents"] == -usd(12)
    new = lot(ledger, "NEW")
    assert (new["cost_basis_cents"], new["wash_sale_adjustment_cents"]) == (usd(40), usd(8))


def test_a_fractional_replacement_in_another_household_account_washes_its_share():
    """Pub. 550 applies across the household's accounts: 0.25 share bought in B replaces 0.25 of
    the 0.5 share A sold at a loss; in an IRA the replaced share of the loss is lost for good
    (Rev. Rul. 2008-5)."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "OLD", 0.5, usd(60), "2025-06-02")
    ledger.sell("A", "X", 0.5, usd(40), "2026-02-03")  # a $20 loss on 0.5 share
    ledger.buy("B", "X", "B1", 0.25, usd(21), "2026-02-05")
    assert ledger.realized().iloc[0]["wash_sale_disallowed_cents"] == usd(10)
    ledger.buy("IRA", "X", "I1", 0.125, usd(10), "2026-02-06")
    sale = ledger.realized().iloc[0]
    assert (sale["wash_sale_disallowed_cents"], sale["permanently_disallowed_cents"]) == (
        usd(15),
        usd(5),
    )
    assert lot(ledger, "I1")["cost_basis_cents"] == usd(10)


# -- conservation, whatever the fractional trades ----------------------------------------------
thousandths = st.integers(1, 25_000).map(lambda n: n / 1000.0)  # 0.001 to 25 shares
step = st.tuples(
    st.sampled_from(["BUY"] * 4 + ["SELL"] * 4 + ["SPLIT"]),
    st.sampled_from(["A", "B", "IRA"]),
    st.sampled_from(["X", "Y"]),
    thousandths,
    st.integers(100, 50_000),  # price, cents per share
    st.integers(0, 20),  # days since the previous trade
    st.sampled_from([1.5, 2.0, 0.5, 3.0]),  # split ratio
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(step, min_size=1, max_size=40),
    st.sampled_from([m for m in ReliefMethod if m is not ReliefMethod.SPECIFIC]),
)
def test_fractional_trades_conserve_shares_and_basis_to_the_cent(steps, method):
    """Shares: bought x splits - sold = held, per account and security. Basis, in whole cents:
    cost of purchases + losses carried into replacement lots = basis realized + basis open (Pub.
    550 "Wash Sales"; Rev. Rul. 2008-5: a loss replaced in an IRA is carried nowhere)."""
    ledger = Ledger(HOUSEHOLD)
    held: dict[tuple[str, str], float] = {}
    cost, day = 0, np.datetime64("2025-01-02", "D")
    for i, (action, account, symbol, quantity, price, gap, ratio) in enumerate(steps):
        day = day + np.timedelta64(gap, "D")
        key = (account, symbol)
        if action == "BUY":
            cents = round(quantity * price)
            ledger.buy(account, symbol, f"T{i}", quantity, cents, day)
            held[key] = held.get(key, 0.0) + quantity
            cost += cents
        elif action == "SELL" and held.get(key, 0.0) > 1e-9:
            quantity = min(quantity, held[key])
            ledger.sell(account, symbol, quantity, round(quantity * price), day, method)
            held[key] -= quantity
        elif action == "SPLIT":
            ledger.split(symbol, ratio)
            held = {k: q * ratio if k[1] == symbol else q for k, q in held.items()}
    open_lots, realized = ledger.open_lots(), ledger.realized()
    shares = open_lots.groupby(["account_id", "symbol"])["quantity"].sum().to_dict()
    for key, quantity in held.items():
        assert shares.get(key, 0.0) == pytest.approx(quantity, abs=1e-6)
    carried = int(
        (realized["wash_sale_disallowed_cents"] - realized["permanently_disallowed_cents"]).sum()
    )
    assert cost + carried == int(realized["cost_basis_cents"].sum()) + int(
        open_lots["cost_basis_cents"].sum()
    )
    losses = (realized["cost_basis_cents"] - realized["proceeds_cents"]).clip(lower=0)
    assert (realized["wash_sale_disallowed_cents"] <= losses).all()
