"""Turn the drawn arrays into the inbox's frames, in contract column order, without a Python object
per row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.inbox import GICS_SECTORS, INBOX_FILES, ColumnKind


def strings(vocabulary, codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``vocabulary[codes]`` as an Arrow string array; null where ``valid`` is False."""
    values = pa.array(list(vocabulary), type=pa.string())
    indices = pa.array(np.asarray(codes, dtype=np.int64), mask=None if valid is None else ~valid)
    return values.take(indices)


def dates(days: np.ndarray) -> pa.Array:
    """datetime64[D] as Arrow date32; NaT becomes null."""
    days = np.asarray(days, dtype="datetime64[D]")
    return pa.array(days, type=pa.date32(), mask=np.isnat(days))


def numbers(values: np.ndarray) -> pa.Array:
    """float64; NaN becomes null."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, mask=np.isnan(values))


def sectors(codes: np.ndarray) -> pa.Array:
    """GICS sector names from sector codes; null where the code is negative."""
    codes = np.asarray(codes)
    return strings(GICS_SECTORS, np.maximum(codes, 0), codes >= 0)


def sequence_ids(prefix: str, n: int) -> list[str]:
    """``prefix`` followed by a zero-padded number, for 0..n-1 (ids that sort as they count)."""
    width = max(len(str(max(n - 1, 0))), 6)
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def lot_ids(account_ids: pa.Array, account: np.ndarray) -> pa.Array:
    """``<account_id>-L<n>``: n counts each account's lots from 0, so ids are unique book-wide."""
    counts = np.bincount(account) if len(account) else np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    seq = np.arange(len(account)) - starts[account]
    suffix = strings(sequence_ids("L", int(counts.max(initial=0))), seq)
    return pc.binary_join_element_wise(account_ids, suffix, "-")


def _arrow_type(kind: ColumnKind) -> pa.DataType:
    return {
        ColumnKind.DATE: pa.date32(),
        ColumnKind.FLOAT: pa.float64(),
        ColumnKind.RATIONAL: pa.float64(),
        ColumnKind.BOOL: pa.bool_(),
    }.get(kind, pa.string())


def contract_schema(name: str) -> pa.Schema:
    """The Arrow schema of inbox file ``name``: text as string, dates date32, numbers float64."""
    return pa.schema([pa.field(c.name, _arrow_type(c.kind)) for c in INBOX_FILES[name].columns])


def contract_table(name: str, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    """A table of inbox file ``name`` with exactly the contract's columns, in order and typed.

    Missing or extra columns are an error: the generator fills every contract column.
    """
    schema = contract_schema(name)
    if set(columns) != set(schema.names):
        raise KeyError(f"{name}: columns {sorted(columns)} are not the contract's {schema.names}")
    arrays = [
        columns[f.name].cast(f.type)  # pyright: ignore[reportAttributeAccessIssue]
        if isinstance(columns[f.name], pa.Array)
        else pa.array(columns[f.name], type=f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def table_from_frame(name: str, frame: pd.DataFrame) -> pa.Table:
    """A contract-ordered frame as a contract-typed table (``to_frame``'s Arrow-backed text too)."""
    arrays = {c: pa.Array.from_pandas(frame[c]) for c in frame.columns}
    return contract_table(
        name,
        {c: a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for c, a in arrays.items()},
    )


def empty_table(name: str) -> pa.Table:
    """The contract's columns for ``name`` with no rows."""
    return contract_schema(name).empty_table()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Text columns become pandas strings, dates ``datetime64``, floats ``float64``, booleans
    ``bool``."""
    return table.to_pandas(date_as_object=False)
