"""``sma fills load FILE``: book a broker's fills for a released run into the store.

The fills are matched and booked by ``pipelines.fills`` (through the ledger); this step reads the
lots and cash they start from out of the store — the run's snapshot, or the lots left by an
earlier fills file of the same run — and writes the lots, cash, realized gains and booked fills
back in one transaction. Then the run folder records the fills, so loading the same file again
books nothing. All of it happens under the run folder's lock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.fills import FillsResult, load_fills, locked, record_fills
from pipelines.settings import Settings
from pipelines.store import open_store
from sma.ledger import apply_splits


def _starting_point(con, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    booked = con.execute("SELECT count(*) FROM ledger_lots WHERE as_of_date = ?", [as_of]).fetchone()[0]
    if booked:
        lots = con.execute(
            "SELECT account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis, acquired_date, "
            "adjusted_acquired_date FROM ledger_lots WHERE as_of_date = ?", [as_of]).df()
        cash = con.execute(
            "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM ledger_cash WHERE as_of_date = ?", [as_of]).df()
        return lots, cash
    lots = con.execute(
        "SELECT account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis, acquired_date, "
        "adjusted_acquired_date FROM inbox_lots WHERE as_of_date = ?", [as_of]).df()
    actions = con.execute("SELECT * FROM inbox_corporate_actions WHERE as_of_date = ?", [as_of]).df()
    lots, _ = apply_splits(lots, actions, as_of)
    cash = con.execute(
        "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM inbox_cash WHERE as_of_date = ?", [as_of]).df()
    return lots, cash


def _usd(cents: pd.Series) -> pd.Series:
    return cents.astype("int64") / 100


def book_fills_file(fills_file: Path, run_id: str, settings: Settings, trade_date: date | None = None) -> FillsResult:
    """Book ``fills_file`` against run ``run_id`` into the store; returns what was booked and what is open."""
    as_of = date.fromisoformat(run_id)
    run_dir = Path(settings.runs.dir) / run_id
    with locked(run_dir):
        with open_store(settings.store.path) as con:
            lots, cash = _starting_point(con, as_of)
            accounts = con.execute(
                "SELECT account_id, household_id, account_type FROM inbox_accounts WHERE as_of_date = ?", [as_of]
            ).df()
            groups = con.execute(
                "SELECT symbol, coalesce(identical_group, symbol) AS grp FROM inbox_securities WHERE as_of_date = ?",
                [as_of],
            ).df()
            result = load_fills(
                Path(fills_file), run_dir, lots, cash, accounts, trade_date=trade_date,
                identical_group=dict(zip(groups["symbol"], groups["grp"])),
            )
            if len(result.booked):
                _write(con, as_of, result)
        record_fills(run_dir, result)
    return result


def _write(con, as_of: date, result: FillsResult) -> None:
    realized = result.realized
    realized = pd.DataFrame({
        "fill_id": realized["fill_id"], "account_id": realized["account_id"], "symbol": realized["symbol"],
        "lot_id": realized["lot_id"], "sale_date": realized["sale_date"], "quantity": realized["quantity"],
        "proceeds": _usd(realized["proceeds_cents"]), "cost_basis": _usd(realized["cost_basis_cents"]),
        "wash_sale_disallowed": _usd(realized["wash_sale_disallowed_cents"]),
        "permanently_disallowed": _usd(realized["permanently_disallowed_cents"]),
        "adjustment_code": realized["adjustment_code"], "gain": _usd(realized["gain_cents"]),
        "term": realized["term"], "acquired_date": realized["acquired_date"],
        "adjusted_acquired_date": realized["adjusted_acquired_date"],
    })
    booked = result.booked[["fill_id", "order_id", "allocation_id", "account_id", "symbol", "side", "lot_id",
                            "quantity", "fill_price"]]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ledger_lots WHERE as_of_date = ?", [as_of])
        con.execute("DELETE FROM ledger_cash WHERE as_of_date = ?", [as_of])
        for table, frame in (("ledger_lots", result.open_lots), ("ledger_cash", result.cash),
                             ("realized_gains", realized), ("fills_booked", booked)):
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} SELECT CAST(? AS DATE), * FROM incoming", [as_of])
            con.unregister("incoming")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
