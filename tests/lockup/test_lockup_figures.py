"""Lock-up figures (issue 21, "Lock-up monitor"): the share of value in appreciated positions, the
harvest potential left, and which accounts are locked up -- little left to harvest and drift the
gain budget does not let the engine fix."""

from __future__ import annotations

import numpy as np
import pytest

from sma.lockup import LockupThresholds, lockup_figures
from sma.rebalance import EngineParams, decide
from tests.rebalance.toy_shards import SYMBOLS, one_account_shard, toy_model

THRESHOLDS = LockupThresholds(gain_threshold=0.5, harvest_floor=0.005)
# Most of the value in one energy name bought at a fifth of its price: far off an equal weight.
CONCENTRATED = [("AAA", 400.0, 8_000.0, True), ("DDD", 100.0, 9_000.0, True)]


def figures(shard):
    out = decide(shard, toy_model(), EngineParams())
    return lockup_figures(shard, out.records, THRESHOLDS).iloc[0], out.records.iloc[0]


def test_appreciated_share_counts_positions_up_more_than_the_threshold():
    row, _ = figures(one_account_shard(CONCENTRATED, gain_budget=0.0))
    # AAA: $40,000 on a $8,000 basis (+400 %); DDD: $10,000 on $9,000 (+11 %, under 50 %)
    assert row["appreciated_value"] == pytest.approx(40_000.0)
    assert row["appreciated_share"] == pytest.approx(40_000.0 / 50_000.0)


def test_an_appreciated_account_with_no_budget_and_nothing_to_harvest_is_locked_up():
    row, record = figures(one_account_shard(CONCENTRATED, gain_budget=0.0))
    assert record["exception"] == "TE_LIMIT"
    assert row["harvest_potential"] == 0.0
    assert row["budget_bound"] and row["te_limit"] and row["locked_up"]


def test_an_account_without_a_budget_fixes_its_drift_and_is_not_locked_up():
    row, record = figures(one_account_shard(CONCENTRATED))
    assert record["te_after"] <= record["max_tracking_error"]
    assert np.isnan(row["gain_budget_left"]) and not row["budget_bound"]
    assert not row["locked_up"]


def test_harvest_potential_leaves_out_loss_lots_a_wash_sale_blocks():
    # PRODUCT.md, "Tax rules": the engine never sells at a loss what the household bought in the
    # last 30 days, so such a loss is not there to harvest tonight.
    lots = [*CONCENTRATED, ("EEE", 100.0, 12_000.0, True), ("GGG", 100.0, 11_000.0, False)]
    row, _ = figures(one_account_shard(lots, gain_budget=0.0, loss_sale_blocked=("GGG",)))
    assert row["harvest_potential"] == pytest.approx(2_000.0)
    assert row["wash_blocked_losses"] == pytest.approx(1_000.0)
    assert row["harvest_potential_share"] == pytest.approx(2_000.0 / 70_000.0)


def test_much_left_to_harvest_is_not_locked_up_even_when_the_budget_binds():
    lots = [*CONCENTRATED, ("EEE", 100.0, 14_000.0, True)]
    row, _ = figures(one_account_shard(lots, gain_budget=0.0))
    assert row["harvest_potential_share"] >= THRESHOLDS.harvest_floor
    assert not row["locked_up"]


def test_a_tax_deferred_account_is_never_locked_up():
    # IRA and ROTH accounts pay no tax on a sale (PRODUCT.md, "Tax rules"): gains lock nothing.
    row, _ = figures(one_account_shard(CONCENTRATED, account_type="IRA", tlh=False, max_te=0.001))
    assert row["harvest_potential"] == 0.0
    assert not row["locked_up"]


def test_one_row_per_account_in_shard_order():
    shard = one_account_shard(CONCENTRATED, gain_budget=0.0)
    out = decide(shard, toy_model(), EngineParams())
    frame = lockup_figures(shard, out.records, THRESHOLDS)
    assert list(frame["account_id"]) == ["A1"] and len(SYMBOLS) == shard.n
