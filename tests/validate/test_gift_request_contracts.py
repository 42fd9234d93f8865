"""The gift_requests file (issue 21, "Charitable gifting"): bad rows are quarantined with their
file, row, column and rule, and the rest of the night goes on."""

from __future__ import annotations

import pytest
from inbox_builder import AS_OF, _frame, clean_inbox, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox


def issues_of(tmp_path, gifts):
    frames = clean_inbox()
    frames["gift_requests"] = gifts
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    found = result.issues[result.issues["file"] == "gift_requests"]
    return result, found[["row", "column", "rule"]].values.tolist()


def test_a_clean_gift_request_loads(tmp_path):
    result, found = issues_of(tmp_path, clean_inbox()["gift_requests"])
    assert found == []
    assert result.frames["gift_requests"]["amount"].tolist() == [1000.0]


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("G2,A1,0,2026-11-24,Red Cross", "amount", "positive"),
        ("G2,A1,-5.00,2026-11-24,Red Cross", "amount", "positive"),
        ("G2,A9,500.00,2026-11-24,Red Cross", "account_id", "known_account"),
        # A2 is an IRA: no tax on gains to avoid (IRS Pub. 526; data_contracts/README.md)
        ("G2,A2,500.00,2026-11-24,Red Cross", "account_id", "gift_from_taxable"),
        ("G2,A1,500.00,2026-11-24,", "charity", "not_null"),
        ("G2,A1,500.00,2026-11-24,   ", "charity", "not_blank"),
        ("G2,A1,500.00,2026-11-24,=HYPERLINK(1)", "charity", "formula_prefix"),
        ("G2,A1,500.00,24/11/2026,Red Cross", "date", "date_format"),
        ("../G2,A1,500.00,2026-11-24,Red Cross", "request_id", "id_pattern"),
    ],
)
def test_a_bad_gift_request_is_quarantined_with_its_row_column_and_rule(
    tmp_path, row, column, rule
):
    gifts = _frame(
        "request_id,account_id,amount,date,charity", "G1,A1,1000.00,2026-11-24,Red Cross", row
    )
    result, found = issues_of(tmp_path, gifts)
    assert [2, column, rule] in found
    assert result.frames["gift_requests"]["request_id"].tolist() == ["G1"]


def test_a_duplicate_request_id_refuses_every_row_of_it(tmp_path):
    """Which of two rows with one request_id is meant is unknown: both are refused."""
    gifts = _frame(
        "request_id,account_id,amount,date,charity",
        "G1,A1,1000.00,2026-11-24,Red Cross",
        "G1,A1,2000.00,2026-11-24,Oxfam",
    )
    result, found = issues_of(tmp_path, gifts)
    assert [1, "request_id", "unique_key"] in found and [2, "request_id", "unique_key"] in found
    assert result.frames["gift_requests"].empty


def test_a_night_without_a_gift_requests_file_loads_none(tmp_path):
    frames = clean_inbox()
    del frames["gift_requests"]
    write_inbox(frames, tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert result.frames["gift_requests"].empty and result.issues.empty
