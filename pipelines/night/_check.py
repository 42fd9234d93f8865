"""Step 6 of a night: check every shard's proposal before anything can trade.

Pre-trade compliance (``sma.compliance``) runs over the whole night's proposal at once; an account
with any violation is held out with its reasons and the rest of the book proceeds. The checked
proposal, the decision records and the exceptions land in the run folder as the blotter's input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.night import _files
from pipelines._faults import crash_point
from pipelines.night._contracts import output_contract_issues
from pipelines.night._run import Night
from pipelines.store import open_store
from sma.compliance import ComplianceLimits, ProposalBook, check_proposal, check_run_totals
from sma.rebalance import LOT_SELL_COLUMNS, RECORD_COLUMNS, TRADE_COLUMNS

EXCEPTION_COLUMNS = ["account_id", "kind", "reason"]


def flagged_exceptions(records: pd.DataFrame) -> pd.DataFrame:
    """Accounts the engine flagged or could not solve, as exceptions for the PM.

    TE_LIMIT: tracking error stays above the account's maximum after the best allowed trades;
    CASH: the cash target cannot be met; SOLVER: no solution (no trade, safe fallback).
    """
    flagged = records[records["status"].isin(["FLAGGED", "FAILED"])]
    reason = flagged["reason"].astype(str)
    kind = np.select(
        [flagged["status"] == "FAILED", reason.str.contains("tracking error stays"), reason.str.contains("cash", case=False)],
        ["SOLVER", "TE_LIMIT", "CASH"],
        default="FLAGGED",
    )
    return pd.DataFrame({"account_id": flagged["account_id"], "kind": kind, "reason": reason})


_TEXT_COLUMNS = {"account_id", "symbol", "side", "reason", "lot_id", "term", "status", "triggers", "kind", "why",
                 "until", "sector", "solver_status"}


def _empty(columns: list[str]) -> pd.DataFrame:
    """No rows, but numbers typed as numbers, so the checks' arithmetic works on a quiet night."""
    return pd.DataFrame({c: pd.Series(dtype=object if c in _TEXT_COLUMNS else "float64") for c in columns})


def _gather(night: Night, shards: list[int], name: str, columns: list[str]) -> pd.DataFrame:
    parts = [_files.read_parquet(night.uri("decisions", f"{k:04d}", f"{name}.parquet")) for k in shards]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _empty(columns)


def _recent_nights(night: Night) -> pd.DataFrame:
    with open_store(night.settings.store.path, read_only=True) as con:
        return con.execute(
            "SELECT orders, notional FROM runs WHERE as_of_date < ? ORDER BY as_of_date DESC LIMIT 20",
            [night.as_of],
        ).df()


def check_step(night: Night) -> dict:
    """Run the checks and write ``<run_dir>/proposal/``; returns the night's headline numbers."""
    if night.is_done("check"):
        return night.done_info("check")
    shards = night.done_info("prepare")["shards"]
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    market = _files.read_parquet(night.uri("prepared", "market.parquet"))
    held = _files.read_parquet(night.uri("prepared", "held.parquet"))
    trades = _gather(night, shards, "trades", TRADE_COLUMNS)
    lot_sells = _gather(night, shards, "lot_sells", LOT_SELL_COLUMNS)
    records = _gather(night, shards, "records", RECORD_COLUMNS)
    blocks = _gather(night, shards, "blocks", ["account_id", "symbol", "kind", "why", "until"])
    holdings = _gather(night, shards, "holdings",
                       ["account_id", "symbol", "sector", "weight_before", "weight_after", "target_weight"])
    lots = pd.concat(
        [_files.read_parquet(night.uri("shards", f"{k:04d}", "lots.parquet")) for k in shards]
        or [_empty(["account_id", "lot_id", "symbol", "quantity"])],
        ignore_index=True,
    )
    s = night.settings.night
    limits = ComplianceLimits(
        max_order_notional=s.max_order_notional,
        price_collar=s.price_collar,
        max_share_of_daily_volume=s.max_share_of_daily_volume,
    )
    violations = check_proposal(
        ProposalBook(
            trades=trades,
            lot_sells=lot_sells,
            lots=lots,
            cash=accounts.assign(amount=accounts["cash"] + accounts["cash_flow"])[["account_id", "amount"]],
            held=held,
            buy_blocked=blocks[blocks["kind"] == "BUY_BLOCKED"][["account_id", "symbol", "why"]],
            sell_blocked=blocks[blocks["kind"] == "SELL_BLOCKED"][["account_id", "symbol", "why"]],
            market=market[["symbol", "close", "volume"]],
        ),
        limits,
    )
    failing = violations.groupby("account_id")["message"].apply(lambda m: "; ".join(m.head(3)))
    compliance = pd.DataFrame(
        {"account_id": failing.index, "kind": "COMPLIANCE", "reason": "pre-trade check failed: " + failing.to_numpy()}
    )
    exceptions_from_records = flagged_exceptions(records)
    exceptions = pd.concat([held[EXCEPTION_COLUMNS], compliance, exceptions_from_records], ignore_index=True)
    out_of_trading = set(held["account_id"]) | set(compliance["account_id"])
    trades = trades[~trades["account_id"].isin(out_of_trading)]
    lot_sells = lot_sells[~lot_sells["account_id"].isin(out_of_trading)]

    info = accounts.set_index("account_id")[["household_id", "account_type"]]
    trades = trades.assign(
        run_id=night.run_id,
        as_of_date=night.as_of,
        household_id=trades["account_id"].map(info["household_id"]),
        account_type=trades["account_id"].map(info["account_type"]),
    )[["run_id", "as_of_date", "account_id", "household_id", "account_type", *TRADE_COLUMNS[1:]]]
    broken = output_contract_issues(trades, lot_sells, night.as_of)
    if len(broken):
        why = broken.groupby("account_id").apply(
            lambda f: "output contract broken: " + "; ".join(
                f"{r.file} {r.column}: {r.rule}" for r in f.head(3).itertuples()), include_groups=False)
        exceptions = pd.concat(
            [exceptions, pd.DataFrame({"account_id": why.index, "kind": "COMPLIANCE", "reason": why.to_numpy()})],
            ignore_index=True,
        )
        out_of_trading |= set(why.index)
        trades = trades[~trades["account_id"].isin(out_of_trading)]
        lot_sells = lot_sells[~lot_sells["account_id"].isin(out_of_trading)]
    trades = trades.sort_values(["account_id", "side", "symbol"], kind="stable").reset_index(drop=True)
    lot_sells = lot_sells.sort_values(["account_id", "symbol", "lot_id"], kind="stable").reset_index(drop=True)
    exceptions = exceptions.sort_values(["account_id", "kind"], kind="stable").reset_index(drop=True)

    totals = check_run_totals(len(trades), float(trades["notional"].sum()), _recent_nights(night), limits)
    proposal = night.run_dir / "proposal"
    for name, frame in (
        ("trades", trades),
        ("lot_sells", lot_sells),
        ("exceptions", exceptions),
        ("violations", violations),
        ("records", records),
        ("blocks", blocks),
        ("holdings", holdings),
    ):
        _files.write_parquet(str(proposal / f"{name}.parquet"), frame, f"check:{name}")
        crash_point(f"check:after-{name}")
    summary = {
        "run_id": night.run_id,
        "as_of": night.as_of.isoformat(),
        "accounts": int(len(accounts)),
        "accounts_screened": int(len(records)),
        "accounts_triggered": int(records["triggers"].fillna("").str.startswith("triggers").sum()),
        "accounts_traded": int(trades["account_id"].nunique()),
        "accounts_held": int(len(out_of_trading)),
        "orders": int(len(trades)),
        "notional": round(float(trades["notional"].sum()), 2),
        "losses_harvested": round(float(records.loc[~records["account_id"].isin(out_of_trading), "losses_harvested"].sum()), 2),
        "gains_realized_st": round(float(lot_sells.loc[lot_sells["term"] == "SHORT", "realized_gain"].sum()), 2),
        "gains_realized_lt": round(float(lot_sells.loc[lot_sells["term"] == "LONG", "realized_gain"].sum()), 2),
        "est_tax_saved": round(float(records.loc[~records["account_id"].isin(out_of_trading), "est_tax_saved"].sum()), 2),
        "run_total_flags": totals,
        "risk_model": night.done_info("prepare").get("risk_model", ""),
    }
    _files.write_json(str(night.run_dir / "summary.json"), summary, "check:summary")
    night.mark_done("check", info=summary)
    return summary
