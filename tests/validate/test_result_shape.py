"""The shape others build on: clean frames typed as documented, issues with stable columns, the
report readable and capped, the same inputs giving the same result."""

from __future__ import annotations

import numpy as np
import pandas as pd
from inbox_builder import AS_OF, clean_inbox, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import render_report, validate_inbox
from pipelines.validate._issues import ISSUE_COLUMNS
from sma.inbox import INBOX_FILES, ColumnKind

DTYPE = {
    ColumnKind.FLOAT: np.dtype("float64"),
    ColumnKind.RATIONAL: np.dtype("float64"),  # the nearest doubles; sma.ledger.exact reads back
    ColumnKind.BOOL: np.dtype("bool"),
    ColumnKind.DATE: np.dtype("datetime64[s]"),
}


def test_clean_frames_are_typed_by_column_kind_and_indexed_by_record_number(tmp_path):
    write_inbox(clean_inbox(), tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    for name, spec in INBOX_FILES.items():
        frame = result.frames[name]
        assert list(frame.columns) == list(spec.column_names)
        assert frame.index.name == "row" and list(frame.index) == list(range(1, len(frame) + 1))
        for column in spec.columns:
            expected = DTYPE.get(column.kind)
            if expected is None:
                assert pd.api.types.is_string_dtype(frame[column.name].dtype), (name, column.name)
            else:
                assert frame[column.name].dtype == expected, (name, column.name)
    lots = result.frames["lots"]
    assert lots.loc[2, "adjusted_acquired_date"] == np.datetime64("2026-10-01")
    assert pd.isna(lots.loc[1, "adjusted_acquired_date"])
    assert pd.isna(result.frames["accounts"].loc[2, "gain_budget"])
    assert result.frames["securities"]["esg_tags"].isna().sum() == 3


def test_issues_have_the_documented_columns_and_row_is_a_nullable_integer(tmp_path):
    frames = clean_inbox()
    frames["lots"].loc[0, "quantity"] = "0"
    write_inbox(frames, tmp_path)
    issues = validate_inbox(tmp_path, AS_OF, ValidationSettings()).issues
    assert tuple(issues.columns) == ISSUE_COLUMNS
    assert str(issues["row"].dtype) == "Int64"
    first = issues.iloc[0]
    assert (
        first["file"],
        first["row"],
        first["column"],
        first["rule"],
        first["value"],
        first["account_id"],
    ) == ("lots", 1, "quantity", "positive", "0", "A1")


def test_every_row_read_is_either_clean_or_named_by_an_issue(tmp_path):
    frames = clean_inbox()
    frames["lots"].loc[0, "quantity"] = "x"
    frames["prices"].loc[2, "close"] = "-1"
    frames["transactions"].loc[1, "side"] = "SHORT"
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    refused = result.issues.dropna(subset=["row"]).groupby("file")["row"].nunique()
    for name, frame in result.frames.items():
        assert len(frame) + refused.get(name, 0) == result.rows_read.get(name, 0), name


def test_the_same_inbox_gives_the_same_result_and_report(tmp_path):
    frames = clean_inbox()
    frames["benchmarks"].loc[0, "weight"] = "0.5"
    frames["lots"].loc[3, "symbol"] = "ZZZ"
    write_inbox(frames, tmp_path)
    first = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    second = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    pd.testing.assert_frame_equal(first.issues, second.issues)
    assert render_report(first) == render_report(second)
    for name in first.frames:
        pd.testing.assert_frame_equal(first.frames[name], second.frames[name])


def test_the_report_lists_at_most_the_cap_and_counts_the_rest(tmp_path):
    frames = clean_inbox()
    frames["lots"]["quantity"] = "-1"
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    report = render_report(result, max_issues=2).splitlines()
    assert report[0].split() == ["file", "row", "column", "rule", "value", "account", "message"]
    assert len(report) == 2 + 2 + 2
    assert report[-2] == f"... and {len(result.issues) - 2} more issues"
    assert report[-1].startswith(f"{len(result.issues)} issues in ")
