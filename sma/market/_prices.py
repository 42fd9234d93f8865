"""A factor model of daily closes: market, sector and style factors plus fat-tailed stock-specific
moves.

Daily log return of security i on day t::

    r[t, i] = beta_i * m[t] + s[t, sector_i] + style_i . g[t] + sigma_i * e[t, i]

with Student-t shocks (unit variance) for the market and the stock-specific terms, and one drawdown:
a stretch of days where the market falls by exactly ``drawdown_depth`` (its shocks sum to zero
there)
with raised volatility, followed by a partial recovery. Second share classes follow their first
class with a tiny tracking noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sma.market._universe import Universe
from sma.market._vocabulary import STYLES

TRADING_DAYS = 252


@dataclass(frozen=True)
class MarketParams:
    """Annualised volatilities and drifts of the market model (calibrated to US large caps)."""

    market_vol: float = 0.16
    market_return: float = 0.08  # expected log return of the market per year
    sector_vol: float = 0.08
    style_vols: tuple[float, ...] = (0.03, 0.04, 0.05)  # one per STYLES entry
    tail_df: float = 4.0  # Student-t degrees of freedom of daily shocks: fat tails
    drawdown_depth: float = 0.30  # peak-to-trough fall of the market
    drawdown_days: int = 90  # business days from peak to trough
    drawdown_vol_multiplier: float = 2.0
    recovery_days: int = 180
    recovery_share: float = 0.6  # share of the fall recovered after the trough
    drawdown_ends_before_last: int = 330  # business days from the trough to the last day
    # The market's shocks outside the drawdown also sum to zero, so its total return over the path
    # is its drift plus the drawdown whatever the seed (a book then has the gains of a normal
    # decade).
    # False lets the total vary like real decades do (sd about 16% * sqrt(years)).
    pin_total_return: bool = True
    twin_vol: float = 0.01  # tracking noise between share classes, per year
    daily_turnover: float = 0.006  # shares traded per day, as a fraction of shares outstanding


@dataclass(frozen=True)
class PriceHistory:
    """Simulated daily closes.

    Attributes
    ----------
    dates : ndarray of shape (n_days,), datetime64[D] -- business days, ascending
    symbols : ndarray of shape (n_securities,), str
    closes : ndarray of shape (n_days, n_securities), USD per share, rounded to cents
    volumes : ndarray of shape (n_days, n_securities), shares traded
    """

    dates: np.ndarray
    symbols: np.ndarray
    closes: np.ndarray
    volumes: np.ndarray

    def frame(self, first: int = 0) -> pd.DataFrame:
        """The inbox's prices file (date, symbol, close, volume) from day index ``first`` on."""
        n_days, n_sec = self.closes[first:].shape
        return pd.DataFrame(
            {
                "date": pd.array(np.repeat(self.dates[first:], n_sec), dtype="datetime64[s]"),
                "symbol": np.tile(self.symbols, n_days),
                "close": self.closes[first:].ravel(),
                "volume": self.volumes[first:].ravel(),
            }
        )


def business_days(start: date, n_days: int) -> np.ndarray:
    """n_days weekdays from ``start`` (rolled forward to a weekday), as datetime64[D]."""
    first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward")
    return np.busday_offset(first, np.arange(n_days), roll="forward")


def business_days_ending(last: date, n_days: int) -> np.ndarray:
    """The n_days weekdays ending on ``last`` (rolled back to a weekday), as datetime64[D]."""
    end = np.busday_offset(np.datetime64(last, "D"), 0, roll="backward")
    return np.busday_offset(end, np.arange(-n_days + 1, 1), roll="forward")


def _t_shocks(rng: np.random.Generator, df: float, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance."""
    return rng.standard_t(df, size=shape) * np.sqrt((df - 2.0) / df)


def _market_path(rng: np.random.Generator, n_days: int, p: MarketParams) -> np.ndarray:
    """Daily log returns of the market factor, with the drawdown and its recovery."""
    daily_vol = np.full(n_days, p.market_vol / np.sqrt(TRADING_DAYS))
    drift = np.full(n_days, p.market_return / TRADING_DAYS)
    trough = max(n_days - 1 - p.drawdown_ends_before_last, 1)
    peak = max(trough - p.drawdown_days, 0)
    fall = np.log(1.0 - p.drawdown_depth)
    drift[peak:trough] = fall / max(trough - peak, 1)
    daily_vol[peak:trough] *= p.drawdown_vol_multiplier
    end = min(trough + p.recovery_days, n_days)
    drift[trough:end] = -fall * p.recovery_share / p.recovery_days
    daily_vol[trough:end] *= (1.0 + p.drawdown_vol_multiplier) / 2.0
    noise = daily_vol * _t_shocks(rng, p.tail_df, (n_days,))
    # The shocks of the fall and of the recovery sum to zero, so the drawdown is as deep as asked.
    segments = [(peak, trough), (trough, end)]
    if p.pin_total_return:
        segments += [(1, peak), (end, n_days)]
    for lo, hi in segments:
        if hi > lo:
            noise[lo:hi] -= noise[lo:hi].mean()
    returns = drift + noise
    returns[0] = 0.0
    return returns


def simulate_prices(
    universe: Universe, start: date, n_days: int, seed: int, params: MarketParams = MarketParams()
) -> PriceHistory:
    """Simulate ``n_days`` business days of closes for every security, starting at
    ``universe.price``.

    Parameters
    ----------
    universe : Universe
    start : date
        First day (rolled forward to a weekday); its closes are ``universe.price``.
    n_days : int
    seed : int
        Same seed and inputs, same closes.
    params : MarketParams

    Returns
    -------
    PriceHistory
    """
    rng = np.random.default_rng([seed, 2])
    n_sec = len(universe)
    root = np.sqrt(TRADING_DAYS)
    market = _market_path(rng, n_days, params)
    sectors = rng.normal(0.0, params.sector_vol / root, (n_days, 11))
    styles = rng.normal(0.0, 1.0, (n_days, len(STYLES))) * (np.asarray(params.style_vols) / root)
    specific = _t_shocks(rng, params.tail_df, (n_days, n_sec)) * (universe.idio_vol / root)
    twins = np.flatnonzero(universe.twin_of >= 0)
    specific[:, twins] = specific[:, universe.twin_of[twins]] + rng.normal(
        0.0, params.twin_vol / root, (n_days, len(twins))
    )
    # Stocks' own variance is taken off their log drift, so the cap-weighted index grows at about
    # the market's rate rather than being pumped up by diversification of stock-specific risk.
    drag = -0.5 * (universe.idio_vol**2 + params.sector_vol**2) / TRADING_DAYS
    log_returns = (
        np.outer(market, universe.beta)
        + sectors[:, universe.sector]
        + styles @ universe.style.T
        + specific
        + drag
    )
    log_returns[0] = 0.0
    closes = universe.price * np.exp(np.cumsum(log_returns, axis=0))
    closes = np.maximum(np.round(closes, 2), 0.01)
    shares_out = universe.market_cap / universe.price
    stress = 1.0 + 2.0 * np.abs(market)[:, None] * root / params.market_vol * 0.1
    volumes = np.round(
        shares_out * params.daily_turnover * stress * np.exp(rng.normal(0, 0.3, (n_days, n_sec)))
    )
    return PriceHistory(
        dates=business_days(start, n_days),
        symbols=universe.symbol.copy(),
        closes=closes,
        volumes=volumes,
    )
