"""Hostile inboxes get a clear issue (file, row, column, rule) or are read as written: never a
traceback, never a whole night lost to one row (issue 16, points 3-6).

Each test carries the input that used to crash the night or pass validation.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from inbox_builder import AS_OF, clean_inbox, night, write_inbox
from test_cli_validate import _run, sma  # noqa: F401  (the CLI fixture)

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox


def _validate(root):
    return validate_inbox(root, AS_OF, ValidationSettings(), with_frames=True)


def _issues(result, file=None):
    found = result.issues if file is None else result.issues[result.issues["file"] == file]
    return [
        (
            r.file,
            None if pd.isna(r.row) else int(r.row),
            None if pd.isna(r.column) else r.column,
            r.rule,
        )
        for r in found.astype(object).itertuples()
    ]


def _rewrite_parquet_column(root, file, column, array):
    path = night(root) / f"{file}.parquet"
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.column_names.index(column), column, array), path)


# --- 3. year-0000 dates ---------------------------------------------------------------------


def test_a_close_dated_year_0000_in_a_typed_parquet_date_column_is_refused_by_the_date_range(
    tmp_path,
):
    """Parquet stores dates as days since 1970: year 1 is a valid date32 and used to pass."""
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    days = [date(1, 1, 1)] + [date(2026, 11, 23)] * 3 + [AS_OF] * 4
    _rewrite_parquet_column(tmp_path, "prices", "date", pa.array(days, pa.date32()))
    result = _validate(tmp_path)
    assert not result.fatal
    assert _issues(result, "prices") == [("prices", 1, "date", "date_range")]
    assert 1 not in result.frames["prices"].index
    assert result.issues.loc[result.issues["rule"] == "date_range", "message"].iloc[0] == (
        "date must be between 1900-01-01 and 2199-12-31: correct the year"
    )


# --- 4. types a Parquet writer can produce ------------------------------------------------


def test_a_list_typed_parquet_column_refuses_the_file_naming_the_column_and_what_to_store(tmp_path):
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    _rewrite_parquet_column(tmp_path, "prices", "close", pa.array([[1.0, 2.0]] * 8))
    result = _validate(tmp_path)
    assert result.fatal
    issue = result.issues[result.issues["file"] == "prices"].iloc[0]
    assert (issue["column"], issue["rule"]) == ("close", "column_type")
    assert "list<" in issue["message"] and "store it as a double" in issue["message"]


def test_a_list_typed_column_is_a_report_on_the_command_line_not_a_traceback(tmp_path, sma):  # noqa: F811
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    _rewrite_parquet_column(tmp_path, "lots", "acquired_date", pa.array([["2024-01-05"]] * 5))
    done = _run(sma, "--inbox", str(tmp_path), "--date", AS_OF.isoformat())
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "column_type" in done.output and "acquired_date" in done.output
    assert "Traceback" not in done.output


def test_a_binary_parquet_text_column_that_is_not_utf8_refuses_the_file_naming_the_column(tmp_path):
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    _rewrite_parquet_column(
        tmp_path,
        "securities",
        "name",
        pa.array([b"\xff\xfe", b"MSFT", b"XOM", b"JNJ"], pa.binary()),
    )
    result = _validate(tmp_path)
    assert result.fatal
    issue = result.issues[result.issues["file"] == "securities"].iloc[0]
    assert (issue["column"], issue["rule"]) == ("name", "column_type")
    assert "store it as a UTF-8 text column" in issue["message"]


@pytest.mark.parametrize("volume", [2**53 + 1, 2**64 - 1])
def test_a_uint64_above_2_to_the_53_is_an_overflow_issue_on_its_row(tmp_path, volume):
    """A double holds integers exactly only up to 2**53; any larger volume is over the 1e12
    bound."""
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    volumes = [1_000_000] * 8
    volumes[2] = volume
    _rewrite_parquet_column(tmp_path, "prices", "volume", pa.array(volumes, pa.uint64()))
    result = _validate(tmp_path)
    assert _issues(result, "prices") == [("prices", 3, "volume", "overflow")]
    assert result.issues.iloc[0]["value"] == str(volume)


# --- 5. one stray quote -------------------------------------------------------------------


@pytest.mark.parametrize("name", ['5" Systems', 'The "Five" Systems Co.'])
def test_a_quote_inside_an_unquoted_cell_is_read_as_written(tmp_path, name):
    """RFC 4180 opens a quoted cell only at its first character; Arrow and Python's csv read
    ``5" Systems`` as written, so the night must too (it used to refuse the file as truncated)."""
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "securities.csv"
    path.write_text(path.read_text().replace("Microsoft Corp.", name))
    result = _validate(tmp_path)
    assert result.ok, result.issues
    assert result.frames["securities"].loc[2, "name"] == name


def test_a_quoted_cell_still_open_at_the_end_of_the_file_is_still_refused(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    path = night(tmp_path) / "securities.csv"
    path.write_text(
        path.read_text().replace("Microsoft Corp.", '5" Systems').replace("Oil & Gas", '"Oil & Gas')
    )
    result = _validate(tmp_path)
    assert result.fatal
    assert _issues(result, "securities") == [("securities", None, None, "unreadable")]


# --- 6. free text, timestamps, phantom lots --------------------------------------------------


def test_a_one_megabyte_client_name_is_refused_and_reported_cut_short(tmp_path):
    frames = clean_inbox()
    frames["accounts"].loc[0, "client_name"] = "x" * 1_000_000
    write_inbox(frames, tmp_path)
    result = _validate(tmp_path)
    assert _issues(result, "accounts") == [("accounts", 1, "client_name", "max_length")]
    assert "A1" in result.held_accounts
    value = result.issues.loc[result.issues["rule"] == "max_length", "value"].iloc[0]
    assert len(value) <= 120 and value.endswith("(1,000,000 characters)")


def test_a_client_name_of_200_characters_passes(tmp_path):
    frames = clean_inbox()
    frames["accounts"].loc[0, "client_name"] = "Ada " + "L" * 196
    write_inbox(frames, tmp_path)
    assert _validate(tmp_path).ok


@pytest.mark.parametrize("zone", [None, "America/New_York"])
def test_a_lot_bought_at_23_59_on_the_as_of_date_is_not_in_the_future(tmp_path, zone):
    """Only a day after the as-of date is the future; a timestamp names its own calendar day."""
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    tz = ZoneInfo(zone) if zone else None
    stamps = [
        datetime(2024, 1, 5, tzinfo=tz),
        datetime(AS_OF.year, AS_OF.month, AS_OF.day, 23, 59, tzinfo=tz),
        datetime(2023, 2, 1, tzinfo=tz),
        datetime(2025, 6, 2, tzinfo=tz),
        datetime(2025, 9, 9, tzinfo=tz),
    ]
    _rewrite_parquet_column(
        tmp_path, "lots", "acquired_date", pa.array(stamps, pa.timestamp("s", tz=zone))
    )
    result = _validate(tmp_path)
    assert [i for i in _issues(result, "lots") if i[3] == "not_future"] == []
    assert result.frames["lots"].loc[2, "acquired_date"] == datetime(
        AS_OF.year, AS_OF.month, AS_OF.day
    )


def test_a_lot_bought_the_day_after_the_as_of_date_is_still_in_the_future(tmp_path):
    write_inbox(clean_inbox(), tmp_path, fmt="parquet")
    stamps = [
        datetime(2024, 1, 5),
        datetime(2026, 11, 25, 0, 1),
        datetime(2023, 2, 1),
        datetime(2025, 6, 2),
        datetime(2025, 9, 9),
    ]
    _rewrite_parquet_column(tmp_path, "lots", "acquired_date", pa.array(stamps, pa.timestamp("s")))
    assert ("lots", 2, "acquired_date", "not_future") in _issues(_validate(tmp_path), "lots")


def test_a_phantom_lot_of_a_ten_millionth_of_a_share_with_a_million_dollar_basis_is_refused(
    tmp_path,
):
    """1e-7 shares hide inside the reconciliation tolerance (1e-6 shares), so reconciliation
    cannot see the lot; its cost per share (1e13 dollars against a close of 156) can."""
    frames = clean_inbox()
    frames["lots"].loc[5] = ["A2", "L9", "JNJ", "1e-7", "1000000", "2024-01-02", ""]
    write_inbox(frames, tmp_path)
    result = _validate(tmp_path)
    assert _issues(result, "lots") == [("lots", 6, "quantity", "lot_cost_per_share")]
    assert "A2" in result.held_accounts and 6 not in result.frames["lots"].index
    # Reconciliation alone does not see it (the issue the rule closes):
    assert "lots_reconcile_to_positions" not in set(result.issues["rule"])


def test_a_lot_that_lost_99_percent_is_not_a_phantom(tmp_path):
    """JNJ closes at 156 on the as-of date; a lot bought at 15,000 a share is 96 times that."""
    frames = clean_inbox()
    frames["lots"].loc[3, "cost_basis"] = str(4 * 15_000)
    write_inbox(frames, tmp_path)
    assert _validate(tmp_path).ok
