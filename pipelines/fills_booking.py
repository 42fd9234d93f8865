"""``sma fills load FILE``: book a broker's fills for a released run into the store, once.

One transaction, under the run folder's lock, does all of it: it reads what the store already
booked for the run (``fills_booked``, keyed by the broker's ``exec_id``), the lots and cash the
fills start from (the run's snapshot, or the lots left by an earlier fills file of the run) and the
household's loss sales of the last 30 days (``realized_gains``); it matches and books the new
executions through the ledger (``pipelines.fills``) and writes the lots, cash, realized gains,
amended earlier sales and the fills. So a fill is booked exactly when its record is: a load killed
anywhere books nothing or everything, and loading again skips what was booked. The run folder's
copy of the record (``blotter/fills/booked.parquet``) is rewritten from the store afterwards, and
the acting login signs a FILLS record of the audit log over all the run's booked fills
(``sma.trading.booked_digest``); a load killed before that record writes it when run again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipelines._faults import crash_point
from pipelines.blotter._actions import sign_fills
from pipelines.corporate_actions import (
    CORPORATE_ACTION_FILL_ID,
    INBOX_LOT_SQL,
    lots_after_corporate_actions,
    realized_in_usd,
)
from pipelines.fills import FillsResult, load_fills, locked, write_fills_record
from pipelines.settings import Settings
from pipelines.store import open_store, transaction
from sma.ledger import Ledger, usd_to_cents, wash_sale_window_start, without_gifts
from sma.trading import BOOKED_COLUMNS, Action, Signer, Users, booked_digest, require_role

_LOT_SQL = INBOX_LOT_SQL


def _starting_point(
    con, as_of: date, accounts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Lots and cash the fills are booked against, and the realized rows of the corporate actions
    applied to reach them (none when the day's ledger was already booked: they were then)."""
    booked = con.execute(
        "SELECT count(*) FROM ledger_lots WHERE as_of_date = ?", [as_of]
    ).fetchone()[0]
    if booked:
        lots = con.execute(_LOT_SQL.format(table="ledger_lots"), [as_of]).df()
        cash = con.execute(
            "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM ledger_cash WHERE "
            "as_of_date = ?",
            [as_of],
        ).df()
        return lots, cash, Ledger(accounts).realized()
    lots, action_rows = lots_after_corporate_actions(con, as_of)
    # Issue 21: the night's gifts left before its trades, so the fills book against the lots that
    # remain; a gift is no sale, so it books no realized row (IRS Pub. 526).
    lots = without_gifts(lots, delivered_gifts(con, as_of))
    cash = con.execute(
        "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM inbox_cash WHERE as_of_date = ?",
        [as_of],
    ).df()
    return lots, cash, action_rows


def delivered_gifts(con, as_of: date) -> pd.DataFrame:
    """The lots the night of ``as_of`` gave to charities (``gifts_delivered``), basis in USD."""
    return con.execute(
        "SELECT account_id, symbol, lot_id, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis "
        "FROM gifts_delivered WHERE as_of_date = ? ORDER BY account_id, symbol, lot_id",
        [as_of],
    ).df()


def booked_in_store(con, as_of: date) -> pd.DataFrame:
    """The run's fills booked so far (``BOOKED_COLUMNS``), the one record of what was booked."""
    return con.execute(
        "SELECT fill_id, exec_id, order_id, allocation_id, account_id, symbol, side, "
        "coalesce(lot_id, '') AS lot_id, "
        "quantity, price AS fill_price, booked_price AS price FROM fills_booked WHERE "
        "as_of_date = ? "
        "ORDER BY rowid",
        [as_of],
    ).df()[list(BOOKED_COLUMNS)]


def recent_loss_sales(con, as_of: date, accounts: pd.DataFrame) -> pd.DataFrame:
    """The sales booked in the store whose loss a buy of the run's fills can still wash: every
    ``realized_gains`` row of the accounts sold on or after ``as_of`` - 30 days (IRS Pub. 550,
    "Wash Sales"; the ledger keeps only those inside 30 days of each buy), in ``Ledger.realized``
    columns (cents)."""
    start = pd.Timestamp(wash_sale_window_start(as_of)).date()
    rows = con.execute(
        "SELECT account_id, symbol, lot_id, sale_date, quantity, CAST(round(proceeds * 100) AS "
        "BIGINT) AS proceeds_cents, "
        "CAST(round(cost_basis * 100) AS BIGINT) AS cost_basis_cents, "
        "CAST(round(wash_sale_disallowed * 100) AS BIGINT) AS wash_sale_disallowed_cents, "
        "CAST(round(permanently_disallowed * 100) AS BIGINT) AS permanently_disallowed_cents, "
        "term, acquired_date, "
        "adjusted_acquired_date FROM realized_gains WHERE sale_date >= ? "
        "ORDER BY sale_date, as_of_date, account_id, symbol, lot_id",
        [start],
    ).df()
    return rows[rows["account_id"].isin(accounts["account_id"])].reset_index(drop=True)


def _ledger(
    con, as_of: date, lots: pd.DataFrame, accounts: pd.DataFrame, groups: dict[str, str]
) -> Ledger:
    ledger = Ledger(accounts, groups)
    opening = lots[
        ["account_id", "lot_id", "symbol", "quantity", "acquired_date", "adjusted_acquired_date"]
    ].copy()
    opening["cost_basis_cents"] = [usd_to_cents(v) for v in lots["cost_basis"].tolist()]
    ledger.add_lots(opening)
    ledger.add_recent_sales(recent_loss_sales(con, as_of, accounts))
    return ledger


def book_fills_file(
    fills_file: Path,
    run_id: str,
    settings: Settings,
    trade_date: date | None = None,
    *,
    user: str,
    users: Users | None = None,
    signer: Signer | None = None,
) -> FillsResult:
    """Book ``fills_file`` against run ``run_id`` into the store as ``user`` (OPERATIONS or TRADER
    in
    ``users``, signing with ``signer``); returns what was booked and what is open.

    Executions (``exec_id``) already in the store are skipped; a file breaking any rule of
    ``sma.trading.match_fills`` is refused whole (``FillsRejected``) and nothing is written.
    """
    as_of = date.fromisoformat(run_id)
    run_dir = Path(settings.runs.dir) / run_id
    if users is not None:
        require_role(Action.FILLS, user, users, run_id)
    with locked(run_dir):
        with open_store(settings.store.path) as con:
            with transaction(con):
                result = _book(con, as_of, Path(fills_file), run_dir, settings, trade_date)
                crash_point("fills:before-commit")
            crash_point("fills:after-commit")
            record = booked_in_store(con, as_of)
        write_fills_record(run_dir, record)
        crash_point("fills:after-record")
        note = (
            f"{Path(fills_file).name}: {len(result.booked)} execution(s) booked, "
            f"{result.duplicates} already booked"
        )
        sign_fills(
            run_dir,
            user,
            users,
            booked_digest(record),
            note,
            signer=signer,
            store=settings.store.path,
        )
        crash_point("fills:after-audit")
    return result


def _book(
    con, as_of: date, fills_file: Path, run_dir: Path, settings: Settings, trade_date: date | None
) -> FillsResult:
    accounts = con.execute(
        "SELECT account_id, household_id, account_type, fractional_shares FROM inbox_accounts "
        "WHERE as_of_date = ? "
        "ORDER BY account_id",
        [as_of],
    ).df()
    lots, cash, action_rows = _starting_point(con, as_of, accounts)
    groups = con.execute(
        "SELECT symbol, coalesce(identical_group, symbol) AS grp FROM inbox_securities WHERE "
        "as_of_date = ?",
        [as_of],
    ).df()
    groups = dict(zip(groups["symbol"], groups["grp"]))
    result = load_fills(
        fills_file,
        run_dir,
        lots,
        cash,
        accounts,
        trade_date=trade_date,
        identical_group=groups,
        ledger=_ledger(con, as_of, lots, accounts, groups),
        booked=booked_in_store(con, as_of),
        limits=settings.fill_limits(),
    )
    crash_point("fills:after-match")
    if len(result.booked):
        _write(con, as_of, result, action_rows)
    return result


def _write(con, as_of: date, result: FillsResult, action_rows: pd.DataFrame) -> None:
    # The night's ingest booked tonight's corporate actions (pipelines.corporate_actions); a
    # store loaded by an earlier version has them booked here, once.
    already = con.execute(
        "SELECT count(*) FROM realized_gains WHERE as_of_date = ? AND fill_id = ?",
        [as_of, CORPORATE_ACTION_FILL_ID],
    ).fetchone()[0]
    realized = pd.concat(
        [
            realized_in_usd(
                action_rows.iloc[:0] if already else action_rows, CORPORATE_ACTION_FILL_ID
            ),
            realized_in_usd(result.realized, result.realized["fill_id"]),
        ],
        ignore_index=True,
    )
    b = result.booked
    booked = pd.DataFrame(
        {
            "fill_id": b["fill_id"],
            "order_id": b["order_id"],
            "allocation_id": b["allocation_id"],
            "account_id": b["account_id"],
            "symbol": b["symbol"],
            "side": b["side"],
            "lot_id": b["lot_id"],
            "quantity": b["quantity"],
            "price": b["fill_price"],
            "exec_id": b["exec_id"],
            "booked_price": b["price"],
        }
    )
    con.execute("DELETE FROM ledger_lots WHERE as_of_date = ?", [as_of])
    con.execute("DELETE FROM ledger_cash WHERE as_of_date = ?", [as_of])
    for table, frame in (
        ("ledger_lots", result.open_lots),
        ("ledger_cash", result.cash),
        ("realized_gains", realized),
        ("fills_booked", booked),
    ):
        con.register("incoming", frame)
        columns = ", ".join(["as_of_date", *frame.columns])
        con.execute(
            f"INSERT INTO {table} ({columns}) SELECT CAST(? AS DATE), * FROM incoming", [as_of]
        )
        con.unregister("incoming")
        crash_point(f"fills:inside-transaction:{table}")
    _amend(con, result.amended_sales)


def _amend(con, amended: pd.DataFrame) -> None:
    """Earlier days' loss sales a buy of these fills washed now carry their disallowed loss (code
    W)."""
    for r in amended.itertuples(index=False):
        con.execute(
            "UPDATE realized_gains SET wash_sale_disallowed = ?, permanently_disallowed = ?, "
            "adjustment_code = ?, gain = ? "
            "WHERE account_id = ? AND symbol = ? AND lot_id = ? AND sale_date = ? AND quantity = ?",
            [
                r.wash_sale_disallowed_cents / 100,
                r.permanently_disallowed_cents / 100,
                r.adjustment_code,
                r.gain_cents / 100,
                r.account_id,
                r.symbol,
                r.lot_id,
                pd.Timestamp(r.sale_date).date(),
                float(r.quantity),
            ],
        )
