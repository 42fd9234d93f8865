"""Small, readable shards for the engine's tests: a toy universe with a two-factor model.

Imported by name (``from tests.rebalance.toy_shards import ...``), never as ``conftest``: which
``conftest`` module a bare import finds depends on the order pytest collected the folders."""

from __future__ import annotations

import numpy as np

from sma.rebalance import ShardInputs
from sma.risk import RiskModel

SYMBOLS = np.array(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"])
SECTORS = np.array(
    [
        "Energy",
        "Energy",
        "Energy",
        "Financials",
        "Financials",
        "Financials",
        "Utilities",
        "Utilities",
    ]
)


def toy_model(symbols=SYMBOLS, sectors=SECTORS) -> RiskModel:
    """Market plus one dummy per sector; 20 % market vol, 10 % sector vol, 25 % specific vol."""
    names, code = np.unique(sectors, return_inverse=True)
    x = np.zeros((symbols.size, 1 + names.size))
    x[:, 0] = 1.0
    x[np.arange(symbols.size), 1 + code] = 1.0
    f = np.diag([0.04] + [0.01] * names.size)
    return RiskModel(symbols, np.array(["MARKET", *names]), x, f, np.full(symbols.size, 0.0625))


def one_account_shard(
    lots: list[tuple[str, float, float, bool]],
    *,
    prices: dict[str, float] | None = None,
    target: dict[str, float] | None = None,
    cash: float = 0.0,
    cash_flow: float = 0.0,
    account_type: str = "TAXABLE",
    tlh: bool = True,
    gain_budget: float = np.inf,
    min_trade_value: float = 0.0,
    cash_target: float = 0.0,
    max_te: float = 0.02,
    buy_blocked: tuple[str, ...] = (),
    loss_sale_blocked: tuple[str, ...] = (),
    no_sell: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    identical: dict[str, str] | None = None,
    fractional: bool = False,
    symbols: np.ndarray = SYMBOLS,
    sectors: np.ndarray = SECTORS,
) -> ShardInputs:
    """One account over the toy universe, or over ``symbols`` (sorted) in ``sectors``. ``lots``:
    (symbol, shares, cost basis USD, long_term); names missing from ``prices`` cost $100, from
    ``target`` weigh 0; ``identical`` maps a name to its group (by default its own)."""
    n = symbols.size
    px = np.full(n, 100.0)
    for s, p in (prices or {}).items():
        px[symbols == s] = p
    tgt = np.full(n, (1.0 - cash_target) / n)
    if target is not None:
        tgt = np.array([target.get(s, 0.0) for s in symbols])
    mask = lambda names: np.isin(symbols, names)[None, :]  # noqa: E731
    group_names = np.array([(identical or {}).get(s, s) for s in symbols])
    _, group = np.unique(group_names, return_inverse=True)
    excl = mask(list(exclude))
    return ShardInputs(
        account_ids=np.array(["A1"]),
        household_ids=np.array(["H1"]),
        account_type=np.array([account_type]),
        tlh_enabled=np.array([tlh]),
        st_rate=np.array([0.40]),
        lt_rate=np.array([0.20]),
        max_tracking_error=np.array([max_te]),
        gain_budget_remaining=np.array([gain_budget]),
        min_trade_value=np.array([min_trade_value]),
        cash_target=np.array([cash_target]),
        cash=np.array([cash]),
        cash_flow=np.array([cash_flow]),
        symbols=symbols,
        sectors=sectors,
        identical_group=group,
        prices=px,
        target=tgt[None, :],
        buy_blocked=mask(list(buy_blocked)) | excl | mask(list(no_sell)),
        loss_sale_blocked=mask(list(loss_sale_blocked)),
        no_sell=mask(list(no_sell)),
        exclude=excl,
        lot_account=np.zeros(len(lots), int),
        lot_security=np.array([int(np.flatnonzero(symbols == s)[0]) for s, *_ in lots], dtype=int),
        lot_ids=np.array([f"L{i}" for i in range(len(lots))]),
        lot_qty=np.array([q for _, q, _, _ in lots], float),
        lot_basis=np.array([b for _, _, b, _ in lots], float),
        lot_long_term=np.array([lt for *_, lt in lots], bool),
        fractional_shares=np.array([fractional]),
    )
