"""Personalised targets: the benchmark minus exclusions and screens, tilts applied, renormalised.

All accounts at once, as (accounts x securities) arrays. NO_SELL holdings are held as given:
their target is today's weight, and the rest of the invested fraction is shared pro rata among
the remaining benchmark names. Legacy positions (held, not in the benchmark) get target zero, so
the optimiser moves them out as fast as the gain budget allows (PRODUCT.md, "The per-account
decision").
"""

from __future__ import annotations

import numpy as np


def personalised_targets(
    benchmark_weights: np.ndarray,
    exclude: np.ndarray,
    tilts: np.ndarray,
    held_weights: np.ndarray,
    no_sell: np.ndarray,
    cash_target: np.ndarray,
) -> np.ndarray:
    """Target weight of each security in each account.

    Parameters
    ----------
    benchmark_weights : ndarray of shape (m, n)
        Each account's benchmark, weights summing to 1 per row.
    exclude : ndarray of shape (m, n), bool
        EXCLUDE restrictions and ESG screens, expanded to securities.
    tilts : ndarray of shape (m, n)
        Multipliers (1 = no tilt).
    held_weights : ndarray of shape (m, n)
        Today's market value of each holding / account value.
    no_sell : ndarray of shape (m, n), bool
        NO_SELL restrictions: held as given.
    cash_target : ndarray of shape (m,)
        Fraction of the account kept in cash.

    Returns
    -------
    ndarray of shape (m, n)
        Targets summing to ``1 - cash_target`` per row (less when NO_SELL holdings alone exceed it),
        zero for excluded securities.
    """
    fixed = np.where(no_sell, held_weights, 0.0)
    free = benchmark_weights * tilts * ~exclude * ~no_sell
    room = np.clip(1.0 - cash_target - fixed.sum(axis=1), 0.0, None)
    total = free.sum(axis=1)
    scale = np.divide(room, total, out=np.zeros_like(room), where=total > 0)
    return fixed + free * scale[:, None]
