"""Step 5 of a night: decide one shard of accounts, from Parquet to Parquet.

A shard task reads the prepared common files and its own shard's files, applies tonight's splits,
reconciles the lots against the custodian, builds the engine's arrays, calls
``sma.rebalance.decide``, checks the proposal and writes trades, lot sells, decision records and
what the checks found. It never touches the store, so any number of shard tasks can run at once
on any worker, and no process ever holds more than one shard of the book.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pipelines._faults import crash_point
from pipelines.night import _files
from pipelines.night._check import check_shard
from pipelines.night._gifts import deliver_gifts
from pipelines.night._lockup import write_lockup
from pipelines.night._run import Night
from sma.accounts import Universe, restriction_masks
from sma.ledger import apply_corporate_actions, reconcile, reconciliation_holds
from sma.rebalance import ShardInputs, blocks_in_force, decide, shard_from_frames
from sma.risk import RiskModel
from sma.uma import (
    attribute_lots,
    book_to_sleeves,
    keep_in_band,
    overlay_savings,
    sleeve_records,
)


def load_risk_model(night: Night) -> RiskModel:
    exposures = _files.read_parquet(night.uri("prepared", "risk_exposures.parquet"))
    cov = _files.read_parquet(night.uri("prepared", "risk_factor_cov.parquet"))
    specific = _files.read_parquet(night.uri("prepared", "risk_specific.parquet"))
    factors = cov["factor"].to_numpy(str)
    return RiskModel(
        symbols=exposures["symbol"].to_numpy(str),
        factors=factors,
        exposures=exposures[list(factors)].to_numpy(float),
        factor_cov=cov[list(factors)].to_numpy(float),
        specific_var=specific["specific_var"].to_numpy(float),
    )


def holdings_before_after(inputs: ShardInputs, trades: pd.DataFrame) -> pd.DataFrame:
    """Weights of every held or targeted security before and after the trades, with the target."""
    before = inputs.holdings()
    total = inputs.account_values()
    delta = np.zeros_like(before)
    if len(trades):
        a = pd.Index(inputs.account_ids).get_indexer(trades["account_id"])
        j = pd.Index(inputs.symbols).get_indexer(trades["symbol"])
        sign = np.where(trades["side"] == "BUY", 1.0, -1.0)
        np.add.at(delta, (a, j), sign * trades["notional"].to_numpy(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        w0 = np.where(total[:, None] > 0, before / total[:, None], 0.0)
        w1 = np.where(total[:, None] > 0, (before + delta) / total[:, None], 0.0)
    a, j = np.nonzero((w0 > 0) | (w1 > 0) | (inputs.target > 0))
    return pd.DataFrame(
        {
            "account_id": inputs.account_ids[a],
            "symbol": inputs.symbols[j],
            "sector": inputs.sectors[j],
            "weight_before": w0[a, j],
            "weight_after": w1[a, j],
            "target_weight": inputs.target[a, j],
        }
    )


def shard_inputs(
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    restrictions: pd.DataFrame,
    tilts: pd.DataFrame,
    market: pd.DataFrame,
    benchmarks: pd.DataFrame,
    blocks: pd.DataFrame,
    as_of,
) -> tuple[ShardInputs, pd.DataFrame]:
    """The engine's arrays for one shard (``sma.rebalance.shard_from_frames``), and the blocks in
    force
    (``sma.rebalance.blocks_in_force``).

    ``accounts`` are the prepared accounts: tonight's cash and cash flow already summed, and the
    gains realized so far this year.
    """
    ids = accounts["account_id"]
    inputs = shard_from_frames(
        symbols=market["symbol"].to_numpy(str),
        securities=market,
        closes=market.set_index("symbol")["close"],
        benchmarks=benchmarks,
        accounts=accounts,
        lots=lots,
        cash=pd.DataFrame({"account_id": ids, "amount": accounts["cash"]}),
        as_of=np.datetime64(as_of, "D"),
        cash_flows=pd.DataFrame(
            {
                "account_id": ids,
                "amount": accounts["cash_flow"],
                "requested_date": pd.Timestamp(as_of),
            }
        ),
        restrictions=restrictions,
        tilts=tilts,
        wash_blocks=blocks,
        realized_ytd=pd.DataFrame({"account_id": ids, "realized_gain": accounts["realized_ytd"]}),
        benchmark_changed=ids[accounts["benchmark_changed"].astype(bool)],
        restriction_changed=ids[accounts["restriction_changed"].astype(bool)],
    )
    universe = Universe.from_frame(market)
    masks = restriction_masks(restrictions, inputs.account_ids, universe)
    return inputs, blocks_in_force(inputs, masks, universe, blocks)


#: Decimal places kept in decision records: cents for money, 1e-8 for fractions. Beyond these the
#: last bits of a float depend on memory alignment and BLAS threading, which would make a rerun's
#: records differ from the first run's in the 16th digit.
_RECORD_DECIMALS = {
    "te_before": 8,
    "te_after": 8,
    "max_tracking_error": 8,
    "turnover": 8,
    "objective": 8,
    "realized_st": 2,
    "realized_lt": 2,
    "losses_harvested": 2,
    "est_tax_saved": 2,
    "cash_before": 2,
    "cash_after": 2,
    "account_value": 2,
}


def rounded_records(records: pd.DataFrame) -> pd.DataFrame:
    return records.round({k: v for k, v in _RECORD_DECIMALS.items() if k in records})


def decide_step(night: Night, shard: int) -> None:
    """Decide shard ``shard`` of the night and check its proposal; does nothing if already done.

    The shard's lots get tonight's splits, then are reconciled against the custodian's positions:
    an account with a break is held out. The rest are decided and their proposal checked
    (pre-trade compliance and the output contracts); what fails is reported, and the night's
    check step holds those accounts out.
    """
    if night.is_done("decide", shard):
        return
    night.mark_started("decide", shard)
    k = f"{shard:04d}"
    clock = _Clock()

    def read(name: str) -> pd.DataFrame:
        return _files.read_parquet(night.uri("shards", k, f"{name}.parquet"))

    accounts = read("accounts")
    market = _files.read_parquet(night.uri("prepared", "market.parquet"))
    # sorted as Arrow strings: pandas' sort of two string columns was ~4x slower (0.3 s a shard)
    lots = _files.sorted_table(
        _files.read_table(night.uri("shards", k, "lots.parquet")), ["account_id", "lot_id"]
    ).to_pandas()
    # tonight's corporate actions first: the custodian's positions already show them
    lots, _ = apply_corporate_actions(
        lots,
        _files.read_parquet(night.uri("prepared", "corporate_actions.parquet")),
        night.as_of,
        accounts,
    )
    held = reconciliation_holds(
        reconcile(
            lots, read("positions"), night.settings.validation.reconciliation_tolerance_shares
        )
    )
    accounts = accounts[
        ~accounts["held"] & ~accounts["account_id"].isin(held["account_id"])
    ].reset_index(drop=True)
    lots = lots[lots["account_id"].isin(accounts["account_id"])].reset_index(drop=True)
    restrictions = read("restrictions")
    restrictions = restrictions[restrictions["account_id"].isin(accounts["account_id"])]
    # Issue 21: the gifts leave the account before the engine decides, so it refills the rest.
    lots, gifts, gift_short = deliver_gifts(
        read("gift_requests"),
        accounts,
        lots,
        market,
        restrictions,
        night.as_of,
        night.settings.engine.fractional_decimals,
    )
    tilts = read("tilts")
    benchmarks = read("benchmarks")  # the benchmarks this shard's accounts follow
    inputs, blocked = shard_inputs(
        accounts,
        lots,
        restrictions,
        tilts,
        market,
        benchmarks,
        read("wash_blocks"),
        night.as_of,
    )
    model = load_risk_model(night)
    clock.lap("read")
    out = decide(inputs, model, night.settings.engine_params())
    clock.lap("screen+solve")
    write_lockup(
        night,
        k,
        inputs,
        out,
        model,
        {
            "accounts": accounts,
            "lots": lots,
            "restrictions": restrictions,
            "tilts": tilts,
            "market": market,
            "benchmarks": benchmarks,
        },
    )
    clock.lap("lockup")
    _write_sleeves(night, k, inputs, accounts, lots, market, out, read)
    clock.lap("sleeves")
    violations, broken = check_shard(
        night, accounts, lots, market, out.trades, out.lot_sells, blocked
    )
    clock.lap("check")
    _files.write_parquet(
        night.uri("decisions", k, "trades.parquet"), out.trades, f"decide-{k}:trades"
    )
    _files.write_parquet(night.uri("decisions", k, "lot_sells.parquet"), out.lot_sells)
    _files.write_parquet(night.uri("decisions", k, "blocks.parquet"), blocked)
    _files.write_parquet(
        night.uri("decisions", k, "holdings.parquet"),
        holdings_before_after(inputs, out.trades).round(10),
    )
    crash_point("decide:between-files")
    _files.write_parquet(night.uri("decisions", k, "held.parquet"), held)
    _files.write_parquet(night.uri("decisions", k, "gifts.parquet"), gifts)
    _files.write_parquet(night.uri("decisions", k, "gift_exceptions.parquet"), gift_short)
    _files.write_parquet(night.uri("decisions", k, "violations.parquet"), violations)
    _files.write_parquet(night.uri("decisions", k, "contract_issues.parquet"), broken)
    _files.write_parquet(
        night.uri("decisions", k, "records.parquet"),
        rounded_records(out.records),
        f"decide-{k}:records",
    )
    clock.lap("write")
    night.mark_done(
        "decide",
        shard,
        {"accounts": len(accounts), "trades": len(out.trades), "seconds": clock.laps},
    )


def _write_sleeves(night: Night, k: str, inputs, accounts, lots, market, out, read) -> None:
    """Issue 19: the shard's UMA lots attributed to sleeves, and tonight's decision booked to
    them (``sma.uma``), as ``lot_sleeves``, ``sleeve_trades``, ``sleeve_transfers`` and
    ``sleeves`` beside the shard's trades, and what the overlay saved against the sleeves traded
    on their own (``overlay_savings``)."""
    sleeves = read("sleeves")
    sleeves = sleeves[sleeves["account_id"].isin(accounts["account_id"])]
    models = _files.read_parquet(night.uri("prepared", "uma_models.parquet"))
    closes = market.set_index("symbol")["close"]
    value = pd.Series(inputs.account_values(), index=inputs.account_ids)
    info = accounts.set_index("account_id")
    attribution = attribute_lots(lots, read("lot_sleeves_before"), sleeves, models, closes, value)
    booking = book_to_sleeves(
        attribution,
        out.trades,
        out.lot_sells,
        sleeves,
        models,
        closes,
        value,
        info["min_trade_value"].astype(float),
    )
    records = out.records.set_index("account_id")
    cash = info[["account_type", "st_tax_rate", "lt_tax_rate"]].assign(
        cash_before=info["cash"] + info["cash_flow"],
        cash_after=records["cash_after"]
        .reindex(info.index)
        .fillna(info["cash"] + info["cash_flow"]),
    )
    # every sleeve inside its drift band, by whole lots moved without a trade, or a reason why not
    booking, out_of_band = keep_in_band(
        attribution, booking, sleeves, models, closes, value, cash["cash_after"].astype(float)
    )
    per_sleeve = sleeve_records(
        attribution, booking, sleeves, models, closes, cash.reset_index(), out_of_band
    )
    write = _files.write_parquet
    write(night.uri("decisions", k, "lot_sleeves.parquet"), attribution)
    write(night.uri("decisions", k, "sleeve_trades.parquet"), booking.trades)
    write(night.uri("decisions", k, "sleeve_transfers.parquet"), booking.transfers)
    write(night.uri("decisions", k, "sleeves.parquet"), per_sleeve.round(10))
    groups = market.set_index("symbol")["identical_group"]
    saved = overlay_savings(
        attribution,
        lots,
        sleeves,
        models,
        closes,
        info.assign(value=value.reindex(info.index).astype(float)),
        out.trades,
        out.lot_sells,
        booking.transfers,
        read("wash_blocks"),
        night.as_of,
        groups[groups.notna()].astype(str),
    )
    write(night.uri("decisions", k, "overlay_savings.parquet"), saved.round(6))


class _Clock:
    """Seconds spent in each part of a shard's work, for the night benchmark."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now
