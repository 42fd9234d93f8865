"""A benchmark's return is chained daily from the previous close's drifted weights and rebalanced
only on the dates its weights are given (S&P Dow Jones Indices, Index Mathematics Methodology:
an index level moves with its constituents' prices; its divisor changes only at rebalances)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sma.reporting import ReportDataError, benchmark_daily_returns

DAYS = pd.to_datetime(["2026-06-29", "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"])
#: A rises 50% over the quarter, B falls 20%, C is flat.
CLOSES = pd.DataFrame(
    {
        "A": [10.0, 10.0, 12.0, 13.0, 15.0],
        "B": [50.0, 50.0, 45.0, 42.0, 40.0],
        "C": [20.0, 20.0, 20.0, 20.0, 20.0],
    },
    index=DAYS,
)
JUNE_30 = {"A": 0.2, "B": 0.5, "C": 0.3}


def weights(**dated: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"as_of_date": pd.Timestamp(d.replace("_", "-")), "symbol": s, "weight": w}
            for d, ws in dated.items()
            for s, w in ws.items()
        ]
    )


def drifted(w: dict[str, float], p0: pd.Series, p1: pd.Series) -> dict[str, float]:
    grown = {s: w[s] * p1[s] / p0[s] for s in w}
    return {s: g / sum(grown.values()) for s, g in grown.items()}


def quarter(daily: pd.DataFrame) -> float:
    q = daily[(daily["date"] > "2026-06-30") & (daily["date"] <= "2026-09-30")]
    return float(np.prod(1 + q["return"]) - 1)


def test_q3_return_is_buy_and_hold_from_the_june_30_weights_when_the_benchmark_did_not_rebalance():
    """The store holds June 30's weights and September 30's, which are June 30's drifted (no
    rebalance): Q3 = sum_i w_i(Jun 30) x P_i(Sep 30) / P_i(Jun 30) - 1 = 0.2x1.5 + 0.5x0.8 + 0.3x1 -
    1 = 0."""
    sep = drifted(JUNE_30, CLOSES.loc["2026-06-30"], CLOSES.loc["2026-09-30"])
    daily = benchmark_daily_returns(CLOSES, weights(**{"2026_06_30": JUNE_30, "2026_09_30": sep}))
    buy_and_hold = (
        sum(
            w * CLOSES.loc["2026-09-30", s] / CLOSES.loc["2026-06-30", s]
            for s, w in JUNE_30.items()
        )
        - 1
    )
    assert quarter(daily) == pytest.approx(buy_and_hold, abs=1e-12)
    assert buy_and_hold == pytest.approx(0.0)
    # The defect of issue 15: September's weights applied to every day of the quarter favour A,
    # which already rose, and print a return the index never had.
    end_weights = np.array([sep[s] for s in CLOSES.columns])
    stale = float(np.prod(1 + CLOSES.pct_change().iloc[2:].to_numpy() @ end_weights) - 1)
    assert stale == pytest.approx(0.0459, abs=1e-4)  # 4.6 points above the true 0%


def test_each_day_uses_the_previous_closes_drifted_weights():
    """Chained day by day as an index provider computes it: r_t = sum_i w_{i,t-1} r_{i,t}, then
    the weights drift: w_{i,t} = w_{i,t-1} (1 + r_{i,t}) / (1 + r_t)."""
    daily = benchmark_daily_returns(CLOSES, weights(**{"2026_06_30": JUNE_30}))
    w = np.array([JUNE_30[s] for s in CLOSES.columns])
    r_i = CLOSES.pct_change().to_numpy()
    for t in range(2, len(DAYS)):
        r = float(w @ r_i[t])
        assert daily["return"].iloc[t - 1] == pytest.approx(r, abs=1e-14)
        w = w * (1 + r_i[t]) / (1 + r)


def test_a_rebalance_on_a_dated_weight_resets_the_weights_at_that_close():
    """New weights dated July 31 hold from July 31's close: August's return uses them exactly."""
    july = {"A": 0.0, "B": 0.0, "C": 1.0}
    daily = benchmark_daily_returns(CLOSES, weights(**{"2026_06_30": JUNE_30, "2026_07_31": july}))
    aug = daily.set_index("date").loc["2026-08-31", "return"]
    assert aug == pytest.approx(0.0)  # all in C, which was flat
    jul = daily.set_index("date").loc["2026-07-31", "return"]
    assert jul == pytest.approx(0.2 * 0.2 + 0.5 * -0.1)


def test_before_the_first_dated_weights_the_benchmark_is_those_weights_held_unchanged():
    """Only September's weights known: the quarter is the buy-and-hold whose drift ends at them."""
    sep = drifted(JUNE_30, CLOSES.loc["2026-06-30"], CLOSES.loc["2026-09-30"])
    daily = benchmark_daily_returns(CLOSES, weights(**{"2026_09_30": sep}))
    assert quarter(daily) == pytest.approx(0.0, abs=1e-12)


def test_a_constituent_without_closes_is_named():
    with pytest.raises(ReportDataError, match="ZZZ"):
        benchmark_daily_returns(CLOSES, weights(**{"2026_06_30": {"A": 0.5, "ZZZ": 0.5}}))
