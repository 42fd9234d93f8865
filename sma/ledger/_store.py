"""Columnar, growable stores for the ledger's lots and realized pieces.

One numpy array per field, preallocated and doubled when full -- never a Python object per lot.
Money is integer cents; dates are days since 1970-01-01 (int64); shares are float64.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

#: Shares closer to zero than this are no shares (float arithmetic on splits and partial sales).
SHARE_EPSILON = 1e-9


class Columns:
    """A table of equal-length numpy columns that grows by doubling; ``n`` rows are in use."""

    def __init__(self, dtypes: dict[str, str | type], capacity: int = 64):
        self.n = 0
        self._dtypes = dtypes
        for name, dtype in dtypes.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))

    if TYPE_CHECKING:  # the columns are attributes named by ``dtypes``, set in __init__

        def __getattr__(self, name: str) -> np.ndarray: ...

    def _reserve(self, extra: int) -> None:
        size = len(getattr(self, next(iter(self._dtypes))))
        if self.n + extra <= size:
            return
        new_size = max(2 * size, self.n + extra)
        for name, dtype in self._dtypes.items():
            column = np.zeros(new_size, dtype=dtype)
            column[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, column)

    def append(self, **values) -> int:
        """Add one row; returns its position."""
        self._reserve(1)
        row = self.n
        for name, value in values.items():
            getattr(self, name)[row] = value
        self.n += 1
        return row

    def extend(self, count: int, **values) -> np.ndarray:
        """Add ``count`` rows from equal-length arrays; returns their positions."""
        self._reserve(count)
        rows = np.arange(self.n, self.n + count)
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self.n += count
        return rows

    def set_epoch(self, rows) -> None:
        """After a lot's basis or shares change other than by a sale: partial sales count from
        here."""
        self.epoch_basis[rows] = self.basis[rows]
        self.epoch_quantity[rows] = self.quantity[rows]
        self.epoch_taken[rows] = 0.0

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]


def lot_columns() -> Columns:
    """Every lot the ledger ever opened, open or closed (quantity 0)."""
    return Columns(
        {
            "account": np.int32,  # account code
            "symbol": np.int32,  # symbol code
            "lot_id": object,
            "quantity": np.float64,  # shares open
            "basis": np.int64,  # total cost basis, cents, wash-sale adjustments included
            "acquired": np.int64,  # trade date bought, days
            "adjusted": np.int64,  # holding period counts from the day after this, days
            "wash_adjustment": np.int64,  # cents of disallowed loss carried into the basis
            "replaceable": np.float64,  # shares that can still absorb a loss share as replacements
            "purchase": np.int64,  # the lot it was split from (itself if none): the same-lot rule
            # Partial sales take basis pro rata with cumulative rounding since the lot's basis last
            # changed (its "epoch"), so pieces add up to the basis exactly, however the lot is sold.
            "epoch_basis": np.int64,
            "epoch_quantity": np.float64,
            "epoch_taken": np.float64,
        }
    )


def realized_columns() -> Columns:
    """One row per lot piece relieved by a sale, as on Form 8949."""
    return Columns(
        {
            "account": np.int32,
            "symbol": np.int32,
            "lot": np.int64,  # position of the lot relieved
            "lot_id": object,
            "sale_date": np.int64,
            "quantity": np.float64,
            "proceeds": np.int64,
            "basis": np.int64,
            "disallowed": np.int64,  # code W amount, cents
            "permanent": np.int64,  # of which lost for good (replaced in an IRA or ROTH), cents
            "long_term": np.bool_,
            "acquired": np.int64,
            "adjusted": np.int64,
            "loss_shares": np.float64,  # shares of this piece sold at a loss (0 for a gain)
            "replaced": np.float64,  # of which already matched with replacement shares
            "sale": np.int64,  # which sale booked it (the ledger counts sales from 0; -1 = before)
            "prior": np.bool_,  # booked before this ledger was opened, kept for wash matching
        }
    )
