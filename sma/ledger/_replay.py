"""Replay: book a list of transactions into a ledger in ``seq`` order (PRODUCT.md, "Interfaces").

This is the ledger on its own, for audits and for checking it against published examples
(``sma ledger replay``). Input frames are typed already; reading files is the pipeline's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.ledger._errors import LedgerError
from sma.ledger._ledger import Ledger
from sma.ledger._relief import ReliefMethod


class Action(StrEnum):
    BUY = "BUY"  # opens lot ``lot_id`` at cost ``amount``
    SELL = "SELL"  # relieves ``quantity`` by the method, or from ``lot_ids`` (';'-separated)
    SPLIT = "SPLIT"  # ``ratio`` new shares per old share (stock dividends too)


class ReplayRowError(Exception):
    """A transaction the ledger refuses; nothing of the replay is kept."""

    def __init__(self, row: int, seq: int, column: str, rule: str, why: str):
        super().__init__(f"row {row} (seq {seq}), column {column}: {why} [rule: {rule}]")
        self.row, self.seq, self.column, self.rule, self.why = row, seq, column, rule, why


@dataclass(frozen=True)
class ReplayResult:
    """What a replay leaves: every realized piece, and the lots still open (see ``Ledger``)."""

    realized: pd.DataFrame
    open_lots: pd.DataFrame


_COLUMN_OF_RULE = {
    "no sale of more than is held": "quantity",
    "named lots must be held": "lot_ids",
    "lot ids are unique per account": "lot_id",
    "accounts must be known": "account_id",
}


def replay(
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    transactions: pd.DataFrame,
    method: ReliefMethod,
    identical_group=None,
) -> ReplayResult:
    """Apply ``transactions`` in ``seq`` order to the opening ``lots``.

    Parameters
    ----------
    accounts : DataFrame
        ``account_id, household_id, account_type``.
    lots : DataFrame
        Opening lots (``Ledger.add_lots`` columns; money in cents).
    transactions : DataFrame
        ``row`` (where it was read, for errors), ``seq, account_id, trade_date, action, symbol,
        quantity, amount_cents`` (cost of a buy, proceeds of a sell), ``lot_id`` (buys),
        ``lot_ids`` (';'-separated, specific-lot sells; blank = ``method``), ``ratio`` (splits;
        blank ``account_id`` = every account).
    method : ReliefMethod
        Relief for sells that name no lots.

    Raises
    ------
    ReplayRowError
        The first transaction the ledger refuses, by its row and seq.
    """
    ledger = Ledger(accounts, identical_group)
    ledger.add_lots(lots)
    order = np.argsort(transactions["seq"].to_numpy(), kind="stable")
    columns = {name: transactions[name].to_numpy()[order] for name in transactions.columns}
    rows = columns["row"] if "row" in columns else order + 1
    for i in range(len(order)):
        action = columns["action"][i]
        try:
            if action == Action.BUY:
                ledger.buy(columns["account_id"][i], columns["symbol"][i], columns["lot_id"][i],
                           float(columns["quantity"][i]), int(columns["amount_cents"][i]), columns["trade_date"][i])
            elif action == Action.SELL:
                named = columns["lot_ids"][i]
                ledger.sell(columns["account_id"][i], columns["symbol"][i], float(columns["quantity"][i]),
                            int(columns["amount_cents"][i]), columns["trade_date"][i],
                            ReliefMethod.SPECIFIC if named else method, tuple(named.split(";")) if named else ())
            else:
                account = columns["account_id"][i]
                ledger.split(columns["symbol"][i], float(columns["ratio"][i]), account or None)
        except LedgerError as error:
            column = _COLUMN_OF_RULE.get(error.rule, "ratio" if action == Action.SPLIT else "quantity")
            raise ReplayRowError(int(rows[i]), int(columns["seq"][i]), column, error.rule, str(error)) from None
    return ReplayResult(ledger.realized(), ledger.open_lots())
