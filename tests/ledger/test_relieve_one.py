"""A sale from one lot is booked by Python numbers instead of one-element arrays (issue 23: the
simulator books every engine sale lot by lot, and the arrays' calls were a sixth of its time).
It must be the same booking to the bit: the same pro-rata basis in cents (PRODUCT.md, "Nothing is
lost"), the same holding period (IRS Publication 550, ch. 4: counted from the day after
acquisition, in calendar months; a start on 29 February is long-term on 1 March), the same wash
sales (IRS Pub. 550, "Wash Sales"). Each check compares it with the array form, an independent
path the ledger's other tests pin to the rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.ledger import Ledger, ReliefMethod
from sma.ledger._holding import long_term_day, long_term_from
from sma.ledger._money import share_of_cents, share_of_cents_one

HOUSEHOLD = pd.DataFrame(
    {
        "account_id": ["A", "B", "IRA"],
        "household_id": ["H", "H", "H"],
        "account_type": ["TAXABLE", "TAXABLE", "IRA"],
    }
)


def test_long_term_day_is_long_term_from_for_every_day_of_a_century():
    days = np.arange(
        np.datetime64("1950-01-01", "D").astype(np.int64),
        np.datetime64("2060-12-31", "D").astype(np.int64),
    )
    expected = long_term_from(days.astype("datetime64[D]")).astype(np.int64)
    assert [long_term_day(int(d)) for d in days] == expected.tolist()


def test_a_lot_bought_on_28_february_of_a_leap_year_is_long_term_on_1_march_a_year_on():
    """The period starts on 29 February 2024 (the day after purchase); more than a year on 1 March
    2025 (Rev. Rul. 66-7's calendar months; 29 February rolls to 1 March)."""
    bought = int(np.datetime64("2024-02-28", "D").astype(np.int64))
    assert long_term_day(bought) == int(np.datetime64("2025-03-01", "D").astype(np.int64))


@pytest.mark.parametrize(
    "bought", ["2024-02-28", "2024-02-29", "2023-02-28", "2024-01-31", "2024-12-31", "2025-06-15"]
)
@pytest.mark.parametrize("held_days", [-1, 0])  # sold the day before it turns long-term, or on it
def test_a_sale_on_the_long_term_boundary_has_the_same_term_in_both_forms(
    bought, held_days, monkeypatch
):
    start = int(np.datetime64(bought, "D").astype(np.int64))
    sold = np.datetime64(long_term_day(start) + held_days, "D")
    books = []
    for one_lot in (True, False):
        with monkeypatch.context() as m:
            if not one_lot:
                m.setattr(Ledger, "_relieve_one", lambda self, *args: None)
            ledger = Ledger(HOUSEHOLD)
            ledger.buy("A", "X", "L1", 10.0, 50_000, bought)
            ledger.sell("A", "X", 4.0, 24_000, sold, ReliefMethod.SPECIFIC, ("L1",))
            books.append(ledger.realized())
    pd.testing.assert_frame_equal(books[0], books[1], check_exact=True)
    assert books[0]["term"].iloc[0] == ("LONG" if held_days == 0 else "SHORT")


@given(
    st.integers(-(10**12), 10**12),
    st.floats(0.0, 1.0),
    st.floats(1e-6, 1e6),
)
def test_share_of_cents_one_is_share_of_cents(total, fraction, whole):
    """A lot's share of its cents: ``part`` (shares taken) at most ``whole`` (its shares)."""
    part = fraction * whole
    assert share_of_cents_one(total, part, whole) == int(share_of_cents(total, part, whole))


@pytest.mark.parametrize(("total", "part", "whole"), [(5, 1, 2), (-5, 1, 2), (0, 1, 3), (3, 1, 2)])
def test_halves_round_away_from_zero_in_both_forms(total, part, whole):
    assert share_of_cents_one(total, part, whole) == int(share_of_cents(total, part, whole))


def _book(trades, one_lot_path: bool, monkeypatch) -> Ledger:
    """Book ``trades`` in order; with ``one_lot_path`` False every sale takes the array form."""
    with monkeypatch.context() as m:
        if not one_lot_path:
            m.setattr(Ledger, "_relieve_one", lambda self, *args: None)
        ledger = Ledger(HOUSEHOLD)
        opened: dict[tuple[str, str], list[str]] = {}
        for n, (kind, account, symbol, shares, price, day, pick) in enumerate(trades):
            date = np.datetime64("2024-01-02") + np.timedelta64(day, "D")
            if kind == "buy":
                lot_id = f"L{n}"
                ledger.buy(account, symbol, lot_id, shares, round(shares * price * 100), date)
                opened.setdefault((account, symbol), []).append(lot_id)
                continue
            lots = ledger.open_lots()
            mine = lots[(lots["account_id"] == account) & (lots["symbol"] == symbol)]
            if mine.empty:
                continue
            chosen = mine.iloc[pick % len(mine)]
            q = min(shares, float(chosen["quantity"]))
            proceeds = round(q * price * 100)
            if kind == "sell_lot":
                ledger.sell(
                    account, symbol, q, proceeds, date, ReliefMethod.SPECIFIC, (chosen["lot_id"],)
                )
            else:  # a FIFO sale of whatever the account holds, often several lots
                q = min(shares, float(mine["quantity"].sum()))
                ledger.sell(account, symbol, q, round(q * price * 100), date)
    return ledger


def _trades(horizon: int):
    """Up to 40 trades on days 0..``horizon``: (kind, account, symbol, shares, price, day, which
    lot of the account's a specific-lot sale picks)."""
    return st.lists(
        st.tuples(
            st.sampled_from(["buy", "buy", "sell_lot", "sell_lot", "sell_fifo"]),
            st.sampled_from(["A", "B", "IRA"]),
            st.sampled_from(["X", "X", "Y"]),
            st.one_of(
                st.integers(1, 300).map(float), st.floats(0.001, 50.0).map(lambda q: round(q, 3))
            ),
            st.floats(5.0, 200.0).map(lambda p: round(p, 2)),
            st.integers(0, horizon),
            st.integers(0, 10),
        ),
        min_size=1,
        max_size=40,
    ).map(lambda trades: sorted(trades, key=lambda t: t[5]))


#: Two months (wash sales everywhere), most of a year, or two years (long-term sales).
TRADES = st.sampled_from([60, 300, 800]).flatmap(_trades)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trades=TRADES)
def test_one_lot_sales_book_the_same_lots_and_rows_as_the_array_form(trades, monkeypatch):
    """Buys and specific-lot and FIFO sales in two taxable accounts and an IRA of one household
    over two years (short and long term, partial and whole lots, dust, wash sales across
    accounts): every lot, every realized row and every wash sale the same to the bit."""
    fast, arrays = _book(trades, True, monkeypatch), _book(trades, False, monkeypatch)
    pd.testing.assert_frame_equal(fast.open_lots(), arrays.open_lots(), check_exact=True)
    pd.testing.assert_frame_equal(fast.realized(), arrays.realized(), check_exact=True)
    for name in fast.lots.__dict__:
        column = getattr(fast.lots, name)
        if isinstance(column, np.ndarray):
            n = fast.lots.n
            np.testing.assert_array_equal(column[:n], getattr(arrays.lots, name)[:n], name)


def test_a_specific_lot_sale_takes_the_one_lot_path(monkeypatch):
    """So the property above compares the two forms, not the array form with itself."""
    calls = []
    real = Ledger._relieve_one

    def counted(self, *args):
        calls.append(args)
        return real(self, *args)

    monkeypatch.setattr(Ledger, "_relieve_one", counted)
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 10.0, 100_000, "2025-01-02")
    ledger.sell("A", "X", 4.0, 36_000, "2025-02-03", ReliefMethod.SPECIFIC, ("L1",))
    assert len(calls) == 1
    sale = ledger.realized().iloc[0]
    assert (sale["cost_basis_cents"], sale["proceeds_cents"]) == (40_000, 36_000)
