"""Whole-file problems refuse the night: nothing is loaded, the report says which file and why.

Sources: the issue's list (missing and extra columns; oversized and truncated files; malicious
content is refused cleanly) and PRODUCT.md ("minimum columns; more are allowed"; "nothing
half-loaded").
"""

from __future__ import annotations

import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from inbox_builder import (
    AS_OF,
    clean_fills,
    clean_inbox,
    folder_state,
    night,
    write_file,
    write_inbox,
)

from pipelines.settings import ValidationSettings
from pipelines.validate import render_report, validate_frame, validate_inbox
from pipelines.validate._validate import validate_file
from sma.inbox import FILLS, INBOX_FILES


def _fatal(tmp_path, settings=None):
    before = folder_state(tmp_path)
    result = validate_inbox(tmp_path, AS_OF, settings or ValidationSettings(), with_frames=True)
    assert folder_state(tmp_path) == before, "the validator must write nothing"
    assert result.fatal and not result.ok
    assert result.frames == {}, "nothing may be loaded"
    return result


def _file_issue(result, file):
    found = result.issues[(result.issues["file"] == file) & result.issues["row"].isna()]
    assert len(found) == 1, result.issues
    return found.iloc[0]


def test_a_clean_inbox_has_no_issues_and_loads_every_row(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok and not result.fatal and result.held_accounts == frozenset()
    assert {k: len(v) for k, v in result.frames.items()} == {
        k: len(v) for k, v in clean_inbox().items()
    }
    assert render_report(result).endswith("inbox is clean: 15 files, 52 rows checked")


def test_a_missing_required_file_refuses_the_night(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    (night(tmp_path) / "lots.csv").unlink()
    issue = _file_issue(_fatal(tmp_path), "lots")
    assert issue["rule"] == "required_file"


def test_a_missing_optional_file_is_an_empty_frame(tmp_path):
    frames = clean_inbox()
    del frames["corporate_actions"]
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok and len(result.frames["corporate_actions"]) == 0
    assert list(result.frames["corporate_actions"].columns) == list(
        INBOX_FILES["corporate_actions"].column_names
    )


def test_a_missing_required_column_refuses_the_night(tmp_path):
    frames = clean_inbox()
    frames["lots"] = frames["lots"].drop(columns=["quantity"])
    write_inbox(frames, tmp_path)
    issue = _file_issue(_fatal(tmp_path), "lots")
    assert (issue["rule"], issue["column"]) == ("required_column", "quantity")


def test_a_missing_optional_column_is_all_null(tmp_path):
    frames = clean_inbox()
    frames["prices"] = frames["prices"].drop(columns=["volume"])
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok and result.frames["prices"]["volume"].isna().all()


def test_an_extra_column_is_a_note_not_an_error(tmp_path):
    """Minimum columns; more are allowed (PRODUCT.md, inbox contract)."""
    frames = clean_inbox()
    frames["lots"]["custodian_ref"] = "=cmd"
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok
    assert "lots: extra column 'custodian_ref' is ignored" in result.notes
    assert "custodian_ref" not in result.frames["lots"]


def test_a_file_over_the_default_limit_is_refused_unread(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "lots.csv"
    with path.open("r+b") as handle:
        handle.truncate(33 * 1024**3)  # sparse: costs no disk
    issue = _file_issue(_fatal(tmp_path), "lots")
    assert issue["rule"] == "file_size" and "35,433,480,192 bytes" in issue["message"]


def test_the_size_limit_comes_from_settings(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    issue = _file_issue(_fatal(tmp_path, ValidationSettings(max_file_bytes=200)), "securities")
    assert issue["rule"] == "file_size"


def test_a_csv_truncated_inside_a_record_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "lots.csv"
    path.write_bytes(path.read_bytes()[:-20])
    assert _file_issue(_fatal(tmp_path), "lots")["rule"] == "unreadable"


def test_a_csv_with_an_unclosed_quote_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "cash.csv"
    path.write_text('account_id,amount\nA1,"1250.00\nA2,-3.50\n')
    assert _file_issue(_fatal(tmp_path), "cash")["rule"] == "unreadable"


def test_a_truncated_parquet_file_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    path = night(tmp_path) / "positions.parquet"
    path.write_bytes(path.read_bytes()[:-40])
    assert _file_issue(_fatal(tmp_path), "positions")["rule"] == "unreadable"


def test_an_empty_file_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    (night(tmp_path) / "cash.csv").write_bytes(b"")
    assert _file_issue(_fatal(tmp_path), "cash")["rule"] == "unreadable"


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    (night(tmp_path) / "cash.csv").write_bytes(
        "account_id,amount\nA1,12\xe9\nA2,1\nA3,0\n".encode("latin-1")
    )
    assert _file_issue(_fatal(tmp_path), "cash")["rule"] == "unreadable"


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    (night(tmp_path) / "cash.csv").write_text("account_id,amount,amount\nA1,1,2\nA2,1,2\nA3,0,0\n")
    issue = _file_issue(_fatal(tmp_path), "cash")
    assert (issue["rule"], issue["column"]) == ("duplicate_column", "amount")


def test_a_file_in_both_formats_is_ambiguous(tmp_path):
    frames = clean_inbox()
    write_inbox(frames, tmp_path)
    write_file(frames["cash"], night(tmp_path) / "cash.parquet")
    assert _file_issue(_fatal(tmp_path), "cash")["rule"] == "ambiguous_file"


def test_a_symlink_out_of_the_night_folder_is_refused(tmp_path):
    frames = clean_inbox()
    write_inbox(frames, tmp_path)
    outside = tmp_path / "elsewhere.csv"
    write_file(frames["cash"], outside)
    (night(tmp_path) / "cash.csv").unlink()
    os.symlink(outside, night(tmp_path) / "cash.csv")
    assert _file_issue(_fatal(tmp_path), "cash")["rule"] == "not_a_regular_file"


def test_a_missing_night_folder_is_reported_not_raised(tmp_path):
    result = _fatal(tmp_path)
    assert list(result.issues["rule"]) == ["inbox_folder"]


def test_a_whole_file_problem_still_reports_the_bad_rows_of_other_files(tmp_path):
    frames = clean_inbox()
    frames["cash"].loc[0, "amount"] = "NaN"
    write_inbox(frames, tmp_path)
    (night(tmp_path) / "positions.csv").unlink()
    result = _fatal(tmp_path)
    assert set(result.issues["rule"]) == {"required_file", "finite"}


def test_a_parquet_inbox_gives_the_same_result_as_a_csv_inbox(tmp_path):
    frames = clean_inbox()
    frames["lots"].loc[1, "quantity"] = "inf"
    write_inbox(frames, tmp_path / "csv")
    write_inbox(frames, tmp_path / "parquet", fmt="parquet")
    from_csv = validate_inbox(tmp_path / "csv", AS_OF, ValidationSettings(), with_frames=True)
    from_parquet = validate_inbox(
        tmp_path / "parquet", AS_OF, ValidationSettings(), with_frames=True
    )
    pd.testing.assert_frame_equal(from_csv.issues, from_parquet.issues)
    for name in from_csv.frames:
        pd.testing.assert_frame_equal(from_csv.frames[name], from_parquet.frames[name])


def test_typed_parquet_columns_are_checked_as_numbers_and_dates(tmp_path):
    frames = clean_inbox()
    write_inbox(frames, tmp_path, fmt="parquet")
    table = pa.table(
        {
            "account_id": ["A1", "A2", "A3"],
            "amount": pa.array([1250.0, float("nan"), 0.0]),
        }
    )
    pq.write_table(table, night(tmp_path) / "cash.parquet")
    lots = pq.read_table(night(tmp_path) / "lots.parquet")
    lots = lots.set_column(
        5, "acquired_date", pa.array(pd.to_datetime(frames["lots"]["acquired_date"]).dt.date)
    )
    pq.write_table(lots, night(tmp_path) / "lots.parquet")
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    found = (
        result.issues[["file", "row", "column", "rule"]]
        .astype(object)
        .itertuples(index=False, name=None)
    )
    assert [tuple(None if pd.isna(v) else v for v in r) for r in found] == [
        ("cash", None, "account_id", "cash_row"),
        ("cash", 2, "amount", "finite"),
    ]


def test_fills_are_checked_against_their_own_suite(tmp_path):
    fills = clean_fills()
    fills.loc[1, "price"] = "-405"
    fills.loc[0, "lot_id"] = "../L2"
    write_file(fills, tmp_path / "fills.csv")
    result = validate_file(
        tmp_path / "fills.csv", FILLS, AS_OF, ValidationSettings(), with_frames=True
    )
    assert list(result.issues[["row", "column", "rule"]].itertuples(index=False, name=None)) == [
        (1, "lot_id", "id_pattern"),
        (2, "price", "positive"),
    ]
    assert len(result.frames["fills"]) == 0 and result.held_accounts == {"A1", "A2"}


@pytest.mark.parametrize("damage", ["truncate", "oversize"])
def test_a_damaged_fills_file_is_fatal(tmp_path, damage):
    write_file(clean_fills(), tmp_path / "fills.csv")
    path = tmp_path / "fills.csv"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-7])
    result = validate_file(
        path,
        FILLS,
        AS_OF,
        ValidationSettings(max_file_bytes=10 if damage == "oversize" else 10**6),
        with_frames=True,
    )
    assert result.fatal and result.frames == {}
    assert list(result.issues["rule"]) == ["unreadable" if damage == "truncate" else "file_size"]


def test_a_spreadsheet_export_with_a_byte_order_mark_and_crlf_lines_reads_clean(tmp_path):
    """Excel writes UTF-8 with a BOM and CRLF line ends; the contract is about cells, not bytes."""
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok, result.issues
    assert list(result.frames["accounts"]["account_id"]) == ["A1", "A2", "A3"]


@pytest.mark.slow
def test_a_small_parquet_file_that_decodes_to_gigabytes_is_refused_before_it_is_expanded(tmp_path):
    """A 3 KB Parquet file of one 5,000-character id repeated 200,000 times decodes to 1 GB."""
    write_inbox(clean_inbox(), tmp_path)
    bomb = pa.table(
        {"account_id": pa.array(["A" * 5000] * 200_000), "amount": pa.array([1.0] * 200_000)}
    )
    pq.write_table(bomb, night(tmp_path) / "cash.parquet")
    (night(tmp_path) / "cash.csv").unlink()
    assert (night(tmp_path) / "cash.parquet").stat().st_size < 10_000
    issue = _file_issue(_fatal(tmp_path, ValidationSettings(max_file_bytes=100_000_000)), "cash")
    assert issue["rule"] == "file_size" and "decodes to 1,002,400,000 bytes" in issue["message"]


def test_a_frame_in_memory_is_checked_like_a_file(tmp_path):
    """Typed columns (numbers, dates) or text, the same rules: here a fill with a negative price."""
    fills = clean_fills()
    fills["quantity"] = fills["quantity"].astype(float)
    fills["price"] = [181.0, -405.0]
    result = validate_frame(fills, FILLS, AS_OF, with_frames=True)
    assert list(result.issues[["row", "column", "rule"]].itertuples(index=False, name=None)) == [
        (2, "price", "positive")
    ]
    assert list(result.frames["fills"].index) == [1]
    assert validate_frame(fills.drop(columns=["price"]), FILLS, AS_OF).fatal
    mixed = fills.astype(object)
    mixed.loc[0, "symbol"] = 7
    assert list(validate_frame(mixed, FILLS, AS_OF).issues["rule"]) == ["unreadable"]
