"""The firm's minimum account value for a manager-traded SMA (issue 17; PRODUCT.md, "flagged to the
PM"): an account worth less is an exception on the review page, BELOW_MINIMUM, with its value and
the minimum in the reason; it is flagged, not held out, so its best allowed trades still go."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sma.rebalance import DecisionStatus, EngineParams, ExceptionKind, decide
from tests.rebalance.toy_shards import SYMBOLS, one_account_shard, toy_model

SMA_MINIMUM = 250_000.0  # the seed's minimum for a manager-traded SMA


def _lots(basis_aaa: float = 9_000.0):
    """100 shares of every toy name at $100 ($80,000), long-term; AAA bought at ``basis_aaa``."""
    return [(s, 100.0, basis_aaa if s == "AAA" else 9_000.0, True) for s in SYMBOLS]


def test_an_account_below_the_firm_minimum_is_flagged_with_its_value_and_the_minimum():
    out = decide(one_account_shard(_lots()), toy_model(), EngineParams(sma_minimum_usd=SMA_MINIMUM))
    rec = out.records.iloc[0]
    assert rec.status == DecisionStatus.FLAGGED and rec.exception == ExceptionKind.BELOW_MINIMUM
    assert "account value $80,000 is below the firm's SMA minimum of $250,000" in rec.reason


def test_a_flagged_small_account_still_trades_its_best_allowed_trades():
    """BELOW_MINIMUM flags; it does not hold the account out of the blotter."""
    shard = one_account_shard(_lots(basis_aaa=20_000.0), max_te=0.05)
    params = EngineParams(risk_aversion=5.0, idle_cash_tolerance=0.05)
    flagged = decide(shard, toy_model(), replace(params, sma_minimum_usd=SMA_MINIMUM))
    unflagged = decide(shard, toy_model(), replace(params, sma_minimum_usd=0.0))
    assert not ExceptionKind.BELOW_MINIMUM.holds_out
    assert flagged.records.iloc[0].exception == ExceptionKind.BELOW_MINIMUM
    assert unflagged.records.iloc[0].status == DecisionStatus.TRADED
    assert flagged.trades.equals(unflagged.trades) and not flagged.trades.empty


def test_an_account_at_or_above_the_minimum_is_not_flagged_for_it():
    out = decide(one_account_shard(_lots()), toy_model(), EngineParams(sma_minimum_usd=80_000.0))
    assert (
        out.records.iloc[0].exception == ""
        and out.records.iloc[0].status == DecisionStatus.NO_TRADE
    )


def test_a_more_pressing_exception_keeps_its_kind_and_the_reason_adds_the_minimum():
    """A withdrawal that cannot be raised (everything NO_SELL) is a CASH exception first."""
    shard = one_account_shard(_lots(), cash_flow=-8_000.0, no_sell=tuple(SYMBOLS))
    rec = decide(shard, toy_model(), EngineParams(sma_minimum_usd=SMA_MINIMUM)).records.iloc[0]
    assert (
        rec.exception == ExceptionKind.CASH
        and "below the firm's SMA minimum of $250,000" in rec.reason
    )


def test_a_uma_account_is_measured_against_the_firm_uma_minimum():
    """Issue 19, "Minimums per implementation" (e.g. $250k manager-traded, $50k UMA): the same
    $80,000 account is under the SMA minimum but over the UMA one; a UMA under it is flagged with
    the UMA minimum in the reason."""
    params = EngineParams(sma_minimum_usd=SMA_MINIMUM, uma_minimum_usd=50_000.0)
    uma = replace(one_account_shard(_lots()), uma=np.array([True]))
    rec = decide(uma, toy_model(), params).records.iloc[0]
    assert rec.exception == "" and rec.status == DecisionStatus.NO_TRADE
    small = decide(uma, toy_model(), replace(params, uma_minimum_usd=100_000.0)).records.iloc[0]
    assert small.exception == ExceptionKind.BELOW_MINIMUM
    assert "account value $80,000 is below the firm's UMA minimum of $100,000" in small.reason
