"""Synthetic shards for the engine benchmarks: a factor model and accounts with many lots each."""

from __future__ import annotations

import numpy as np

from sma.rebalance import ShardInputs
from sma.risk import RiskModel

SECTOR_NAMES = np.array(
    [
        "Energy",
        "Financials",
        "Health Care",
        "Industrials",
        "Information Technology",
        "Materials",
        "Real Estate",
        "Utilities",
        "Consumer Staples",
        "Consumer Discretionary",
        "Communication Services",
    ]
)


def synthetic_model(n: int, k: int, seed: int) -> tuple[RiskModel, np.ndarray]:
    """Market + 11 sectors + (k - 12) style/statistical factors; annual specific vol 15-45 %."""
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, SECTOR_NAMES.size, n)
    x = np.zeros((n, k))
    x[:, 0] = rng.normal(1.0, 0.25, n)
    x[np.arange(n), 1 + sector] = 1.0
    x[:, 12:] = rng.normal(0, 1, (n, k - 12))
    vol = np.concatenate([[0.16], np.full(11, 0.06), rng.uniform(0.01, 0.04, k - 12)])
    corr = 0.2 * np.ones((k, k)) + 0.8 * np.eye(k)
    f = corr * np.outer(vol, vol)
    spec = rng.uniform(0.15, 0.45, n) ** 2
    symbols = np.array([f"S{i:04d}" for i in range(n)])
    return RiskModel(symbols, np.array([f"F{j}" for j in range(k)]), x, f, spec), SECTOR_NAMES[
        sector
    ]


def synthetic_shard(
    model: RiskModel,
    sectors: np.ndarray,
    m: int,
    lots_per_position: int,
    seed: int,
    identical_pairs: int = 10,
) -> ShardInputs:
    """m taxable, harvesting accounts of about $2M holding every benchmark name in
    ``lots_per_position`` lots,
    drifted from target, some cash, a few restrictions and wash-sale blocks."""
    rng = np.random.default_rng(seed)
    n = model.n
    bench = rng.lognormal(0, 1, n)
    bench /= bench.sum()
    prices = rng.uniform(10, 400, n)
    value = rng.uniform(1e6, 3e6, m)
    drift = rng.lognormal(0, 0.15, (m, n))
    hold_w = bench * drift / (bench * drift).sum(axis=1, keepdims=True) * 0.98
    acc = np.repeat(np.arange(m), n * lots_per_position)
    sec = np.tile(np.repeat(np.arange(n), lots_per_position), m)
    split = rng.dirichlet(np.ones(lots_per_position), (m, n)).reshape(-1)
    qty = np.maximum(
        np.round(hold_w.reshape(-1).repeat(lots_per_position) * split * value[acc] / prices[sec]),
        1.0,
    )
    basis = qty * prices[sec] * rng.lognormal(0, 0.3, acc.size)
    group = np.arange(n)
    group[n - identical_pairs :] = np.arange(
        identical_pairs
    )  # share classes: same group as an earlier name
    cash_target = np.full(m, 0.01)
    return ShardInputs(
        account_ids=np.array([f"A{i:05d}" for i in range(m)]),
        household_ids=np.array([f"H{i // 2:05d}" for i in range(m)]),
        account_type=np.full(m, "TAXABLE"),
        tlh_enabled=np.ones(m, bool),
        st_rate=np.full(m, 0.408),
        lt_rate=np.full(m, 0.238),
        max_tracking_error=np.full(m, 0.01),
        gain_budget_remaining=np.where(rng.random(m) < 0.5, 20_000.0, np.inf),
        min_trade_value=np.full(m, 50.0),
        cash_target=cash_target,
        cash=value * 0.02,
        cash_flow=np.zeros(m),
        symbols=model.symbols,
        sectors=sectors,
        identical_group=group,
        prices=prices,
        target=np.tile(bench * (1 - cash_target[0]), (m, 1)),
        buy_blocked=rng.random((m, n)) < 0.01,
        loss_sale_blocked=rng.random((m, n)) < 0.01,
        no_sell=np.zeros((m, n), bool),
        exclude=np.zeros((m, n), bool),
        lot_account=acc,
        lot_security=sec,
        lot_ids=np.array([f"L{i}" for i in range(acc.size)]),
        lot_qty=qty,
        lot_basis=basis,
        lot_long_term=rng.random(acc.size) < 0.6,
    )
