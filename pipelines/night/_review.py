"""Step 8 of a night: the run review page the PM reads before approving, from the checked proposal."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from pipelines._atomic import write_atomically
from pipelines.night import _files
from pipelines.night._record import night_frames
from pipelines.night._run import Night
from sma.reporting import ReviewData
from sma.trading import to_csv

REVIEW_PAGE = "review.html"
#: Every account of the night, beside the review page (which may list only some of them).
ACCOUNTS_CSV = "accounts.csv"
ACCOUNTS_CSV_COLUMNS = (
    "account_id", "household_id", "account_type", "client_name", "status", "te_before", "te_after",
    "max_tracking_error", "turnover", "realized_st", "realized_lt", "losses_harvested", "est_tax_saved",
    "market_value", "reason",
)


def review_data(night: Night) -> ReviewData:
    """Everything the review page shows, gathered from the night's files.

    A night of more than ``night.review_list_limit`` accounts lists that many in the account
    table and the drill-down: every account held, failed or flagged, then those with the largest
    turnover. Headline figures and distributions cover every account, and ``accounts.csv``
    beside the page lists them all.
    """
    frames = night_frames(night, ("trades", "exceptions", "records"))
    summary = _files.read_json(str(night.run_dir / "summary.json"))
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    exceptions = frames["exceptions"]
    records = frames["records"].rename(columns={"account_value": "market_value"})
    held = exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION", "COMPLIANCE"])]
    held_reason = held.groupby("account_id")["reason"].first()
    not_decided = accounts[~accounts["account_id"].isin(records["account_id"])]
    records = pd.concat(
        [records, pd.DataFrame({"account_id": not_decided["account_id"], "status": "HELD"})], ignore_index=True
    )
    is_held = records["account_id"].isin(held_reason.index)
    records.loc[is_held, "status"] = "HELD"
    records.loc[is_held, "reason"] = records.loc[is_held, "account_id"].map(held_reason)
    info = accounts.set_index("account_id")
    decisions = records.assign(
        household_id=records["account_id"].map(info["household_id"]),
        account_type=records["account_id"].map(info["account_type"]),
        client_name=records["account_id"].map(info["client_name"]),
        max_tracking_error=records["account_id"].map(info["max_tracking_error"]),
    ).fillna({"reason": "", "te_before": float("nan")})
    listed = listed_accounts(decisions, exceptions, night.settings.night.review_list_limit)
    trades = frames["trades"]
    drill = sorted((set(trades["account_id"]) | set(exceptions["account_id"])) & (listed or set(decisions["account_id"])))
    frames |= night_frames(night, ("lot_sells", "blocks", "holdings"), {
        "lot_sells": pc.field("account_id").isin(drill),
        "blocks": pc.field("account_id").isin(drill) & pc.field("kind").isin(["BUY_BLOCKED", "LOSS_SALE_BLOCKED"])
        & pc.starts_with(pc.field("why"), "wash"),
        "holdings": pc.field("account_id").isin(drill),
    })
    lot_sells = frames["lot_sells"].assign(
        cost_basis=lambda f: f["proceeds"] - f["realized_gain"], gain=lambda f: f["realized_gain"]
    )
    traded = set(trades["account_id"])
    holdings = drill_down_holdings(frames["holdings"], trades[trades["account_id"].isin(drill)],
                                   traded | set(exceptions["account_id"]))
    return ReviewData(
        summary=summary,
        decisions=decisions,
        trades=trades,
        lot_sells=lot_sells,
        holdings=holdings,
        wash_blocks=frames["blocks"],
        exceptions=exceptions,
        listed=None if listed is None else frozenset(listed),
        listed_elsewhere=ACCOUNTS_CSV,
    )


def listed_accounts(decisions: pd.DataFrame, exceptions: pd.DataFrame, limit: int) -> set[str] | None:
    """The accounts the page lists when there are more than ``limit``: exceptions, then largest turnover."""
    if len(decisions) <= limit:
        return None
    needs_eye = decisions["account_id"].isin(exceptions["account_id"]) | decisions["status"].isin(
        ["FAILED", "HELD", "FLAGGED"])
    order = decisions.assign(eye=~needs_eye, turnover=-decisions["turnover"].fillna(0.0)).sort_values(
        ["eye", "turnover", "account_id"], kind="stable")
    return set(order["account_id"].head(limit))


#: Per account, the drill-down lists every security traded tonight and this many of the largest
#: gaps between weight after trading and target: a page a PM can open, for any size of book.
DRILL_DOWN_GAPS = 25


def drill_down_holdings(holdings: pd.DataFrame, trades: pd.DataFrame, accounts: set[str]) -> pd.DataFrame:
    """Holdings vs target for the accounts that trade or need the PM's eye: traded names and largest gaps."""
    mine = holdings[holdings["account_id"].isin(accounts)]
    gap = (mine["weight_after"] - mine["target_weight"]).abs()
    rank = gap.groupby(mine["account_id"]).rank(method="first", ascending=False)
    traded = pd.MultiIndex.from_frame(trades[["account_id", "symbol"]])
    was_traded = pd.MultiIndex.from_frame(mine[["account_id", "symbol"]]).isin(traded)
    return mine[(rank <= DRILL_DOWN_GAPS) | was_traded].reset_index(drop=True)


def review_step(night: Night) -> str:
    """Write ``<run_dir>/review.html``; returns its path."""
    from pipelines.reports import write_review_page

    if night.is_done("review"):
        return str(night.run_dir / REVIEW_PAGE)
    data = review_data(night)
    write_atomically(night.run_dir / ACCOUNTS_CSV, to_csv(data.decisions[list(ACCOUNTS_CSV_COLUMNS)]).encode())
    path = write_review_page(data, night.run_dir)
    night.mark_done("review")
    return str(path)
