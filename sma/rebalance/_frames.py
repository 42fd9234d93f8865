"""Build a shard's engine inputs from inbox-shaped frames (PRODUCT.md, "Inbox contract").

The pipeline reads the store and hands the frames here; they become ``AccountArrays`` and
``LotArrays`` aligned to the risk model's universe, and ``day_inputs`` -- the builder the simulator
uses too -- makes the engine's arrays. Tax facts come from ``sma.ledger``: which lots would be
long-term if sold tonight, the household wash-sale blocks and the gain budget left.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sma.rebalance._arrays import LotArrays, account_arrays
from sma.rebalance._day import day_inputs
from sma.rebalance._inputs import ShardInputError, ShardInputs


def benchmark_weights(
    benchmarks: pd.DataFrame, symbols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The inbox ``benchmarks`` as (B, n) weights over ``symbols`` and their (B,) benchmark ids."""
    b = benchmarks.assign(
        benchmark_id=benchmarks["benchmark_id"].astype(str), symbol=benchmarks["symbol"].astype(str)
    )
    grid = b.pivot_table(
        index="benchmark_id", columns="symbol", values="weight", aggfunc="sum"
    ).reindex(columns=symbols)
    return grid.fillna(0.0).to_numpy(float), grid.index.to_numpy(str)


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
    securities : inbox ``securities`` (symbol, sector, identical_group, esg_tags); must cover
    ``symbols``
    closes : Series of tonight's close per symbol (USD), indexed by symbol
    benchmarks, accounts, lots, cash, cash_flows, restrictions, tilts : inbox frames
        ``cash_flows`` requested on or before ``as_of`` count tonight.
    as_of : the trade date being decided
    wash_blocks : ``sma.ledger.wash_sale_blocks(...)`` output (household_id, identical_group,
        buy_blocked, loss_sale_blocked)
    realized_ytd : account_id, realized_gain — net gains realized so far this calendar year (USD)
    benchmark_changed, restriction_changed : account ids whose benchmark / restrictions changed
    tonight

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
    prices = pd.Series(closes).astype(float).reindex(symbols).to_numpy()
    if not np.all(np.isfinite(prices)):
        raise ShardInputError(
            f"closes: no finite close for {list(symbols[~np.isfinite(prices)][:5])}"
        )
    weights, bench_ids = benchmark_weights(benchmarks, symbols)
    acc = account_arrays(
        accounts,
        restrictions,
        tilts,
        sec.loc[symbols].reset_index(drop=True),
        bench_ids,
        benchmark_changed,
        restriction_changed,
    )
    lot_arrays = LotArrays.from_frame(lots, acc.ids, symbols)

    def per_account(frame: pd.DataFrame | None, column: str) -> np.ndarray:
        if frame is None or not len(frame):
            return np.zeros(acc.m)
        return (
            frame.groupby(frame["account_id"].astype(str))[column]
            .sum()
            .reindex(acc.ids)
            .fillna(0.0)
            .to_numpy()
        )

    due = cash_flows
    if cash_flows is not None and len(cash_flows):
        due = cash_flows[pd.to_datetime(cash_flows["requested_date"]) <= pd.Timestamp(as_of)]
    return day_inputs(
        acc,
        np.datetime64(as_of, "D"),  # pyright: ignore  (numpy takes a datetime64; stubs say not)
        prices,
        weights,
        lot_arrays,
        per_account(cash, "amount"),
        per_account(due, "amount"),
        per_account(realized_ytd, "realized_gain"),
        wash_blocks,
    )
