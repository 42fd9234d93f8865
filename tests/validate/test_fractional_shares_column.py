"""The accounts file's optional ``fractional_shares`` column (issue 17): true/false (also 1/0,
yes/no), blank or absent = false (whole shares); anything else is a bad cell naming file, row,
column and rule (``bool_format``), its account held out."""

from __future__ import annotations

import pytest
from inbox_builder import AS_OF, clean_inbox, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox
from sma.rebalance import fractional_accounts


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_accounts_file_without_the_column_is_valid(tmp_path, fmt):
    frames = clean_inbox()
    assert "fractional_shares" not in frames["accounts"]
    write_inbox(frames, tmp_path, fmt)
    assert validate_inbox(tmp_path, AS_OF, ValidationSettings()).ok


def test_true_false_and_blank_are_read_and_blank_is_whole_shares(tmp_path):
    frames = clean_inbox()
    n = len(frames["accounts"])
    frames["accounts"]["fractional_shares"] = (["yes", "", "false", "1"] * n)[:n]
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.ok
    assert (
        fractional_accounts(result.frames["accounts"]).tolist()
        == ([True, False, False, True] * n)[:n]
    )


def test_a_value_that_is_not_a_boolean_is_refused_with_its_row_and_rule(tmp_path):
    frames = clean_inbox()
    frames["accounts"]["fractional_shares"] = "false"
    frames["accounts"].loc[0, "fractional_shares"] = "0.001"
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    issue = result.issues[result.issues["column"] == "fractional_shares"]
    assert issue[["file", "row", "rule", "value"]].values.tolist() == [
        ["accounts", 1, "bool_format", "0.001"]
    ]
    assert frames["accounts"].loc[0, "account_id"] in result.held_accounts
