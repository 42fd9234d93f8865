"""The per-account decision, rule by rule (PRODUCT.md, "The per-account decision" and "Tax
rules")."""

from __future__ import annotations

import numpy as np

from sma.rebalance import DecisionStatus, EngineParams, decide
from tests.rebalance.toy_shards import SYMBOLS, one_account_shard, toy_model

EVEN = 10_000.0  # each toy position: 100 shares at $100
# The toy accounts ($80k) are below the firm's SMA minimum; where a test reads the status, the rule
# under test is not the minimum (test_firm_minimum.py), so these tests set none.
NO_MINIMUM = 0.0


def on_target_lots(**basis):
    """100 shares of every toy symbol, long-term, cost basis $90/share unless given."""
    return [(s, 100.0, basis.get(s, 9_000.0), True) for s in SYMBOLS]


def test_an_account_already_on_target_with_no_losses_does_not_trade():
    """Nothing fires in the screen, so the account is recorded as no trade, with the reason."""
    out = decide(
        one_account_shard(on_target_lots()), toy_model(), EngineParams(sma_minimum_usd=NO_MINIMUM)
    )
    rec = out.records.iloc[0]
    assert rec.status == DecisionStatus.NO_TRADE and rec.reason.startswith("no trigger")
    assert out.trades.empty


def test_a_big_loss_is_harvested_and_its_exposure_replaced_in_the_same_sector():
    """Harvest: sell the loss lot; the exposure goes to correlated names (same sector), never the
    same
    security (Moehle et al. 2021, section 5; IRS Pub. 550 'Wash Sales')."""
    shard = one_account_shard(on_target_lots(AAA=20_000.0), max_te=0.05)
    # At a tenth of the default risk aversion the optimiser keeps ~2 % cash rather than pay to trade
    # it in; that is the idle-cash flag's business, not this test's.
    out = decide(
        shard,
        toy_model(),
        EngineParams(risk_aversion=5.0, idle_cash_tolerance=0.05, sma_minimum_usd=NO_MINIMUM),
    )
    sells = out.trades[out.trades.side == "SELL"]
    buys = out.trades[out.trades.side == "BUY"]
    assert sells.symbol.tolist() == ["AAA"] and sells.reason.tolist() == ["HARVEST"]
    assert sells.quantity.iloc[0] == 100.0
    replaced = buys[buys.reason == "REPLACE"]
    assert set(replaced.symbol) == {"BBB", "CCC"} and "AAA" not in set(buys.symbol)
    rec = out.records.iloc[0]
    assert rec.losses_harvested == 10_000.0 and rec.est_tax_saved == 2_000.0
    sold_to_cash_te = 0.125 * np.sqrt(0.04 + 0.01 + 0.0625)  # AAA's 12.5 % weight left in cash
    assert rec.te_after < 0.85 * sold_to_cash_te and rec.status == DecisionStatus.TRADED


def test_harvest_never_buys_the_identical_group_of_what_it_sold_at_a_loss():
    """A buy of a substantially identical security within 30 days washes the loss (IRC 1091)."""
    shard = one_account_shard(on_target_lots(AAA=20_000.0), identical={"AAA": "G1", "BBB": "G1"})
    out = decide(shard, toy_model(), EngineParams(risk_aversion=5.0))
    assert "AAA" in set(out.trades[out.trades.side == "SELL"].symbol)
    assert not {"AAA", "BBB"} & set(out.trades[out.trades.side == "BUY"].symbol)


def test_an_ira_never_harvests_a_loss():
    """IRA and ROTH accounts pay no tax, so a loss has no value there (PRODUCT.md, 'Tax rules')."""
    for kind in ("IRA", "ROTH"):
        out = decide(
            one_account_shard(on_target_lots(AAA=20_000.0), account_type=kind), toy_model()
        )
        assert out.trades.empty or "HARVEST" not in set(out.trades.reason)
        assert out.records.iloc[0].losses_harvested == 0.0


def test_a_loss_sale_of_a_name_the_household_bought_in_the_last_30_days_is_not_made():
    """Selling at a loss within 30 days of a purchase is a wash sale (IRS Pub. 550); the ledger
    hands the engine a loss_sale_blocked mask."""
    shard = one_account_shard(on_target_lots(AAA=20_000.0), loss_sale_blocked=("AAA",))
    out = decide(shard, toy_model(), EngineParams(risk_aversion=5.0))
    assert "AAA" not in set(out.trades.symbol)


def test_a_wash_blocked_security_is_not_bought_even_when_underweight():
    lots = [lot for lot in on_target_lots() if lot[0] != "DDD"]
    shard = one_account_shard(lots, cash=EVEN, buy_blocked=("DDD",))
    out = decide(shard, toy_model())
    assert "DDD" not in set(out.trades.symbol)
    assert not out.trades.empty


def test_an_exclude_restriction_sells_out_within_the_gain_budget():
    """EXCLUDE means hold none and sell out, as far as the gain budget allows (PRODUCT.md)."""
    lots = on_target_lots(AAA=5_000.0)  # a $5,000 gain on AAA
    full = decide(one_account_shard(lots, exclude=("AAA",), target=_without("AAA")), toy_model())
    assert full.lot_sells.query("symbol == 'AAA'").quantity.sum() == 100.0
    assert set(full.trades.query("symbol == 'AAA'").reason) == {"RESTRICTION"}
    part = decide(
        one_account_shard(lots, exclude=("AAA",), target=_without("AAA"), gain_budget=2_000.0),
        toy_model(),
    )
    sold = part.lot_sells.query("symbol == 'AAA'")
    assert sold.realized_gain.sum() <= 2_000.0 and sold.quantity.sum() >= 39.0


def test_a_withdrawal_raises_cash_to_the_target():
    shard = one_account_shard(on_target_lots(), cash_flow=-8_000.0, cash=0.0, cash_target=0.01)
    out = decide(shard, toy_model(), EngineParams(sma_minimum_usd=NO_MINIMUM))
    rec = out.records.iloc[0]
    assert rec.status == DecisionStatus.TRADED
    assert rec.cash_after >= 0.01 * rec.account_value
    assert set(out.trades.side) == {"SELL"} and "CASH_RAISE" in set(out.trades.reason)


def test_a_contribution_is_invested():
    shard = one_account_shard(on_target_lots(), cash_flow=40_000.0)
    out = decide(shard, toy_model())
    assert set(out.trades.side) == {"BUY"} and set(out.trades.reason) == {"CASH_INVEST"}
    assert out.records.iloc[0].cash_after < 0.01 * out.records.iloc[0].account_value


def test_an_account_that_cannot_raise_its_cash_falls_back_to_no_trade_for_the_pm():
    """Every holding is NO_SELL, so the withdrawal cannot be funded: no trade, flagged."""
    shard = one_account_shard(on_target_lots(), cash_flow=-8_000.0, no_sell=tuple(SYMBOLS))
    out = decide(shard, toy_model())
    rec = out.records.iloc[0]
    assert rec.status in (DecisionStatus.FLAGGED, DecisionStatus.FAILED) and out.trades.empty
    assert "PM" in rec.reason


def test_no_trade_is_smaller_than_the_min_trade_value():
    shard = one_account_shard(on_target_lots(AAA=20_000.0), min_trade_value=1_500.0)
    out = decide(shard, toy_model(), EngineParams(risk_aversion=5.0))
    assert (out.trades.notional >= 1_500.0).all()


def test_every_lot_sell_adds_up_to_its_trade():
    shard = one_account_shard(on_target_lots(AAA=20_000.0) + [("AAA", 50.0, 4_000.0, False)])
    out = decide(shard, toy_model(), EngineParams(risk_aversion=5.0))
    per_symbol = out.lot_sells.groupby("symbol").quantity.sum()
    sells = out.trades[out.trades.side == "SELL"].set_index("symbol").quantity
    assert per_symbol.to_dict() == sells.to_dict()


def _without(symbol: str) -> dict[str, float]:
    return {s: (0.0 if s == symbol else 1 / 7) for s in SYMBOLS}


def test_a_legacy_position_transitions_out_within_the_gain_budget():
    """Legacy positions (held, not in the target) move out as fast as the gain budget allows
    (PRODUCT.md)."""
    lots = on_target_lots(AAA=2_000.0)  # $8,000 of gain on the legacy AAA
    shard = one_account_shard(lots, target=_without("AAA"), gain_budget=3_000.0)
    out = decide(shard, toy_model())
    sold = out.lot_sells.query("symbol == 'AAA'")
    assert set(sold.reason) == {"TRANSITION"}
    assert 2_500.0 <= sold.realized_gain.sum() <= 3_000.0


def test_harvesting_is_held_back_until_tracking_error_is_within_the_accounts_max():
    """PRODUCT.md: tracking error stays within max_tracking_error when the allowed trades can keep
    it
    there; the engine raises its risk aversion until it does (and flags the account if it
    cannot)."""
    shard = one_account_shard(on_target_lots(AAA=20_000.0), max_te=0.02)
    out = decide(shard, toy_model(), EngineParams(risk_aversion=5.0, sma_minimum_usd=NO_MINIMUM))
    rec = out.records.iloc[0]
    assert rec.status == DecisionStatus.TRADED and rec.te_after <= 0.02
    assert rec.risk_aversion > 5.0
    assert "HARVEST" in set(out.trades.reason)
