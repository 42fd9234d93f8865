"""Remedies for a locked-up account (issue 21, "Lock-up monitor"): each one reruns the engine's
own per-account decision with one input changed -- no second optimiser -- so its tracking error
after trading and its gains are what the engine would trade."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sma.lockup import Remedy, one_account, quantify_remedies
from sma.rebalance import EngineParams, decide, screen_accounts
from tests.rebalance.toy_shards import SYMBOLS, one_account_shard, toy_model

CONCENTRATED = [("AAA", 400.0, 8_000.0, True), ("DDD", 100.0, 9_000.0, True)]
TILTED = np.array([0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 0.125, 0.125])
PLAIN = np.full(8, 0.125)


def remedies(shard, budget=10_000.0, untilted=None):
    return quantify_remedies(
        shard,
        toy_model(),
        EngineParams(),
        ["A1"],
        np.array([budget]),
        {} if untilted is None else {"A1": untilted},
    ).set_index("remedy")


def test_lifting_the_budget_lets_the_engine_fix_the_drift_at_a_long_term_gain():
    shard = one_account_shard(CONCENTRATED, gain_budget=0.0)
    out = remedies(shard)
    tonight = decide(shard, toy_model(), EngineParams()).records.iloc[0]
    assert tonight["exception"] == "TE_LIMIT"
    assert out.loc["NO_BUDGET", "te_after"] <= out.loc["NO_BUDGET", "max_tracking_error"]
    assert out.loc["NO_BUDGET", "realized_lt"] > 0
    assert out.loc["NO_BUDGET", "te_after"] < tonight["te_after"]


def test_a_wider_budget_realizes_at_most_the_added_budget():
    out = remedies(one_account_shard(CONCENTRATED, gain_budget=0.0), budget=4_000.0)
    widened = out.loc["WIDEN_BUDGET"]
    assert 0 < widened["realized_st"] + widened["realized_lt"] <= 0.5 * 4_000.0 + 0.01
    assert "$2,000 more" in widened["what"]


def test_added_cash_is_invested_by_the_engine_without_selling_gains():
    shard = one_account_shard(CONCENTRATED, gain_budget=0.0)
    out = remedies(shard)
    tonight = decide(shard, toy_model(), EngineParams()).records.iloc[0]
    assert out.loc["ADD_CASH", "realized_st"] + out.loc["ADD_CASH", "realized_lt"] <= 0.01
    assert out.loc["ADD_CASH", "te_after"] < tonight["te_after"]
    assert "$2,500" in out.loc["ADD_CASH", "what"]


def test_the_remedy_comes_from_the_engine_so_a_different_account_gives_a_different_answer():
    small = remedies(one_account_shard(CONCENTRATED, gain_budget=0.0))
    bigger = remedies(
        one_account_shard(
            [("AAA", 800.0, 16_000.0, True), ("DDD", 100.0, 9_000.0, True)], gain_budget=0.0
        )
    )
    assert bigger.loc["ADD_CASH", "te_after"] > small.loc["ADD_CASH", "te_after"]


def test_removing_tilts_targets_the_untilted_index():
    shard = one_account_shard(
        CONCENTRATED, gain_budget=0.0, target={s: float(w) for s, w in zip(SYMBOLS, TILTED)}
    )
    out = remedies(shard, untilted=PLAIN)
    assert "NO_TILTS" in out.index
    assert out.loc["NO_TILTS", "te_after"] != pytest.approx(out.loc["ADD_CASH", "te_after"])


def test_no_tilts_remedy_when_the_target_has_none_and_no_budget_remedies_without_a_budget():
    out = remedies(one_account_shard(CONCENTRATED), untilted=PLAIN)
    assert set(out.index) == {Remedy.ADD_CASH}


def two_accounts(first, second):
    """Two one-account toy shards as one shard of two (the second's lots after the first's)."""
    fields = {}
    for name in (
        "account_ids",
        "household_ids",
        "account_type",
        "tlh_enabled",
        "st_rate",
        "lt_rate",
        "max_tracking_error",
        "gain_budget_remaining",
        "min_trade_value",
        "cash_target",
        "cash",
        "cash_flow",
        "target",
        "buy_blocked",
        "loss_sale_blocked",
        "no_sell",
        "exclude",
        "fractional_shares",
        "uma",
        "lot_security",
        "lot_qty",
        "lot_basis",
        "lot_long_term",
    ):
        fields[name] = np.concatenate([getattr(first, name), getattr(second, name)])
    fields["account_ids"] = np.array(["A1", "A2"])
    fields["lot_ids"] = np.concatenate([first.lot_ids, np.char.add("B", second.lot_ids)])
    fields["lot_account"] = np.repeat([0, 1], [first.lot_ids.size, second.lot_ids.size])
    return replace(first, **fields)


def test_one_account_of_a_shard_is_that_account_alone():
    a = one_account_shard(CONCENTRATED, gain_budget=0.0, cash=1_000.0)
    b = one_account_shard([("EEE", 50.0, 4_000.0, False)], max_te=0.05, loss_sale_blocked=("EEE",))
    both = two_accounts(a, b)
    alone = one_account(both, 1)
    assert list(alone.account_ids) == ["A2"] and list(alone.lot_ids) == ["BL0"]
    assert alone.max_tracking_error[0] == 0.05 and alone.loss_sale_blocked[0].sum() == 1
    assert alone.account_values()[0] == pytest.approx(5_000.0)
    screen = screen_accounts(alone, toy_model(), EngineParams())
    assert screen.te[0] == pytest.approx(screen_accounts(both, toy_model(), EngineParams()).te[1])


def test_a_zero_budget_is_not_widened_by_a_fraction_of_itself():
    out = remedies(one_account_shard(CONCENTRATED, gain_budget=0.0), budget=0.0)
    assert set(out.index) == {Remedy.ADD_CASH, Remedy.NO_BUDGET}


def lots_frame(lots, long_term_since="2024-01-02", short_term_since="2026-09-01"):
    """The toy shard's lots as the night's frame: ``one_account_shard`` names them L0, L1, ..."""
    return pd.DataFrame(
        {
            "account_id": "A1",
            "lot_id": [f"L{i}" for i in range(len(lots))],
            "symbol": [s for s, *_ in lots],
            "quantity": [q for _, q, _, _ in lots],
            "cost_basis": [b for _, _, b, _ in lots],
            "adjusted_acquired_date": [
                pd.Timestamp(long_term_since if lt else short_term_since) for *_, lt in lots
            ],
        }
    )


def gift_remedies(lots, share=0.2):
    return quantify_remedies(
        one_account_shard(lots, gain_budget=0.0),
        toy_model(),
        EngineParams(),
        ["A1"],
        np.array([0.0]),
        {},
        gift=(lots_frame(lots), np.datetime64("2026-11-02"), share),
    ).set_index("remedy")


def test_gifting_the_appreciated_lots_lowers_tracking_error_without_realizing_their_gain():
    # IRS Pub. 526: a gift of appreciated long-term stock is no sale; the engine then refills.
    out = gift_remedies(CONCENTRATED)
    tonight = decide(
        one_account_shard(CONCENTRATED, gain_budget=0.0), toy_model(), EngineParams()
    ).records.iloc[0]
    gift = out.loc["GIFT_LOTS"]
    assert "$10,000 of the most appreciated long-term lots" in gift["what"]
    assert "$8,000 of gains never realized" in gift["what"]  # 100 AAA shares: $10,000 on $2,000
    assert gift["realized_st"] + gift["realized_lt"] <= 0.01
    assert gift["te_after"] < tonight["te_after"]


def test_no_gift_remedy_when_the_only_long_term_lot_is_at_a_loss_and_the_gains_short_term():
    # The gift rules (sma.ledger.choose_gift_lots): never a short-term lot, never a loss lot.
    short = [("AAA", 400.0, 8_000.0, False), ("DDD", 100.0, 11_000.0, True)]
    assert "GIFT_LOTS" not in gift_remedies(short).index


def test_a_spin_off_lot_keeping_its_parents_id_is_told_apart_by_its_symbol():
    """A spin-off lot and its parent lot share the same lot_id under different symbols
    (CORPORATE_ACTIONS.md), so a lot is (symbol, lot_id). The demo's night failed here
    ("Reindexing only valid with uniquely valued Index objects") before the remedy keyed lots
    that way."""
    shard = one_account_shard(CONCENTRATED, gain_budget=0.0)
    shard = replace(shard, lot_ids=np.array(["L0", "L0"]))  # AAA's lot and its spin-off in DDD
    lots = lots_frame(CONCENTRATED).assign(lot_id="L0")
    out = quantify_remedies(
        shard,
        toy_model(),
        EngineParams(),
        ["A1"],
        np.array([0.0]),
        {},
        gift=(lots, np.datetime64("2026-11-02"), 0.2),
    ).set_index("remedy")
    gift = out.loc["GIFT_LOTS"]
    assert "$10,000 of the most appreciated long-term lots" in gift["what"]
    assert gift["realized_st"] + gift["realized_lt"] <= 0.01
