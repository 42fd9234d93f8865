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


def test_a_spinoff_and_a_return_of_capital_do_not_lower_the_benchmark():
    """S&P's methodology keeps the level through a spin-off (the new shares join at no price) and a
    special distribution (a price adjustment), and an account holding the share keeps both.
    Held from June 30 at A 0.2, B 0.5, C 0.3 (units A 0.02, B 0.01, C 0.015 of a $1 index):
    on July 31 B spins off one share of BS a share (BS closes at 5) and drops 50 -> 45, A pays
    $1 back and closes 12 instead of 13. The index fund's $1 is worth, that day,
    0.02 x (12 + 1) + 0.01 x (45 + 5) + 0.015 x 20 = 1.06 (closes alone: 0.99), the cash goes
    back in proportion (every unit x 1.06 / 0.99), and on August 31 it is worth
    (0.02 x 13 + 0.01 x 42 + 0.015 x 20) x 1.06 / 0.99."""
    closes = CLOSES.assign(A=[10.0, 10.0, 12.0, 13.0, 15.0], BS=[5.0, 5.0, 5.0, 4.0, 4.0])
    paid = pd.DataFrame(0.0, index=closes.index, columns=closes.columns)
    paid.loc["2026-07-31", "B"] = 1 * 5.0
    paid.loc["2026-07-31", "A"] = 1.0
    daily = benchmark_daily_returns(closes, weights(**{"2026_06_30": JUNE_30}), paid)
    level = np.cumprod(1 + daily.set_index("date")["return"])
    assert level["2026-07-31"] / level["2026-06-30"] == pytest.approx(1.06, abs=1e-12)
    assert level["2026-08-31"] / level["2026-06-30"] == pytest.approx(
        (0.02 * 13 + 0.01 * 42 + 0.015 * 20) * 1.06 / 0.99, abs=1e-12
    )
    without = benchmark_daily_returns(closes, weights(**{"2026_06_30": JUNE_30}))
    assert (1 + without.set_index("date")["return"])["2026-07-31"] == pytest.approx(0.99, abs=1e-12)


def test_nothing_paid_leaves_the_returns_as_they_were_to_the_bit():
    none = pd.DataFrame(0.0, index=CLOSES.index, columns=CLOSES.columns)
    given = weights(**{"2026_06_30": JUNE_30})
    pd.testing.assert_frame_equal(
        benchmark_daily_returns(CLOSES, given, none), benchmark_daily_returns(CLOSES, given)
    )
