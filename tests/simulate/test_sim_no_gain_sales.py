"""A plan's zero budget sells no lot at a gain (``without_gain_sales``; IRC section 1001(a):
the gain is the amount realized over the adjusted basis)."""

import numpy as np

from sma.rebalance import EngineParams, decide
from sma.simulate._strategies import without_gain_sales
from tests.rebalance.toy_shards import one_account_shard, toy_model


def test_a_position_holding_a_lot_at_a_gain_is_not_sold_even_when_a_loss_would_net_it():
    # AAA: one lot at a large gain, one at a loss; the target holds none of AAA.
    shard = one_account_shard(
        [("AAA", 100, 2_000.0, True), ("AAA", 100, 15_000.0, True)],
        target={s: 0.125 for s in ["BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"]},
    )
    plain = decide(shard, toy_model(), EngineParams())
    assert (plain.lot_sells["realized_gain"] > 0).any()  # the engine alone would sell the gain
    barred = decide(without_gain_sales(shard, np.array([True])), toy_model(), EngineParams())
    assert (barred.lot_sells["realized_gain"] <= 0).all()
    assert "AAA" not in set(barred.lot_sells["symbol"])


def test_an_account_without_gain_lots_or_not_barred_is_left_as_it_is():
    losses = one_account_shard([("AAA", 100, 15_000.0, True)])
    assert without_gain_sales(losses, np.array([True])) is losses
    gains = one_account_shard([("AAA", 100, 2_000.0, True)])
    assert without_gain_sales(gains, np.array([False])) is gains
