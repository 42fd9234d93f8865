"""Lot relief: which lots a sale takes shares from, in which order (PRODUCT.md, "Tax rules")."""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class ReliefMethod(StrEnum):
    """How a sale picks the lots it relieves; one line of rule per member."""

    FIFO = "FIFO"  # oldest trade date first
    LIFO = "LIFO"  # newest trade date first
    HIFO = "HIFO"  # highest cost basis per share first
    SPECIFIC = "SPECIFIC"  # the lots the order names, in the order named
    MINTAX = "MINTAX"  # least tax first: ST losses, LT losses, LT gains, ST gains, each by size


class TaxCategory:
    """MINTAX's four classes, in the order they are sold (smaller is sold first)."""

    SHORT_LOSS, LONG_LOSS, LONG_GAIN, SHORT_GAIN = 0, 1, 2, 3


def relief_order(
    method: ReliefMethod,
    acquired: np.ndarray,
    created: np.ndarray,
    basis_per_share: np.ndarray,
    price: float,
    long_term: np.ndarray,
) -> np.ndarray:
    """The order in which one account's lots of one security are relieved.

    Parameters
    ----------
    method : ReliefMethod
        FIFO, LIFO, HIFO or MINTAX (SPECIFIC names its lots and needs no order).
    acquired : ndarray of datetime64[D], shape (n_lots,)
        Trade date each lot was bought (not the wash-adjusted holding start).
    created : ndarray of int, shape (n_lots,)
        Order in which the ledger opened the lots; breaks every tie so the order is deterministic.
    basis_per_share : ndarray of float, shape (n_lots,)
        Cost basis per share, USD (wash-sale adjustments included).
    price : float
        Sale price per share, USD.
    long_term : ndarray of bool, shape (n_lots,)
        Whether each lot would be long-term on the sale date.

    Returns
    -------
    ndarray of int, shape (n_lots,)
        Positions into the inputs, first lot to relieve first.

    Notes
    -----
    MINTAX sorts by class (short-term losses, long-term losses, long-term gains, short-term gains)
    and within a class by gain per share ascending: within one class the tax rate is the same, so
    this is "rate x gain per share ascending" -- the biggest loss first, the smallest gain first.
    """
    acquired_days = np.asarray(acquired, dtype="datetime64[D]").astype(np.int64)
    created = np.asarray(created, dtype=np.int64)
    if method is ReliefMethod.FIFO:
        return np.lexsort((created, acquired_days))
    if method is ReliefMethod.LIFO:
        return np.lexsort((-created, -acquired_days))
    if method is ReliefMethod.HIFO:
        return np.lexsort((created, acquired_days, -np.asarray(basis_per_share, dtype=float)))
    if method is ReliefMethod.MINTAX:
        gain = price - np.asarray(basis_per_share, dtype=float)
        category = np.where(
            gain < 0,
            np.where(long_term, TaxCategory.LONG_LOSS, TaxCategory.SHORT_LOSS),
            np.where(long_term, TaxCategory.LONG_GAIN, TaxCategory.SHORT_GAIN),
        )
        return np.lexsort((created, gain, category))
    raise ValueError(f"relief method {method} names its lots; it has no order")
