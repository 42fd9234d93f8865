"""Load a broker's fills against a run's released blotter (``sma fills load FILE``).

``load_fills`` reads the fills file and the run folder, matches the fills to the released
allocations and lot instructions (``sma.trading.match_fills``: every row must match, nothing
beyond the release, prices inside the collar) and books the new executions through the ledger
(``sma.trading.book_fills``); it writes nothing. What was booked before is given to it: the
store's ``fills_booked`` (``pipelines.fills_booking``, the one record) or, in audit mode, the run
folder's ``<run_dir>/blotter/fills/booked.parquet``, which ``record_fills`` appends to. With the
store, that file is only a copy of the store's rows, rewritten after each commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.blotter import _folder
from pipelines.blotter import read_trail as _read_trail
from pipelines.blotter._actions import TrailBroken, sign_fills
from pipelines.errors import PipelineError
from pipelines.settings import ValidationSettings
from pipelines.validate import check_file
from pipelines.validate._parse import FileCheck
from sma.inbox import FILLS
from sma.ledger import Ledger, LedgerError
from sma.rebalance import fractional_accounts
from sma.trading import (
    BOOKED_COLUMNS,
    Action,
    ContentChanged,
    FillLimits,
    FillProblem,
    FillsRejected,
    Signer,
    State,
    Users,
    book_fills,
    booked_digest,
    current,
    empty_booked,
    fill_ids,
    match_fills,
    run_of_orders,
    verify_trail,
)

locked = _folder.locked


class NotReleased(PipelineError):
    """Fills were loaded for a run whose blotter is not released."""

    def __init__(self, run_dir: Path, state: State | None) -> None:
        super().__init__(
            f"run {Path(run_dir).name}: the blotter is {state or 'not proposed'}; only a "
            "released blotter takes fills"
        )
        self.run_dir, self.state = run_dir, state


@dataclass(frozen=True)
class FillsResult:
    """What one fills file did to a run.

    booked : the fills booked now (``sma.trading.BOOKED_COLUMNS``).
    duplicates : rows skipped because their execution (exec_id) was booked before.
    new_lots, open_lots : lots opened by buys; every open lot after (inbox lot columns, USD,
        plus wash_sale_adjustment).
    realized : Form 8949 rows of the sells (cents, as ``sma.ledger`` books them), with fill_id.
    cash : account_id, amount (USD) after the fills.
    unfilled : allocations with shares still open: allocation_id, order_id, account_id, symbol,
        side, ordered, filled, open.
    amended_sales : earlier days' loss sales a buy of this file washed (``realized`` columns,
        cents), to be amended where they are recorded.
    """

    run_id: str
    trade_date: date
    booked: pd.DataFrame
    duplicates: int
    new_lots: pd.DataFrame
    open_lots: pd.DataFrame
    realized: pd.DataFrame
    cash: pd.DataFrame
    unfilled: pd.DataFrame
    amended_sales: pd.DataFrame


def read_fills(path: Path, settings: ValidationSettings | None = None) -> pd.DataFrame:
    """A fills file (CSV or Parquet) as typed columns, read and typed as inbox files are
    (:func:`pipelines.validate.open_file`, :func:`pipelines.validate.parse_table`); every bad cell
    is reported with its row, column and rule."""
    path = Path(path)
    check = check_file(path, FILLS, settings)
    if not isinstance(check, FileCheck):
        refused = check.iloc[0]
        raise FillsRejected(
            str(path),
            [
                FillProblem(
                    0,
                    refused["column"] if isinstance(refused["column"], str) else "-",
                    str(refused["message"]),
                    str(refused["rule"]),
                )
            ],
        )
    for column in ("quantity", "price"):
        check.flag(column, "not_null", check.blank[column], f"{column} is blank")
    problems = [
        FillProblem(int(row), str(column), str(message), str(rule))
        for issues in check.issues
        for row, column, message, rule in issues[["row", "column", "message", "rule"]].itertuples(
            index=False, name=None
        )
    ]
    if problems:
        raise FillsRejected(str(path), sorted(problems, key=lambda p: (p.row, p.column)))
    text = {
        c: np.array([v or "" for v in check.values[c].to_pylist()], dtype=object)  # type: ignore[union-attr]
        for c in ("exec_id", "order_id", "account_id", "symbol", "side", "lot_id")
    }
    out = pd.DataFrame(
        {
            **{c: text[c] for c in ("exec_id", "order_id", "account_id", "symbol", "side")},
            "quantity": check.values["quantity"],  # 10 and 10.0 are the same fill
            "price": check.values["price"],
            "lot_id": pd.Series(text["lot_id"], dtype=object).replace("", None),
        }
    )
    return out[list(FILLS.column_names)]


def run_of_fills(fills: pd.DataFrame, source: str) -> str:
    """The one run a fills file belongs to, read from its order ids."""
    runs = run_of_orders(fills["order_id"])
    bad = np.flatnonzero(runs.isna().to_numpy())
    if len(bad):
        raise FillsRejected(
            source, [FillProblem(int(r) + 1, "order_id", "not a blotter order id") for r in bad]
        )
    if runs.nunique() > 1:
        raise FillsRejected(
            source,
            [FillProblem(0, "order_id", f"fills of more than one run: {sorted(runs.unique())}")],
        )
    return str(runs.iloc[0])


def _booked_path(run_dir: Path) -> Path:
    return _folder.home(run_dir) / "fills" / "booked.parquet"


def booked_fills(run_dir: Path) -> pd.DataFrame:
    path = _booked_path(run_dir)
    return pd.read_parquet(path) if path.exists() else empty_booked()


def load_fills(
    fills_file: Path,
    run_dir: Path,
    lots: pd.DataFrame,
    cash: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    trade_date: date | None = None,
    identical_group: Mapping[str, str] | None = None,
    ledger: Ledger | None = None,
    booked: pd.DataFrame | None = None,
    limits: FillLimits = FillLimits(),
) -> FillsResult:
    """Match and book a fills file against ``run_dir``'s released blotter; writes nothing.

    Parameters
    ----------
    lots, cash : DataFrame
        Open lots and cash as in the inbox (USD), before these fills.
    accounts : DataFrame
        account_id, household_id, account_type (wash sales look across the household), and
        optionally fractional_shares (that account's fills may be fractions of a share).
    trade_date : date, optional
        Defaults to the day (UTC) the blotter was released.
    ledger : sma.ledger.Ledger, optional
        The store's ledger with the last 30 days of trades replayed, so that today's buys wash
        earlier loss sales of the household; without it the ledger starts from ``lots``.
    booked : DataFrame, optional
        The fills booked before (``sma.trading.BOOKED_COLUMNS``), read in the same transaction
        that will book these; without it, the run folder's record.
    limits : sma.trading.FillLimits
        The price collar (``[fills]`` settings).

    Raises
    ------
    NotReleased, TrailBroken, ContentChanged, FillsRejected
    """
    run_dir = Path(run_dir)
    source = str(fills_file)
    fills = read_fills(Path(fills_file))
    trail = _read_trail(run_dir)
    problems = verify_trail(trail)
    if problems:
        raise TrailBroken(
            run_dir.name, "-", "FILLS", f"audit log line {problems[0].line}: {problems[0].why}"
        )
    state, _, approved = current(trail)
    if state != State.RELEASED:
        raise NotReleased(run_dir, state)
    blotter = _folder.read_blotter(_folder.home(run_dir) / "approved")
    # the files' digest: the blotter's frames and its deliveries (issue 21), as approved
    if _folder.content_digest(_folder.home(run_dir) / "approved") != approved["content_sha256"]:
        raise ContentChanged(
            run_dir.name, "-", "FILLS", "the released blotter's files were altered"
        )
    released_at = [r for r in trail if r["action"] == Action.RELEASE][-1]["at"]
    day = trade_date or date.fromisoformat(released_at[:10])
    before = booked_fills(run_dir) if booked is None else booked
    fractional = frozenset(accounts["account_id"].astype(str)[fractional_accounts(accounts)])
    match = match_fills(fills, blotter, before, source=source, limits=limits, fractional=fractional)
    try:
        booking = book_fills(match.new, lots, cash, accounts, day, identical_group, ledger)
    except LedgerError as e:
        ids = fill_ids(fills.assign(lot_id=fills["lot_id"].fillna("")))
        rows = np.flatnonzero(
            ((fills["account_id"] == e.account_id) & (fills["symbol"] == e.symbol)).to_numpy()
            & ids.isin(match.new["fill_id"]).to_numpy()
        )
        raise FillsRejected(
            source, [FillProblem(int(rows[0]) + 1 if len(rows) else 0, "lot_id", f"{e.rule}: {e}")]
        ) from None
    unfilled = match.open_allocations[match.open_allocations["open"] > 0].reset_index(drop=True)
    return FillsResult(
        run_id=run_dir.name,
        trade_date=day,
        booked=match.new,
        duplicates=match.duplicates,
        new_lots=booking.new_lots,
        open_lots=booking.open_lots,
        realized=booking.realized,
        cash=booking.cash,
        unfilled=unfilled,
        amended_sales=booking.amended_sales,
    )


def record_fills(
    run_dir: Path,
    result: FillsResult,
    user: str,
    users: Users | None = None,
    signer: Signer | None = None,
    source: str = "",
) -> Path:
    """Audit mode: append the booked fills to the run's record, so the same fills are never booked
    again, and sign a FILLS record over all of them as ``user`` (the caller holds the run's
    lock)."""
    booked = pd.concat([booked_fills(run_dir), result.booked], ignore_index=True)
    path = write_fills_record(run_dir, booked)
    note = (
        f"{source}: {len(result.booked)} execution(s) booked, {result.duplicates} already "
        "booked (audit mode)"
    )
    sign_fills(run_dir, user, users, booked_digest(booked), note, signer=signer)
    return path


def write_fills_record(run_dir: Path, booked: pd.DataFrame) -> Path:
    """Write every booked fill of the run (``BOOKED_COLUMNS``) as its record, replacing the old
    one."""
    path = _booked_path(run_dir)
    _folder.write_frame(path, booked[list(BOOKED_COLUMNS)].reset_index(drop=True))
    return path
