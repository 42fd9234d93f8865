"""Issue 2: the generator's book passes the inbox validation (pipelines.validate) for several
seeds."""

from datetime import date

import pytest

from pipelines.book import write_inbox
from pipelines.settings import load_settings
from pipelines.validate import validate_inbox
from sma.book import BookParams, generate_book

AS_OF = date(2026, 11, 24)
SMALL = BookParams(price_days=260, history_years=3)


@pytest.mark.parametrize(
    ("seed", "fmt"),
    [
        (1, "csv"),
        (2, "parquet"),
        pytest.param(3, "csv", marks=pytest.mark.slow),
        pytest.param(4, "parquet", marks=pytest.mark.slow),
    ],
)
def test_generated_book_passes_validation(tmp_path, seed, fmt):
    """Every data contract of data_contracts/ holds for a generated inbox, CSV or Parquet."""
    write_inbox(generate_book(20, seed, AS_OF, SMALL), tmp_path, AS_OF, fmt)
    result = validate_inbox(tmp_path, AS_OF, load_settings().validation)
    assert result.ok, result.issues.head(20).to_string()
    assert result.issues.empty


def test_validation_catches_a_book_whose_lots_no_longer_reconcile(tmp_path):
    """The check above can fail: one lot's shares changed breaks lots = positions."""
    frames = generate_book(20, 1, AS_OF, SMALL)
    frames["lots"].loc[0, "quantity"] += 1
    write_inbox(frames, tmp_path, AS_OF, "csv")
    result = validate_inbox(tmp_path, AS_OF, load_settings().validation)
    assert not result.issues.empty
