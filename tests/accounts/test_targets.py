"""Personalised targets: benchmark minus exclusions and screens, tilts applied, renormalised
(PRODUCT.md, "The nightly run", step 3), and restriction rows expanded over the universe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.accounts import Universe, personalised_targets, restriction_masks, tilt_multipliers
from sma.accounts._restrictions import RestrictionError

SECURITIES = pd.DataFrame(
    {
        "symbol": ["XOM", "CVX", "JPM", "BAC", "NEE"],
        "sector": ["Energy", "Energy", "Financials", "Financials", "Utilities"],
        "identical_group": [None, None, None, "", None],
        "esg_tags": ["fossil_fuel", "fossil_fuel;carbon", None, "", "clean"],
    }
)
UNIVERSE = Universe.from_frame(SECURITIES)
ACCOUNTS = np.array(["A1", "A2"])
BENCH = np.array([[0.2, 0.2, 0.2, 0.2, 0.2]] * 2)


def targets_for(restrictions=None, tilts=None, held=None, cash_target=0.0):
    masks = restriction_masks(
        restrictions if restrictions is not None else pd.DataFrame(columns=["account_id", "kind"]),
        ACCOUNTS,
        UNIVERSE,
    )
    mult = tilt_multipliers(
        tilts if tilts is not None else pd.DataFrame(columns=["account_id", "multiplier"]),
        ACCOUNTS,
        UNIVERSE,
    )
    held = np.zeros_like(BENCH) if held is None else held
    return personalised_targets(
        BENCH, masks.exclude, mult, held, masks.no_sell, np.full(2, cash_target)
    )


def test_an_excluded_symbol_gets_no_weight_and_the_rest_is_renormalised():
    r = pd.DataFrame({"account_id": ["A1"], "kind": ["EXCLUDE"], "symbol": ["XOM"]})
    t = targets_for(r)
    np.testing.assert_allclose(t[0], [0, 0.25, 0.25, 0.25, 0.25])
    np.testing.assert_allclose(t[1], BENCH[1])


def test_an_esg_screen_excludes_every_security_carrying_the_tag():
    r = pd.DataFrame({"account_id": ["A2"], "kind": ["EXCLUDE"], "esg_tag": ["fossil_fuel"]})
    np.testing.assert_allclose(targets_for(r)[1], [0, 0, 1 / 3, 1 / 3, 1 / 3])


def test_a_sector_tilt_multiplies_before_renormalising_and_targets_leave_the_cash_target():
    tilts = pd.DataFrame({"account_id": ["A1"], "sector": ["Utilities"], "multiplier": [3.0]})
    t = targets_for(tilts=tilts, cash_target=0.02)
    np.testing.assert_allclose(t[0], np.array([1, 1, 1, 1, 3]) / 7 * 0.98)
    np.testing.assert_allclose(t.sum(axis=1), [0.98, 0.98])


def test_a_no_sell_holding_is_held_as_given_and_the_others_share_the_rest():
    r = pd.DataFrame({"account_id": ["A1"], "kind": ["NO_SELL"], "symbol": ["JPM"]})
    held = np.zeros((2, 5))
    held[0, 2] = 0.4
    t = targets_for(r, held=held)
    np.testing.assert_allclose(t[0], [0.15, 0.15, 0.4, 0.15, 0.15])


def test_a_restriction_row_naming_both_a_symbol_and_a_sector_is_refused_with_its_account():
    r = pd.DataFrame(
        {"account_id": ["A1"], "kind": ["NO_BUY"], "symbol": ["XOM"], "sector": ["Energy"]}
    )
    with pytest.raises(RestrictionError, match="A1"):
        targets_for(r)


def test_restriction_kinds_expand_to_their_own_masks():
    r = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2"],
            "kind": ["NO_BUY", "NO_SELL", "EXCLUDE"],
            "symbol": [None, "NEE", None],
            "sector": ["Financials", None, None],
            "esg_tag": [None, None, "carbon"],
        }
    )
    m = restriction_masks(r, ACCOUNTS, UNIVERSE)
    assert m.no_buy[0].tolist() == [False, False, True, True, False]
    assert m.no_sell[0].tolist() == [False, False, False, False, True]
    assert m.exclude[1].tolist() == [False, True, False, False, False]
    assert not m.exclude[0].any()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_targets_are_never_negative_never_hold_an_exclusion_and_fill_the_invested_fraction(seed):
    rng = np.random.default_rng(seed)
    m, n = 4, 12
    bench = rng.dirichlet(np.ones(n), m)
    exclude = rng.random((m, n)) < 0.3
    no_sell = (rng.random((m, n)) < 0.2) & ~exclude
    held = rng.dirichlet(np.ones(n), m) * 0.5
    cash_target = rng.uniform(0, 0.05, m)
    t = personalised_targets(
        bench, exclude, rng.uniform(0.5, 2, (m, n)), held, no_sell, cash_target
    )
    assert np.all(t >= 0) and not np.any(t[exclude])
    np.testing.assert_allclose(t[no_sell], held[no_sell])
    room = 1 - cash_target - np.where(no_sell, held, 0).sum(axis=1)
    has_free = (bench * ~exclude * ~no_sell).sum(axis=1) > 0
    expected = np.where(
        has_free & (room > 0), 1 - cash_target, np.where(no_sell, held, 0).sum(axis=1)
    )
    np.testing.assert_allclose(t.sum(axis=1), expected, rtol=1e-12)
