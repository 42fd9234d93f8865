"""The checked proposal in parts of whole block orders, for a blotter built part by part.

A block order is one (side, symbol); its allocations are numbered and sized against each other,
and a sell's lot instructions belong to it. So a part that holds every trade and lot sell of some
(side, symbol) pairs can be turned into its share of the blotter on its own
(``sma.trading.build_blotter``), and the parts, taken in block-order order, give the whole
blotter in its order. A night of 100,000 accounts proposes some 22 million orders: they are read
twice in batches (once to count the rows of each block, once to sort them into part files on
disk) and each part is then read alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sma.inbox import Side
from sma.trading import ProposalError

#: About this many trades and lot sells go into one part (one block is never split): what a part
#: costs in memory while ``build_blotter`` works on it: the step peaked at 1.1 GB with a million.
ROWS_PER_PART = 1_000_000
_BATCH_ROWS = 1_000_000


def _blocks(path: Path, side: str | None) -> pd.Series:
    """Rows per block key ``<SIDE>-<SYMBOL>`` in a proposal file (``side`` given: lot sells)."""
    counts: pd.Series = pd.Series(dtype="int64")
    columns = ["symbol"] if side is not None else ["side", "symbol"]
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=columns):
        keys = _keys(batch, side).to_pandas()
        counts = counts.add(keys.value_counts(), fill_value=0)
    return counts.astype("int64")


def _keys(batch: pa.RecordBatch, side: str | None) -> pa.Array:
    """``<SIDE>-<SYMBOL>`` per row; ``side`` given: every row is of that side (lot sells)."""
    symbol = batch.column("symbol").cast(pa.string())
    return pc.binary_join_element_wise(
        side if side is not None else batch.column("side").cast(pa.string()), symbol, "-"
    )


def run_of(path: Path) -> str:
    """The one run the proposal's trades belong to ('' if there are none)."""
    runs: set[str] = set()
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=["run_id"]):
        runs |= set(pc.unique(batch.column("run_id").cast(pa.string())).to_pylist())
    if len(runs) > 1:
        raise ProposalError(str(path), "-", "-", f"more than one run_id: {sorted(map(str, runs))}")
    return str(next(iter(runs))) if runs else ""


def plan_parts(counts: pd.Series, rows_per_part: int) -> pd.Series:
    """Part number per block key, in block order, each part about ``rows_per_part`` rows.

    Keys are ``<SIDE>-<SYMBOL>``: sorted as text they are in the order of the block order ids
    ``<run_id>-<SIDE>-<SYMBOL>``. Parts are consecutive runs of keys, so parts in number order
    are in block order; a block bigger than a part gets a part of its own.
    """
    counts = counts.sort_index()
    part, rows, out = 0, 0, []
    for n in counts.to_numpy():
        if rows and rows + n > rows_per_part:
            part, rows = part + 1, 0
        out.append(part)
        rows += int(n)
    return pd.Series(out, index=counts.index, dtype="int64")


def _split(
    path: Path,
    keys: pa.Array,
    part_of_key: np.ndarray,
    side: str | None,
    folder: Path,
    stem: str,
    n_parts: int,
) -> list[Path]:
    """Write the rows of ``path`` into one file per part under ``folder``; returns the files."""
    files = [folder / f"{stem}-{k:05d}.parquet" for k in range(n_parts)]
    source = pq.ParquetFile(path)
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for batch in source.iter_batches(batch_size=_BATCH_ROWS):
            part = part_of_key[
                pc.index_in(_keys(batch, side), value_set=keys).to_numpy(zero_copy_only=False)
            ]
            order = np.argsort(part, kind="stable")
            table = pa.Table.from_batches([batch]).take(pa.array(order))
            bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
            for k in np.flatnonzero(np.diff(bounds)):
                if k not in writers:
                    writers[k] = pq.ParquetWriter(files[k], table.schema, compression="lz4")
                writers[k].write_table(table.slice(bounds[k], bounds[k + 1] - bounds[k]))
    finally:
        for w in writers.values():
            w.close()
    return [f if k in writers else None for k, f in enumerate(files)]


def _read(file: Path | None, empty: pa.Schema) -> pd.DataFrame:
    return (pq.read_table(file) if file is not None else empty.empty_table()).to_pandas()


def proposal_parts(
    proposal: Path, rows_per_part: int = ROWS_PER_PART, scratch: Path | None = None
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(trades, lot sells) of the checked proposal in ``proposal/``, part by part, in block order.

    Every trade and lot sell of a block order is in the same part. Lot sells are keyed to the
    SELL block of their symbol, so lot sells of a symbol that nothing sells land in a part with
    no SELL of it, where ``build_blotter`` reports them. Part files go to a temporary folder
    under ``scratch``.
    """
    trades_path, lots_path = proposal / "trades.parquet", proposal / "lot_sells.parquet"
    sell = str(Side.SELL)
    # The two files are counted and cut into parts side by side (Arrow's reading, sorting and
    # writing release the GIL), and each part is read while the caller builds the one before.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="proposal-parts") as pool:
        counted = [pool.submit(_blocks, trades_path, None), pool.submit(_blocks, lots_path, sell)]
        counts = counted[0].result().add(counted[1].result(), fill_value=0)
        if counts.empty:
            return
        part_of = plan_parts(counts, rows_per_part)
        keys = pa.array(part_of.index.to_numpy(dtype=str), pa.string())
        n_parts = int(part_of.max()) + 1
        with tempfile.TemporaryDirectory(prefix=".parts-", dir=scratch) as folder:
            cut = [
                pool.submit(
                    _split, path, keys, part_of.to_numpy(), side, Path(folder), stem, n_parts
                )
                for path, side, stem in (
                    (trades_path, None, "trades"),
                    (lots_path, sell, "lot_sells"),
                )
            ]
            trades, lots = cut[0].result(), cut[1].result()
            schemas = pq.read_schema(trades_path), pq.read_schema(lots_path)

            def read_part(k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
                part = _read(trades[k], schemas[0]), _read(lots[k], schemas[1])
                for f in (trades[k], lots[k]):
                    if f is not None:
                        f.unlink()
                return part

            reading = pool.submit(read_part, 0)
            for k in range(n_parts):
                part = reading.result()
                if k + 1 < n_parts:
                    reading = pool.submit(read_part, k + 1)
                yield part
                del part
