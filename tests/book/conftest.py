"""A small book shared by the tests of this folder: 40 accounts, one year of closes."""

from datetime import date

import pytest

from sma.book import BookParams, generate_book

AS_OF = date(2026, 11, 24)  # a Tuesday
SMALL = BookParams(price_days=260, history_years=3)


@pytest.fixture(scope="session")
def book_params():
    return SMALL


@pytest.fixture(scope="session")
def book(book_params):
    return generate_book(40, 11, AS_OF, book_params)
