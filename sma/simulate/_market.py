"""The price path a simulation runs on: daily closes, the security master and drifting index
weights.

Either drawn from the market model (``sma.market``: market, sector, style and fat-tailed
stock-specific moves, calibrated to US large caps) or read from price frames and, when the path
must go beyond the last close, extended with draws from a factor model estimated on those closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sma.errors import SmaError
from sma.ledger import paid_out
from sma.market import (
    MarketParams,
    UniverseParams,
    benchmarks_frame,
    generate_universe,
    simulate_prices,
)
from sma.risk import TRADING_DAYS, RiskModelParams, estimate_risk_model, returns_from_prices


class MarketPathError(SmaError, ValueError):
    """Price or benchmark frames that cannot make a path (which frame, which symbol or date,
    why)."""


@dataclass(frozen=True)
class MarketPath:
    """Daily closes of every security, oldest first, and each benchmark's weights on day 0.

    dates : ndarray of shape (T,), datetime64[D] -- business days
    securities : DataFrame -- the inbox ``securities`` frame, sorted by symbol (the column order)
    closes : ndarray of shape (T, n), USD per share
    benchmark_ids : ndarray of shape (B,), str
    weights0 : ndarray of shape (B, n) -- index weights on ``dates[0]``; an index is held
    buy-and-hold,
        so its weights on day t are ``weights0 * closes[t] / closes[0]``, renormalised.
    actions : DataFrame or None -- corporate actions going ex on path days (the inbox
        ``corporate_actions`` rows; ``sma.simulate.with_corporate_actions``)
    moves : tuple of (day, column, to) -- from ``day`` on, the index holds column ``to``'s
        weight in place of ``column``'s (a ticker change), or drops it (``to`` = -1: merged away)
    """

    dates: np.ndarray
    securities: pd.DataFrame
    closes: np.ndarray
    benchmark_ids: np.ndarray
    weights0: np.ndarray
    actions: pd.DataFrame | None = None
    moves: tuple[tuple[int, int, int], ...] = field(default=())

    def actions_on(self, t: int) -> pd.DataFrame:
        """The corporate actions going ex on day ``t`` (none: an empty frame)."""
        if self.actions is None:
            return pd.DataFrame()
        return self.actions[self.actions["ex_date"] == self.dates[t]]

    @property
    def symbols(self) -> np.ndarray:
        return self.securities["symbol"].to_numpy(str)

    def index_weights(self, t: int) -> np.ndarray:
        """Each benchmark's weights on day ``t``: (B, n), rows summing to 1."""
        w = self.weights0 * (self.closes[t] / self.closes[0])
        for day, column, to in self.moves:
            if day <= t:
                if to >= 0:
                    w[:, to] += w[:, column]
                w[:, column] = 0.0
        return w / w.sum(axis=1, keepdims=True)

    def index_levels(self) -> np.ndarray:
        """Each benchmark's level, 1 on day 0: (T, B): the index the engine is given
        (``index_weights``), held through the path's corporate actions.

        Without any, the buy-and-hold of day 0's weights. With them, chained day by day: day t's
        return is each member's return to its holders (its close plus what it paid out that day:
        a spin-off's new shares at their close, a return of capital's cash) at day t-1's index
        weights. So a merged-away name pays its holders the deal and then leaves the index (its
        weight goes to the other members, as ``index_weights`` has it) instead of staying in
        the level as cash for ever after, and a spin-off or a return of capital does not cut the
        level by what its holders received."""
        if not self.moves and (self.actions is None or self.actions.empty):
            return (self.closes / self.closes[0]) @ self.weights0.T
        growth = (self.closes[1:] + self._paid_out()[1:]) / self.closes[:-1]
        # ``index_weights`` of every day at once: (T, B, n)
        w = self.weights0[None, :, :] * (self.closes / self.closes[0])[:, None, :]
        for day, column, to in self.moves:
            if to >= 0:
                w[day:, :, to] += w[day:, :, column]
            w[day:, :, column] = 0.0
        w /= w.sum(axis=2, keepdims=True)
        daily = np.einsum("tbn,tn->tb", w[:-1], growth)
        return np.vstack([np.ones((1, w.shape[1])), np.cumprod(daily, axis=0)])

    def _paid_out(self) -> np.ndarray:
        """(T, n) USD per share each security paid its holders on each day besides its close
        (``sma.ledger.paid_out``)."""
        closes = pd.DataFrame(self.closes, index=pd.DatetimeIndex(self.dates), columns=self.symbols)
        return paid_out(closes, self.actions).to_numpy()

    def benchmarks_frame(self, t: int) -> pd.DataFrame:
        """The inbox ``benchmarks`` frame on day ``t`` (benchmark_id, symbol, weight)."""
        w = self.index_weights(t)
        b, j = np.nonzero(w)
        return pd.DataFrame(
            {"benchmark_id": self.benchmark_ids[b], "symbol": self.symbols[j], "weight": w[b, j]}
        )

    def window(self, first: int) -> MarketPath:
        """The path from day ``first`` on, index weights re-based to that day."""
        return MarketPath(
            self.dates[first:],
            self.securities,
            self.closes[first:],
            self.benchmark_ids,
            self.index_weights(first),
            self.actions,
            tuple((max(day - first, 0), column, to) for day, column, to in self.moves),
        )


def generated_market(
    seed: int,
    start: date,
    n_days: int,
    params: MarketParams = MarketParams(),
    universe_params: UniverseParams = UniverseParams(),
) -> MarketPath:
    """A path from the market model: the generator's ~500 large caps and its three benchmarks.

    With the default ``MarketParams`` the market factor returns its drift plus one 30 % drawdown
    and partial recovery over the path (``pin_total_return``); pass ``pin_total_return=False`` to
    let each seed's decade return what its draws give.
    """
    universe = generate_universe(seed, universe_params)
    history = simulate_prices(universe, start, n_days, seed, params)
    bench = benchmarks_frame(universe)
    return _from_parts(history.dates, universe.securities_frame(), history.closes, bench, 0)


def _from_parts(
    dates, securities: pd.DataFrame, closes: np.ndarray, benchmarks: pd.DataFrame, weights_day: int
) -> MarketPath:
    order = np.argsort(securities["symbol"].to_numpy(str), kind="stable")
    securities = securities.iloc[order].reset_index(drop=True)
    closes = closes[:, order]
    symbols = securities["symbol"].to_numpy(str)
    ids = np.unique(benchmarks["benchmark_id"].astype(str).to_numpy())
    col = pd.Index(symbols).get_indexer(benchmarks["symbol"].astype(str))
    if (col < 0).any():
        raise MarketPathError(
            f"benchmarks: symbol {benchmarks['symbol'].iloc[int(np.argmax(col < 0))]!r} "
            "is not in securities"
        )
    w = np.zeros((ids.size, symbols.size))
    w[pd.Index(ids).get_indexer(benchmarks["benchmark_id"].astype(str)), col] = benchmarks[
        "weight"
    ].to_numpy(float)
    # Weights are given on day ``weights_day``; held buy-and-hold, on day 0 they were w / its
    # prices.
    w0 = w / closes[weights_day] * closes[0]
    w0 /= w0.sum(axis=1, keepdims=True)
    return MarketPath(np.asarray(dates, dtype="datetime64[D]"), securities, closes, ids, w0)


def market_from_frames(
    securities: pd.DataFrame, prices: pd.DataFrame, benchmarks: pd.DataFrame
) -> MarketPath:
    """A path from the inbox ``securities``, ``prices`` (date, symbol, close) and ``benchmarks``
    frames.

    Benchmark weights are those of the last price date. Every security needs a close on every date.
    """
    symbols = np.sort(securities["symbol"].astype(str).to_numpy())
    wide = (
        prices.assign(date=pd.to_datetime(prices["date"]))
        .pivot_table(index="date", columns="symbol", values="close", aggfunc="last")
        .reindex(columns=symbols)
    )
    missing = wide.isna().to_numpy()
    if missing.any():
        t, j = np.argwhere(missing)[0]
        raise MarketPathError(f"prices: no close for {symbols[j]} on {wide.index[t].date()}")
    dates = wide.index.to_numpy().astype("datetime64[D]")
    return _from_parts(dates, securities, wide.to_numpy(float), benchmarks, dates.size - 1)


def extend_market(
    path: MarketPath, n_days: int, seed: int, annual_drift: float = 0.07
) -> MarketPath:
    """Add ``n_days`` business days after the path's last close, drawn from a factor model of its
    past.

    Daily log returns ``X f + e`` with ``f ~ N(0, F / 252)`` and ``e ~ N(0, diag(s) / 252)`` from
    the
    model ``sma.risk.estimate_risk_model`` fits to the last year of closes, plus a drift of
    ``annual_drift`` less half each stock's variance (so the index grows at about that rate).
    """
    if n_days <= 0:
        return path
    history = path.closes[-(TRADING_DAYS + 1) :]
    model = estimate_risk_model(
        returns_from_prices(history),
        path.symbols,
        path.securities["sector"].to_numpy(str),
        RiskModelParams(),
    )
    # The path's last day is in the seed: history built leg by leg does not replay one leg's draws.
    rng = np.random.default_rng(
        [seed, 71, int(path.dates[-1].astype("datetime64[D]").astype(np.int64))]
    )
    chol = np.linalg.cholesky(model.factor_cov / TRADING_DAYS + 1e-12 * np.eye(model.factors.size))
    f = rng.standard_normal((n_days, model.factors.size)) @ chol.T
    e = rng.standard_normal((n_days, path.symbols.size)) * np.sqrt(
        model.specific_var / TRADING_DAYS
    )
    total_var = (
        np.einsum("ik,kl,il->i", model.exposures, model.factor_cov, model.exposures)
        + model.specific_var
    )
    log_r = f @ model.exposures.T + e + (annual_drift - 0.5 * total_var) / TRADING_DAYS
    closes = np.maximum(np.round(path.closes[-1] * np.exp(np.cumsum(log_r, axis=0)), 2), 0.01)
    dates = np.busday_offset(path.dates[-1], np.arange(1, n_days + 1), roll="forward")
    return MarketPath(
        np.concatenate([path.dates, dates]),
        path.securities,
        np.vstack([path.closes, closes]),
        path.benchmark_ids,
        path.weights0,
        path.actions,
        path.moves,
    )


def market_facts(path: MarketPath, first: int, last: int) -> dict[str, float]:
    """The path's calibration between days ``first`` and ``last``: the first benchmark's annual
    return, volatility and worst drawdown; stocks' median total and stock-specific (residual to
    the index, beta-adjusted) volatility; the cross-sectional spread of stocks' annual returns."""
    closes = path.closes[first:last]
    level = (closes / closes[0]) @ path.weights0[0] / (path.weights0[0].sum())
    r_index = np.diff(np.log(level))
    r = np.diff(np.log(closes), axis=0)
    var = r_index.var()
    beta = ((r - r.mean(axis=0)) * (r_index - r_index.mean())[:, None]).mean(axis=0) / max(
        var, 1e-18
    )
    resid = r - np.outer(r_index, beta)
    years = r.shape[0] / TRADING_DAYS
    yearly = (
        closes[TRADING_DAYS::TRADING_DAYS] / closes[:-TRADING_DAYS:TRADING_DAYS] - 1
        if years >= 1
        else r.sum(0)[None]
    )
    return {
        "index_return": float(level[-1] ** (1 / years) - 1),
        "index_volatility": float(r_index.std() * np.sqrt(TRADING_DAYS)),
        "index_max_drawdown": float((1 - level / np.maximum.accumulate(level)).max()),
        "stock_volatility_median": float(np.median(r.std(axis=0)) * np.sqrt(TRADING_DAYS)),
        "stock_specific_volatility_median": float(
            np.median(resid.std(axis=0)) * np.sqrt(TRADING_DAYS)
        ),
        "annual_return_dispersion": float(np.mean(np.std(yearly, axis=1))),
    }
