"""A fills file is read and typed as inbox files are (issue 18, one input reader): its bad cells
come back with the row (1-based data record), column and rule the validator uses."""

from __future__ import annotations

import pytest

from pipelines.fills import read_fills
from sma.trading import FillsRejected

HEADER = "exec_id,order_id,account_id,symbol,side,quantity,price,lot_id\n"


def test_bad_numbers_and_blanks_are_named_by_row_column_and_rule(tmp_path):
    path = tmp_path / "fills.csv"
    path.write_text(HEADER + "E1,O1,A1,AAA,BUY,ten,10.5,\nE2,O1,A1,AAA,BUY,5,,\n")
    with pytest.raises(FillsRejected) as rejected:
        read_fills(path)
    found = [(p.row, p.column, p.rule) for p in rejected.value.problems]
    assert found == [(1, "quantity", "number_format"), (2, "price", "not_null")]


def test_a_file_without_a_required_column_is_refused_whole(tmp_path):
    path = tmp_path / "fills.csv"
    path.write_text("exec_id,order_id\nE1,O1\n")
    with pytest.raises(FillsRejected) as rejected:
        read_fills(path)
    assert [(p.row, p.rule) for p in rejected.value.problems] == [(0, "required_column")]


def test_clean_fills_are_typed(tmp_path):
    path = tmp_path / "fills.csv"
    path.write_text(HEADER + "E1,O1,A1,AAA,SELL,10,10.5,L1\nE2,O1,A2,AAA,BUY,5,10.5,\n")
    fills = read_fills(path)
    assert fills["quantity"].tolist() == [10.0, 5.0]
    assert fills["lot_id"].tolist() == ["L1", None]
    assert fills["side"].tolist() == ["SELL", "BUY"]
