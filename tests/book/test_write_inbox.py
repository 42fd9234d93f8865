"""pipelines.book.write_inbox: any frames, in the contract layout, written atomically."""

from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.book import InboxWriteError, write_inbox

AS_OF = date(2026, 11, 24)


def _lots():
    return pd.DataFrame(
        {
            "account_id": ["A1", "A1"],
            "lot_id": ["L1", "L2"],
            "symbol": ["ABC", "XYZ.B"],
            "quantity": [10.0, 2.5],
            "cost_basis": [1234.5, 0.0],
            "acquired_date": pd.to_datetime(["2025-01-02", "2026-11-24"]),
            "adjusted_acquired_date": pd.to_datetime(["2024-12-20", None]),
        }
    )


def test_csv_has_a_header_iso_dates_blank_nulls_and_true_false(tmp_path):
    """Contract (CSV): header row, ISO dates, blank for null, booleans as true/false."""
    accounts = pd.DataFrame({"account_id": ["A1"], "tlh_enabled": [True], "gain_budget": [None]})
    folder = write_inbox({"lots": _lots(), "accounts": accounts}, tmp_path, AS_OF)
    assert folder == tmp_path / "2026-11-24"
    lines = (folder / "lots.csv").read_text().splitlines()
    assert (
        lines[0]
        == '"account_id","lot_id","symbol","quantity","cost_basis","acquired_date","adjusted_acquired_date"'
    )
    assert lines[1] == '"A1","L1","ABC",10,1234.5,2025-01-02,2024-12-20'
    assert lines[2] == '"A1","L2","XYZ.B",2.5,0,2026-11-24,'
    assert (folder / "accounts.csv").read_text().splitlines()[1] == '"A1",true,'


def test_parquet_columns_are_typed_with_dates_as_date32(tmp_path):
    """Contract (Parquet): typed columns, dates as date32."""
    folder = write_inbox({"lots": _lots()}, tmp_path, AS_OF, "parquet")
    schema = pq.read_schema(folder / "lots.parquet")
    assert str(schema.field("acquired_date").type) == "date32[day]"
    assert str(schema.field("quantity").type) == "double"
    assert str(schema.field("symbol").type) == "string"


def test_no_temporary_file_is_left_behind_and_a_rewrite_replaces_the_file(tmp_path):
    write_inbox({"lots": _lots()}, tmp_path, AS_OF)
    write_inbox({"lots": _lots().head(1)}, tmp_path, AS_OF)
    folder = tmp_path / "2026-11-24"
    assert sorted(p.name for p in folder.iterdir()) == ["lots.csv"]
    assert len((folder / "lots.csv").read_text().splitlines()) == 2


def test_hand_made_bad_cells_are_written_as_given(tmp_path):
    """A test of the validator writes bad inboxes with this: a mixed column is written as text."""
    bad = _lots().astype({"quantity": object})
    bad.loc[0, "quantity"] = "ten"
    bad.loc[1, "symbol"] = "=HYPERLINK()"
    folder = write_inbox({"lots": bad}, tmp_path, AS_OF)
    text = (folder / "lots.csv").read_text()
    assert '"ten"' in text and '"=HYPERLINK()"' in text


@pytest.mark.parametrize("name", ["../lots", "sub/lots", ".hidden"])
def test_a_file_name_cannot_leave_the_dated_folder(tmp_path, name):
    with pytest.raises(InboxWriteError):
        write_inbox({name: _lots()}, tmp_path, AS_OF)


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(InboxWriteError, match="format"):
        write_inbox({"lots": _lots()}, tmp_path, AS_OF, "xlsx")
