"""Time- and money-weighted returns checked against published and hand-worked examples.

The CFA Institute example (DeFusco, McLeavey, Pinto and Runkle, *Quantitative Investment
Analysis*, CFA Institute Investment Series, ch. 2 "Discounted Cash Flow Applications",
"Money-Weighted Rate of Return" and "Time-Weighted Rate of Return"): an investor buys one share
at $100; it pays a $2 dividend and is worth $120 a year later, when a second share is bought at
$120; a year after that each share pays $2 and both are sold at $130. The book gives a
money-weighted return of 13.86% and a time-weighted return of 15.84% a year.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sma.reporting._performance import internal_rate, money_weighted_return, returns_over


def cfa_two_share_example() -> pd.DataFrame:
    """The example as daily valuations: cash flows at the start of their day (our convention).

    Year 1 ends with the share at $120 plus the $2 dividend in cash (V = 122); the next morning
    the investor pays in $120 for the second share and takes the $2 dividend out (flow +118);
    year 2 ends with two shares at $130 plus $4 of dividends (V = 264).
    """
    return pd.DataFrame(
        {
            "date": ["2021-01-01", "2021-12-31", "2022-01-01", "2023-01-01"],
            "market_value": [100.0, 122.0, 240.0, 264.0],
            "cash_flow": [100.0, 0.0, 118.0, 0.0],
        }
    )


def no_benchmark(values: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"date": values["date"].iloc[1:], "return": 0.0})


def test_cfa_example_time_weighted_return_is_15_84_percent_a_year():
    """Holding-period returns 22% ((120 + 2 - 100) / 100) and 10% ((260 + 4 - 240) / 240),
    chained: sqrt(1.22 x 1.10) - 1 = 15.84% a year (the book's figure)."""
    v = cfa_two_share_example()
    r = returns_over(v, no_benchmark(v), "two years", date(2021, 1, 1), date(2023, 1, 1))
    assert r.account == pytest.approx(1.22 * 1.10 - 1)
    assert round(r.account_annualised, 4) == 0.1584


def test_cfa_example_money_weighted_return_is_13_86_percent_a_year():
    """The IRR of -100 now, -118 in a year (-120 for the share + 2 dividend), +264 in two years."""
    v = cfa_two_share_example()
    assert round(money_weighted_return(v, date(2021, 1, 1), date(2023, 1, 1)), 4) == 0.1386
    r = returns_over(v, no_benchmark(v), "two years", date(2021, 1, 1), date(2023, 1, 1))
    assert round(r.money_weighted_annualised, 4) == 0.1386
    assert r.money_weighted == pytest.approx(1.1386**2 - 1, abs=2e-4)  # the rate over the span


def test_irr_solves_a_hand_worked_quadratic():
    """1,000 paid in, 1,000 more a year later, 2,310 received after two years:
    1000 (1+r)^2 + 1000 (1+r) = 2310 -> (1+r) = (-1 + sqrt(1 + 4 x 2.31)) / 2 = 1.1, r = 10%."""
    assert internal_rate(
        pd.Series([-1000.0, -1000.0, 2310.0]).to_numpy(), pd.Series([0.0, 1.0, 2.0]).to_numpy()
    ) == pytest.approx(0.10, abs=1e-10)


def test_money_weighted_counts_when_money_came_and_time_weighted_does_not():
    """The same flows as the quadratic: +20% in year 1 on 1,000, +5% in year 2 on 2,200.
    TWR = sqrt(1.20 x 1.05) - 1 = 12.25%; the IRR is 10%: the second 1,000 earned only the 5%."""
    v = pd.DataFrame(
        {
            "date": ["2021-01-01", "2021-12-31", "2022-01-01", "2023-01-01"],
            "market_value": [1000.0, 1200.0, 2200.0, 2310.0],
            "cash_flow": [1000.0, 0.0, 1000.0, 0.0],
        }
    )
    r = returns_over(v, no_benchmark(v), "two years", date(2021, 1, 1), date(2023, 1, 1))
    assert r.account_annualised == pytest.approx((1.20 * 1.05) ** 0.5 - 1)
    assert r.money_weighted_annualised == pytest.approx(0.10, abs=1e-9)


def test_a_withdrawal_is_money_received_in_the_irr():
    """1,000 in; 550 out after a year; 550 left after two: 1000 = 550/(1+r) + 550/(1+r)^2 at r =
    6.6%
    (x = 1/(1+r): 550x^2 + 550x - 1000 = 0, x = 0.9381...)."""
    v = pd.DataFrame(
        {
            "date": ["2021-01-01", "2022-01-01", "2023-01-01"],
            "market_value": [1000.0, 550.0, 550.0],
            "cash_flow": [1000.0, -550.0, 0.0],
        }
    )
    x = (-550 + (550**2 + 4 * 550 * 1000) ** 0.5) / (2 * 550)
    assert money_weighted_return(v, date(2021, 1, 1), date(2023, 1, 1)) == pytest.approx(
        1 / x - 1, abs=1e-9
    )


def test_spans_under_a_year_give_the_money_weighted_return_over_the_span_not_annualized():
    """GIPS 2020: returns for periods under a year are not annualized; no flows -> MWR = TWR."""
    v = pd.DataFrame(
        {
            "date": ["2026-06-30", "2026-07-31", "2026-09-30"],
            "market_value": [100.0, 103.0, 104.0],
            "cash_flow": [100.0, 0.0, 0.0],
        }
    )
    r = returns_over(v, no_benchmark(v), "Q3", date(2026, 7, 1), date(2026, 9, 30))
    assert r.money_weighted == pytest.approx(0.04, abs=1e-9)
    assert r.account == pytest.approx(0.04)
    assert r.money_weighted_annualised is None and r.account_annualised is None
