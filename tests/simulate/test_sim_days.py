"""Decision days, cash-flow days and the market path the simulator runs on."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.simulate import HarvestFrequency, extend_market, generated_market, market_from_frames
from sma.simulate._loop import decision_days, flow_matrix
from sma.simulate._market import MarketPathError

DAYS = np.busday_offset(np.datetime64("2024-01-01"), np.arange(45), roll="forward")


def test_weekly_decisions_fall_on_the_first_business_day_of_each_week():
    on = decision_days(DAYS, HarvestFrequency.WEEKLY)
    assert on[0] and (DAYS[on][1:].astype("datetime64[D]").view("int64") % 7 == 4).all()  # Mondays
    assert on.sum() == 9


def test_monthly_decisions_fall_on_the_first_business_day_of_each_month():
    on = decision_days(DAYS, HarvestFrequency.MONTHLY)
    assert [str(d) for d in DAYS[on]] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_a_flow_requested_on_a_weekend_arrives_the_next_business_day_and_earlier_ones_on_day_zero():
    flows = pd.DataFrame(
        {
            "account_id": ["A", "A", "B"],
            "amount": [100.0, -50.0, 7.0],
            "requested_date": ["2024-01-06", "2023-12-01", "2024-01-02"],
        }
    )
    out = flow_matrix(flows, DAYS, np.array(["A", "B"]))
    assert (
        out[0].tolist() == [-50.0, 0.0]
        and out[1].tolist() == [0.0, 7.0]
        and out[5].tolist() == [100.0, 0.0]
    )


@pytest.fixture(scope="module")
def path():
    return generated_market(5, date(2020, 1, 1), 300)


def test_index_weights_drift_with_prices_and_stay_a_whole_index(path):
    w = path.index_weights(299)
    assert np.allclose(w.sum(axis=1), 1.0)
    expected = path.weights0 * path.closes[299] / path.closes[0]
    assert np.allclose(w, expected / expected.sum(axis=1, keepdims=True))


def test_extending_a_path_keeps_its_history_and_adds_business_days(path):
    longer = extend_market(path, 20, seed=1)
    assert np.array_equal(longer.closes[:300], path.closes) and longer.dates.size == 320
    assert np.is_busday(longer.dates[300:]).all() and (np.diff(longer.dates.astype(int)) > 0).all()
    assert np.array_equal(extend_market(path, 20, seed=1).closes, longer.closes)


def test_a_price_file_missing_a_close_is_refused_naming_symbol_and_date(path):
    prices = pd.DataFrame(
        {
            "date": np.repeat(path.dates[:3], 2),
            "symbol": np.tile(path.symbols[:2], 3),
            "close": 10.0,
        }
    ).iloc[:-1]
    bench = pd.DataFrame({"benchmark_id": "B", "symbol": path.symbols[:2], "weight": [0.5, 0.5]})
    with pytest.raises(MarketPathError, match=f"no close for {path.symbols[1]}"):
        market_from_frames(path.securities.iloc[:2], prices, bench)


def test_index_weights_given_on_the_last_day_are_traced_back_to_day_zero(path):
    """A price file's benchmark weights are tonight's: day 0's are those weights at day 0's
    prices."""
    bench = path.benchmarks_frame(299)
    again = market_from_frames(
        path.securities,
        pd.DataFrame(
            {
                "date": np.repeat(path.dates, path.symbols.size),
                "symbol": np.tile(path.symbols, path.dates.size),
                "close": path.closes.ravel(),
            }
        ),
        bench,
    )
    assert np.allclose(again.weights0, path.weights0)
