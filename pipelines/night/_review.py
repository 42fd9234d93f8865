"""Step 8 of a night: the run review page the PM reads before approving, from the checked proposal."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from pipelines.night import _files
from pipelines.night._record import night_frames
from pipelines.night._run import Night
from sma.reporting import ReviewData

REVIEW_PAGE = "review.html"


def review_data(night: Night) -> ReviewData:
    """Everything the review page shows, gathered from the night's files."""
    frames = night_frames(night, ("trades", "lot_sells", "exceptions", "records"))
    summary = _files.read_json(str(night.run_dir / "summary.json"))
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    exceptions = frames["exceptions"]
    trades = frames["trades"]
    traded = set(trades["account_id"])
    drill = sorted(traded | set(exceptions["account_id"]))
    frames |= night_frames(night, ("blocks", "holdings"), {
        "blocks": pc.field("kind").isin(["BUY_BLOCKED", "LOSS_SALE_BLOCKED"]) & pc.starts_with(pc.field("why"), "wash"),
        "holdings": pc.field("account_id").isin(drill),
    })
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
    lot_sells = frames["lot_sells"].assign(
        cost_basis=lambda f: f["proceeds"] - f["realized_gain"], gain=lambda f: f["realized_gain"]
    )
    wash = frames["blocks"]
    holdings = drill_down_holdings(frames["holdings"], trades, traded | set(exceptions["account_id"]))
    return ReviewData(
        summary=summary,
        decisions=decisions,
        trades=trades,
        lot_sells=lot_sells,
        holdings=holdings,
        wash_blocks=wash,
        exceptions=exceptions,
    )


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
    path = write_review_page(review_data(night), night.run_dir)
    night.mark_done("review")
    return str(path)
