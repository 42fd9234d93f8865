"""Time-weighted return, chained daily (GIPS 2020; Bacon, Practical Portfolio Performance
Measurement and Attribution, ch. 2): cash flows arrive at the start of their day."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.reporting import ReportDataError
from sma.reporting._performance import daily_growth, returns_over, value_change

DAYS = ["2026-06-29", "2026-06-30", "2026-07-01", "2026-07-02", "2026-07-03"]


def series(values, flows) -> pd.DataFrame:
    return pd.DataFrame({"date": DAYS[: len(values)], "market_value": values, "cash_flow": flows})


def flat_benchmark(r: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"date": DAYS[1:], "return": [r] * (len(DAYS) - 1)})


def test_daily_return_divides_by_opening_value_including_the_days_cash_flow():
    """GIPS true TWR, start-of-day flows: r_t = V_t / (V_{t-1} + CF_t) - 1."""
    _, growth = daily_growth(series([100.0, 110.0, 231.0], [100.0, 0.0, 100.0]))
    np.testing.assert_allclose(growth, [1.0, 1.10, 231.0 / 210.0])


def test_contribution_is_not_return():
    """GIPS: external cash flows are removed from the return; money added is not performance."""
    values = series([100.0, 100.0, 150.0], [100.0, 0.0, 50.0])
    r = returns_over(values, flat_benchmark(), "p", date(2026, 6, 30), date(2026, 7, 1))
    assert r.account == pytest.approx(0.0)


def test_period_return_chains_the_days_after_the_last_valuation_before_the_period():
    """A period starting 2026-07-01 is measured from the 2026-06-30 close: 10 % then 5 %."""
    values = series([100.0, 200.0, 220.0, 231.0], [100.0, 0.0, 0.0, 0.0])
    r = returns_over(values, flat_benchmark(0.01), "Q3", date(2026, 7, 1), date(2026, 7, 2))
    assert r.account == pytest.approx(1.10 * 1.05 - 1.0)
    assert r.benchmark == pytest.approx(1.01**2 - 1.0)
    assert r.start == date(2026, 7, 1)
    assert r.excess == pytest.approx(r.account - r.benchmark)


def test_account_opened_inside_the_period_is_measured_from_inception():
    values = series([100.0, 103.0], [100.0, 0.0])
    r = returns_over(values, flat_benchmark(0.02), "year", date(2026, 1, 1), date(2026, 12, 31))
    assert r.account == pytest.approx(0.03)
    assert r.benchmark == pytest.approx(0.02)


def test_returns_shorter_than_a_year_are_not_annualised_and_longer_are():
    """GIPS 2020: returns for periods of less than one year must not be annualised."""
    days = pd.bdate_range("2024-01-01", "2025-12-31")
    growth = np.full(len(days), 1.0002)
    growth[0] = 1.0
    values = pd.DataFrame(
        {"date": days, "market_value": 1000.0 * np.cumprod(growth), "cash_flow": 0.0}
    )
    values.loc[0, "cash_flow"] = 1000.0
    bench = pd.DataFrame({"date": days[1:], "return": 0.0001})
    short = returns_over(values, bench, "Q4", date(2025, 10, 1), date(2025, 12, 31))
    long = returns_over(values, bench, "SI", date(2024, 1, 1), date(2025, 12, 31))
    assert short.account_annualised is None
    span = (date(2025, 12, 31) - date(2024, 1, 1)).days
    assert long.account_annualised == pytest.approx((1 + long.account) ** (365 / span) - 1)


def test_value_change_adds_up_opening_flows_and_investment_gain():
    values = series([100.0, 200.0, 260.0, 250.0], [100.0, 0.0, 50.0, -20.0])
    c = value_change(values, date(2026, 7, 1), date(2026, 7, 2))
    assert (c.value_start, c.net_flows, c.value_end) == (200.0, 30.0, 250.0)
    assert c.investment_gain == pytest.approx(20.0)


def test_dates_out_of_order_are_refused_with_the_column_named():
    with pytest.raises(ReportDataError) as e:
        daily_growth(
            pd.DataFrame(
                {
                    "date": ["2026-07-02", "2026-07-01"],
                    "market_value": [1.0, 1.0],
                    "cash_flow": [1.0, 0.0],
                }
            )
        )
    assert (e.value.frame, e.value.column) == ("values", "date")


@settings(max_examples=60, deadline=None)
@given(
    returns=st.lists(st.floats(-0.05, 0.05), min_size=2, max_size=30),
    flows=st.lists(st.floats(-50.0, 500.0), min_size=30, max_size=30),
)
def test_twr_is_the_market_return_whatever_the_client_adds_or_withdraws(returns, flows):
    """The defining property of a time-weighted return: it does not depend on external flows."""
    n = len(returns)
    days = pd.bdate_range("2026-01-05", periods=n + 1)
    value, cf = [1000.0], [1000.0]
    for r, f in zip(returns, flows[:n], strict=True):
        f = max(f, -0.5 * value[-1])  # never withdraw more than is there
        cf.append(f)
        value.append((value[-1] + f) * (1.0 + r))
    frame = pd.DataFrame({"date": days, "market_value": value, "cash_flow": cf})
    bench = pd.DataFrame({"date": days[1:], "return": returns})
    got = returns_over(frame, bench, "all", days[0].date(), days[-1].date())
    assert got.account == pytest.approx(float(np.prod(1.0 + np.array(returns)) - 1.0), abs=1e-9)
    assert got.account == pytest.approx(got.benchmark, abs=1e-9)
