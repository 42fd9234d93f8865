"""The tax value of the year's harvested losses, netted as Schedule D nets them (IRS Publication
550, ch. 4, "Figuring Your Net Gain or Loss"), with up to $3,000 of a net capital loss against
ordinary income (IRC 1211(b)) and the rest carried forward, short-term first (IRC 1212(b);
Publication 550, "Capital Loss Carryover" worksheet). Rates: 37% short-term, 20% long-term."""

from __future__ import annotations

import pytest

from sma.reporting._tax_view import loss_tax_value

ST, LT = 0.37, 0.20


def test_no_losses_have_no_value():
    v = loss_tax_value(
        st_gains=5_000, st_losses=0, lt_gains=2_000, lt_losses=0, st_rate=ST, lt_rate=LT
    )
    assert v.value == 0.0 and v.carryforward == 0.0
    assert v.tax_without_losses == pytest.approx(5_000 * ST + 2_000 * LT)


def test_a_short_term_loss_that_offsets_a_long_term_gain_is_worth_the_long_term_rate():
    """Net ST -5,000 against net LT +8,000 leaves a 3,000 long-term gain: the loss saves 5,000 x 20%
    (not 5,000 x 37%, which a gross 'losses x their own rate' estimate would print)."""
    v = loss_tax_value(
        st_gains=0, st_losses=5_000, lt_gains=8_000, lt_losses=0, st_rate=ST, lt_rate=LT
    )
    assert v.tax_with_losses == pytest.approx(3_000 * LT)
    assert v.value == pytest.approx(5_000 * LT)
    assert v.ordinary_offset == 0.0


def test_a_long_term_loss_that_offsets_a_short_term_gain_is_worth_the_short_term_rate():
    v = loss_tax_value(
        st_gains=4_000, st_losses=0, lt_gains=0, lt_losses=1_000, st_rate=ST, lt_rate=LT
    )
    assert v.tax_with_losses == pytest.approx(3_000 * ST)
    assert v.value == pytest.approx(1_000 * ST)


def test_a_net_loss_offsets_3000_of_ordinary_income_and_the_rest_carries_forward():
    """10,000 of short-term losses and no gains: 3,000 against ordinary income (IRC 1211(b)),
    worth 3,000 x 37% = 1,110 this year; 7,000 carried forward as short-term (IRC 1212(b))."""
    v = loss_tax_value(
        st_gains=0, st_losses=10_000, lt_gains=0, lt_losses=0, st_rate=ST, lt_rate=LT
    )
    assert (v.ordinary_offset, v.ordinary_offset_value) == (3_000, pytest.approx(1_110))
    assert v.value == pytest.approx(1_110)
    assert (v.carryforward_st, v.carryforward_lt) == (7_000, 0)


def test_the_ordinary_offset_uses_short_term_losses_first():
    """Net ST -2,000 and net LT -5,000: the 3,000 offset takes the 2,000 short-term first, then
    1,000 long-term; 4,000 long-term carries forward (Pub. 550 carryover worksheet)."""
    v = loss_tax_value(
        st_gains=1_000, st_losses=3_000, lt_gains=0, lt_losses=5_000, st_rate=ST, lt_rate=LT
    )
    assert (v.carryforward_st, v.carryforward_lt) == (0, 4_000)
    assert v.value == pytest.approx(
        1_000 * ST + 3_000 * ST
    )  # the 1,000 ST gain netted away + the offset


def test_a_net_loss_left_after_crossing_terms_keeps_the_character_of_the_larger_loss():
    """Net ST -9,000 against net LT +2,000: a 7,000 short-term net loss; 3,000 offset, 4,000 ST
    carried."""
    v = loss_tax_value(
        st_gains=0, st_losses=9_000, lt_gains=2_000, lt_losses=0, st_rate=ST, lt_rate=LT
    )
    assert v.value == pytest.approx(2_000 * LT + 3_000 * ST)
    assert (v.carryforward_st, v.carryforward_lt) == (4_000, 0)


def test_tax_deferred_accounts_have_rates_of_zero_and_so_no_value():
    v = loss_tax_value(
        st_gains=0, st_losses=10_000, lt_gains=0, lt_losses=0, st_rate=0.0, lt_rate=0.0
    )
    assert v.value == 0.0
