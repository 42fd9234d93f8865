"""Holdings outside the firm's universe (a mutual fund, an ETF, a private stock) put on the path.

A prospect's legacy account often holds what the firm does not trade or model. For the plan they
must still have a price every day: each is modelled as a broad fund that follows the benchmark
(beta 1) with a small tracking noise of its own (``OUTSIDE_TRACKING_NOISE`` a year), from its
last price. It has no benchmark weight, so the engine sells it as fast as the gain budget allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.risk import TRADING_DAYS
from sma.simulate._market import MarketPath

#: Annual volatility of an outside holding's return over the benchmark's.
OUTSIDE_TRACKING_NOISE = 0.02
#: The sector an outside holding is filed under (the risk model gives it a factor of its own).
OUTSIDE_SECTOR = "Outside the universe"


def with_outside_holdings(
    path: MarketPath, first: int, outside: pd.DataFrame, seed: int, benchmark_row: int = 0
) -> MarketPath:
    """``path`` with a column for each row of ``outside`` (symbol, name, price), priced ``price``
    on day ``first`` and following benchmark ``benchmark_row`` before and after it.

    Parameters
    ----------
    path : MarketPath -- without ticker moves (a generated path or one read from price files)
    first : int -- the day (index into ``path.dates``) the outside prices are quoted on
    outside : DataFrame -- symbol, name, price (USD per share); symbols not on ``path``
    seed : int -- the tracking noise's stream

    Returns
    -------
    MarketPath -- securities still sorted by symbol; the new columns weigh 0 in every benchmark
    """
    if not len(outside):
        return path
    symbols = outside["symbol"].astype(str).to_numpy()
    level = path.index_levels()[:, benchmark_row]
    rng = np.random.default_rng([seed, 23])
    noise = rng.standard_normal((level.size, symbols.size)) * (
        OUTSIDE_TRACKING_NOISE / np.sqrt(TRADING_DAYS)
    )
    drift = np.cumsum(noise, axis=0)
    relative = (level / level[first])[:, None] * np.exp(drift - drift[first])
    closes = np.round(outside["price"].to_numpy(float)[None, :] * relative, 4)
    names = outside["name"] if "name" in outside else pd.Series(symbols)
    extra = pd.DataFrame(
        {
            "symbol": symbols,
            "name": names.fillna("").astype(str).to_numpy(),
            "sector": OUTSIDE_SECTOR,
            "industry": OUTSIDE_SECTOR,
            "identical_group": None,
            "esg_tags": None,
        }
    )
    securities = pd.concat([path.securities, extra[path.securities.columns]], ignore_index=True)
    order = np.argsort(securities["symbol"].astype(str).to_numpy(), kind="stable")
    all_closes = np.hstack([path.closes, closes])[:, order]
    weights = np.hstack([path.weights0, np.zeros((path.weights0.shape[0], symbols.size))])
    return MarketPath(
        path.dates,
        securities.iloc[order].reset_index(drop=True),
        all_closes,
        path.benchmark_ids,
        weights[:, order],
        path.actions,
    )
