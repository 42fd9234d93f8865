"""Money is exact where it is booked (STYLE.md): USD enters the ledger as integer cents once,
half-cents round away from zero, and leaves as exact two-decimal text (Form 8949 reports dollars
and cents)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.ledger import cents_to_usd_text, usd_to_cents


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
