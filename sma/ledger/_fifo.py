"""FIFO relief for many accounts at once, with arrays (zipline-style), for histories without wash
sales.

First-in first-out is a queue: a sale's shares are the next shares in the order the lots were
bought. Within one account's holding of one security (a "stream"), sale ``j`` takes the shares
between the cumulative sold before it and after it, and lot ``i`` holds the shares between the
cumulative bought before it and after it; every piece of a sale is an overlap of the two. All
streams are cut at once by sorting the cumulative ends together.

The pieces and their cents follow exactly the ledger's rules (``Ledger``): a lot's basis is
relieved pro rata with cumulative rounding, a sale's proceeds are split by shares with cumulative
rounding. The caller checks that no wash sale can touch these streams (see ``sma.ledger._replay``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.ledger._money import share_of_cents
from sma.ledger._store import SHARE_EPSILON


@dataclass(frozen=True)
class FifoLots:
    """Lots of all streams, each stream's lots contiguous and in FIFO order; shape (n_lots,)."""

    stream: np.ndarray  # int64
    quantity: np.ndarray  # float64 shares
    basis: np.ndarray  # int64 cents


@dataclass(frozen=True)
class FifoSales:
    """Sales of all streams, each stream's sales contiguous and in booking order; shape
    (n_sales,)."""

    stream: np.ndarray  # int64
    quantity: np.ndarray  # float64 shares
    proceeds: np.ndarray  # int64 cents
    lots_before: np.ndarray  # int64: how many of the stream's lots were bought before the sale


@dataclass(frozen=True)
class FifoPieces:
    """One row per lot piece relieved, ordered by sale then FIFO; plus what each lot keeps."""

    lot: np.ndarray  # position into FifoLots
    sale: np.ndarray  # position into FifoSales
    quantity: np.ndarray
    basis: np.ndarray
    proceeds: np.ndarray
    open_quantity: np.ndarray  # shape (n_lots,)
    open_basis: np.ndarray  # shape (n_lots,)
    oversold: np.ndarray  # positions into FifoSales that sell more than their stream held then


def _cumulative_within(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each new ``group`` (groups contiguous)."""
    total = np.cumsum(values)
    starts = (
        np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        if len(group)
        else np.array([], dtype=np.int64)
    )
    offset = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, len(group)]))
    return total - offset


def relieve_fifo(lots: FifoLots, sales: FifoSales) -> FifoPieces:
    """Cut every stream's sales into FIFO lot pieces at once."""
    lot_end = _cumulative_within(lots.quantity, lots.stream)
    sale_end = _cumulative_within(sales.quantity, sales.stream)
    # The stream's shares bought before each sale: the end of its last lot bought before it.
    first_lot = np.searchsorted(lots.stream, sales.stream, side="left")
    held = np.where(
        sales.lots_before > 0, lot_end[np.maximum(first_lot + sales.lots_before - 1, 0)], 0.0
    )
    oversold = np.flatnonzero(sale_end > held + SHARE_EPSILON)

    # Every lot end and sale end is a cut; the piece ending at a cut belongs to the lot and the sale
    # whose ends come at or after it. Sorting puts lot ends before sale ends at the same position.
    n_lots, n_sales = len(lot_end), len(sale_end)
    stream = np.r_[lots.stream, sales.stream]
    position = np.r_[lot_end, sale_end]
    is_sale = np.r_[np.zeros(n_lots, bool), np.ones(n_sales, bool)]
    order = np.lexsort((is_sale, position, stream))
    stream, position, is_sale = stream[order], position[order], is_sale[order]
    new_stream = np.r_[True, stream[1:] != stream[:-1]]
    previous = np.where(new_stream, 0.0, np.r_[0.0, position[:-1]])
    lot_ordinal = _cumulative_within((~is_sale).astype(np.int64), stream) - (~is_sale)
    sale_ordinal = _cumulative_within(is_sale.astype(np.int64), stream) - is_sale
    stream_first_lot = np.searchsorted(lots.stream, stream, side="left")
    stream_first_sale = np.searchsorted(sales.stream, stream, side="left")
    stream_lots = np.searchsorted(lots.stream, stream, side="right") - stream_first_lot
    stream_sales = np.searchsorted(sales.stream, stream, side="right") - stream_first_sale
    length = position - previous
    keep = (length > SHARE_EPSILON) & (sale_ordinal < stream_sales) & (lot_ordinal < stream_lots)
    lot = (stream_first_lot + lot_ordinal)[keep]
    sale = (stream_first_sale + sale_ordinal)[keep]
    take = length[keep]

    by_sale = np.lexsort((lot, sale))
    lot, sale, take = lot[by_sale], sale[by_sale], take[by_sale]
    # A lot's remainder of dust closes it, as in the ledger.
    taken_in_lot = _cumulative_within(
        take[np.argsort(lot, kind="stable")], np.sort(lot, kind="stable")
    )
    taken_after = np.empty_like(take)
    taken_after[np.argsort(lot, kind="stable")] = taken_in_lot
    taken_before = taken_after - take
    quantity, basis = lots.quantity[lot], lots.basis[lot]
    whole = quantity - taken_after <= SHARE_EPSILON
    take = np.where(whole, quantity - taken_before, take)
    relieved_after = np.where(whole, basis, share_of_cents(basis, taken_after, quantity))
    relieved_before = share_of_cents(basis, taken_before, quantity)
    piece_basis = relieved_after - relieved_before

    sale_cumulative = _cumulative_within(take, sale)
    sale_total = np.zeros(n_sales)
    np.add.at(sale_total, sale, take)
    cumulative = share_of_cents(sales.proceeds[sale], sale_cumulative, sale_total[sale])
    last = np.r_[sale[1:] != sale[:-1], True] if len(sale) else np.array([], dtype=bool)
    cumulative[last] = sales.proceeds[sale[last]]
    first = np.r_[True, sale[1:] != sale[:-1]] if len(sale) else np.array([], dtype=bool)
    piece_proceeds = cumulative - np.where(first, 0, np.r_[0, cumulative[:-1]])

    total_taken = np.zeros(n_lots)
    np.add.at(total_taken, lot, take)
    closed = lots.quantity - total_taken <= SHARE_EPSILON
    open_quantity = np.where(closed, 0.0, lots.quantity - total_taken)
    open_basis = np.where(
        closed, 0, lots.basis - share_of_cents(lots.basis, total_taken, lots.quantity)
    )
    return FifoPieces(
        lot, sale, take, piece_basis, piece_proceeds, open_quantity, open_basis, oversold
    )
