"""Step 8 of a night: the run review page the PM reads before approving, from the checked
proposal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines._atomic import write_atomically
from pipelines.night import _files
from pipelines.night._record import night_frames
from pipelines.night._run import Night
from pipelines.reports import ACCOUNTS_CSV, REVIEW_PAGE, blotter_state
from sma.reporting import (
    ReasonTally,
    ReviewData,
    lot_gain_sums,
    sector_sums,
    tax_figures,
    tax_totals,
)
from sma.trading import to_csv
from sma.uma import structure_fits

ACCOUNTS_CSV_COLUMNS = (
    "account_id",
    "household_id",
    "account_type",
    "client_name",
    "status",
    "te_before",
    "te_after",
    "max_tracking_error",
    "turnover",
    "realized_st",
    "realized_lt",
    "losses_harvested",
    "est_tax_saved",
    "market_value",
    "tax_cost",
    "gain_budget",
    "realized_ytd",
    "budget_used",
    "budget_left",
    "net_st",
    "net_lt",
    "gains_st",
    "gains_lt",
    "reason",
)
#: The columns of the night's trades the page reads.
TRADE_COLUMNS = ("account_id", "symbol", "side", "quantity", "price", "notional", "reason")
#: Trades read at a time: a 100,000-account night proposes some 22 million, which the page
#: needs only summed, except the listed accounts' own.
TRADE_BATCH_ROWS = 500_000


@dataclass(frozen=True)
class NightTrades:
    """The night's trades as the review page needs them.

    Attributes
    ----------
    kept : DataFrame
        ``TRADE_COLUMNS`` rows of the kept accounts (every account when none were named).
    by_reason : DataFrame
        The whole night's ``sma.reporting.trades_by_reason`` table.
    counts : DataFrame
        ``account_id, trades``: every trading account's number of trades.
    """

    kept: pd.DataFrame
    by_reason: pd.DataFrame
    counts: pd.DataFrame


def read_night_trades(
    path: Path, keep: set[str] | None, batch_rows: int = TRADE_BATCH_ROWS
) -> NightTrades:
    """Read the night's trades file in batches of ``batch_rows``, keeping only ``keep``'s rows
    (None: all).

    Holds one batch and the kept rows at a time, so a big night's review needs memory for the
    accounts it lists, not for every order.
    """
    tally = ReasonTally()
    counts: list[pd.Series] = []
    kept: list[pa.RecordBatch] = []
    wanted = None if keep is None else pa.array(sorted(keep), pa.string())
    trades = pq.ParquetFile(path)
    for batch in trades.iter_batches(batch_size=batch_rows, columns=list(TRADE_COLUMNS)):
        frame = batch.select(["account_id", "side", "notional", "reason"]).to_pandas()
        tally.add(frame)
        counts.append(frame["account_id"].value_counts(sort=False))
        kept.append(
            batch if wanted is None else batch.filter(pc.is_in(batch.column("account_id"), wanted))
        )
    schema = pa.schema([trades.schema_arrow.field(c) for c in TRADE_COLUMNS])
    per_account = (
        pd.concat(counts).groupby(level=0, sort=True).sum() if counts else pd.Series(dtype="int64")
    )
    return NightTrades(
        kept=pa.Table.from_batches(kept, schema=schema).to_pandas(),
        by_reason=tally.table(),
        counts=pd.DataFrame(
            {"account_id": per_account.index.astype(str), "trades": per_account.to_numpy()}
        ),
    )


def read_lot_gains(path: Path, batch_rows: int = TRADE_BATCH_ROWS) -> pd.DataFrame:
    """``sma.reporting.lot_gain_sums`` of the night's proposed lot sells, read ``batch_rows`` at a
    time."""
    parts = [
        lot_gain_sums(batch.to_pandas())
        for batch in pq.ParquetFile(path).iter_batches(
            batch_size=batch_rows, columns=["account_id", "term", "realized_gain"]
        )
    ]
    if not parts:
        return lot_gain_sums(pd.DataFrame({"account_id": [], "term": [], "realized_gain": []}))
    return pd.concat(parts).groupby(level=0, sort=True).sum()


def review_data(night: Night) -> ReviewData:
    """Everything the review page shows, gathered from the night's files.

    A night of more than ``night.review_list_limit`` accounts lists that many in the account
    table and the drill-down: every account held, failed or flagged, then those with the largest
    turnover. Headline figures, trades by reason, trade counts and distributions cover every
    account, and ``accounts.csv`` beside the page lists them all; of the night's trades only the
    listed accounts' are held in memory.
    """
    frames = night_frames(night, ("exceptions", "records"))
    summary = _files.read_json(str(night.run_dir / "summary.json"))
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    exceptions = frames["exceptions"]
    records = frames["records"].rename(columns={"account_value": "market_value"})
    # The check step gave every account of the night a record; held accounts are HELD there.
    info = accounts.set_index("account_id")
    decisions = records.assign(
        household_id=records["account_id"].map(info["household_id"]),
        account_type=records["account_id"].map(info["account_type"]),
        client_name=records["account_id"].map(info["client_name"]),
        max_tracking_error=records["account_id"].map(info["max_tracking_error"]),
    ).fillna({"reason": "", "te_before": float("nan")})
    # Tonight's tax cost and gain budget: the proposal's lot sells (held-out accounts sell nothing),
    # the accounts' rates and budgets, and the gains realized this year before tonight (the store's
    # ledger, as the prepare step read it).
    gains = read_lot_gains(night.run_dir / "proposal" / "lot_sells.parquet")
    per_account = records[["account_id"]].merge(accounts, on="account_id", how="left")
    decisions = pd.concat(
        [decisions.reset_index(drop=True), tax_figures(per_account, gains)], axis=1
    )
    listed = listed_accounts(decisions, exceptions, night.settings.night.review_list_limit)
    night_trades = read_night_trades(
        night.run_dir / "proposal" / "trades.parquet", listed, TRADE_BATCH_ROWS
    )
    trades = night_trades.kept
    traded = set(night_trades.counts["account_id"])
    drill = sorted(
        (traded | set(exceptions["account_id"])) & (listed or set(decisions["account_id"]))
    )
    frames |= night_frames(
        night,
        ("lot_sells", "blocks", "holdings"),
        {
            "lot_sells": pc.field("account_id").isin(drill),
            "blocks": pc.field("account_id").isin(drill)
            & pc.field("kind").isin(["BUY_BLOCKED", "LOSS_SALE_BLOCKED"])
            & pc.starts_with(pc.field("why"), "wash"),
            "holdings": pc.field("account_id").isin(drill),
        },
    )
    lot_sells = frames["lot_sells"].assign(
        cost_basis=lambda f: f["proceeds"] - f["realized_gain"], gain=lambda f: f["realized_gain"]
    )
    holdings = drill_down_holdings(
        frames["holdings"],
        trades[trades["account_id"].isin(drill)],
        traded | set(exceptions["account_id"]),
    )
    # The drill-down lists some holdings; its sector chart sums every one of them.
    sectors = sector_sums(
        frames["holdings"][frames["holdings"]["account_id"].isin(holdings["account_id"].unique())]
    )
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
        by_reason=night_trades.by_reason,
        trade_counts=night_trades.counts,
        sectors=sectors,
        blotter_state=blotter_state(night.run_dir),
        sleeves=_sleeves(night),
        overlay_savings=_proposal_file(night, "overlay_savings.parquet"),
        structure_fit=_structure_fit(night, decisions, listed),
        lockup=_proposal_file(night, "lockup.parquet"),
        lockup_remedies=_proposal_file(night, "lockup_remedies.parquet"),
        lockup_thresholds=night.settings.lockup.thresholds(),
    )


def _sleeves(night: Night) -> pd.DataFrame | None:
    """The UMA accounts' sleeve records (issue 19), None for a proposal without them."""
    path = night.run_dir / "proposal" / "sleeves.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _structure_fit(night: Night, decisions: pd.DataFrame, listed) -> pd.DataFrame:
    """Issue 19: the structure fit of every household of the listed accounts (``sma.uma``),
    from their accounts' values, tonight's holdings (weights before trading) and the providers of
    the UMA accounts' models; thresholds from the settings' minimums."""
    shown = decisions if listed is None else decisions[decisions["account_id"].isin(listed)]
    mine = decisions[decisions["household_id"].isin(shown["household_id"])]
    accounts = mine[["account_id", "household_id", "account_type"]].assign(
        value=mine["market_value"].astype(float)
    )
    holdings = pd.read_parquet(
        night.run_dir / "proposal" / "holdings.parquet",
        columns=["account_id", "symbol", "weight_before"],
        filters=[("account_id", "in", list(accounts["account_id"]))],
    ).rename(columns={"weight_before": "weight"})
    sleeves = _proposal_file(night, "sleeves.parquet")
    models = _files.read_parquet(night.uri("prepared", "uma_models.parquet"))
    providers = (
        pd.DataFrame(columns=["account_id", "provider_id"])
        if sleeves is None
        else sleeves[["account_id", "model_id"]]
        .merge(models[["model_id", "provider_id"]].drop_duplicates(), on="model_id")
        .drop_duplicates(["account_id", "provider_id"])
    )
    engine = night.settings.engine
    return structure_fits(
        accounts, holdings, providers, engine.sma_minimum_usd, engine.uma_minimum_usd
    )


def _proposal_file(night: Night, name: str) -> pd.DataFrame | None:
    """A proposal file, None for a proposal without it (a run from before it was written)."""
    path = night.run_dir / "proposal" / name
    return pd.read_parquet(path) if path.exists() else None


def listed_accounts(
    decisions: pd.DataFrame, exceptions: pd.DataFrame, limit: int
) -> set[str] | None:
    """The accounts the page lists when there are more than ``limit``: exceptions, then largest
    turnover."""
    if len(decisions) <= limit:
        return None
    needs_eye = decisions["account_id"].isin(exceptions["account_id"]) | decisions["status"].isin(
        ["FAILED", "HELD", "FLAGGED"]
    )
    order = decisions.assign(
        eye=~needs_eye, turnover=-decisions["turnover"].fillna(0.0)
    ).sort_values(["eye", "turnover", "account_id"], kind="stable")
    return set(order["account_id"].head(limit))


#: Per account, the drill-down lists every security traded tonight and this many of the largest
#: gaps between weight after trading and target: a page a PM can open, for any size of book.
DRILL_DOWN_GAPS = 25


def drill_down_holdings(
    holdings: pd.DataFrame, trades: pd.DataFrame, accounts: set[str]
) -> pd.DataFrame:
    """Holdings vs target for the accounts that trade or need the PM's eye: traded names and largest
    gaps."""
    mine = holdings[holdings["account_id"].isin(accounts)]
    gap = (mine["weight_after"] - mine["target_weight"]).abs()
    rank = gap.groupby(mine["account_id"]).rank(method="first", ascending=False)
    traded = pd.MultiIndex.from_frame(trades[["account_id", "symbol"]])
    was_traded = pd.MultiIndex.from_frame(mine[["account_id", "symbol"]]).isin(traded)
    return mine[(rank <= DRILL_DOWN_GAPS) | was_traded].reset_index(drop=True)


#: The review page's headline figures as numbers, beside the page: what the PM's approval request
#: quotes (``pipelines.night.approval_request``).
HEADLINE_JSON = "headline.json"


def headline(data: ReviewData) -> dict:
    """The figures of the review page's headline cards and its exceptions badge, from the same
    inputs the page reads them from (``summary`` and ``tax_totals``), so the approval request and
    the page cannot disagree."""
    s, t = data.summary, tax_totals(data.decisions)
    return {
        "run_id": str(s["run_id"]),
        "as_of": str(s["as_of"]),
        "accounts_screened": int(s["accounts_screened"]),
        "accounts_traded": int(s["accounts_traded"]),
        "accounts_held": int(s["accounts_held"]),
        "orders": int(s["orders"]),
        "notional": float(s["notional"]),
        "losses_harvested": float(s["losses_harvested"]),
        "gains_realized_st": float(t["gains_realized_st"]),
        "gains_realized_lt": float(t["gains_realized_lt"]),
        "est_tax_cost": float(t["tax_cost"]),
        "est_tax_saved": float(s["est_tax_saved"]),
        "exceptions": len(data.exceptions),
    }


def review_step(night: Night) -> str:
    """Write ``<run_dir>/review.html`` and its headline figures (``headline.json``); returns the
    page's path."""
    import json

    from pipelines.reports import write_review_page

    if night.is_done("review"):
        return str(night.run_dir / REVIEW_PAGE)
    data = review_data(night)
    write_atomically(
        night.run_dir / ACCOUNTS_CSV, to_csv(data.decisions[list(ACCOUNTS_CSV_COLUMNS)]).encode()
    )
    write_atomically(night.run_dir / HEADLINE_JSON, json.dumps(headline(data), indent=1).encode())
    path = write_review_page(data, night.run_dir)
    night.mark_done("review")
    return str(path)
