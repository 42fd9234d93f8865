"""From inbox-shaped frames to engine inputs: restrictions, wash-sale blocks across the household,
holding periods and the gain budget left this year, all aligned to the risk model's universe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sma.rebalance import decide, shard_from_frames
from sma.rebalance._inputs import ShardInputError
from sma.risk import RiskModel

SYMBOLS = np.array(["XOM", "CVX", "JPM", "BAC"])
SECURITIES = pd.DataFrame(
    {
        "symbol": ["BAC", "CVX", "JPM", "XOM"],
        "name": ["b", "c", "j", "x"],
        "sector": ["Financials", "Energy", "Financials", "Energy"],
        "industry": ["", "", "", ""],
        "identical_group": [None, None, None, None],
        "esg_tags": ["", "fossil", "", "fossil"],
    }
)
ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A1", "A2"],
        "household_id": ["H1", "H1"],
        "client_name": ["x", "x"],
        "account_type": ["TAXABLE", "IRA"],
        "benchmark_id": ["B", "B"],
        "tlh_enabled": [True, True],
        "st_tax_rate": [0.4, 0.4],
        "lt_tax_rate": [0.2, 0.2],
        "max_tracking_error": [0.02, 0.02],
        "gain_budget": [5000.0, None],
        "min_trade_value": [0.0, 0.0],
        "cash_target": [0.0, 0.0],
        "inception_date": ["2020-01-01", "2020-01-01"],
    }
)
LOTS = pd.DataFrame(
    {
        "account_id": ["A1", "A1", "A2"],
        "lot_id": ["L1", "L2", "L3"],
        "symbol": ["XOM", "JPM", "BAC"],
        "quantity": [100.0, 50.0, 10.0],
        "cost_basis": [12000.0, 4000.0, 300.0],
        "acquired_date": ["2025-11-25", "2025-11-24", "2026-06-01"],
        "adjusted_acquired_date": [None, None, None],
    }
)


def model() -> RiskModel:
    x = np.ones((4, 1))
    return RiskModel(SYMBOLS, np.array(["MKT"]), x, np.array([[0.04]]), np.full(4, 0.05))


def build(**kw):
    args = dict(
        symbols=SYMBOLS,
        securities=SECURITIES,
        closes=pd.Series({"XOM": 100.0, "CVX": 150.0, "JPM": 200.0, "BAC": 40.0}),
        benchmarks=pd.DataFrame(
            {"benchmark_id": ["B"] * 4, "symbol": SYMBOLS, "weight": [0.25] * 4}
        ),
        accounts=ACCOUNTS,
        lots=LOTS,
        cash=pd.DataFrame({"account_id": ["A1", "A2"], "amount": [1000.0, 50.0]}),
        as_of="2026-11-25",
    )
    args.update(kw)
    return shard_from_frames(**args)


def test_a_lot_is_long_term_only_when_held_more_than_one_year():
    """IRS Publication 550: the holding period starts the day after acquisition (via sma.ledger)."""
    shard = build()
    assert shard.lot_long_term.tolist() == [False, True, False]


def test_a_loss_sale_in_one_account_blocks_the_buy_in_every_account_of_the_household():
    """Wash sale across the household (IRS Pub. 550; Rev. Rul. 2008-5 for the IRA)."""
    blocks = pd.DataFrame(
        {
            "household_id": ["H1"],
            "identical_group": ["CVX"],
            "buy_blocked": [True],
            "loss_sale_blocked": [False],
        }
    )
    shard = build(wash_blocks=blocks)
    assert shard.buy_blocked[:, 1].tolist() == [True, True]
    assert not shard.buy_blocked[:, [0, 2, 3]].any()


def test_the_gain_budget_left_is_the_budget_minus_this_years_realized_gains():
    shard = build(realized_ytd=pd.DataFrame({"account_id": ["A1"], "realized_gain": [1200.0]}))
    assert shard.gain_budget_remaining[0] == 3800.0 and np.isinf(shard.gain_budget_remaining[1])


def test_an_esg_exclusion_blocks_buys_and_leaves_the_target():
    restrictions = pd.DataFrame(
        {
            "account_id": ["A1"],
            "kind": ["EXCLUDE"],
            "symbol": [None],
            "sector": [None],
            "esg_tag": ["fossil"],
        }
    )
    shard = build(restrictions=restrictions)
    assert shard.exclude[0].tolist() == [True, True, False, False]
    assert shard.buy_blocked[0, :2].all() and shard.target[0, :2].sum() == 0.0
    out = decide(shard, model())
    assert set(out.trades.query("account_id == 'A1' and side == 'SELL'").symbol) == {"XOM"}


def test_a_lot_in_a_symbol_outside_the_universe_is_refused_by_name():
    bad = pd.concat([LOTS, LOTS.iloc[[0]].assign(lot_id="L9", symbol="ZZZ")])
    with pytest.raises(ShardInputError, match="ZZZ"):
        build(lots=bad)
