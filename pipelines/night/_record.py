"""Step 7–8 of a night: propose the blotter and record the night in the store (the one writer)."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pyarrow.parquet as pq

from pipelines._faults import crash_point
from pipelines.blotter import read_trail
from pipelines.blotter._heads import head_problem, read_head, write_head
from pipelines.night._run import Night
from pipelines.store import open_store, transaction

_TABLES = {
    "run_trades": (
        "trades",
        ["account_id", "symbol", "side", "quantity", "price", "notional", "reason"],
    ),
    "run_lot_sells": (
        "lot_sells",
        [
            "account_id",
            "symbol",
            "lot_id",
            "quantity",
            "proceeds",
            "realized_gain",
            "term",
            "reason",
        ],
    ),
    "run_decisions": (
        "records",
        [
            "account_id",
            "status",
            "reason",
            "triggers",
            "te_before",
            "te_after",
            "max_tracking_error",
            "realized_st",
            "realized_lt",
            "losses_harvested",
            "est_tax_saved",
            "turnover",
            "cash_before",
            "cash_after",
            "account_value",
            "objective",
            "solver_status",
            "iterations",
            "sign_conflicts",
        ],
    ),
    "run_exceptions": ("exceptions", ["account_id", "kind", "reason"]),
    # issue 19: every UMA lot's sleeve tonight, after the transfers that stand
    "uma_lot_sleeves": (
        "lot_sleeves",
        ["account_id", "lot_id", "symbol", "sleeve_id", "attributed"],
    ),
    # issue 21: every lot given to a charity tonight (a rerun replaces the date's rows)
    "gifts_delivered": (
        "deliveries",
        [
            "request_id",
            "account_id",
            "lot_id",
            "symbol",
            "quantity",
            "price",
            "cost_basis",
            "market_value",
            "unrealized_gain",
            "charity",
            "acquired_date",
            "adjusted_acquired_date",
        ],
    ),
}

_log = logging.getLogger(__name__)


def blotter_step(night: Night) -> None:
    """Build the PROPOSED blotter from the checked proposal (idempotent)."""
    if night.is_done("blotter"):
        return
    from pipelines.blotter import propose
    from pipelines.identity import key_path, os_login, signer_if_any

    login, keys_dir = os_login(), night.settings.blotter.keys_dir
    signer = signer_if_any(keys_dir, login)
    if signer is None:
        _log.warning(
            f"the blotter is proposed unsigned: the night's login {login!r} has no key at "
            f"{key_path(keys_dir, login)}; no PM can approve it until the night signs (sma "
            "blotter keygen)"
        )
    propose(night.run_dir, login, signer=signer, rows_per_part=night.settings.blotter.rows_per_part)
    crash_point("blotter:after-propose")
    night.mark_done("blotter")


def record_step(night: Night) -> dict:
    """Write the night's results into the store in one transaction, replacing the date's rows."""
    if night.is_done("record"):
        return night.done_info("record")
    summary = night.done_info("check")
    proposal = night.run_dir / "proposal"
    with open_store(night.settings.store.path) as con:
        with transaction(con):
            for table, (name, cols) in _TABLES.items():
                # DuckDB reads the proposal file itself: a big night never passes through pandas.
                path = str(proposal / f"{name}.parquet").replace("'", "''")
                con.execute(f"DELETE FROM {table} WHERE as_of_date = ?", [night.as_of])
                con.execute(
                    f"INSERT INTO {table} SELECT CAST(? AS DATE), {', '.join(cols)} FROM "
                    f"read_parquet('{path}')",
                    [night.as_of],
                )
                crash_point(f"record:inside-transaction:{table}")
            # The store keeps the audit chain's head (pipelines.blotter._heads); a log cut before
            # the head it has is never taken as the new head (sma blotter verify reports it).
            trail = read_trail(night.run_dir)
            if trail and head_problem(trail, read_head(con, night.run_id)) is None:
                write_head(con, trail[-1])
            con.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    night.as_of,
                    night.run_id,
                    summary["accounts"],
                    summary["accounts_traded"],
                    summary["accounts_held"],
                    summary["orders"],
                    summary["notional"],
                    summary["losses_harvested"],
                    summary["est_tax_saved"],
                    json.dumps(summary, sort_keys=True),
                ],
            )
            crash_point("record:before-commit")
    crash_point("record:after-commit")
    night.mark_done("record", info=summary)
    return summary


#: The checked proposal's files, as the check step writes them.
PROPOSAL_FRAMES = (
    "trades",
    "lot_sells",
    "exceptions",
    "violations",
    "records",
    "blocks",
    "holdings",
)


def night_frames(
    night: Night, names: tuple[str, ...] = PROPOSAL_FRAMES, filters: dict | None = None
) -> dict[str, pd.DataFrame]:
    """The checked proposal's frames, for the review page and the summary.

    ``filters`` maps a frame's name to a pyarrow row filter, so a big frame (holdings) is read
    only as far as it is needed.
    """
    proposal = night.run_dir / "proposal"
    filters = filters or {}
    return {
        name: pq.read_table(proposal / f"{name}.parquet", filters=filters.get(name)).to_pandas()
        for name in names
    }
