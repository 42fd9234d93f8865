"""Issue 2: the generator is deterministic for a seed -- same seed, byte-identical files."""

from datetime import date

import numpy as np
import pytest

from pipelines.book import write_book, write_inbox
from sma.book import BookParams, generate_book, part_bounds
from sma.inbox import INBOX_FILES

AS_OF = date(2026, 11, 24)
SMALL = BookParams(price_days=120, history_years=2)


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_writes_byte_identical_files(tmp_path, fmt):
    first = write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "a", AS_OF, fmt)
    second = write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "b", AS_OF, fmt)
    assert _files(first) == _files(second)
    assert len(_files(first)) == len(INBOX_FILES)


def test_another_seed_gives_another_book(tmp_path):
    first = _files(write_inbox(generate_book(15, 42, AS_OF, SMALL), tmp_path / "a", AS_OF))
    other = _files(write_inbox(generate_book(15, 43, AS_OF, SMALL), tmp_path / "b", AS_OF))
    assert first["lots.csv"] != other["lots.csv"] and first["prices.csv"] != other["prices.csv"]


def test_a_book_streamed_part_by_part_is_the_same_book(tmp_path):
    """write_book streams parts of whole households; the CSV files equal the one-piece book's."""
    params = BookParams(price_days=120, history_years=2, accounts_per_part=4)
    whole = write_inbox(generate_book(15, 9, AS_OF, params), tmp_path / "a", AS_OF)
    streamed = write_book(15, 9, AS_OF, tmp_path / "b", "csv", params)
    assert streamed.folder == tmp_path / "b" / "2026-11-24"
    assert _files(whole) == _files(streamed.folder)
    assert streamed.rows["accounts"] == 15


def test_parts_never_split_a_household():
    household = np.array([0, 0, 1, 2, 2, 2, 3, 4, 4])
    # Parts start at the first household start at or after each multiple of the part size.
    assert part_bounds(household, 2) == [(0, 2), (2, 6), (6, 9)]
    assert part_bounds(household, 3) == [(0, 3), (3, 6), (6, 9)]
    assert part_bounds(household, 100) == [(0, 9)]
    assert part_bounds(household[:0], 2) == [(0, 0)]
