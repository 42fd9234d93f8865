"""Book matched fills through the tax-lot ledger: buys open lots, sells relieve the named lots.

The ledger (``sma.ledger``) is the one home of the tax rules: it books each sell's realized rows
as on Form 8949 and applies wash sales across the household; this module only feeds it the
fills, at the block's average price, and moves the cash. Money is converted to integer cents at
one boundary (``sma.ledger.notional_cents``): proceeds and costs are exact products of shares and
price, rounded half away from zero to the cent.

A buy fill opens lot ``F<first 24 hex of its fill id>`` (the id hashes the order and the broker's
exec_id): the same execution always opens the same lot, however often it is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import Side
from sma.ledger import Ledger, ReliefMethod, notional_cents, usd_to_cents

LOT_COLUMNS = (
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "cost_basis",
    "acquired_date",
    "adjusted_acquired_date",
    "wash_sale_adjustment",
)


@dataclass(frozen=True)
class Booking:
    """What booking a batch of fills leaves.

    new_lots : lots opened by buy fills, columns ``LOT_COLUMNS`` (cost_basis USD).
    open_lots : every open lot after the fills, columns ``LOT_COLUMNS``.
    realized : the ledger's realized rows for the sells (Form 8949 fields, cents; see
        ``sma.ledger.Ledger.realized``), with ``fill_id``.
    cash : account_id, amount (USD) after the fills, for every account given.
    cash_moves : account_id, fill_id, amount_cents (+ proceeds, - cost) per fill.
    amended_sales : earlier days' loss sales (``Ledger.add_recent_sales``) that a buy booked now
        washed, as they now stand (``realized`` columns, cents, without fill_id).
    """

    new_lots: pd.DataFrame
    open_lots: pd.DataFrame
    realized: pd.DataFrame
    cash: pd.DataFrame
    cash_moves: pd.DataFrame
    amended_sales: pd.DataFrame


def lot_id_of_fill(fill_id: str) -> str:
    """The id of the lot a buy fill opens: ``F`` and the first 24 characters of the fill id."""
    return f"F{fill_id[:24]}"


def _cents(quantity: float, price: float) -> int:
    return int(notional_cents(quantity, price))


def _ledger_lots(lots: pd.DataFrame) -> pd.DataFrame:
    out = lots[
        ["account_id", "lot_id", "symbol", "quantity", "acquired_date", "adjusted_acquired_date"]
    ].copy()
    out["cost_basis_cents"] = [usd_to_cents(v) for v in lots["cost_basis"].tolist()]
    return out


def _usd_lots(ledger_lots: pd.DataFrame) -> pd.DataFrame:
    out = ledger_lots[["account_id", "lot_id", "symbol", "quantity"]].copy()
    out["cost_basis"] = ledger_lots["cost_basis_cents"].to_numpy() / 100.0
    out["acquired_date"] = ledger_lots["acquired_date"]
    out["adjusted_acquired_date"] = ledger_lots["adjusted_acquired_date"]
    out["wash_sale_adjustment"] = ledger_lots["wash_sale_adjustment_cents"].to_numpy() / 100.0
    return out[list(LOT_COLUMNS)].reset_index(drop=True)


def book_fills(
    fills: pd.DataFrame,
    lots: pd.DataFrame,
    cash: pd.DataFrame,
    accounts: pd.DataFrame,
    trade_date: date,
    identical_group: Mapping[str, str] | None = None,
    ledger: Ledger | None = None,
) -> Booking:
    """Book ``fills`` (``match_fills(...).new``) against tonight's ``lots`` and ``cash``.

    Parameters
    ----------
    fills : DataFrame
        fill_id, account_id, symbol, side, lot_id (sells), quantity (shares), price (USD, the
        block's average price at which the account is booked).
    lots : DataFrame
        Open lots as in the inbox: account_id, lot_id, symbol, quantity, cost_basis (USD),
        acquired_date, adjusted_acquired_date.
    cash : DataFrame
        account_id, amount (USD).
    accounts : DataFrame
        account_id, household_id, account_type: wash sales look across the household.
    trade_date : date
        The fills' trade date (holding periods and wash-sale windows count from it).
    ledger : Ledger, optional
        A ledger that already holds the open lots and the household's last 30 days of trades
        (so today's buys can wash earlier loss sales); ``lots`` and ``accounts`` are then not
        read. Without it, a ledger is opened from ``lots`` alone.

    Raises
    ------
    sma.ledger.LedgerError
        A sell of a lot that is not held, or of more shares than it holds.
    """
    if ledger is None:
        ledger = Ledger(accounts, identical_group)
        ledger.add_lots(_ledger_lots(lots))
    sells = fills[fills["side"] == Side.SELL]
    buys = fills[fills["side"] == Side.BUY]
    realized_fill: list[str] = []
    realized_rows: list[int] = []
    moves: list[tuple[str, str, int]] = []
    for f in sells.itertuples(
        index=False
    ):  # sells first: their losses meet today's buys in the ledger either way
        proceeds = _cents(f.quantity, f.price)
        rows = ledger.sell(
            f.account_id,
            f.symbol,
            float(f.quantity),
            proceeds,
            trade_date,
            ReliefMethod.SPECIFIC,
            [f.lot_id],
        )
        realized_fill += [f.fill_id] * len(rows)
        realized_rows += [int(r) for r in rows]
        moves.append((f.account_id, f.fill_id, proceeds))
    new_ids = []
    for f in buys.itertuples(index=False):
        cost = _cents(f.quantity, f.price)
        new_ids.append(lot_id_of_fill(f.fill_id))
        ledger.buy(f.account_id, f.symbol, new_ids[-1], float(f.quantity), cost, trade_date)
        moves.append((f.account_id, f.fill_id, -cost))
    open_lots = _usd_lots(ledger.open_lots())
    realized = ledger.realized_at(np.array(realized_rows, dtype=np.int64)).reset_index(drop=True)
    realized.insert(0, "fill_id", np.array(realized_fill, dtype=object))
    cash_moves = pd.DataFrame(moves, columns=["account_id", "fill_id", "amount_cents"]).astype(
        {"amount_cents": "int64"}
    )
    delta = cash_moves.groupby("account_id")["amount_cents"].sum()
    before = pd.Series(
        [usd_to_cents(v) for v in cash["amount"].tolist()],
        index=cash["account_id"].astype(str).to_numpy(),
    )
    after = before.add(delta, fill_value=0).astype("int64")
    cash_after = pd.DataFrame(
        {"account_id": after.index.astype(str), "amount": after.to_numpy() / 100.0}
    )
    new_lots = open_lots[open_lots["lot_id"].isin(new_ids)].reset_index(drop=True)
    return Booking(
        new_lots,
        open_lots,
        realized,
        cash_after.sort_values("account_id").reset_index(drop=True),
        cash_moves,
        ledger.amended_sales(),
    )
