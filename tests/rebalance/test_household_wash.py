"""Tonight's decisions never wash a loss across a household: no account buys what another account
of its household sells at a loss the same night, in either order (IRS Publication 550, "Wash
Sales"; an IRA or ROTH purchase disallows the loss for good, Rev. Rul. 2008-5)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.rebalance import EngineParams, decide
from sma.rebalance._household import household_order
from tests.rebalance.conftest import toy_model
from tests.rebalance.test_engine_properties import random_shard


def one_household(seed: int, m: int):
    shard = random_shard(seed, m)
    return replace(shard, household_ids=np.array(["H0"] * m))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 5))
def test_no_account_buys_what_its_household_sells_at_a_loss_tonight(seed, m):
    shard = one_household(seed, m)
    out = decide(shard, toy_model(), EngineParams(risk_aversion=20.0))
    group = dict(zip(shard.symbols, shard.identical_group))
    losses = out.lot_sells[out.lot_sells["realized_gain"] < 0]
    loss_groups = {(a, group[s]) for a, s in zip(losses["account_id"], losses["symbol"])}
    buys = out.trades[out.trades["side"] == "BUY"]
    for account, symbol in zip(buys["account_id"], buys["symbol"]):
        sold_elsewhere = {a for a, g in loss_groups if g == group[symbol] and a != account}
        assert not sold_elsewhere, (
            f"{account} buys {symbol} while {sold_elsewhere} sell its group at a loss"
        )


def test_taxable_accounts_of_a_household_are_decided_before_its_ira_and_roth():
    order = household_order(
        np.array(["H2", "H1", "H1", "H1"]), np.array(["TAXABLE", "IRA", "TAXABLE", "ROTH"])
    )
    assert order.tolist()[:3][0] == 2 and order.tolist()[-1] == 0
