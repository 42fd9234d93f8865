"""Invariants of every generated book (hypothesis): shares are conserved, lots are whole and
dated."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.book import BookError, BookParams, generate_book, split_into_lots
from sma.ledger import apply_corporate_actions

SMALL = BookParams(price_days=60, history_years=2)
weekdays = st.dates(date(2020, 1, 1), date(2030, 12, 31)).filter(lambda d: d.weekday() < 5)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_accounts=st.integers(0, 12), as_of=weekdays)
def test_generated_books_always_conserve_shares_lots_equal_positions(seed, n_accounts, as_of):
    """Contract: lots per (account, symbol) sum to the custodian's positions, for any seed and
    date, once tonight's corporate actions are applied to the lots (the custodian's positions
    already show them; data_contracts/cross_file/lots_reconcile_to_positions.sql)."""
    book = generate_book(n_accounts, seed, as_of, SMALL)
    accounts = book["accounts"][["account_id", "household_id", "account_type"]]
    lots, _ = apply_corporate_actions(book["lots"], book["corporate_actions"], as_of, accounts)
    positions = book["positions"]
    from_lots = lots.groupby(["account_id", "symbol"])["quantity"].sum()
    held = positions.set_index(["account_id", "symbol"])["quantity"]
    assert from_lots.sort_index().to_dict() == held.sort_index().to_dict()
    assert (book["lots"]["acquired_date"].dt.date <= as_of).all()
    assert len(book["accounts"]) == n_accounts


@settings(max_examples=50, deadline=None)
@given(
    shares=st.lists(st.integers(1, 10_000), min_size=1, max_size=30),
    extra=st.lists(st.integers(0, 60), min_size=30, max_size=30),
    seed=st.integers(0, 1000),
)
def test_splitting_a_position_into_lots_keeps_every_share(shares, extra, seed):
    """Each lot holds at least one whole share and a position's lots sum to its shares."""
    shares = np.array(shares, dtype=float)
    n_lots = np.minimum(1 + np.array(extra[: len(shares)]), shares).astype(int)
    position, quantity = split_into_lots(np.random.default_rng(seed), shares, n_lots)
    assert (quantity >= 1).all() and (quantity == np.round(quantity)).all()
    np.testing.assert_array_equal(np.bincount(position, quantity, minlength=len(shares)), shares)
    np.testing.assert_array_equal(np.bincount(position, minlength=len(shares)), n_lots)


def test_a_weekend_as_of_date_is_refused():
    """Contract: the as-of date is a weekday (prices are business days)."""
    saturday = date(2026, 11, 28)
    with pytest.raises(BookError, match="not a business day"):
        generate_book(5, 1, saturday, SMALL)
    generate_book(1, 1, saturday - timedelta(days=1), SMALL)


def test_a_negative_number_of_accounts_is_refused():
    with pytest.raises(BookError, match="n_accounts"):
        generate_book(-1, 1, date(2026, 11, 24), SMALL)


def test_parameters_that_cannot_make_a_book_are_refused():
    with pytest.raises(BookError, match="history_years"):
        generate_book(1, 1, date(2026, 11, 24), BookParams(history_years=0))
    with pytest.raises(BookError, match="price_days"):
        generate_book(1, 1, date(2026, 11, 24), BookParams(price_days=10))
    with pytest.raises(BookError, match="accounts_per_part"):
        generate_book(1, 1, date(2026, 11, 24), BookParams(accounts_per_part=0))


def test_about_thirty_percent_of_accounts_under_250k_allow_fractional_shares_and_no_larger_one():
    """Issue 17: custodians offer fractional shares mostly to small accounts; the generator marks
    ``BookParams.fractional_share`` of the accounts under ``fractional_below_usd`` (the inbox's
    optional ``fractional_shares`` column), from a stream of its own."""
    book = generate_book(400, 11, date(2026, 11, 24), SMALL)
    accounts = book["accounts"].merge(book["cash"], on="account_id")
    held = book["positions"].merge(
        book["prices"][book["prices"]["date"] == book["prices"]["date"].max()], on="symbol"
    )
    value = (held["quantity"] * held["close"]).groupby(held["account_id"]).sum()
    accounts["value"] = accounts["account_id"].map(value).fillna(0.0) + accounts["amount"]
    fractional = accounts["fractional_shares"].astype(bool)
    small = accounts["value"] < 200_000.0  # drawn values under $250k drift a little
    assert not fractional[accounts["value"] > 400_000.0].any()
    assert 0.15 < fractional[small].mean() < 0.45
