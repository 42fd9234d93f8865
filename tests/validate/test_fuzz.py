"""Fuzzing the loaders: whatever bytes or cells arrive, validation returns a result and the clean
frames keep the contract; no exception but the project's input error escapes (issue 2)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inbox_builder import AS_OF, clean_fills, clean_inbox, night, write_file, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox
from pipelines.validate._read import InboxReadError, open_file
from pipelines.validate._validate import validate_file
from sma.inbox import FILLS, ID_PATTERN, INBOX_FILES, SYMBOL_PATTERN, ColumnKind

FUZZ = settings(
    max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)

NASTY = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "-inf",
        "1e400",
        "1e13",
        "0",
        "-0",
        "-1",
        "1,5",
        "0x1F",
        "2026-02-30",
        "2026-11-24",
        "9999-12-31",
        "0001-01-01",
        "true",
        "TRUE",
        "maybe",
        "../../etc/passwd",
        "=cmd|'/c calc'!A1",
        "+1",
        "@SUM(1)",
        "\t",
        "\x00",
        "\x1b[2J",
        "AAPL",
        "A1",
        "L1",
        "B1",
        "H1",
        "Energy",
        "SPLIT",
        "BUY",
        "IRA",
        "é",
        "𝔘",
        '"',
        "'",
        "a" * 300,
        "1" * 400,
    ]
)
CELL = st.one_of(NASTY, st.text(max_size=12), st.floats().map(repr))


def _assert_contract_holds(result) -> None:
    """Clean frames carry only valid rows; every quarantined row is gone; issues are well formed."""
    assert list(result.issues.columns) == [
        "file",
        "row",
        "column",
        "rule",
        "value",
        "message",
        "account_id",
    ]
    assert result.issues["rule"].notna().all() and result.issues["message"].notna().all()
    if result.fatal:
        assert result.frames == {}
        return
    refused = result.issues.dropna(subset=["row"])
    for name, frame in result.frames.items():
        spec = INBOX_FILES.get(name) or FILLS
        assert list(frame.columns) == list(spec.column_names)
        assert not set(refused[refused["file"] == name]["row"]) & set(frame.index)
        for column in spec.columns:
            values = frame[column.name]
            present = values.notna()
            if not column.nullable:
                assert present.all(), (name, column.name)
            if column.kind is ColumnKind.FLOAT:
                assert np.isfinite(values[present]).all(), (name, column.name)
            if column.kind is ColumnKind.ID:
                assert values[present].map(lambda v: re.match(ID_PATTERN, v) is not None).all()
            if column.kind is ColumnKind.SYMBOL:
                assert values[present].map(lambda v: re.match(SYMBOL_PATTERN, v) is not None).all()
    if "securities" in result.frames:
        known = set(result.frames["securities"]["symbol"])
        accounts = set(result.frames["accounts"]["account_id"])
        for name, frame in result.frames.items():
            if "symbol" in frame:
                assert set(frame["symbol"].dropna()) <= known, name
            if "account_id" in frame and name != "accounts":
                # blank only where the column allows it (a corporate action for every account)
                assert set(frame["account_id"].dropna()) <= accounts, name


@pytest.mark.slow  # the whole validator over a written inbox, 6 times for each of 13 files
@pytest.mark.parametrize("name", sorted(INBOX_FILES))
@FUZZ
@given(content=st.binary(max_size=600), fmt=st.sampled_from(["csv", "parquet"]))
def test_any_bytes_in_any_file_give_a_report_not_a_crash(name, content, fmt):
    with tempfile.TemporaryDirectory() as root:
        frames = clean_inbox()
        del frames[name]
        write_inbox(frames, Path(root))
        (night(Path(root)) / f"{name}.{fmt}").write_bytes(content)
        result = validate_inbox(Path(root), AS_OF, ValidationSettings(), with_frames=True)
    _assert_contract_holds(result)


@pytest.mark.slow  # the whole validator over a written inbox, 6 times for each of 13 files
@pytest.mark.parametrize("name", sorted(INBOX_FILES))
@FUZZ
@given(data=st.data())
def test_any_cells_under_a_valid_header_give_a_report_not_a_crash(name, data):
    frames = clean_inbox()
    columns = list(frames[name].columns)
    n_rows = data.draw(st.integers(0, 4))
    rows = [[data.draw(CELL) for _ in columns] for _ in range(n_rows)]
    frames[name] = pd.DataFrame(rows, columns=columns, dtype=object)
    with tempfile.TemporaryDirectory() as root:
        write_inbox(frames, Path(root), fmt=data.draw(st.sampled_from(["csv", "parquet"])))
        result = validate_inbox(Path(root), AS_OF, ValidationSettings(), with_frames=True)
    _assert_contract_holds(result)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_one_random_cell_anywhere_never_escapes_as_an_exception(data):
    frames = clean_inbox()
    name = data.draw(st.sampled_from(sorted(frames)))
    row = data.draw(st.integers(0, len(frames[name]) - 1))
    column = data.draw(st.sampled_from(list(frames[name].columns)))
    frames[name].loc[row, column] = data.draw(CELL)
    with tempfile.TemporaryDirectory() as root:
        write_inbox(frames, Path(root))
        result = validate_inbox(Path(root), AS_OF, ValidationSettings(), with_frames=True)
    _assert_contract_holds(result)
    if not result.ok:
        assert result.held_accounts or result.issues["account_id"].isna().all()


@FUZZ
@given(content=st.binary(max_size=600), fmt=st.sampled_from(["csv", "parquet"]))
def test_any_bytes_as_a_fills_file_give_a_report_not_a_crash(content, fmt):
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / f"fills.{fmt}"
        path.write_bytes(content)
        result = validate_file(path, FILLS, AS_OF, ValidationSettings(), with_frames=True)
    _assert_contract_holds(result)


@FUZZ
@given(data=st.data())
def test_any_cells_in_fills_give_a_report_not_a_crash(data):
    fills = clean_fills()
    rows = [[data.draw(CELL) for _ in fills.columns] for _ in range(data.draw(st.integers(0, 4)))]
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / "fills.csv"
        write_file(pd.DataFrame(rows, columns=fills.columns, dtype=object), path)
        result = validate_file(path, FILLS, AS_OF, ValidationSettings(), with_frames=True)
    _assert_contract_holds(result)


@FUZZ
@given(content=st.binary(max_size=400))
def test_reading_any_bytes_in_batches_raises_only_the_projects_input_error(content):
    """Opening a file and reading it in batches (here of 2 records) fails only with
    InboxReadError."""
    with tempfile.TemporaryDirectory() as root:
        path = night(Path(root)) / "lots.csv"
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        try:
            opened = open_file(path, INBOX_FILES["lots"], ValidationSettings(batch_rows=2))
            batches = list(opened.batches)
        except InboxReadError:
            return
    assert all(b.num_rows <= 2 for b in batches)
    assert all(b.column_names == list(opened.column_names) for b in batches)
