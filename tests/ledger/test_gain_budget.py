"""The gain budget: what an account may still realize this calendar year, from the ledger's own
rows.

Issue 13, defect 2: A000094 had $143 of its budget left by the ledger, yet the night proposed
$64,243 of
gains because it counted only the inbox's transactions. The ledger is the one source of realized
gains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.ledger import gain_budget_remaining, realized_this_year, tax_year_start
from sma.ledger._budget import REALIZED_YTD_COLUMNS

TONIGHT = np.datetime64("2026-11-24")


def rows(*data) -> pd.DataFrame:
    """Realized rows: account_id, as_of_date (the night booked for), sale_date, simulated,
    gain_cents."""
    return pd.DataFrame(list(data), columns=REALIZED_YTD_COLUMNS).astype({"gain_cents": "int64"})


# A000094's ledger: simulated history this year, fills of an earlier night, last year's gains, and
# the fills of tonight's own run (booked before a forced rerun of tonight).
A000094 = rows(
    ("A000094", "2026-03-02", "2026-03-02", True, 3_000_010),  # $30,000.10 earlier this year
    ("A000094", "2026-11-20", "2026-11-20", True, 1_985_690),  # $19,856.90
    ("A000094", "2025-12-30", "2025-12-30", True, 999_999_999),  # last year: another tax year
    ("A000094", "2026-11-24", "2026-11-25", False, 6_424_300),  # tonight's own fills
    (
        "A000094",
        "2026-11-24",
        "2026-11-24",
        False,
        6_424_300,
    ),  # tonight's own fills, same-day trade date
)


def test_the_gain_budget_left_is_the_budget_minus_the_ledgers_gains_of_this_calendar_year():
    """IRS Publication 550 ("Reporting Capital Gains and Losses"): gains fall in the tax year of the
    sale
    (trade) date. A $50,000 budget with $49,857.00 realized this year by the ledger leaves $143."""
    ytd = realized_this_year(A000094, TONIGHT)
    assert ytd.to_dict() == {"A000094": 4_985_700}
    left = gain_budget_remaining(np.array([50_000.0]), ytd.to_numpy() / 100, np.array([True]))
    assert left.tolist() == [143.0]


def test_gains_of_a_prior_year_do_not_count():
    """IRS Publication 550: each calendar year's gains are reported for that year only."""
    last_year = rows(("A1", "2025-12-31", "2025-12-31", True, 500_00))
    assert realized_this_year(last_year, TONIGHT).empty
    assert tax_year_start(TONIGHT) == np.datetime64("2026-01-01")


def test_fills_of_tonights_own_run_are_not_already_realized_for_tonight():
    """PRODUCT.md (the nightly run is idempotent): a night forced to run again after its fills were
    loaded decides the same trades again, so those fills are not gains realized before it; fills of
    earlier nights are (IRS Publication 550: realized on the trade date)."""
    ledger = rows(
        ("A1", "2026-11-23", "2026-11-24", False, 100_00),
        ("A1", "2026-11-24", "2026-11-24", False, 700_00),
    )
    assert realized_this_year(ledger, TONIGHT).to_dict() == {"A1": 100_00}


def test_simulated_history_counts_up_to_and_including_tonight_but_not_after():
    """The simulated past the book was built from is realized (IRS Publication 550, trade date)."""
    ledger = rows(
        ("A1", "2026-11-24", "2026-11-24", True, 1_00),
        ("A1", "2026-11-25", "2026-11-25", True, 2_00),
    )
    assert realized_this_year(ledger, TONIGHT).to_dict() == {"A1": 1_00}


def test_the_year_to_date_is_exact_in_cents_and_does_not_depend_on_row_order():
    """Money booked is exact (STYLE.md); a float sum over rows in any order would not be."""
    cents = np.random.default_rng(7).integers(-10_000_000, 10_000_000, 5_000)
    ledger = pd.DataFrame(
        {
            "account_id": "A1",
            "as_of_date": "2026-06-01",
            "sale_date": "2026-06-01",
            "simulated": True,
            "gain_cents": cents,
        }
    )
    sums = {
        int(realized_this_year(ledger.sample(frac=1.0, random_state=k), TONIGHT)["A1"])
        for k in range(5)
    }
    assert sums == {int(cents.sum())}


def test_a_blank_budget_or_an_ira_or_roth_has_no_budget():
    """PRODUCT.md, accounts: gain_budget blank = none; IRA and ROTH pay no tax on sales."""
    left = gain_budget_remaining(
        np.array([np.nan, 1_000.0, 1_000.0]),
        np.array([5.0, 5.0, 1_200.0]),
        np.array([True, False, True]),
    )
    assert np.isinf(left[:2]).all() and left[2] == -200.0
