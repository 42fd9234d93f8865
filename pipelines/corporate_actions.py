"""Tonight's corporate actions booked into the store's ledger (issue 22).

A cash or mixed merger, cash in lieu of a fraction, a return of capital beyond basis and worthless
stock realize gains and losses on their ex date, whether or not the night's trades are approved and
filled. The night's ingest -- the store's writer -- books them into ``realized_gains`` (fill_id
``corporate_action``) as soon as tonight's inbox is loaded, so tonight's gain budget already counts
them, Form 8949 shows them, and a night whose blotter is rejected loses none of them. Booking again
(a rerun) replaces the date's rows; the fills loader, which applies the same actions to reach the
lots it books fills against, leaves the rows the night booked in place.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.store import transaction
from sma.ledger import apply_corporate_actions

#: ``realized_gains.fill_id`` of the rows tonight's corporate actions booked (cash in lieu, cash
#: and mixed mergers, returns of capital beyond basis, worthless stock).
CORPORATE_ACTION_FILL_ID = "corporate_action"

INBOX_LOT_SQL = (
    "SELECT account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis, "
    "acquired_date, "
    "adjusted_acquired_date FROM {table} WHERE as_of_date = ? ORDER BY account_id, lot_id"
)


def _usd(cents: pd.Series) -> pd.Series:
    return cents.astype("int64") / 100


def realized_in_usd(realized: pd.DataFrame, fill_id) -> pd.DataFrame:
    """Ledger realized rows (cents) as ``realized_gains`` rows (USD)."""
    return pd.DataFrame(
        {
            "fill_id": fill_id,
            "account_id": realized["account_id"],
            "symbol": realized["symbol"],
            "lot_id": realized["lot_id"],
            "sale_date": realized["sale_date"],
            "quantity": realized["quantity"],
            "proceeds": _usd(realized["proceeds_cents"]),
            "cost_basis": _usd(realized["cost_basis_cents"]),
            "wash_sale_disallowed": _usd(realized["wash_sale_disallowed_cents"]),
            "permanently_disallowed": _usd(realized["permanently_disallowed_cents"]),
            "adjustment_code": realized["adjustment_code"],
            "gain": _usd(realized["gain_cents"]),
            "term": realized["term"],
            "acquired_date": realized["acquired_date"],
            "adjusted_acquired_date": realized["adjusted_acquired_date"],
        }
    )


def lots_after_corporate_actions(con, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store's inbox lots of ``as_of`` after the corporate actions going ex that night, and
    the realized rows (ledger cents) those actions book."""
    accounts = con.execute(
        "SELECT account_id, household_id, account_type FROM inbox_accounts WHERE as_of_date = ? "
        "ORDER BY account_id",
        [as_of],
    ).df()
    lots = con.execute(INBOX_LOT_SQL.format(table="inbox_lots"), [as_of]).df()
    actions = con.execute(
        "SELECT * FROM inbox_corporate_actions WHERE as_of_date = ?", [as_of]
    ).df()
    return apply_corporate_actions(lots, actions, as_of, accounts)


def book_corporate_actions(con, as_of: date) -> int:
    """Book (or book again) the realized rows of the corporate actions going ex on ``as_of`` into
    ``realized_gains``, replacing the date's earlier ones, in one transaction; returns the rows."""
    _, rows = lots_after_corporate_actions(con, as_of)
    realized = realized_in_usd(rows, CORPORATE_ACTION_FILL_ID)
    with transaction(con):
        con.execute(
            "DELETE FROM realized_gains WHERE as_of_date = ? AND fill_id = ?",
            [as_of, CORPORATE_ACTION_FILL_ID],
        )
        if len(realized):
            con.register("incoming_realized", realized)
            columns = ", ".join(["as_of_date", *realized.columns])
            con.execute(
                f"INSERT INTO realized_gains ({columns}) SELECT CAST(? AS DATE), * FROM "
                "incoming_realized",
                [as_of],
            )
            con.unregister("incoming_realized")
    return len(realized)
