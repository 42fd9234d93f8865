"""Corporate actions on a simulated path, at the book generator's realistic rates (issue 22).

Each day of the path may see actions (``sma.book.draw_corporate_actions``); the path is
rewritten so its closes follow them: a spun-off child trades from the ex-date (its earlier closes
are the parent's share, as a when-issued line would), the parent's closes drop by the child's
value; a merged-away name's close stays at what its holders received; a new ticker continues the
old one's closes, and no later action names the old one (a security that changed its ticker or
a spun-off child draws no actions of its own). The index drops what leaves it and follows a
ticker change (``MarketPath.moves``); its level is what a fund holding it is worth
(``MarketPath.index_levels``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.book import CorporateActionRates, draw_corporate_actions
from sma.simulate._market import MarketPath

#: The universe size ``CorporateActionRates`` describes.
UNIVERSE_NAMES = 500


def with_corporate_actions(path: MarketPath, first: int, rate: float, seed: int) -> MarketPath:
    """``path`` with corporate actions going ex on its days from ``first`` on.

    Parameters
    ----------
    path : MarketPath
    first : int -- the first day (index into ``path.dates``) an action may go ex
    rate : float -- times the realistic yearly rates (``sma.book.CorporateActionRates``, for
        ``UNIVERSE_NAMES`` index members; scaled to the path's); 0 = none
    seed : int

    Returns
    -------
    MarketPath
        With ``actions`` (the inbox ``corporate_actions`` rows, ``ex_date`` a path day), the new
        securities as extra columns (re-sorted by symbol) and ``moves`` for the index; ``path``
        itself when ``rate`` is 0, so runs without actions are reproduced exactly.
    """
    if rate <= 0:
        return path
    closes = path.closes.copy()
    securities = path.securities.reset_index(drop=True)
    identical = securities["identical_group"]
    alive = path.weights0.any(axis=0) & (identical.isna() | (identical.astype(str) == ""))
    # The rates are those of ~500 names: a smaller universe (a test's) sees proportionally fewer.
    rates = CorporateActionRates().scaled(rate * path.weights0.any(axis=0).sum() / UNIVERSE_NAMES)
    rng = np.random.default_rng([seed, 91])
    n = len(securities)
    new_rows, new_closes, found, moves = [], [], [], []
    for t in range(max(first, 1), path.dates.size):
        reserved = frozenset(r["symbol"] for r in new_rows)
        drawn = draw_corporate_actions(
            rng, securities, alive, closes[: t + 1], path.dates[t], rates, reserved
        )
        if drawn.actions.empty:
            continue
        index = {s: j for j, s in enumerate(securities["symbol"].astype(str))}
        index |= {r["symbol"]: n + k for k, r in enumerate(new_rows)}
        for a in drawn.actions.to_dict("records"):
            j, kind = index[a["symbol"]], a["kind"]
            if kind == "SPINOFF":
                child = closes[:, j] * a["basis_fraction"] / a["ratio"]
                new_closes.append(np.maximum(np.round(child, 2), 0.01))
                closes[t:, j] = np.round(closes[t:, j] * (1 - a["basis_fraction"]), 2)
            elif kind == "SYMBOL_CHANGE":
                new_closes.append(closes[:, j].copy())
                moves.append((t, j, n + len(new_closes) - 1))
                # The old ticker is gone: no later action may name it (the security trades on as
                # the new ticker, which later draws do not reach, as they do not reach a child).
                alive[j] = False
            elif kind == "RETURN_OF_CAPITAL":
                closes[t:, j] = np.round(
                    closes[t:, j] * (1 - a["amount_per_share"] / closes[t, j]), 2
                )
            else:  # the name leaves: its holders hold what they received
                alive[j] = False
                moves.append((t, j, -1))
                if kind == "MERGER_CASH":
                    closes[t:, j] = a["price"]
                elif kind == "WORTHLESS":
                    closes[t:, j] = 0.01
                else:
                    acquirer = closes[t:, index[a["new_symbol"]]]
                    closes[t:, j] = np.round(
                        a["ratio"] * acquirer + np.nan_to_num(a["cash_per_share"]), 2
                    )
        new_rows += drawn.securities.to_dict("records")
        found.append(drawn.actions)
    return _extended(path, securities, closes, new_rows, new_closes, found, moves)


def _extended(path, securities, closes, new_rows, new_closes, found, moves) -> MarketPath:
    """The path with the new columns, sorted by symbol as every path is, moves re-indexed."""
    if new_rows:
        securities = pd.concat([securities, pd.DataFrame(new_rows)], ignore_index=True)
        closes = np.column_stack([closes, *new_closes])
    closes = np.maximum(closes, 0.01)  # a close is at least a cent, whatever rounding did
    order = np.argsort(securities["symbol"].astype(str).to_numpy(), kind="stable")
    column = np.empty(order.size, np.int64)
    column[order] = np.arange(order.size)
    weights0 = np.column_stack([path.weights0, np.zeros((path.weights0.shape[0], len(new_rows)))])
    actions = pd.concat(found, ignore_index=True) if found else None
    return MarketPath(
        path.dates,
        securities.iloc[order].reset_index(drop=True),
        closes[:, order],
        path.benchmark_ids,
        weights0[:, order],
        actions,
        tuple((t, int(column[j]), int(column[k]) if k >= 0 else -1) for t, j, k in moves),
    )
