"""Small whole-share accounts choose the names they hold (issue 17): a $50k account funded with cash
is invested its first night, keeps its names from night to night, and the whole-share search that
picks them (``sma/rebalance/_sampling.py``) never breaks a constraint.

The numbers come from the issue: ``sma simulate --initial-value 50000`` tracked its index with 8 %
TE; demo account A000077, funded with $50k cash, was 58 % cash after four months; 99 of the 518
names cost over $500 a share, so a $50k account cannot hold every name in whole shares at
min_trade_value $100.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.rebalance import EngineParams, ShardInputs, build_problem, decide
from sma.rebalance._rounding import meets_constraints, round_to_whole_shares
from sma.rebalance._sampling import choose_names
from sma.rebalance._signs import ContinuousDecision
from sma.risk import RiskModel
from tests.rebalance.toy_shards import one_account_shard

TC = EngineParams().trading_cost


def index_universe(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, RiskModel]:
    """``n`` names in 10 sectors, cap weights (lognormal), prices $20-$3,000 (a fifth above $500),
    and a model of market, sector and 25 % specific risk: (symbols, prices, weights, model)."""
    rng = np.random.default_rng(seed)
    symbols = np.array([f"S{i:03d}" for i in range(n)])
    sector = np.arange(n) % 10
    prices = np.round(np.exp(rng.normal(np.log(180.0), 1.0, n)).clip(20.0, 3_000.0), 2)
    weights = np.exp(rng.normal(0.0, 1.2, n))
    x = np.zeros((n, 11))
    x[:, 0] = 1.0
    x[np.arange(n), 1 + sector] = 1.0
    model = RiskModel(
        symbols,
        np.array(["MARKET", *[f"SECTOR{k}" for k in range(10)]]),
        x,
        np.diag([0.03] + [0.008] * 10),
        np.full(n, 0.0625),
    )
    return symbols, prices, weights / weights.sum(), model


def account(
    symbols,
    prices,
    weights,
    *,
    lots=(),
    min_trade_value=100.0,
    cash_target=0.01,
    max_te=0.01,
    **kw,
) -> ShardInputs:
    """One account tracking ``weights`` over an ``index_universe`` (sector: name number mod 10), in
    this module's defaults: min_trade_value $100, 1 % cash target, 1 % TE limit. ``kw``: the rest
    of ``one_account_shard``'s account (cash, lots by name, restrictions, identical groups)."""
    return one_account_shard(
        list(lots),
        symbols=symbols,
        sectors=(np.arange(symbols.size) % 10).astype(str),
        prices=dict(zip(symbols, prices, strict=True)),
        target=dict(zip(symbols, weights * (1 - cash_target), strict=True)),
        min_trade_value=min_trade_value,
        cash_target=cash_target,
        max_te=max_te,
        **kw,
    )


def cash_after(shard: ShardInputs, out) -> float:
    t = out.trades
    return float(
        shard.cash[0]
        - (1 + TC) * t[t.side == "BUY"].notional.sum()
        + (1 - TC) * t[t.side == "SELL"].notional.sum()
    )


def test_a_50k_account_funded_with_cash_is_invested_in_its_first_night_within_its_cash_tolerance():
    """Issue 17: A000077 ($50k cash) was 58 % cash after four months. The first night invests it
    to within ``cash_tolerance`` of its target, in whole shares of at least min_trade_value, on a
    subset of the index that tracks it within the account's 1 % limit."""
    symbols, prices, weights, model = index_universe(300, seed=17)
    shard = account(symbols, prices, weights, cash=50_000.0)
    out = decide(shard, model)
    rec = out.records.iloc[0]
    buys = out.trades[out.trades.side == "BUY"]
    assert np.all(buys.quantity == np.round(buys.quantity)) and np.all(buys.notional >= 100.0)
    assert set(out.trades.reason) == {"CASH_INVEST"} and len(buys) == len(out.trades)
    idle = cash_after(shard, out) / 50_000.0 - 0.01
    assert 0.0 <= idle <= EngineParams().cash_tolerance, f"{idle:.2%} of value idle"
    assert rec.te_after <= 0.01, rec.reason
    assert 20 < len(buys) < 300  # a subset of the names, not all of them


def night_after(shard: ShardInputs, out) -> ShardInputs:
    """The next night at the same prices: the night's buys booked as lots, its cash spent."""
    t = out.trades
    buys = t[t.side == "BUY"]
    j = np.searchsorted(shard.symbols, buys.symbol.to_numpy(str))
    qty = np.bincount(
        np.r_[shard.lot_security, j], np.r_[shard.lot_qty, buys.quantity], minlength=shard.n
    )
    held = np.flatnonzero(qty > 0)
    sold = t[t.side == "SELL"]
    assert sold.empty  # a first night from cash only buys
    return replace(
        shard,
        cash=np.array([cash_after(shard, out)]),
        lot_account=np.zeros(held.size, int),
        lot_security=held,
        lot_ids=np.array([f"N{k}" for k in held]),
        lot_qty=qty[held],
        lot_basis=qty[held] * shard.prices[held],
        lot_long_term=np.zeros(held.size, bool),
    )


def test_with_prices_unchanged_the_second_night_keeps_the_names_of_the_first():
    """The subset is stable: a second night with nothing changed trades nothing -- no churn of names
    without a reason -- though the account is screened in again (a TE trigger at 1 % of its
    limit)."""
    symbols, prices, weights, model = index_universe(300, seed=17)
    # A $50k account is under the firm's SMA minimum and is flagged for it; the subject here is its
    # trades.
    params = EngineParams(te_trigger_fraction=0.01, sma_minimum_usd=0.0)
    first = account(symbols, prices, weights, cash=50_000.0)
    out = decide(first, model, params)
    again = decide(night_after(first, out), model, params)
    rec = again.records.iloc[0]
    assert rec.solver_status == "optimal" and rec.status == "NO_TRADE", rec.reason
    assert again.trades.empty, again.trades


@st.composite
def small_accounts(draw):
    """A small account over a 40-name index: lots at gains and losses, restrictions, wash-sale
    blocks, a gain budget, identical pairs, cash or a withdrawal."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    symbols, prices, weights, _ = index_universe(40, seed=seed % 1000)
    held = rng.choice(40, size=int(rng.integers(0, 25)), replace=False)
    lots = [
        (
            int(j),
            float(rng.choice([rng.integers(1, 30), rng.uniform(0.2, 30)])),
            0.0,
            bool(rng.random() < 0.5),
        )
        for j in held
        for _ in range(int(rng.integers(1, 3)))
    ]
    lots = [
        (str(symbols[j]), q, q * prices[j] * float(rng.uniform(0.6, 1.5)), lt)
        for j, q, _, lt in lots
    ]

    def pick(p):
        return tuple(str(s) for s in symbols[rng.random(40) < p])

    group = np.arange(40)
    group[1::7] = group[0::7][: group[1::7].size]  # a few substantially identical pairs
    identical = {str(s): str(symbols[g]) for s, g in zip(symbols, group, strict=True)}
    return dict(
        symbols=symbols,
        prices=prices,
        weights=weights,
        cash=float(rng.uniform(0, 40_000)),
        lots=lots,
        min_trade_value=float(rng.choice([0.0, 100.0, 500.0])),
        cash_target=float(rng.choice([0.0, 0.02])),
        gain_budget=float(rng.choice([np.inf, 0.0, 500.0])),
        buy_blocked=pick(0.1),
        loss_sale_blocked=pick(0.1),
        no_sell=pick(0.1),
        identical=identical,
        account_type=str(rng.choice(["TAXABLE", "IRA"])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=small_accounts())
def test_the_whole_share_search_never_breaks_a_constraint(kw):
    """Property: from rounded trades that meet every constraint, the name search ends with trades
    that still do -- whole shares (a lot's last fraction sold out), cash at or above target, the
    gain budget, min_trade_value, buy bounds -- and buys no restricted or wash-blocked name, sells
    no NO_SELL lot, no loss lot of a blocked name, and never buys and sells one name (nor buys an
    identical group it sells at a loss: IRS Pub. 550, wash sales)."""
    symbols, prices, weights = kw.pop("symbols"), kw.pop("prices"), kw.pop("weights")
    shard = account(symbols, prices, weights, **kw)
    _, _, _, model = index_universe(40, seed=0)
    params = EngineParams()
    problem = build_problem(shard, 0, model, params)
    nb, nl = problem.n_buys, problem.lots.size
    start = round_to_whole_shares(
        problem, ContinuousDecision(np.zeros(nb), np.zeros(nl), "optimal", 0.0, 0, 0), shard, params
    )
    if not start.ok:
        return
    ws = start.shares
    cash_now, target_cash = float(shard.cash[0]), float(shard.cash_target[0] * problem.value)
    budget, min_value = problem.budget * problem.value, float(shard.min_trade_value[0])
    before = problem.qp.objective(
        np.r_[ws.buy * ws.buy_price, ws.sell * ws.sell_price] / problem.value
    )
    choose_names(
        ws,
        problem,
        cash_now,
        target_cash,
        budget,
        min_value,
        TC,
        shard.identical_group[problem.assets],
        400,
    )
    after = problem.qp.objective(
        np.r_[ws.buy * ws.buy_price, ws.sell * ws.sell_price] / problem.value
    )
    assert after <= before + 1e-12
    assert meets_constraints(ws, cash_now, target_cash, budget, min_value, problem.assets.size, TC)
    assert np.all(ws.buy == np.round(ws.buy)) and np.all(
        ws.buy <= np.floor(problem.qp.upper[:nb] * problem.value / ws.buy_price + 1e-6)
    )
    assert np.all((ws.sell == np.round(ws.sell)) | (ws.sell == ws.lot_qty)) and np.all(ws.sell >= 0)
    bought = problem.assets[ws.buy_asset[ws.buy > 0]]
    sold = problem.lots[ws.sell > 0]
    sold_sec = shard.lot_security[sold]
    loss = ws.gain_per_share[ws.sell > 0] < 0
    assert not shard.buy_blocked[0, bought].any()
    assert not shard.no_sell[0, sold_sec].any()
    assert not (shard.loss_sale_blocked[0, sold_sec] & loss).any()
    assert not np.isin(bought, sold_sec).any()
    assert not np.isin(shard.identical_group[bought], shard.identical_group[sold_sec[loss]]).any()
    if np.isfinite(budget):
        assert ws.net_gain() <= budget + 1e-6
