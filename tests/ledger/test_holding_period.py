"""Holding periods (IRS Publication 550, chapter 4, "Holding Period"; Rev. Rul. 66-7)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sma.ledger import is_long_term
from sma.ledger._holding import carried_holding_start, long_term_from


def d(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def test_sold_on_the_anniversary_is_short_term_and_the_day_after_is_long_term():
    """Pub. 550: bought February 5, sold February 5 next year: not more than 1 year (short-term);
    sold February 6: more than 1 year (long-term). Counting starts the day after acquisition."""
    bought = np.array([d("2024-02-05"), d("2024-02-05")])
    sold = np.array([d("2025-02-05"), d("2025-02-06")])
    assert is_long_term(bought, sold).tolist() == [False, True]


def test_lot_bought_on_29_february_becomes_long_term_on_1_march():
    """Pub. 550 counts calendar months from the day after acquisition: bought 2024-02-29, the
    period starts 1 March 2024, so 28 February 2025 is short-term and 1 March 2025 long-term."""
    bought = np.array([d("2024-02-29")] * 2)
    assert is_long_term(bought, np.array([d("2025-02-28"), d("2025-03-01")])).tolist() == [
        False,
        True,
    ]


def test_lot_bought_on_the_last_day_of_a_month_is_long_term_from_the_first_of_the_thirteenth_month():
    """Rev. Rul. 66-7: property acquired on the last day of a month is held more than a year
    from the first day of the 13th month after -- so 28 Feb 2023 to 29 Feb 2024 is still
    short-term."""
    bought = np.array([d("2023-02-28"), d("2023-02-28"), d("2025-01-31"), d("2025-01-31")])
    sold = np.array([d("2024-02-29"), d("2024-03-01"), d("2026-01-31"), d("2026-02-01")])
    assert is_long_term(bought, sold).tolist() == [False, True, False, True]


def test_lot_bought_the_day_before_29_february_is_long_term_on_1_march_next_year():
    """Pub. 550: held from 29 Feb 2024 (the day after buying); one year runs through 28 Feb 2025."""
    assert long_term_from(np.array([d("2024-02-28")]))[0] == d("2025-03-01")


def test_one_sale_date_applies_to_every_lot():
    """A scalar sale date broadcasts over the lots (the engine asks for a whole account at once)."""
    bought = np.array([d("2020-01-01"), d("2025-06-30")])
    assert is_long_term(bought, d("2026-01-15")).tolist() == [True, False]


def test_wash_sale_replacement_counts_from_the_sold_shares_holding_period():
    """Pub. 550, "Wash Sales": the new stock's holding period includes the old stock's. Convention
    (PRODUCT.md): replacement trade date minus the days the sold shares were held."""
    start = carried_holding_start(
        np.array([d("2026-02-01")]), np.array([d("2025-09-24")]), np.array([d("2026-02-03")])
    )
    assert start[0] == d("2025-09-22")
    assert (d("2026-02-03") - d("2025-09-24")) == (d("2026-02-01") - start[0])


@given(st.integers(0, 40_000), st.integers(0, 800))
def test_long_term_exactly_when_sold_after_the_first_anniversary(start_day, days_later):
    """Property (Pub. 550): long-term is monotone in the sale date and never within 365 days."""
    bought = np.array([np.datetime64(start_day, "D")])
    sale = bought + np.timedelta64(days_later, "D")
    flag = bool(is_long_term(bought, sale)[0])
    if days_later <= 365:
        assert not flag
    if days_later >= 367:
        assert flag
    assert flag == bool(sale[0] >= long_term_from(bought)[0])
