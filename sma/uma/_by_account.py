"""One frame split by account once, for the loops over a shard's UMA accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd


def by_account(frame: pd.DataFrame, accounts: Iterable[str]) -> Callable[[str], pd.DataFrame]:
    """``account -> frame[frame["account_id"] == account]`` (rows in order, index kept), split
    once rather than the whole frame compared again for each account.

    Parameters
    ----------
    frame : a frame with an ``account_id`` column.
    accounts : the accounts that will be asked for (others get an empty frame).

    Returns
    -------
    A function of an account id returning its rows of ``frame``.
    """
    mine = frame[frame["account_id"].isin(list(accounts))]
    parts = {account: part for account, part in mine.groupby("account_id", sort=False)}
    empty = frame.iloc[:0]
    return lambda account: parts.get(account, empty)
