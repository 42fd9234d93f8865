"""Time-weighted return, daily chained (the "true" time-weighted return).

With a valuation every day, the period return is the product of daily growth factors, which
removes the effect of the client's contributions and withdrawals -- the return the manager is
accountable for. Source: CFA Institute, *Global Investment Performance Standards (GIPS) 2020*,
which require time-weighted returns for portfolios with valuation at every large external cash
flow; the daily-chained form is Bacon, *Practical Portfolio Performance Measurement and
Attribution*, chapter 2 ("true time-weighted return").

Convention, stated once: a cash flow dated day *t* arrives at the **start** of day *t* and is
invested that day, so

    r_t = V_t / (V_{t-1} + CF_t) - 1,        R(period) = prod_t (1 + r_t) - 1

over the valuation days of the period. The first row of the series is the opening valuation
(inception). A day whose opening value ``V_{t-1} + CF_t`` is not positive (nothing invested)
has growth 1. Returns of periods of a year or more are also given annualized,
``(1 + R) ** (365 / days) - 1``; shorter periods are never annualized (GIPS 2020).

Beside it, the money-weighted return (the internal rate of return over the same daily flows):
the rate ``r`` at which the opening value and every flow, compounded to the end of the span,
equal the closing value, ``V_0 (1+r)^{T/365} + sum_t CF_t (1+r)^{(T-t)/365} = V_T`` with ``t``
in calendar days (a true IRR over exact dates, not the Modified Dietz approximation). It is
the client's own experience of the account, timing of contributions included; for a span under
a year it is given as the rate over the span, ``(1+r)^{T/365} - 1``, never annualized.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sma.reporting._frames import ReportDataError, as_dates, require_columns

VALUE_COLUMNS = ("date", "market_value", "cash_flow")
BENCHMARK_COLUMNS = ("date", "return")


def daily_growth(values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days and growth factors ``1 + r_t`` of an account's daily valuations.

    Parameters
    ----------
    values : DataFrame
        ``date``, ``market_value`` (USD, end of day, cash included), ``cash_flow`` (USD, + in,
        - out, at the start of the day); one row per valuation day, first row = inception.

    Returns
    -------
    days : ndarray of shape (n_days,), datetime64[D]
    growth : ndarray of shape (n_days,)
        ``growth[0] = 1`` (inception); ``growth[t] = V_t / (V_{t-1} + CF_t)``.
    """
    require_columns("values", values, VALUE_COLUMNS)
    if values.empty:
        raise ReportDataError("values", None, "no valuations")
    days = as_dates("values", values, "date").to_numpy().astype("datetime64[D]")
    if np.any(np.diff(days) <= np.timedelta64(0, "D")):
        raise ReportDataError("values", "date", "dates must be strictly increasing")
    v = values["market_value"].to_numpy(dtype=float)
    cf = values["cash_flow"].to_numpy(dtype=float)
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(cf))):
        raise ReportDataError("values", "market_value", "values and cash flows must be finite")
    opening = v[:-1] + cf[1:]
    growth = np.ones_like(v)
    invested = opening > 0
    growth[1:][invested] = v[1:][invested] / opening[invested]
    return days, growth


def chain(
    days: np.ndarray, growth: np.ndarray, after: np.datetime64, through: np.datetime64
) -> float:
    """``prod(growth) - 1`` over the days ``after < day <= through``."""
    window = (days > after) & (days <= through)
    return float(np.prod(growth[window]) - 1.0)


def annualise(total_return: float, days: int) -> float | None:
    """The annual rate of a return over ``days`` calendar days; ``None`` below a year (GIPS)."""
    if days < 365:
        return None
    return float((1.0 + total_return) ** (365.0 / days) - 1.0)


@dataclass(frozen=True)
class Returns:
    """Account and benchmark returns over one span, as fractions (0.012 = 1.2 %)."""

    label: str
    start: date  # first day whose return counts
    end: date
    account: float
    benchmark: float
    account_annualised: float | None = None
    benchmark_annualised: float | None = None
    money_weighted: float | None = None  # the account's IRR over the span, as a rate over the span
    money_weighted_annualised: float | None = None

    @property
    def excess(self) -> float:
        return self.account - self.benchmark


@dataclass(frozen=True)
class ValueChange:
    """How the account's value moved over the period: end = start + net flows + investment gain."""

    value_start: float
    net_flows: float
    investment_gain: float
    value_end: float


def _benchmark_growth(benchmark: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    require_columns("benchmark_returns", benchmark, BENCHMARK_COLUMNS)
    days = as_dates("benchmark_returns", benchmark, "date").to_numpy().astype("datetime64[D]")
    r = benchmark["return"].to_numpy(dtype=float)
    if not np.all(np.isfinite(r)) or np.any(r <= -1.0):
        raise ReportDataError(
            "benchmark_returns", "return", "daily returns must be finite and > -100 %"
        )
    return days, 1.0 + r


def _base_day(days: np.ndarray, start: date) -> np.datetime64:
    """The valuation the span is measured from: the last day before ``start`` (or inception)."""
    before = days[days < np.datetime64(start, "D")]
    return before[-1] if before.size else days[0]


def returns_over(
    values: pd.DataFrame, benchmark: pd.DataFrame, label: str, start: date, end: date
) -> Returns:
    """Time-weighted return of account and benchmark from ``start`` through ``end``.

    The span opens at the last valuation before ``start``, or at inception when the account
    started inside the span; the benchmark is chained over the same days.
    """
    days, growth = daily_growth(values)
    bdays, bgrowth = _benchmark_growth(benchmark)
    base = _base_day(days, start)
    valued = days[days <= np.datetime64(end, "D")]
    if not valued.size:
        raise ReportDataError("values", "date", f"no valuation on or before {end}")
    through = valued[-1]  # the benchmark is chained over the same days as the account, no further
    account = chain(days, growth, base, through)
    bench = chain(bdays, bgrowth, base, through)
    span = int((through - base) / np.timedelta64(1, "D"))
    first = (base + np.timedelta64(1, "D")).astype(object)
    irr = money_weighted_return(values, base.astype(object), through.astype(object))
    over_span = None if irr is None else float((1.0 + irr) ** (span / 365.0) - 1.0)
    return Returns(
        label,
        first,
        end,
        account,
        bench,
        annualise(account, span),
        annualise(bench, span),
        over_span,
        irr if span >= 365 else None,
    )


def internal_rate(flows: np.ndarray, years: np.ndarray) -> float | None:
    """The annual rate ``r`` with ``sum(flows * (1 + r) ** -years) = 0``; ``None`` when there is
    none.

    Parameters
    ----------
    flows : ndarray of shape (n,), USD -- the investor's flows: paid in < 0, received > 0
    years : ndarray of shape (n,) -- each flow's time from the first, in years (days / 365)
    """

    def npv(r: float) -> float:
        return float(np.sum(flows * np.exp(-years * np.log1p(r))))

    lo, hi = -0.9999, 1.0
    if npv(lo) * npv(hi) > 0:
        for hi in (10.0, 100.0, 1e4):  # a very short span can have a very high annual rate
            if npv(lo) * npv(hi) <= 0:
                break
        else:
            return None
    return float(brentq(npv, lo, hi, xtol=1e-14, rtol=1e-12, maxiter=500))


def money_weighted_return(values: pd.DataFrame, base: date, through: date) -> float | None:
    """The account's annual internal rate of return from the close of ``base`` to the close of
    ``through``.

    The value at ``base`` is paid in on ``base``, each later day's ``cash_flow`` on its day
    (contributions paid in, withdrawals received), and the value at ``through`` is received on
    ``through``. ``None`` when nothing was invested or no rate solves it.
    """
    days, _ = daily_growth(values)
    v = values["market_value"].to_numpy(dtype=float)
    cf = values["cash_flow"].to_numpy(dtype=float)
    b, t = np.datetime64(base, "D"), np.datetime64(through, "D")
    inside = (days > b) & (days <= t)
    at_base = days == b
    if not at_base.any() or not (days == t).any() or t <= b:
        return None
    flows = np.concatenate([-v[at_base], -cf[inside], v[days == t]])
    when = np.concatenate([days[at_base], days[inside], days[days == t]])
    years = (when - b) / np.timedelta64(365, "D")
    if not np.any(flows < 0):
        return None
    return internal_rate(flows, years.astype(float))


def value_change(values: pd.DataFrame, start: date, end: date) -> ValueChange:
    """Opening value, net contributions, investment gain and closing value of the period."""
    days, _ = daily_growth(values)
    v = values["market_value"].to_numpy(dtype=float)
    cf = values["cash_flow"].to_numpy(dtype=float)
    through = days <= np.datetime64(end, "D")
    before = days < np.datetime64(start, "D")
    if not through.any():
        raise ReportDataError("values", "date", f"no valuation on or before {end}")
    if before.any():
        opening = float(v[before][-1])
        flows = float(cf[~before & through].sum())
    else:  # inception inside the period: the first funding is a contribution
        opening = 0.0
        flows = float(cf[through].sum())
    closing = float(v[through][-1])
    return ValueChange(opening, flows, closing - opening - flows, closing)
