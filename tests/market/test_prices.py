"""The factor market model (issue 2): calibrated to US large caps, fat-tailed, with one drawdown."""

from datetime import date

import numpy as np
import pytest

from sma.market import (
    STANDARD_BENCHMARKS,
    TRADING_DAYS,
    MarketParams,
    benchmark_weights,
    business_days,
    business_days_ending,
    generate_universe,
    simulate_prices,
)

START = date(2019, 1, 2)
N_DAYS = 6 * TRADING_DAYS


@pytest.fixture(scope="module")
def universe():
    return generate_universe(4)


@pytest.fixture(scope="module")
def history(universe):
    return simulate_prices(universe, START, N_DAYS, seed=4)


def _index_returns(universe, history):
    simple = np.diff(history.closes, axis=0) / history.closes[:-1]
    return simple @ benchmark_weights(universe, STANDARD_BENCHMARKS[0])


def test_closes_are_positive_finite_cents_on_business_days(universe, history):
    assert history.closes.shape == (N_DAYS, len(universe))
    assert np.isfinite(history.closes).all() and (history.closes > 0).all()
    np.testing.assert_allclose(history.closes, np.round(history.closes, 2), atol=1e-9)
    assert np.is_busday(history.dates).all() and (np.diff(history.dates.astype(int)) > 0).all()
    np.testing.assert_allclose(history.closes[0], np.maximum(np.round(universe.price, 2), 0.01))
    assert (history.volumes > 0).all()


def test_the_index_moves_about_16_percent_a_year_outside_the_drawdown(universe, history):
    """Calibration: the US large-cap market's volatility is about 16% a year."""
    calm = _index_returns(universe, history)[: N_DAYS // 2]
    assert 0.12 < calm.std() * np.sqrt(TRADING_DAYS) < 0.22


def test_stock_specific_volatility_is_25_to_35_percent_and_stocks_disperse(universe, history):
    """Calibration: stock-specific risk of large caps is about 25-35% a year; total risk is
    higher."""
    members = universe.in_index
    assert (universe.idio_vol[members] >= 0.23).all() and (universe.idio_vol[members] <= 0.37).all()
    log_returns = np.diff(np.log(history.closes[:, members]), axis=0)
    vol = log_returns.std(axis=0) * np.sqrt(TRADING_DAYS)
    assert 0.28 < np.median(vol) < 0.45
    total = np.log(history.closes[-1, members] / history.closes[0, members])
    assert total.std() > 0.4  # six years of dispersion: winners and losers to harvest


def test_daily_moves_are_fat_tailed(universe, history):
    log_returns = np.diff(np.log(history.closes[:, universe.in_index]), axis=0)
    z = (log_returns - log_returns.mean(axis=0)) / log_returns.std(axis=0)
    excess_kurtosis = (z**4).mean() - 3.0
    assert excess_kurtosis > 1.0


def test_the_market_has_one_drawdown_of_at_least_20_percent(universe, history):
    level = np.cumprod(1.0 + _index_returns(universe, history))
    drawdown = 1.0 - level / np.maximum.accumulate(level)
    assert drawdown.max() > 0.2
    params = MarketParams()
    trough = N_DAYS - 1 - params.drawdown_ends_before_last
    peak = trough - params.drawdown_days
    assert level[trough - 1] / level[peak - 1] < 0.85  # the fall happens where it is placed


def test_share_classes_move_together(universe, history):
    twins = np.flatnonzero(universe.twin_of >= 0)
    returns = np.diff(np.log(history.closes), axis=0)
    for twin in twins:
        corr = np.corrcoef(returns[:, twin], returns[:, universe.twin_of[twin]])[0, 1]
        assert corr > 0.99


def test_same_seed_same_closes_other_seed_other_closes(universe, history):
    again = simulate_prices(universe, START, N_DAYS, seed=4)
    assert np.array_equal(again.closes, history.closes) and np.array_equal(
        again.volumes, history.volumes
    )
    other = simulate_prices(universe, START, N_DAYS, seed=5)
    assert not np.array_equal(other.closes, history.closes)


def test_a_quieter_market_moves_less(universe):
    quiet = simulate_prices(
        universe, START, 2 * TRADING_DAYS, 4, MarketParams(market_vol=0.08, drawdown_depth=0.0)
    )
    loud = simulate_prices(
        universe, START, 2 * TRADING_DAYS, 4, MarketParams(market_vol=0.24, drawdown_depth=0.0)
    )
    assert _index_returns(universe, quiet).std() < _index_returns(universe, loud).std()


def test_business_day_ranges_start_and_end_on_weekdays():
    saturday = date(2026, 11, 28)
    assert str(business_days(saturday, 2)[0]) == "2026-11-30"
    ending = business_days_ending(saturday, 3)
    assert [str(d) for d in ending] == ["2026-11-25", "2026-11-26", "2026-11-27"]
    assert str(business_days_ending(date(2026, 11, 24), 1)[0]) == "2026-11-24"
