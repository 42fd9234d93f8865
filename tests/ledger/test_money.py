"""Money is exact where it is booked (STYLE.md): USD enters the ledger as integer cents once,
half-cents round away from zero, and leaves as exact two-decimal text (Form 8949 reports dollars
and cents)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.ledger import cents_to_usd_text, notional_cents, usd_array_to_cents, usd_to_cents


def test_text_amounts_become_cents_exactly_rounding_half_cents_away_from_zero():
    """1.005 read as text is a half cent (a float would read 1.00499...)."""
    assert [usd_to_cents(x) for x in ("1.005", "-1.005", "10000.00", "0.1", "3")] == [
        101,
        -101,
        1_000_000,
        10,
        300,
    ]


def test_an_amount_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="not an amount"):
        usd_to_cents("12,5O")
    with pytest.raises(ValueError, match="finite"):
        usd_to_cents("NaN")


def test_cents_print_as_two_decimal_dollars():
    assert cents_to_usd_text(np.array([0, 5, -5, 123456, -100])).tolist() == [
        "0.00",
        "0.05",
        "-0.05",
        "1234.56",
        "-1.00",
    ]


@given(st.integers(-(10**13), 10**13))
def test_cents_survive_a_round_trip_through_text(cents):
    """Property: what the ledger writes, it reads back to the same cent."""
    assert usd_to_cents(cents_to_usd_text(np.array([cents]))[0]) == cents


def test_float_amounts_round_as_written_half_a_cent_away_from_zero():
    """The one rule for arrays too: 2.675 is written as 2.675 (the float is 2.67499...); NumPy's
    ``round`` would give 2.67 from the float and 2.68 only by chance."""
    amounts = np.array([[2.675, -2.675], [0.125, 1e-9]])
    assert usd_array_to_cents(amounts).tolist() == [[268, -268], [13, 0]]


def test_a_trades_value_is_the_exact_product_of_shares_and_price_rounded_once():
    """0.5 share x $0.01 is half a cent: 1 cent; 3 x $0.125 = $0.375: 38 cents."""
    assert notional_cents([0.5, 3.0, 100.0], [0.01, 0.125, 12.34]).tolist() == [1, 38, 123400]
    assert int(notional_cents(2.0, 1.005)) == 201


@given(st.integers(0, 10**9).map(lambda c: c / 100), st.integers(1, 10**6), st.integers(0, 10**5))
def test_array_rounding_agrees_with_the_text_rule(usd, shares, tenth_cents):
    """Property: the array forms round every value as ``usd_to_cents`` rounds its text."""
    price = tenth_cents / 1000
    assert usd_array_to_cents([usd]).tolist() == [usd_to_cents(repr(usd))]
    expected = usd_to_cents(Decimal(shares) * Decimal(repr(price)))
    assert notional_cents([float(shares)], [price]).tolist() == [expected]


def test_an_infinite_or_unbookable_amount_is_refused():
    with pytest.raises(ValueError, match="finite"):
        usd_array_to_cents([1.0, np.inf])
    with pytest.raises(ValueError, match="too large"):
        notional_cents([1e12], [1e12])
