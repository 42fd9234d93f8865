"""Ids as integer codes, for the whole-shard arithmetic of the sleeve bookkeeping.

STYLE: ids are strings at the edges and integer codes inside hot paths. The codes here are
positions in a vocabulary sorted the way pandas sorts group keys and ``sort_values`` orders
strings, so that ordering rows by codes orders them as the strings would: a sum or a sort done on
codes sees its rows in the order the same work on the strings saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def _recode(where: np.ndarray, code: np.ndarray) -> np.ndarray:
    out = np.asarray(where, dtype=np.int64)[code] if len(where) else np.zeros(len(code), np.int64)
    out[code < 0] = MISSING
    return out


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
