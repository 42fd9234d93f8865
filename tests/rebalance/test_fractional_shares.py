"""Fractional shares in the engine (issue 17): an account that allows them trades to the
custodian's decimals (``EngineParams.fractional_decimals``) instead of whole shares, so a small
account can hold every name of its index; min_trade_value and the cash target still hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sma.rebalance import EngineParams, decide
from sma.rebalance._inputs import ShardInputError
from tests.rebalance.toy_shards import SYMBOLS, one_account_shard, toy_model

NO_MINIMUM = EngineParams(sma_minimum_usd=0.0)
# Expensive names: $5,000 of cash buys at most one share of each in whole shares.
DEAR = {s: 700.0 + 37.0 * i for i, s in enumerate(SYMBOLS)}


def _buys(out):
    return out.trades[out.trades.side == "BUY"].set_index("symbol").quantity


def _decimals(q: float) -> int:
    text = repr(float(q))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def test_a_fractional_account_invests_a_small_contribution_in_every_name():
    """$5,000 over eight names of $700 and more: whole shares hold at most seven of them; fractions
    of a share hold all eight, and leave (almost) no cash idle."""
    whole = decide(one_account_shard([], prices=DEAR, cash=5_000.0), toy_model(), NO_MINIMUM)
    frac = decide(
        one_account_shard([], prices=DEAR, cash=5_000.0, fractional=True), toy_model(), NO_MINIMUM
    )
    assert len(_buys(whole)) < SYMBOLS.size
    assert set(_buys(frac).index) == set(SYMBOLS)
    assert (_buys(whole) == np.floor(_buys(whole))).all()
    assert frac.records.iloc[0].cash_after < 0.01 * 5_000.0 < whole.records.iloc[0].cash_after
    assert frac.records.iloc[0].te_after < whole.records.iloc[0].te_after


def test_fractional_quantities_are_rounded_to_the_custodians_decimals():
    """0.001 share by default; 2 decimals when the custodian books to 0.01 share. No float noise
    (0.30000000000000004) reaches the trades."""
    shard = one_account_shard([], prices=DEAR, cash=5_000.0, fractional=True)
    for decimals in (3, 2):
        out = decide(
            shard, toy_model(), EngineParams(sma_minimum_usd=0.0, fractional_decimals=decimals)
        )
        quantities = _buys(out)
        assert (quantities > 0).all() and any(q != np.floor(q) for q in quantities)
        assert max(_decimals(q) for q in quantities) <= decimals
        assert (quantities == np.round(quantities, decimals)).all()


def test_min_trade_value_still_applies_to_a_fractional_account():
    """A fraction of a share is tradable, but not a trade under the account's min_trade_value: the
    optimiser's $625 a name is concentrated into fewer, larger buys."""
    shard = one_account_shard([], prices=DEAR, cash=5_000.0, fractional=True, min_trade_value=700.0)
    out = decide(shard, toy_model(), NO_MINIMUM)
    buys = out.trades[out.trades.side == "BUY"]
    assert len(buys) and (buys.notional >= 700.0).all()
    assert len(buys) <= 7 and (buys.quantity != np.floor(buys.quantity)).any()


def test_a_fractional_account_keeps_its_cash_target():
    """The cash target holds to the cent after rounding to the custodian's decimals."""
    shard = one_account_shard([], prices=DEAR, cash=5_000.0, fractional=True, cash_target=0.02)
    rec = decide(shard, toy_model(), NO_MINIMUM).records.iloc[0]
    assert rec.cash_after >= 0.02 * 5_000.0 - 0.005
    assert rec.cash_after <= 0.02 * 5_000.0 + 0.01 * 5_000.0


def test_a_fractional_sale_of_part_of_a_lot_is_to_the_custodians_decimals():
    """Raising $1,000 from one $10,000 position sells a fraction of a share more than needed at
    most, never a whole share more."""
    lots = [(s, 10.5, 10.5 * 100.0, True) for s in SYMBOLS]
    shard = one_account_shard(lots, cash=0.0, cash_flow=-1_000.0, fractional=True)
    out = decide(shard, toy_model(), NO_MINIMUM)
    sold = out.lot_sells.quantity
    assert len(sold) and (sold == np.round(sold, 3)).all()
    assert out.records.iloc[0].cash_after == pytest.approx(0.0, abs=1.0)


def test_whole_share_accounts_are_unchanged_by_the_flag_of_another():
    """A shard whose accounts all trade whole shares decides exactly as before the flag existed."""
    shard = one_account_shard([], prices=DEAR, cash=5_000.0)
    assert not shard.fractional_shares.any()
    out = decide(shard, toy_model(), NO_MINIMUM)
    assert (_buys(out) == np.floor(_buys(out))).all()


def test_the_flag_needs_one_entry_per_account():
    with pytest.raises(ShardInputError, match="fractional_shares"):
        from dataclasses import replace

        replace(one_account_shard([]), fractional_shares=np.array([True, False]))


def test_the_pm_is_told_fractional_share_rounding_binds_not_whole_shares():
    """min_trade_value $1,000 above every buy's bound ($875, 5 pp over target): nothing can be
    bought; the flag names the rounding the account has."""
    shard = one_account_shard(
        [], prices=DEAR, cash=5_000.0, fractional=True, min_trade_value=1_000.0
    )
    reason = decide(shard, toy_model(), NO_MINIMUM).records.iloc[0].reason
    assert "fractional-share rounding and min_trade_value $1,000" in reason
    assert "whole shares" not in reason


def test_a_lot_sold_out_sells_exactly_its_quantity_finer_than_the_decimals():
    """A lot of 10.4995 shares (a 3-for-2 split of 6.9997) sold out on an EXCLUDE sells 10.4995
    shares, not a rounded or rescaled 10.499 or 10.499500000000001: every share leaves."""
    lots = [(s, 100.0, 9_000.0, True) for s in SYMBOLS if s != "AAA"] + [
        ("AAA", 10.4995, 2_000.0, True)
    ]
    others = {s: 1 / 7 for s in SYMBOLS if s != "AAA"}
    shard = one_account_shard(lots, exclude=("AAA",), fractional=True, target=others)
    out = decide(shard, toy_model(), NO_MINIMUM)
    sold = out.lot_sells.set_index("symbol").quantity
    assert sold["AAA"] == 10.4995


def _sold(out) -> pd.Series:
    return out.trades[out.trades.side == "SELL"].set_index("symbol").quantity


def test_a_whole_share_account_holding_a_fractional_lot_still_orders_whole_shares():
    """A whole-share account holds AAA in a 0.4144-share lot (the part of a lot a wash sale split
    off after a cash-in-lieu loss: IRS Publication 550; CORPORATE_ACTIONS.md, "Cash in lieu") and
    in whole lots, and must raise cash. Whatever lots it picks, each order it sends the custodian
    is whole shares or the whole position (found in the 2-year demo: 1094.4144 TOV sold)."""
    lots = [(s, 100.0, 9_000.0, True) for s in SYMBOLS if s != "AAA"] + [
        ("AAA", 0.4144, 60.0, False),  # a loss lot: the engine sells it first
        ("AAA", 50.0, 6_000.0, True),
        ("AAA", 50.0, 2_000.0, True),
    ]
    for cash_flow in (-900.0, -2_500.0, -6_000.0):
        shard = one_account_shard(lots, cash=0.0, cash_flow=cash_flow, min_trade_value=1.0)
        out = decide(shard, toy_model(), NO_MINIMUM)
        sold = _sold(out)
        assert len(sold)
        held = {"AAA": 100.4144}
        for symbol, q in sold.items():
            assert q == np.floor(q) or q == pytest.approx(held.get(symbol, 100.0)), (symbol, q)
        assert out.records.iloc[0].cash_after >= -0.005


def test_a_whole_share_account_sells_out_a_position_of_a_fraction_of_a_share():
    """EXCLUDE on a position of 12.5856 shares (a merger's kept fraction): the whole position is
    sold, fraction included; nothing of it is left behind."""
    lots = [(s, 100.0, 9_000.0, True) for s in SYMBOLS if s != "AAA"] + [
        ("AAA", 12.0, 1_000.0, True),
        ("AAA", 0.5856, 40.0, True),
    ]
    others = {s: 1 / 7 for s in SYMBOLS if s != "AAA"}
    out = decide(one_account_shard(lots, exclude=("AAA",), target=others), toy_model(), NO_MINIMUM)
    assert _sold(out)["AAA"] == pytest.approx(12.5856)


def test_a_position_of_lots_with_float_noise_is_sold_as_the_whole_shares_it_adds_up_to():
    """The demo's A000156 held TOV in six lots, four split off by wash sales, one of them
    0.19199999999999295 shares: they add up to 11.999999999999993 in floating point, and the blotter
    refused that order ("not a positive whole number of shares"). The order is 12 shares."""
    tov = [1.0, 8.0704, 2.0, 0.192, 0.5456, 0.19199999999999295]
    lots = [(s, 100.0, 9_000.0, True) for s in SYMBOLS if s != "AAA"] + [
        ("AAA", q, 50.0 * q, True) for q in tov
    ]
    others = {s: 1 / 7 for s in SYMBOLS if s != "AAA"}
    out = decide(one_account_shard(lots, exclude=("AAA",), target=others), toy_model(), NO_MINIMUM)
    assert sum(tov) != 12.0
    assert _sold(out)["AAA"] == 12.0


def test_a_sale_beside_a_lot_that_may_not_be_sold_is_cut_to_whole_shares():
    """EXCLUDE on AAA held as 11.4 shares at a gain and a 0.5-share loss lot bought within 30 days
    (its loss may not be realized: IRS Publication 550, wash sales). The whole position cannot be
    sold, so the order is the 11 whole shares below what the gain lot holds, not 11.4."""
    lots = [(s, 100.0, 9_000.0, True) for s in SYMBOLS if s != "AAA"] + [
        ("AAA", 11.4, 500.0, True),
        ("AAA", 0.5, 500.0, False),
    ]
    others = {s: 1 / 7 for s in SYMBOLS if s != "AAA"}
    shard = one_account_shard(lots, exclude=("AAA",), target=others, loss_sale_blocked=("AAA",))
    assert _sold(decide(shard, toy_model(), NO_MINIMUM))["AAA"] == 11.0
