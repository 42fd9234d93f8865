"""Step 5 of a night: decide one shard of accounts, from Parquet to Parquet.

A shard task reads the prepared common files and its own shard's files, builds the engine's
arrays, calls ``sma.rebalance.decide`` and writes trades, lot sells and decision records. It never
touches the store, so any number of shard tasks can run at once on any worker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.night import _files
from pipelines._faults import crash_point
from pipelines.night._run import Night
from sma.accounts import Universe, personalised_targets, restriction_masks, tilt_multipliers
from sma.rebalance import EngineParams, ShardInputs, decide
from sma.risk import RiskModel


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


def _benchmark_matrix(benchmarks: pd.DataFrame, benchmark_ids: np.ndarray, universe: Universe) -> np.ndarray:
    ids, row = np.unique(benchmark_ids.astype(str), return_inverse=True)
    wide = np.zeros((ids.size, universe.symbols.size))
    b = benchmarks[benchmarks["benchmark_id"].isin(ids)]
    wide[pd.Index(ids).get_indexer(b["benchmark_id"]), universe.index_of(b["symbol"])] = b["weight"].to_numpy(float)
    return wide[row]


def _wash_masks(blocks: pd.DataFrame, household_ids: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, n) masks: buying blocked / loss sale blocked by the household's trades of the last 30 days."""
    m, n = household_ids.size, groups.size
    buy, loss = np.zeros((m, n), bool), np.zeros((m, n), bool)
    if len(blocks):
        h = pd.Index(np.unique(household_ids))
        g = pd.Index(np.unique(groups))
        hb = h.get_indexer(blocks["household_id"].astype(str))
        gb = g.get_indexer(blocks["identical_group"].astype(str))
        keep = (hb >= 0) & (gb >= 0)
        by_hg_buy = np.zeros((h.size, g.size), bool)
        by_hg_loss = np.zeros((h.size, g.size), bool)
        by_hg_buy[hb[keep], gb[keep]] = blocks["buy_blocked"].to_numpy(bool)[keep]
        by_hg_loss[hb[keep], gb[keep]] = blocks["loss_sale_blocked"].to_numpy(bool)[keep]
        rows, cols = h.get_indexer(household_ids), g.get_indexer(groups)
        buy, loss = by_hg_buy[rows][:, cols], by_hg_loss[rows][:, cols]
    return buy, loss


def blocks_in_force(
    accounts: pd.DataFrame, universe: Universe, masks, wash_buy: np.ndarray, wash_loss: np.ndarray,
    blocks: pd.DataFrame,
) -> pd.DataFrame:
    """Every (account, security) with a block tonight: account_id, symbol, kind, why, until.

    kind is BUY_BLOCKED (restriction or wash sale), SELL_BLOCKED (NO_SELL) or LOSS_SALE_BLOCKED;
    ``until`` is the first day a wash-sale block no longer applies (31 days after the trade that
    caused it), empty for restrictions.
    """
    ids, symbols = accounts["account_id"].to_numpy(str), universe.symbols
    parts = []
    for mask, kind, why in (
        (masks.exclude, "BUY_BLOCKED", "EXCLUDE restriction"),
        (masks.no_buy, "BUY_BLOCKED", "NO_BUY restriction"),
        (masks.no_sell, "BUY_BLOCKED", "NO_SELL restriction"),
        (wash_buy & ~masks.buy_restricted, "BUY_BLOCKED", "wash sale: the household sold it at a loss in the last 30 days"),
        (masks.no_sell, "SELL_BLOCKED", "NO_SELL restriction"),
        (wash_loss, "LOSS_SALE_BLOCKED", "wash sale: the household bought it in the last 30 days"),
    ):
        a, j = np.nonzero(mask)
        parts.append(pd.DataFrame({
            "account_id": ids[a], "symbol": symbols[j], "kind": kind, "why": why,
            "household_id": accounts["household_id"].to_numpy(str)[a], "identical_group": universe.identical_group[j],
        }))
    out = pd.concat(parts, ignore_index=True)
    last = blocks.assign(
        last_loss=pd.to_datetime(blocks["last_loss_sale_date"]), last_buy=pd.to_datetime(blocks["last_buy_date"])
    )[["household_id", "identical_group", "last_loss", "last_buy"]]
    out = out.merge(last, on=["household_id", "identical_group"], how="left")
    wash = out["why"].str.startswith("wash sale")
    caused_by = np.where(out["kind"] == "LOSS_SALE_BLOCKED", out["last_buy"], out["last_loss"])
    out["until"] = pd.Series(pd.to_datetime(caused_by) + pd.Timedelta(days=31)).dt.date.where(wash, None)
    return out[["account_id", "symbol", "kind", "why", "until"]]


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
    return pd.DataFrame({
        "account_id": inputs.account_ids[a], "symbol": inputs.symbols[j], "sector": inputs.sectors[j],
        "weight_before": w0[a, j], "weight_after": w1[a, j], "target_weight": inputs.target[a, j],
    })


def shard_inputs(
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    restrictions: pd.DataFrame,
    tilts: pd.DataFrame,
    market: pd.DataFrame,
    benchmarks: pd.DataFrame,
    blocks: pd.DataFrame,
) -> tuple[ShardInputs, pd.DataFrame]:
    """The engine's arrays for one shard, from the prepared frames, and the blocks in force."""
    universe = Universe.from_frame(market)
    ids = accounts["account_id"].to_numpy(str)
    masks = restriction_masks(restrictions, ids, universe)
    prices = market["close"].to_numpy(float)
    lot_account = pd.Index(ids).get_indexer(lots["account_id"])
    lot_security = universe.index_of(lots["symbol"])
    value = np.zeros((ids.size, universe.symbols.size))
    np.add.at(value, (lot_account, lot_security), lots["quantity"].to_numpy(float) * prices[lot_security])
    cash = accounts["cash"].to_numpy(float)
    flow = accounts["cash_flow"].to_numpy(float)
    total = value.sum(axis=1) + cash + flow
    held_w = np.divide(value, total[:, None], out=np.zeros_like(value), where=total[:, None] > 0)
    target = personalised_targets(
        _benchmark_matrix(benchmarks, accounts["benchmark_id"].to_numpy(str), universe),
        masks.exclude,
        tilt_multipliers(tilts, ids, universe),
        held_w,
        masks.no_sell,
        accounts["cash_target"].to_numpy(float),
    )
    group_names, group_code = np.unique(universe.identical_group, return_inverse=True)
    wash_buy, wash_loss = _wash_masks(blocks, accounts["household_id"].to_numpy(str), universe.identical_group)
    inputs = ShardInputs(
        account_ids=ids,
        household_ids=accounts["household_id"].to_numpy(str),
        account_type=accounts["account_type"].to_numpy(str),
        tlh_enabled=accounts["tlh_enabled"].to_numpy(bool),
        st_rate=accounts["st_tax_rate"].to_numpy(float),
        lt_rate=accounts["lt_tax_rate"].to_numpy(float),
        max_tracking_error=accounts["max_tracking_error"].to_numpy(float),
        gain_budget_remaining=accounts["gain_budget_remaining"].to_numpy(float),
        min_trade_value=accounts["min_trade_value"].to_numpy(float),
        cash_target=accounts["cash_target"].to_numpy(float),
        cash=cash,
        cash_flow=flow,
        symbols=universe.symbols,
        sectors=universe.sectors,
        identical_group=group_code,
        prices=prices,
        target=target,
        buy_blocked=masks.buy_restricted | wash_buy,
        loss_sale_blocked=wash_loss,
        no_sell=masks.no_sell,
        exclude=masks.exclude,
        lot_account=lot_account,
        lot_security=lot_security,
        lot_ids=lots["lot_id"].to_numpy(str),
        lot_qty=lots["quantity"].to_numpy(float),
        lot_basis=lots["cost_basis"].to_numpy(float),
        lot_long_term=lots["long_term"].to_numpy(bool),
        benchmark_changed=accounts["benchmark_changed"].to_numpy(bool),
        restriction_changed=accounts["restriction_changed"].to_numpy(bool),
    )
    return inputs, blocks_in_force(accounts, universe, masks, wash_buy, wash_loss, blocks)


#: Decimal places kept in decision records: cents for money, 1e-8 for fractions. Beyond these the
#: last bits of a float depend on memory alignment and BLAS threading, which would make a rerun's
#: records differ from the first run's in the 16th digit.
_RECORD_DECIMALS = {
    "te_before": 8, "te_after": 8, "max_tracking_error": 8, "turnover": 8, "objective": 8,
    "realized_st": 2, "realized_lt": 2, "losses_harvested": 2, "est_tax_saved": 2,
    "cash_before": 2, "cash_after": 2, "account_value": 2,
}


def rounded_records(records: pd.DataFrame) -> pd.DataFrame:
    return records.round({k: v for k, v in _RECORD_DECIMALS.items() if k in records})


def decide_step(night: Night, shard: int, params: EngineParams = EngineParams()) -> None:
    """Decide shard ``shard`` of the night; does nothing if it is already decided."""
    if night.is_done("decide", shard):
        return
    k = f"{shard:04d}"
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    accounts = accounts[(accounts["shard"] == shard) & ~accounts["held"]].reset_index(drop=True)
    inputs, blocked = shard_inputs(
        accounts,
        _files.read_parquet(night.uri("shards", k, "lots.parquet")),
        _files.read_parquet(night.uri("shards", k, "restrictions.parquet")),
        _files.read_parquet(night.uri("shards", k, "tilts.parquet")),
        _files.read_parquet(night.uri("prepared", "market.parquet")),
        _files.read_parquet(night.uri("prepared", "benchmarks.parquet")),
        _files.read_parquet(night.uri("prepared", "wash_blocks.parquet")),
    )
    out = decide(inputs, load_risk_model(night), params)
    _files.write_parquet(night.uri("decisions", k, "trades.parquet"), out.trades, f"decide-{k}:trades")
    _files.write_parquet(night.uri("decisions", k, "lot_sells.parquet"), out.lot_sells)
    _files.write_parquet(night.uri("decisions", k, "blocks.parquet"), blocked)
    _files.write_parquet(
        night.uri("decisions", k, "holdings.parquet"), holdings_before_after(inputs, out.trades).round(10)
    )
    crash_point("decide:between-files")
    _files.write_parquet(night.uri("decisions", k, "records.parquet"), rounded_records(out.records), f"decide-{k}:records")
    night.mark_done("decide", shard, {"accounts": len(accounts), "trades": len(out.trades)})
