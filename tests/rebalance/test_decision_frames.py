"""The engine's output frames are built from coded string columns (each label converted once): the
frames are the ones pandas builds from the strings themselves, to the dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.rebalance._decide import Coded, _frame

SYMBOLS = np.array(["AAA", "BBB", "CCC", "DDD"], dtype=object)


def _as_strings(columns: list[dict]) -> pd.DataFrame:
    """The frame pandas builds from the same columns as arrays of Python strings."""
    names = list(columns[0])
    return pd.DataFrame(
        {
            name: np.concatenate(
                [c[name].values() if isinstance(c[name], Coded) else c[name] for c in columns]
            )
            for name in names
        },
        columns=names,
    )


def _account(account_id: str, codes: list[int], reasons: list[str]) -> dict:
    labels, reason_codes = np.unique(np.array(reasons, dtype=object), return_inverse=True)
    return {
        "account_id": Coded(np.array([account_id], dtype=object), np.zeros(len(codes), np.intp)),
        "symbol": Coded(SYMBOLS, np.array(codes, np.intp)),
        "reason": Coded(labels.astype(object), reason_codes),
        "quantity": np.arange(len(codes), dtype=float),
    }


def test_coded_columns_of_many_accounts_give_the_frame_of_their_strings():
    """Accounts sharing the shard's symbols, each with its own account id and reasons."""
    columns = [
        _account("A1", [3, 0, 0], ["HARVEST", "REBALANCE", "HARVEST"]),
        _account("A2", [1], ["REPLACE"]),
        _account("A3", [], []),
        _account("A4", [2, 3], ["REBALANCE", "CASH_INVEST"]),
    ]
    got = _frame(columns, list(columns[0]))
    pd.testing.assert_frame_equal(got, _as_strings(columns), check_exact=True)
    assert got["symbol"].tolist() == ["DDD", "AAA", "AAA", "BBB", "CCC", "DDD"]
    assert got["account_id"].tolist() == ["A1", "A1", "A1", "A2", "A4", "A4"]
    assert got["reason"].tolist()[-2:] == ["REBALANCE", "CASH_INVEST"]


def test_no_rows_give_the_object_columns_pandas_infers_for_empty_ones():
    columns = [_account("A1", [], [])]
    got = _frame(columns, list(columns[0]))
    pd.testing.assert_frame_equal(got, _as_strings(columns), check_exact=True)
    assert got["symbol"].dtype == object
