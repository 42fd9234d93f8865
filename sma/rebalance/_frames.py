"""Build a shard's engine inputs from inbox-shaped frames (PRODUCT.md, "Inbox contract").

The pipeline reads the store and hands the frames here; everything is aligned to the risk model's
universe once, as (accounts x securities) arrays. Tax facts come from ``sma.ledger``: which lots
would be long-term if sold tonight, and the household wash-sale blocks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sma.accounts import Universe, personalised_targets, restriction_masks, tilt_multipliers
from sma.ledger import is_long_term
from sma.rebalance._inputs import ShardInputError, ShardInputs


def _codes(values: pd.Series, index: np.ndarray, what: str, where: str) -> np.ndarray:
    pos = pd.Index(index).get_indexer(values.astype(str))
    if (pos < 0).any():
        bad = values.astype(str).to_numpy()[pos < 0][0]
        raise ShardInputError(f"{where}: unknown {what} {bad!r}")
    return pos


def _wash_masks(blocks: pd.DataFrame | None, households: np.ndarray, groups: np.ndarray):
    """(m, n) buy_blocked and loss_sale_blocked from the ledger's per-household, per-group blocks."""
    m, n = households.size, groups.size
    if blocks is None or not len(blocks):
        return np.zeros((m, n), bool), np.zeros((m, n), bool)
    h_names, h_code = np.unique(households, return_inverse=True)
    g_names, g_code = np.unique(groups, return_inverse=True)
    hb = pd.Index(h_names).get_indexer(blocks["household_id"].astype(str))
    gb = pd.Index(g_names).get_indexer(blocks["identical_group"].astype(str))
    keep = (hb >= 0) & (gb >= 0)
    out = []
    for col in ("buy_blocked", "loss_sale_blocked"):
        grid = np.zeros((h_names.size, g_names.size), bool)
        flag = blocks[col].to_numpy(bool) & keep
        grid[hb[flag], gb[flag]] = True
        out.append(grid[h_code][:, g_code])
    return out[0], out[1]


def shard_from_frames(
    *,
    symbols: np.ndarray,
    securities: pd.DataFrame,
    closes: pd.Series,
    benchmarks: pd.DataFrame,
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    cash: pd.DataFrame,
    as_of: str | np.datetime64,
    cash_flows: pd.DataFrame | None = None,
    restrictions: pd.DataFrame | None = None,
    tilts: pd.DataFrame | None = None,
    wash_blocks: pd.DataFrame | None = None,
    realized_ytd: pd.DataFrame | None = None,
    benchmark_changed: Iterable[str] = (),
    restriction_changed: Iterable[str] = (),
) -> ShardInputs:
    """Engine inputs for the accounts in ``accounts``.

    Parameters
    ----------
    symbols : ndarray of shape (n,), str — the risk model's universe, in its order
    securities : inbox ``securities`` (symbol, sector, identical_group, esg_tags); must cover ``symbols``
    closes : Series of tonight's close per symbol (USD), indexed by symbol
    benchmarks, accounts, lots, cash, cash_flows, restrictions, tilts : inbox frames
        ``cash_flows`` requested on or before ``as_of`` count tonight.
    as_of : the trade date being decided
    wash_blocks : ``sma.ledger.wash_sale_blocks(...)`` output (household_id, identical_group,
        buy_blocked, loss_sale_blocked)
    realized_ytd : account_id, realized_gain — net gains realized so far this calendar year (USD)
    benchmark_changed, restriction_changed : account ids whose benchmark / restrictions changed tonight

    Raises
    ------
    ShardInputError
        Naming the lot, account or symbol that does not fit (unknown symbol, missing close, ...).
    """
    symbols = np.asarray(symbols, dtype=str)
    sec = securities.drop_duplicates("symbol")
    sec.index = sec["symbol"].astype(str).to_numpy()
    missing = [s for s in symbols if s not in sec.index]
    if missing:
        raise ShardInputError(f"securities: no row for {missing[:5]}")
    universe = Universe.from_frame(sec.loc[symbols].reset_index(drop=True))
    prices = pd.Series(closes).astype(float).reindex(symbols).to_numpy()
    if not np.all(np.isfinite(prices)):
        raise ShardInputError(f"closes: no finite close for {list(symbols[~np.isfinite(prices)][:5])}")

    acc_ids = accounts["account_id"].astype(str).to_numpy()
    m, n = acc_ids.size, symbols.size
    la = _codes(lots["account_id"], acc_ids, "account", "lots")
    ls = _codes(lots["symbol"], symbols, "symbol", "lots")
    qty = lots["quantity"].to_numpy(float)
    start = pd.to_datetime(lots["adjusted_acquired_date"].fillna(lots["acquired_date"])
                           if "adjusted_acquired_date" in lots else lots["acquired_date"])
    long_term = is_long_term(start.to_numpy().astype("datetime64[D]"), np.datetime64(as_of, "D"))

    cash_now = cash.groupby(cash["account_id"].astype(str))["amount"].sum().reindex(acc_ids).fillna(0.0).to_numpy()
    flows = np.zeros(m)
    if cash_flows is not None and len(cash_flows):
        due = cash_flows[pd.to_datetime(cash_flows["requested_date"]) <= pd.Timestamp(as_of)]
        flows = due.groupby(due["account_id"].astype(str))["amount"].sum().reindex(acc_ids).fillna(0.0).to_numpy()
    held = np.bincount(la * n + ls, qty * prices[ls], minlength=m * n).reshape(m, n)
    value = held.sum(axis=1) + cash_now + flows
    held_w = held / np.where(value > 0, value, 1.0)[:, None]

    bench_ids = accounts["benchmark_id"].astype(str).to_numpy()
    b = benchmarks.assign(benchmark_id=benchmarks["benchmark_id"].astype(str), symbol=benchmarks["symbol"].astype(str))
    grid = b.pivot_table(index="benchmark_id", columns="symbol", values="weight", aggfunc="sum").reindex(columns=symbols)
    unknown = sorted(set(bench_ids) - set(grid.index))
    if unknown:
        raise ShardInputError(f"accounts: unknown benchmark_id {unknown[0]!r}")
    bench_w = grid.reindex(bench_ids).fillna(0.0).to_numpy()

    empty = pd.DataFrame(columns=["account_id", "kind", "symbol", "sector", "esg_tag", "multiplier"])
    masks = restriction_masks(restrictions if restrictions is not None else empty, acc_ids, universe)
    mult = tilt_multipliers(tilts if tilts is not None else empty, acc_ids, universe)
    cash_target = accounts["cash_target"].to_numpy(float)
    target = personalised_targets(bench_w, masks.exclude, mult, held_w, masks.no_sell, cash_target)

    households = accounts["household_id"].astype(str).to_numpy()
    wash_buy, wash_loss = _wash_masks(wash_blocks, households, universe.identical_group)
    budget = pd.to_numeric(accounts["gain_budget"], errors="coerce").to_numpy(float)
    ytd = np.zeros(m)
    if realized_ytd is not None and len(realized_ytd):
        ytd = (realized_ytd.groupby(realized_ytd["account_id"].astype(str))["realized_gain"].sum()
               .reindex(acc_ids).fillna(0.0).to_numpy())
    _, group_code = np.unique(universe.identical_group, return_inverse=True)
    return ShardInputs(
        account_ids=acc_ids, household_ids=households,
        account_type=accounts["account_type"].astype(str).str.upper().to_numpy(),
        tlh_enabled=accounts["tlh_enabled"].astype(bool).to_numpy(),
        st_rate=accounts["st_tax_rate"].to_numpy(float), lt_rate=accounts["lt_tax_rate"].to_numpy(float),
        max_tracking_error=accounts["max_tracking_error"].to_numpy(float),
        gain_budget_remaining=np.where(np.isfinite(budget), budget - ytd, np.inf),
        min_trade_value=accounts["min_trade_value"].to_numpy(float), cash_target=cash_target,
        cash=cash_now, cash_flow=flows, symbols=symbols, sectors=universe.sectors, identical_group=group_code,
        prices=prices, target=target, buy_blocked=masks.buy_restricted | wash_buy, loss_sale_blocked=wash_loss,
        no_sell=masks.no_sell, exclude=masks.exclude,
        lot_account=la, lot_security=ls, lot_ids=lots["lot_id"].astype(str).to_numpy(), lot_qty=qty,
        lot_basis=lots["cost_basis"].to_numpy(float), lot_long_term=long_term,
        benchmark_changed=np.isin(acc_ids, list(benchmark_changed)),
        restriction_changed=np.isin(acc_ids, list(restriction_changed)),
    )
