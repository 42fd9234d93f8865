"""A generated prospect: the legacy account an advisor brings before it is funded (issue 21).

A concentrated position (one of the index's largest names, ``concentrated_share`` of value, bought
long ago at a fraction of today's price), a fund the firm's universe does not have, a handful of
index names bought at various times (some at a loss, some within the year) and some cash.
Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The outside fund's ticker and name (fictional; not in any generated universe: five letters).
OUTSIDE_FUND = ("OUTFX", "Outside Large Cap Growth Fund")


@dataclass(frozen=True)
class GeneratedProspect:
    """lots (symbol, quantity, cost_basis, acquired_date, lot_id), holdings (symbol, name,
    quantity, price: every position, the outside fund's price included) and cash, USD."""

    lots: pd.DataFrame
    holdings: pd.DataFrame
    cash: float


def generate_prospect(
    seed: int,
    symbols: np.ndarray,
    prices: np.ndarray,
    index_weights: np.ndarray,
    as_of: np.datetime64,
    value: float = 2_500_000.0,
    concentrated_share: float = 0.40,
) -> GeneratedProspect:
    """A prospect worth about ``value`` USD on ``as_of``.

    Parameters
    ----------
    seed : int
    symbols : ndarray of shape (n,), str -- the firm's universe
    prices : ndarray of shape (n,), USD per share on ``as_of``
    index_weights : ndarray of shape (n,) -- the benchmark the prospect will track
    as_of : datetime64[D]
    value, concentrated_share : float -- USD; fraction of value in the concentrated position
    """
    rng = np.random.default_rng([seed, 21])
    day = pd.Timestamp(as_of)
    top = np.argsort(-index_weights, kind="stable")[:20]
    big = int(top[rng.integers(top.size)])
    rest = rng.choice(
        np.setdiff1d(np.flatnonzero(index_weights > 0), [big]), size=10, replace=False
    )
    fund_value = 0.12 * value
    cash = round(0.05 * value, 2)
    each = (value - cash - fund_value - concentrated_share * value) / rest.size
    qty_big = np.floor(concentrated_share * value / prices[big])
    qty_rest = np.floor(each / prices[rest])
    # Bases as a multiple of today's value: the legacy stock at a tenth, the others around it.
    basis_rest = qty_rest * prices[rest] * rng.uniform(0.6, 1.3, rest.size)
    years_ago = rng.uniform(0.2, 6.0, rest.size)
    fund_price = 100.0
    qty_fund = np.floor(fund_value / fund_price)
    lots = pd.DataFrame(
        {
            "lot_id": [f"P-{i + 1}" for i in range(rest.size + 2)],
            "symbol": [symbols[big], OUTSIDE_FUND[0], *symbols[rest]],
            "quantity": [qty_big, qty_fund, *qty_rest],
            "cost_basis": np.round(
                [qty_big * prices[big] * 0.1, qty_fund * fund_price * 0.7, *basis_rest], 2
            ),
            "acquired_date": [
                (day - pd.DateOffset(years=12)).date(),
                (day - pd.DateOffset(years=7)).date(),
                *[(day - pd.Timedelta(days=int(365 * y))).date() for y in years_ago],
            ],
        }
    )
    holdings = pd.DataFrame(
        {
            "symbol": lots["symbol"],
            "name": ["", OUTSIDE_FUND[1]] + [""] * rest.size,
            "quantity": lots["quantity"],
            "price": [prices[big], fund_price, *prices[rest]],
        }
    )
    return GeneratedProspect(lots, holdings, cash)
