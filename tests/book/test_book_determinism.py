"""Issue 2: the generator is deterministic for a seed -- same seed, byte-identical files."""

from datetime import date

import pytest

from pipelines.book import write_inbox
from sma.book import BookParams, generate_book

AS_OF = date(2026, 11, 24)
SMALL = BookParams(price_days=120, history_years=2)


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_writes_byte_identical_files(tmp_path, fmt):
    first = write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "a", AS_OF, fmt)
    second = write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "b", AS_OF, fmt)
    assert _files(first) == _files(second)
    assert len(_files(first)) == 12


def test_another_seed_gives_another_book(tmp_path):
    first = _files(write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "a", AS_OF))
    other = _files(write_inbox(generate_book(15, 43, AS_OF, SMALL), tmp_path / "b", AS_OF))
    assert first["lots.csv"] != other["lots.csv"] and first["prices.csv"] != other["prices.csv"]


def test_the_book_does_not_depend_on_how_accounts_are_chunked():
    """Names are drawn in chunks of accounts to bound memory; the chunk size must not change the book."""
    whole = generate_book(15, 9, AS_OF, SMALL)
    chunked = generate_book(
        15, 9, AS_OF, BookParams(price_days=120, history_years=2, chunk_accounts=4)
    )
    for name in whole:
        assert whole[name].equals(chunked[name]), name
