"""A benchmark's daily returns from its constituents' closes and its dated weights.

An index is a buy-and-hold portfolio between its rebalances: each day's return is the sum of the
constituents' returns at the previous close's weights, and those weights then drift with prices
(S&P Dow Jones Indices, *Index Mathematics Methodology*, "Market Capitalization Indices": the
index level is the constituents' value divided by a divisor that changes only at rebalances and
corporate actions). Chained daily, that is

    L_t = sum_i h_i P_{i,t},   h_i = w_{i,d} / P_{i,d}   for d < t <= the next rebalance,
    r_t = L_t / L_{t-1} - 1,

where ``w_d`` are the weights the benchmark file gives on date ``d`` (a rebalance at that day's
close). Applying the end-of-period weights to every past day instead favours what already rose
(issue 15). Before the first dated weights the benchmark is taken as held, unchanged, into them:
the buy-and-hold weights of an earlier day are those weights drifted back with prices.

A spin-off or a return of capital does not move the level (the same methodology adjusts the
divisor for both: the new shares join at no price, a special distribution is a price adjustment):
on its ex-date the constituent's return is its close plus what it paid out
(``sma.ledger.paid_out``) over the last close, and what was paid goes back into the index in
proportion, so the holdings' proportions are unchanged. An account that holds the share keeps both,
so without this a statement's benchmark fell behind its accounts by every spin-off's value (0.24 %
of ``make demo``'s LC500 in 2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.reporting._frames import ReportDataError, require_columns

WEIGHT_COLUMNS = ("as_of_date", "symbol", "weight")


def benchmark_daily_returns(
    closes: pd.DataFrame, weights: pd.DataFrame, paid: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Daily returns of one benchmark held at its dated weights, drifting between them.

    Parameters
    ----------
    closes : DataFrame
        Closes, one row per business day (index: dates, increasing), one column per symbol, USD.
        A missing close is carried forward from the symbol's last one (no trade, no return).
    weights : DataFrame
        ``as_of_date, symbol, weight``: the benchmark's constituents on each date the benchmark
        file gives; each date's weights sum to 1. Weights dated ``d`` are held from ``d``'s close.
    paid : DataFrame, optional
        USD per share each symbol paid its holders on each day besides its close, indexed as
        ``closes`` (``sma.ledger.paid_out``); a symbol it does not have paid nothing.

    Returns
    -------
    DataFrame
        ``date, return``: one row per day of ``closes`` after the first (fractions).
    """
    require_columns("benchmark weights", weights, WEIGHT_COLUMNS)
    if weights.empty:
        raise ReportDataError("benchmark weights", None, "no weights")
    days = pd.DatetimeIndex(pd.to_datetime(closes.index))
    symbols = sorted(weights["symbol"].astype(str).unique())
    missing = sorted(set(symbols) - set(closes.columns))
    if missing:
        raise ReportDataError(
            "benchmark weights", "symbol", f"no closes for {', '.join(missing[:5])}"
        )
    p = closes[symbols].ffill().bfill().to_numpy(dtype=float)
    if not (np.all(np.isfinite(p)) and np.all(p > 0)):
        raise ReportDataError("prices", "close", "benchmark constituents need positive closes")
    table = (
        weights.assign(as_of_date=pd.to_datetime(weights["as_of_date"]))
        .pivot_table(index="as_of_date", columns="symbol", values="weight", aggfunc="sum")
        .reindex(columns=symbols)
        .fillna(0.0)
    )
    # Each weights date is pinned to the last close on or before it (a weekend date: Friday's
    # close).
    pos = np.searchsorted(days.to_numpy(), table.index.to_numpy(), side="right") - 1
    if np.any(pos < 0):
        raise ReportDataError(
            "benchmark weights", "as_of_date", "weights dated before the first close"
        )
    w = table.to_numpy(dtype=float)
    # Before the first dated weights: those weights drifted back to the first day (level 1 there).
    level = np.empty(len(days))
    first = w[0] / p[pos[0]]
    level[: pos[0] + 1] = p[: pos[0] + 1] @ first
    for k in range(len(pos)):
        lo, hi = pos[k], (pos[k + 1] if k + 1 < len(pos) else len(days) - 1)
        if hi <= lo:
            continue
        units = (
            w[k] / p[lo]
        )  # one unit of level at the rebalance close; a later date on the same close wins
        level[lo + 1 : hi + 1] = (p[lo + 1 : hi + 1] @ units) * level[lo]
    if paid is not None:
        d = paid.reindex(index=closes.index, columns=symbols).fillna(0.0).to_numpy(dtype=float)
        level *= _reinvested(d, p, w, pos, first)
    r = level[1:] / level[:-1] - 1.0
    return pd.DataFrame({"date": days[1:], "return": r})


def _reinvested(
    d: np.ndarray, p: np.ndarray, w: np.ndarray, pos: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """(T,) what the level grows by from each day's distributions ``d`` (T, n) reinvested in
    proportion: on day t, 1 + (units . d_t) / (units . P_t) for the units held on day t (those of
    the last rebalance before it), compounded. 1 on every day where nothing was paid (the level as
    it was, to the bit)."""
    grow = np.ones(len(p))
    for t in np.flatnonzero((d != 0.0).any(axis=1)):
        k = int(np.searchsorted(pos, t, side="left")) - 1  # the rebalance before day t
        units = first if k < 0 else w[k] / p[pos[k]]
        grow[t] += (d[t] @ units) / (p[t] @ units)
    return np.cumprod(grow)
