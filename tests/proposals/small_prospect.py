"""A small market and a prospect on it for the proposal tests: 44 names (4 per sector), a year of
closes behind the plan's start on 2 January 2026, and the generated prospect (a concentrated
position at 40 % of value and a large gain, a fund outside the universe, ten index names)."""

from datetime import date

import numpy as np

from sma.book import generate_prospect
from sma.proposals import Prospect, with_outside_holdings
from sma.simulate import generated_market
from tests.simulate.small_universe import SMALL_UNIVERSE

SEED = 5


def small_market(years: int = 1):
    """The path and the index of the plan's first day (the first business day of 2026)."""
    path = generated_market(
        SEED, date(2025, 1, 1), 262 + years * 252 + 30, universe_params=SMALL_UNIVERSE
    )
    return path, int(np.searchsorted(path.dates, np.datetime64("2026-01-01")))


def small_prospect(years: int = 1):
    """(path with the outside fund on it, first day, Prospect)."""
    path, first = small_market(years)
    drawn = generate_prospect(
        SEED, path.symbols, path.closes[first], path.index_weights(first)[0], path.dates[first]
    )
    outside = drawn.holdings[~drawn.holdings["symbol"].isin(path.symbols)][
        ["symbol", "name", "price"]
    ]
    path = with_outside_holdings(path, first, outside, SEED)
    return path, first, Prospect(drawn.lots, drawn.cash, str(path.benchmark_ids[0]), outside)
