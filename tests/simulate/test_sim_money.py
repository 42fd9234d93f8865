"""The simulator moves cash by the ledger's one rounding rule (issue 18): a trade's value and its
fill cost are each rounded to the cent half away from zero (``sma.ledger.usd_to_cents``), as fills
booking rounds them -- before, the simulator rounded half to even and a half-cent cost was lost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.inbox import INBOX_FILES
from sma.rebalance import account_arrays
from sma.simulate._book import ORDER_COLUMNS, SimBook
from tests.simulate.test_sim_wash_sales import SECURITIES, accounts_frame


def _book(cash: float, fill_cost: float) -> SimBook:
    acc = account_arrays(accounts_frame(["A1"], ["H1"]), None, None, SECURITIES, np.array(["B"]))
    none = pd.DataFrame(columns=list(INBOX_FILES["lots"].column_names))
    recent = pd.DataFrame(columns=list(INBOX_FILES["transactions"].column_names))
    return SimBook(acc, none, np.array([cash]), recent, fill_cost, np.datetime64("2024-02-01"))


def _buy(book: SimBook, shares: float, close: float) -> None:
    order = pd.DataFrame([[0, 0, "BUY", shares, "", "FIFO", "REBALANCE"]], columns=ORDER_COLUMNS)
    day = np.datetime64("2024-02-01")
    book.start_day(day)
    book.fill(order, day, np.array([close, 1.0]))


def test_a_half_cent_fill_cost_is_paid_as_a_cent():
    """1 share at $10.00 with a 5 bp fill cost: the cost is $0.005, half a cent, rounded up to
    $0.01 (half away from zero), so $10.01 leaves the account (half to even kept $10.00)."""
    book = _book(100.0, 0.0005)
    _buy(book, 1.0, 10.0)
    assert book.cash[0] == 100.0 - 10.0 - 0.01


def test_the_new_lots_basis_is_its_cost_in_cents():
    """The lot opened holds the exact cost of its shares, 3 x $33.33 = $99.99."""
    book = _book(200.0, 0.0)
    _buy(book, 3.0, 33.33)
    assert book.ledger.open_lots()["cost_basis_cents"].tolist() == [9999]
    assert book.cash[0] == 200.0 - 99.99
