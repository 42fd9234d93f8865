"""Allocations and lot instructions of block orders, worked out on integer codes and Arrow's text
kernels instead of pandas groupbys and merges on text keys.

A night of 100,000 accounts has tens of millions of allocations and lot sells. pandas factorizes a
text key of an Arrow-backed column by iterating it in Python, so its groupbys, merges and sorts on
the ids were most of the blotter's own time (issue 23). Here an id column with few distinct
values (symbols, sides, accounts, reasons) becomes each value's rank among them, which orders rows
as the text does (UTF-8 byte order is the code point order pandas sorts text in); lot ids are
sorted by Arrow's stable sort; groups are runs of equal keys in that order; and every float is
added in the order and with the arithmetic pandas used. So each function gives what the pandas
version in ``_blotter`` gives, to the bit, and ``tests/trading/test_block_codes.py`` holds the two
together. The rows come out in the blotter's own order, so the blotter checks that order instead
of sorting millions of ids by text.

Only a well-formed proposal takes this way. Anything the rules refuse -- a missing id, a lot sold
without its SELL, a SELL without lots, lots that do not add up to the SELL, a lot sold twice, an
unsafe id, ids that are not text -- returns None, and the caller's pandas version raises the error
it always raised, naming the same row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.inbox import ID_PATTERN, Side

#: Allocation numbers have at least this many digits (``-0001``).
_MIN_DIGITS = 4


def _text(frame: pd.DataFrame, columns: list[str]) -> pa.Table | None:
    """``frame``'s ``columns`` as an Arrow table of text, or None when a value is missing or a
    column is not text (the pandas version decides what those mean)."""
    arrays = {}
    for column in columns:
        try:
            values = pa.array(frame[column])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.null_count or values.type not in (pa.string(), pa.large_string(), pa.null()):
            return None
        arrays[column] = values.cast(pa.large_string())
    return pa.table(arrays)


def safe_ids(ids: pa.Array | pa.ChunkedArray) -> pa.BooleanArray | pa.ChunkedArray:
    """Each id matches ``ID_PATTERN`` (a missing one does not). Arrow's RE2, which agrees with
    Python's ``re.fullmatch`` for this anchored, ASCII-only pattern
    (``tests/trading/test_blotter_build.py`` holds the two together), so a night's millions of
    ids never become Python strings."""
    return pc.match_substring_regex(ids, ID_PATTERN).fill_null(False)


def _as_str(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(values, dtype="str")


def _ranks(values: pa.Array) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values in text order, int64 of shape (n,), and how
    many there are: codes that sort as the texts do, for columns with few distinct values (the
    distinct values are hashed once, then sorted)."""
    encoded = pc.dictionary_encode(values)
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank[encoded.indices.to_numpy()], order.size


def _runs(key: np.ndarray) -> np.ndarray:
    """bool of shape (n,): where each run of equal values of ``key`` starts."""
    return np.diff(key, prepend=key[:1] - 1) != 0


def allocations_by_code(trades: pd.DataFrame, run_id: str) -> pd.DataFrame | None:
    """``_blotter._allocations_by_text``'s allocations, in blotter order (by block order, then
    allocation), on a proposal where no id or reason is missing, every block order id is safe and
    no account trades a security on one side for several reasons; None otherwise.

    One allocation per (symbol, side, account), numbered within its block order
    (``<run_id>-<SIDE>-<SYMBOL>``) from 1 in account order, with as many digits as the block's
    count needs and at least four; ``ratio`` is the allocation's share of its block. A block
    order's id is its side and symbol after a prefix common to all, so (side, symbol, account)
    order is the blotter's order of allocations.
    """
    keys = ["side", "symbol", "account_id", "reason"]
    text = _text(trades, keys)
    if text is None or text.num_rows == 0:
        return None
    # One int64 per row that orders rows as the four texts do, one after the other.
    key, width, distinct = np.zeros(text.num_rows, dtype=np.int64), 1, {}
    for name in keys:
        rank, distinct[name] = _ranks(text.column(name).combine_chunks())
        width *= distinct[name]
        if width >= 2**62:
            return None
        key = key * distinct[name] + rank
    order = np.argsort(key, kind="stable")
    key = key[order]
    if not _runs(key // distinct["reason"]).all():
        return None  # several reasons joined into one allocation: the pandas version's case
    # A block order is one (side, symbol): one run of rows.
    first = _runs(key // (distinct["reason"] * distinct["account_id"]))
    start = np.flatnonzero(first)
    at = pa.array(order)
    dash = pa.scalar("-", pa.large_string())
    order_id = pc.binary_join_element_wise(
        pa.scalar(run_id, pa.large_string()),
        text.column("side").take(at),
        text.column("symbol").take(at),
        dash,
    )
    if not pc.all(safe_ids(order_id.take(pa.array(start)))).as_py():
        return None  # the pandas version names the first unsafe id
    block = np.cumsum(first) - 1
    size = np.diff(np.append(start, len(first)))
    number = np.arange(len(first)) - start[block] + 1
    digits = np.maximum(_MIN_DIGITS, np.char.str_len(size.astype(str)))[block]
    # 10**d + n written out less its leading 1: n in d digits, zero-filled (n < 10**d).
    padded = pc.utf8_slice_codeunits(pa.array(10**digits + number).cast(pa.large_string()), 1)
    columns = ["symbol", "side", "account_id", "household_id", "account_type", "price", "reason"]
    grouped = trades.loc[:, columns].take(order).reset_index(drop=True)
    # np.add.reduceat over groups of one row returns the row's value: as the pandas version.
    grouped["quantity"] = trades["quantity"].to_numpy(dtype=float)[order]
    grouped["order_id"] = _as_str(order_id)
    grouped["allocation_id"] = _as_str(pc.binary_join_element_wise(order_id, padded, dash))
    block_total = grouped["quantity"].groupby(block, sort=False).transform("sum")
    grouped["ratio"] = grouped["quantity"] / block_total
    return grouped


def lot_instructions_by_code(alloc: pd.DataFrame, lot_sells: pd.DataFrame) -> pd.DataFrame | None:
    """``_blotter._lot_instructions_by_text``'s lot instructions, in blotter order (by block
    order, allocation, then lot), on a well-formed proposal; None when it is not (the pandas
    version then raises its error).

    Well-formed: no id missing, each (account, symbol, lot) sold once, each lot sold by its
    account's SELL of the symbol, each SELL with lots, every lot id safe, and each SELL's lots
    adding up to it within 1e-9 shares. The rows: one per lot sold, with its SELL's order and
    allocation. SELL block orders differ in their symbol alone and allocations are numbered in
    account order, so (symbol, account, lot) order is the blotter's.
    """
    lots = _text(lot_sells, ["account_id", "symbol", "lot_id"])
    sells = alloc[alloc["side"] == Side.SELL]
    sold = _text(sells, ["account_id", "symbol"])
    if lots is None or sold is None or lots.num_rows == 0 or sold.num_rows == 0:
        return None
    key = _symbol_account_key(sold, lots)
    sell_key, lot_key = key[: sold.num_rows], key[sold.num_rows :]
    # By lot id, then (stable) by symbol and account: (symbol, account, lot) order.
    by_lot = pc.sort_indices(lots.column("lot_id")).to_numpy()
    order = by_lot[np.argsort(lot_key[by_lot], kind="stable")]
    lots, lot_key = lots.take(pa.array(order)), lot_key[order]
    first = _runs(lot_key)  # where each SELL's lots start
    lot_id = lots.column("lot_id").combine_chunks()
    n = lots.num_rows
    repeated = pc.equal(lot_id.slice(1), lot_id.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    if (repeated & ~first[1:]).any():
        return None  # a lot listed twice: the pandas version adds its rows up
    sell_keys = pd.Index(sell_key)
    sell_of_lot = sell_keys.get_indexer(lot_key) if sell_keys.is_unique else None
    if sell_of_lot is None or (sell_of_lot < 0).any():
        return None  # a lot sold without its SELL
    if not np.bincount(sell_of_lot, minlength=sold.num_rows).all():
        return None  # a SELL without lots
    if not pc.all(safe_ids(lot_id)).as_py():
        return None
    quantity = lot_sells["quantity"].to_numpy(dtype=float)[order]
    # pandas' grouped sum of one row: the row's value, 0.0 for NaN, -0.0 as 0.0.
    quantity = np.where(np.isnan(quantity), 0.0, quantity) + 0.0
    at = pa.array(sell_of_lot)
    merged = pd.DataFrame(
        {
            "order_id": _as_str(pa.array(sells["order_id"]).take(at)),
            "allocation_id": _as_str(pa.array(sells["allocation_id"]).take(at)),
            "account_id": _as_str(lots.column("account_id")),
            "symbol": _as_str(lots.column("symbol")),
            "quantity_sell": sells["quantity"].to_numpy(dtype=float)[sell_of_lot],
            "lot_id": _as_str(lot_id),
            "quantity": quantity,
        }
    )
    # Each SELL's lots are one run of rows in lot order: summed as pandas' grouped sum does.
    total = merged["quantity"].groupby(np.cumsum(first), sort=False).sum().to_numpy()
    asked = merged["quantity_sell"].to_numpy()[first]
    if not np.isclose(total, asked, rtol=0, atol=1e-9).all():
        return None  # lots that do not add up to their SELL
    return merged


def _symbol_account_key(*tables: pa.Table) -> np.ndarray:
    """int64 of shape (rows of all tables,): one code per (symbol, account_id) of each row, the
    tables' rows one after the other, ordered as the two texts are."""
    key = np.zeros(sum(t.num_rows for t in tables), dtype=np.int64)
    for name in ("symbol", "account_id"):
        every = pa.chunked_array([c for t in tables for c in t.column(name).chunks])
        rank, distinct = _ranks(every.combine_chunks())
        key = key * distinct + rank
    return key
