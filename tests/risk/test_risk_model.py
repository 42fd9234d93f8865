"""The factor risk model: estimated from prices, loaded from a vendor, and the tracking error it
gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.risk import (
    RiskModel,
    RiskModelError,
    RiskModelParams,
    estimate_risk_model,
    returns_from_prices,
    risk_model_from_frames,
    tracking_error,
)


def simulated_returns(seed: int, days: int = 500):
    """Two sectors of 10 stocks: market 1 %/day, sector 0.8 %/day, specific 1.5 %/day."""
    rng = np.random.default_rng(seed)
    sectors = np.repeat(["Energy", "Utilities"], 10)
    market = rng.normal(0, 0.01, days)
    sector = rng.normal(0, 0.008, (days, 2))
    specific = rng.normal(0, 0.015, (days, 20))
    code = (sectors == "Utilities").astype(int)
    returns = market[:, None] + sector[:, code] + specific
    return returns, np.array([f"S{i:02d}" for i in range(20)]), sectors


def dense_cov(model: RiskModel) -> np.ndarray:
    return model.exposures @ model.factor_cov @ model.exposures.T + np.diag(model.specific_var)


def test_estimated_model_sees_stocks_of_one_sector_move_together():
    """Same-sector pairs co-move more than cross-sector pairs, and total volatility is close to the
    truth
    (annual variance 252 * (1e-4 + 0.64e-4 + 2.25e-4): about 31 % a year)."""
    returns, symbols, sectors = simulated_returns(seed=1)
    model = estimate_risk_model(
        returns, symbols, sectors, RiskModelParams(halflife_days=250, n_statistical=2)
    )
    cov = dense_cov(model)
    assert cov[0, 1] > 1.5 * cov[0, 15]
    vol = np.sqrt(np.diag(cov))
    assert np.all(np.abs(vol - np.sqrt(252 * 3.89e-4)) < 0.08)


def test_tracking_error_is_the_square_root_of_active_variance_under_the_full_covariance():
    returns, symbols, sectors = simulated_returns(seed=2)
    model = estimate_risk_model(returns, symbols, sectors)
    active = np.random.default_rng(3).normal(0, 0.01, (4, 20))
    expected = np.sqrt(np.einsum("ij,jk,ik->i", active, dense_cov(model), active))
    np.testing.assert_allclose(tracking_error(model, active), expected, rtol=1e-10)
    assert tracking_error(model, active[0]) == pytest.approx(expected[0])


def test_estimation_refuses_a_history_shorter_than_its_minimum():
    returns, symbols, sectors = simulated_returns(seed=4, days=30)
    with pytest.raises(RiskModelError, match="30 days"):
        estimate_risk_model(returns, symbols, sectors)


def test_returns_from_prices_treat_a_missing_close_as_no_move():
    closes = np.array([[100.0, 50.0], [110.0, np.nan], [99.0, 55.0]])
    np.testing.assert_allclose(returns_from_prices(closes), [[0.10, 0.0], [-0.10, 0.0]])


def test_vendor_model_is_aligned_to_our_universe_and_specific_risk_is_squared():
    exposures = pd.DataFrame(
        {"symbol": ["A", "B", "ZZZ"], "factor": ["MKT", "MKT", "MKT"], "exposure": [1.0, 1.2, 9.0]}
    )
    factor_cov = pd.DataFrame({"factor_1": ["MKT"], "factor_2": ["MKT"], "covariance": [0.04]})
    specific = pd.DataFrame({"symbol": ["B", "A"], "specific_risk": [0.3, 0.2]})
    model = risk_model_from_frames(exposures, factor_cov, specific, np.array(["A", "B"]))
    np.testing.assert_allclose(dense_cov(model), [[0.04 + 0.04, 0.048], [0.048, 0.0576 + 0.09]])


def test_vendor_model_without_specific_risk_for_a_held_symbol_is_refused_by_name():
    exposures = pd.DataFrame({"symbol": ["A"], "factor": ["MKT"], "exposure": [1.0]})
    factor_cov = pd.DataFrame({"factor_1": ["MKT"], "factor_2": ["MKT"], "covariance": [0.04]})
    specific = pd.DataFrame({"symbol": ["A"], "specific_risk": [0.2]})
    with pytest.raises(RiskModelError, match="'B'"):
        risk_model_from_frames(exposures, factor_cov, specific, np.array(["A", "B"]))


def test_a_factor_covariance_that_is_not_positive_semidefinite_is_refused():
    with pytest.raises(RiskModelError, match="positive semi-definite"):
        RiskModel(
            np.array(["A"]),
            np.array(["F1", "F2"]),
            np.ones((1, 2)),
            np.array([[1.0, 2.0], [2.0, 1.0]]),
            np.array([0.1]),
        )


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.floats(-5, 5))
def test_tracking_error_is_non_negative_and_scales_with_the_active_position(seed, c):
    rng = np.random.default_rng(seed)
    n, k = 15, 3
    x = rng.normal(size=(n, k))
    root = rng.normal(size=(k, k))
    model = RiskModel(
        np.array([f"S{i}" for i in range(n)]),
        np.array(["A", "B", "C"]),
        x,
        root @ root.T * 0.01,
        rng.uniform(0.01, 0.1, n),
    )
    a = rng.normal(0, 0.01, n)
    te = tracking_error(model, a)
    assert te >= 0
    assert tracking_error(model, c * a) == pytest.approx(abs(c) * te, rel=1e-9, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), k=st.integers(1, 12))
def test_a_subset_is_the_model_built_from_the_same_rows_to_the_bit(seed, n, k):
    """``subset`` skips the checks and the eigendecomposition a new model makes; what it returns
    is still what ``RiskModel`` builds from those rows (every array equal bit for bit), and a
    subset of a subset is a subset."""
    rng = np.random.default_rng(seed)
    half = rng.normal(size=(k, k))
    model = RiskModel(
        np.array([f"S{i}" for i in range(n)]),
        np.array([f"F{q}" for q in range(k)]),
        rng.normal(size=(n, k)),
        half @ half.T / k,
        rng.uniform(0.01, 0.2, n),
    )
    index = np.flatnonzero(rng.random(n) < 0.6)
    sub = model.subset(index)
    built = RiskModel(
        model.symbols[index],
        model.factors,
        model.exposures[index],
        model.factor_cov,
        model.specific_var[index],
    )
    np.testing.assert_array_equal(sub.symbols, built.symbols, strict=True)
    np.testing.assert_array_equal(sub.factors, built.factors, strict=True)
    for name in ("exposures", "factor_cov", "specific_var", "loadings"):
        assert getattr(sub, name).shape == getattr(built, name).shape
        np.testing.assert_array_equal(_bits(getattr(sub, name)), _bits(getattr(built, name)))
    assert sub.loadings.flags.c_contiguous
    again = np.flatnonzero(rng.random(index.size) < 0.5)
    np.testing.assert_array_equal(
        _bits(sub.subset(again).loadings), _bits(model.subset(index[again]).loadings)
    )
    active = rng.normal(size=index.size) * 0.01
    assert tracking_error(sub, active) == tracking_error(built, active)


def _bits(a: np.ndarray) -> np.ndarray:
    """A float array's bit patterns: equal only when every number is the same to the bit (-0.0
    and 0.0 differ)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)
