"""Ids as integer codes, for the whole-shard arithmetic of the sleeve bookkeeping.

STYLE: ids are strings at the edges and integer codes inside hot paths. The codes here are
positions in a vocabulary sorted the way pandas sorts group keys and ``sort_values`` orders
strings, so that ordering rows by codes orders them as the strings would: a sum or a sort done on
codes sees its rows in the order the same work on the strings saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The code of a missing value (pandas leaves such a row out of a group).
MISSING = -1


def sorted_codes(*columns: pd.Series, sort: bool = True) -> tuple[list[np.ndarray], pd.Index]:
    """The values of several columns as codes into one vocabulary.

    Parameters
    ----------
    columns : the columns, each of shape (n_rows_i,), of one kind of id (sleeves, symbols).
    sort : sort the vocabulary; False: only equal values share a code (the values need not be
        comparable).

    Returns
    -------
    (codes, vocabulary): for each column an int64 array of shape (n_rows_i,) of positions in
    ``vocabulary`` (:data:`MISSING` for a missing value), and the distinct values.
    """
    found = [pd.factorize(column) for column in columns]
    values = [np.asarray(uniques, dtype=object) for _, uniques in found]
    vocabulary = pd.Index(np.concatenate(values), dtype=object).unique()
    if sort:
        vocabulary = vocabulary.sort_values()
    codes = [_recode(vocabulary.get_indexer(uniques), code) for code, uniques in found]
    return codes, vocabulary


def positions(column: pd.Series, labels: pd.Index) -> np.ndarray:
    """Where each value of ``column`` stands in ``labels`` (unique), int64 of shape (n_rows,);
    :data:`MISSING` for a value not there or missing. Hashes each distinct value once."""
    code, uniques = pd.factorize(column)
    return _recode(labels.get_indexer(uniques), code)


def mapped(column: pd.Series, mapping: pd.Series) -> np.ndarray:
    """``column.map(mapping)`` as an array of shape (n_rows,): each row's value in ``mapping``
    (unique index), NaN where it has none; ``mapping``'s index looked up once per distinct value
    of ``column`` (a missing value too, as ``map`` looks it up)."""
    code, uniques = pd.factorize(column, use_na_sentinel=False)
    at = mapping.index.get_indexer(uniques)[code]
    return np.append(mapping.to_numpy(), np.nan)[at]  # -1 reads the NaN


def close_of(symbol: pd.Series, closes: pd.Series) -> np.ndarray:
    """Tonight's close of each row's symbol, float64 of shape (n_rows,), USD per share; 0.0 for a
    symbol without one (``symbol.map(closes).astype(float).fillna(0.0)``)."""
    close = mapped(symbol, closes).astype(float)
    return np.where(np.isnan(close), 0.0, close)


def _recode(where: np.ndarray, code: np.ndarray) -> np.ndarray:
    out = np.asarray(where, dtype=np.int64)[code] if len(where) else np.zeros(len(code), np.int64)
    out[code < 0] = MISSING
    return out


def joined_key(*columns: pd.Series) -> np.ndarray:
    """One text key per row of several id columns, object of shape (n_rows,), for one hash lookup
    instead of a MultiIndex's (ids never hold NUL: the inbox's id_pattern)."""
    key = columns[0].astype(str)
    for column in columns[1:]:
        key = key + "\x00" + column.astype(str)
    return key.to_numpy(object)


def same_rows(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> bool:
    """Whether two frames list the same ``columns`` values row by row (a join on them would
    pair row i with row i, if the values are unique)."""
    if len(left) != len(right):
        return False
    return all(bool(np.all(left[c].array == right[c].array)) for c in columns)


def combined(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """One int64 key per row from several codes (first most significant), ordered as the tuples
    of codes are; :data:`MISSING` where any code is missing.

    Parameters
    ----------
    codes : int64 arrays of shape (n_rows,), each in ``range(size)`` or :data:`MISSING`.
    sizes : the vocabulary size of each code.
    """
    key = np.zeros(len(codes[0]), dtype=np.int64)
    missing = np.zeros(len(codes[0]), dtype=bool)
    for code, size in zip(codes, sizes, strict=True):
        key = key * max(size, 1) + code
        missing |= code < 0
    key[missing] = MISSING
    return key


def split(key: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """The codes a :func:`combined` key of shape (n_rows,) was made of (none missing)."""
    codes = []
    for size in reversed(sizes[1:]):
        codes.append(key % max(size, 1))
        key = key // max(size, 1)
    return [key, *reversed(codes)]


def starts(account: np.ndarray, n_accounts: int) -> np.ndarray:
    """Where each account's rows begin in rows sorted by account, int64 of shape
    (n_accounts + 1,): account ``i``'s rows are ``starts[i]:starts[i + 1]``.

    Parameters
    ----------
    account : int64 of shape (n_rows,), sorted, each in ``range(n_accounts)``.
    """
    return np.searchsorted(account, np.arange(n_accounts + 1)).astype(np.int64)


def last_if_missing(values: np.ndarray) -> np.ndarray:
    """A sort key of shape (n,) that puts a missing value (a negative code, NaN, NaT) after
    every other, as ``sort_values`` places it."""
    if values.dtype.kind == "M":
        missing = np.isnat(values)
        values = values.view(np.int64)
    elif values.dtype.kind == "f":
        missing = np.isnan(values)
    else:
        missing = values < 0
    top = np.inf if values.dtype.kind == "f" else np.iinfo(np.int64).max
    return np.where(missing, top, values)


def sum_by(key: np.ndarray, values: np.ndarray) -> pd.Series:
    """``values`` summed per key, indexed by the sorted keys (a row with a missing key in no
    sum).

    pandas' group sum over the same rows in the same order, numbered the same way (the keys
    order as the ids do, a missing key stays in its place): pandas adds the rows of each group by
    ``np.add.reduceat`` when the rows come grouped and with a compensated sum otherwise, and so
    takes the same way here, and each total is the one grouping the frame by the ids gave, to
    the bit.

    Parameters
    ----------
    key : int64 of shape (n_rows,), from :func:`combined` over sorted vocabularies.
    values : float64 of shape (n_rows,).
    """
    group = key.astype(np.float64)
    group[key == MISSING] = np.nan
    sums = pd.Series(values).groupby(group).sum()
    return pd.Series(sums.to_numpy(), index=sums.index.to_numpy().astype(np.int64))


def outer(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two sums by key over the keys of either, as ``Series.add``/``sub`` with
    ``fill_value=0.0`` align them: a side missing (or NaN) counts 0 unless both are.

    Parameters
    ----------
    left, right : from :func:`sum_by`.

    Returns
    -------
    (keys, left, right), each of shape (n_keys,), the keys sorted.
    """
    key = np.union1d(left.index.to_numpy(), right.index.to_numpy())
    a = np.full(len(key), np.nan)
    b = np.full(len(key), np.nan)
    a[np.searchsorted(key, left.index.to_numpy())] = left.to_numpy(float)
    b[np.searchsorted(key, right.index.to_numpy())] = right.to_numpy(float)
    no_a, no_b = np.isnan(a), np.isnan(b)
    a[no_a & ~no_b] = 0.0
    b[no_b & ~no_a] = 0.0
    return key, a, b


def lookup(sums: pd.Series, key: np.ndarray) -> np.ndarray:
    """The sum at each of ``key``, float64 of shape (n,); 0.0 for a key with none (a
    ``reindex(...).fillna(0.0)``)."""
    known = sums.index.to_numpy()
    if len(known) == 0:
        return np.zeros(len(key))
    at = np.minimum(np.searchsorted(known, key), len(known) - 1)
    found = (known[at] == key) & (key != MISSING)
    values = sums.to_numpy(float)[at]
    return np.where(found & ~np.isnan(values), values, 0.0)


def arrow_text(column: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array of shape (n_rows,), a missing value null
    (whatever chunks Arrow holds it in: a frame concatenated from parts holds several)."""
    text = pa.array(column, from_pandas=True)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string())


def stable_order(
    frame: pd.DataFrame, keys: list[str], ascending: list[bool] | None = None
) -> np.ndarray:
    """The row positions of ``frame`` in the order ``frame.sort_values(keys, ascending=ascending,
    kind="stable")`` gives them, found by Arrow's stable sort: a multi-column pandas sort
    factorizes every text column first, which was most of the time of sorting a shard's UMA lots.

    Text compares by its UTF-8 bytes (Python's order for ``str``), numbers as numbers; missing
    values (None, NaN) go last, as pandas puts them; rows with equal keys keep their order.

    Parameters
    ----------
    frame : the rows to order, of shape (n_rows, >= len(keys)).
    keys : the columns to sort by, most significant first.
    ascending : one flag per key (default: all ascending).

    Returns
    -------
    int64 array of shape (n_rows,): ``frame.iloc[stable_order(...)]`` is the sorted frame.
    """
    up = ascending if ascending is not None else [True] * len(keys)
    table = pa.table({str(i): pa.array(frame[k], from_pandas=True) for i, k in enumerate(keys)})
    # nulls (None, and NaN through from_pandas) last: Arrow's default placement
    order = pc.sort_indices(
        table, sort_keys=[(str(i), "ascending" if a else "descending") for i, a in enumerate(up)]
    )
    return order.to_numpy().astype(np.int64)
