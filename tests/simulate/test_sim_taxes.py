"""Yearly tax of a simulated account: Schedule D netting, held-away gains, loss carryforward."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.simulate import HeldAwayGains
from sma.simulate._taxes import ORDINARY_INCOME_OFFSET, year_tax

ST, LT = np.array([0.40]), np.array([0.20])
ZERO = np.zeros(1)


def tax(st_gain, lt_gain, held=HeldAwayGains.NONE, carry=(0.0, 0.0)):
    return year_tax(
        np.array([st_gain]),
        np.array([lt_gain]),
        np.array([carry[0]]),
        np.array([carry[1]]),
        ST,
        LT,
        held,
    )


def test_short_term_loss_offsets_long_term_gain_before_tax():
    """IRS Schedule D instructions, Part III: a net short-term loss offsets a net long-term gain."""
    owed, cst, clt = tax(-1_000.0, 5_000.0)
    assert owed[0] == 0.20 * 4_000.0 and cst[0] == 0.0 and clt[0] == 0.0


def test_net_loss_deducts_3000_of_income_and_carries_the_rest_forward_keeping_its_term():
    """IRC 1211(b): $3,000 of net capital loss against ordinary income; 1212(b): the rest carries
    over,
    short-term first used, keeping its character."""
    owed, cst, clt = tax(-2_000.0, -10_000.0)
    assert np.isclose(owed[0], -0.40 * ORDINARY_INCOME_OFFSET)
    assert cst[0] == 0.0 and clt[0] == -9_000.0


def test_carryforward_offsets_next_years_gain():
    """IRC 1212(b): a carried long-term loss nets against the next year's long-term gain."""
    owed, _, clt = tax(0.0, 5_000.0, carry=(0.0, -9_000.0))
    assert np.isclose(owed[0], -0.40 * 3_000.0) and clt[0] == -1_000.0


def test_unlimited_held_away_gains_make_every_net_loss_save_at_its_own_rate():
    owed, cst, clt = tax(-1_000.0, -2_000.0, HeldAwayGains.UNLIMITED)
    assert np.isclose(owed[0], -(0.40 * 1_000.0 + 0.20 * 2_000.0)) and cst[0] == clt[0] == 0.0


def test_long_term_held_away_gains_save_at_the_long_term_rate_only():
    owed, _, _ = tax(-1_000.0, 0.0, HeldAwayGains.LONG_TERM_ONLY)
    assert np.isclose(owed[0], -0.20 * 1_000.0)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 0),
    st.floats(-1e6, 0),
    st.sampled_from(list(HeldAwayGains)),
)
def test_carryforward_is_never_a_gain_and_no_loss_is_taxed(st_gain, lt_gain, c_st, c_lt, held):
    """Invariants: carryforwards are <= 0; an account that only lost never owes tax."""
    owed, cst, clt = tax(st_gain, lt_gain, held, (c_st, c_lt))
    assert cst[0] <= 0 and clt[0] <= 0
    if st_gain <= 0 and lt_gain <= 0:
        assert owed[0] <= 1e-9
