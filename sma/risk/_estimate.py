"""Estimate a factor model from price history, once per night.

Factors: the market (exposure = each stock's beta to the equal-weighted universe), one dummy
per sector, two styles (12-1 month momentum and volatility, as cross-sectional z-scores), and
statistical factors taken from the principal components of what the others leave unexplained.
Factor returns are daily cross-sectional least-squares fits; factor covariance and specific
variance are exponentially weighted (half-life in trading days) and annualised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.risk._model import RiskModel, RiskModelError

TRADING_DAYS = 252


@dataclass(frozen=True)
class RiskModelParams:
    """How the nightly model is estimated; documented defaults."""

    halflife_days: float = 90.0  # exponential weight of a day halves every 90 trading days
    n_statistical: int = 5  # principal components of residual returns added as factors
    min_history_days: int = 60  # fewer usable days is an error, not a model
    ridge: float = 1e-8  # keeps the daily cross-sectional fit well posed
    specific_var_floor: float = 0.0025  # (5 % annual specific volatility)^2
    momentum_window: tuple[int, int] = (252, 21)  # 12-1 month momentum


def returns_from_prices(closes: np.ndarray) -> np.ndarray:
    """Simple daily returns from a dates x symbols matrix of closes; a missing close gives 0.

    Parameters
    ----------
    closes : ndarray of shape (T, n), USD per share, NaN where missing

    Returns
    -------
    ndarray of shape (T - 1, n)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        r = closes[1:] / closes[:-1] - 1.0
    return np.where(np.isfinite(r), r, 0.0)


def _ewma_weights(t: int, halflife: float) -> np.ndarray:
    w = 0.5 ** (np.arange(t - 1, -1, -1) / halflife)
    return w / w.sum()


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _fit(returns: np.ndarray, x: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """Daily factor returns (T, k) by least squares on exposures x (n, k), and residuals (T, n)."""
    gram = x.T @ x + ridge * np.eye(x.shape[1])
    f = np.linalg.solve(gram, x.T @ returns.T).T
    return f, returns - f @ x.T


def estimate_risk_model(
    returns: np.ndarray,
    symbols: np.ndarray,
    sectors: np.ndarray,
    params: RiskModelParams = RiskModelParams(),
) -> RiskModel:
    """Estimate tonight's factor model from daily returns.

    Parameters
    ----------
    returns : ndarray of shape (T, n)
        Daily simple returns, oldest first (see ``returns_from_prices``).
    symbols : ndarray of shape (n,), str
    sectors : ndarray of shape (n,), str
        GICS sector of each symbol.
    params : RiskModelParams

    Returns
    -------
    RiskModel
        Annualised; factors MARKET, SECTOR:<name>..., STYLE:momentum, STYLE:volatility, STAT:<i>.
    """
    t, n = returns.shape
    if t < params.min_history_days:
        raise RiskModelError(
            f"{t} days of returns; the model needs at least {params.min_history_days}"
        )
    if symbols.shape != (n,) or sectors.shape != (n,):
        raise RiskModelError("symbols and sectors must have one entry per returns column")
    w = _ewma_weights(t, params.halflife_days)
    market = returns.mean(axis=1)
    mkt_c = market - w @ market
    beta = (w * mkt_c) @ (returns - w @ returns) / max(w @ (mkt_c * mkt_c), 1e-18)
    sector_names, sector_code = np.unique(sectors.astype(str), return_inverse=True)
    dummies = np.zeros((n, sector_names.size))
    dummies[np.arange(n), sector_code] = 1.0
    long, skip = params.momentum_window
    growth = np.prod(1.0 + returns[-min(long, t) : t - skip], axis=0) - 1.0
    vol = np.sqrt(w @ (returns * returns))
    # The market factor enters as beta minus one so it is not collinear with the sector dummies.
    x = np.column_stack([beta - 1.0, dummies, _zscore(growth), _zscore(vol)])
    names = ["MARKET", *[f"SECTOR:{s}" for s in sector_names], "STYLE:momentum", "STYLE:volatility"]
    _, resid = _fit(returns, x, params.ridge)
    if params.n_statistical > 0:
        _, _, vt = np.linalg.svd(np.sqrt(w)[:, None] * resid, full_matrices=False)
        stat = vt[: params.n_statistical].T * np.sqrt(n)
        x = np.column_stack([x, stat])
        names += [f"STAT:{i + 1}" for i in range(stat.shape[1])]
    f, resid = _fit(returns, x, params.ridge)
    fc = f - w @ f
    factor_cov = TRADING_DAYS * (fc * w[:, None]).T @ fc
    specific = np.maximum(TRADING_DAYS * (w @ (resid * resid)), params.specific_var_floor)
    return RiskModel(
        np.asarray(symbols), np.asarray(names), x, 0.5 * (factor_cov + factor_cov.T), specific
    )
