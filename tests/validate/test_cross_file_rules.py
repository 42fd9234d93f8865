"""Rules between files (``data_contracts/cross_file/*.sql``): references, sums, reconciliation.

Sources: PRODUCT.md ("Inbox contract": benchmark weights sum to 1; positions are the custodian's
view, reconciled against lots; a break holds the account) and the issue's list of cross-file
rules. A quarantine rule refuses the row it names; a hold rule holds accounts and names no row.
"""

from __future__ import annotations

import pandas as pd
from inbox_builder import AS_OF, clean_inbox, folder_state, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox


def _validate(tmp_path, frames, **settings):
    write_inbox(frames, tmp_path)
    before = folder_state(tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(**settings), with_frames=True)
    assert folder_state(tmp_path) == before
    assert not result.fatal
    return result


def _found(result, rule):
    rows = result.issues[result.issues["rule"] == rule]
    return [
        (r.file, None if pd.isna(r.row) else int(r.row), r.column, r.account_id)
        for r in rows.itertuples(index=False)
    ]


def test_a_lot_in_a_symbol_missing_from_securities_is_refused_and_its_account_held(tmp_path):
    """Every symbol is in securities (issue 2, cross-file rules)."""
    frames = clean_inbox()
    frames["lots"].loc[3, "symbol"] = "ZZZZ"
    result = _validate(tmp_path, frames)
    assert ("lots", 4, "symbol", "A2") in _found(result, "known_symbol")
    assert "A2" in result.held_accounts
    assert 4 not in result.frames["lots"].index


def test_every_file_naming_a_symbol_checks_it_against_securities(tmp_path):
    """Prices, benchmarks, positions, restrictions, tilts, transactions and corporate actions
    too."""
    frames = clean_inbox()
    for file, row in [
        ("prices", 1),
        ("benchmarks", 4),
        ("positions", 3),
        ("restrictions", 1),
        ("tilts", 2),
        ("transactions", 1),
        ("corporate_actions", 2),
    ]:
        frames[file].loc[row - 1, "symbol"] = "NOPE"
    result = _validate(tmp_path, frames)
    found = {(f, r) for f, r, c, _ in _found(result, "known_symbol")}
    assert found == {
        ("prices", 1),
        ("benchmarks", 4),
        ("positions", 3),
        ("restrictions", 1),
        ("tilts", 2),
        ("transactions", 1),
        ("corporate_actions", 2),
    }


def test_a_row_of_an_account_missing_from_accounts_is_refused(tmp_path):
    """Every account-scoped row's account_id is in accounts."""
    frames = clean_inbox()
    frames["cash_flows"].loc[0, "account_id"] = "A9"
    result = _validate(tmp_path, frames)
    assert _found(result, "known_account") == [("cash_flows", 1, "account_id", "A9")]
    assert 1 not in result.frames["cash_flows"].index


def test_refusing_an_account_row_refuses_its_rows_in_every_other_file(tmp_path):
    """Clean frames keep referential integrity: no lot, cash or position of a refused account."""
    frames = clean_inbox()
    frames["accounts"].loc[2, "st_tax_rate"] = "7"
    result = _validate(tmp_path, frames)
    assert "A3" in result.held_accounts
    for file, frame in result.frames.items():
        if "account_id" in frame:
            assert "A3" not in set(frame["account_id"]), file
    messages = result.issues[result.issues["rule"] == "known_account"]["message"]
    assert all("was refused in accounts" in m for m in messages)


def test_benchmark_weights_that_do_not_sum_to_one_hold_every_account_following_it(tmp_path):
    """Benchmark weights sum to 1 (PRODUCT.md, inbox contract), within the settings' tolerance."""
    frames = clean_inbox()
    frames["benchmarks"].loc[3, "weight"] = "0.09"
    result = _validate(tmp_path, frames)
    found = _found(result, "benchmark_weights_sum_to_one")
    assert sorted(found) == [("benchmarks", None, "weight", a) for a in ("A1", "A2", "A3")]
    assert result.held_accounts == {"A1", "A2", "A3"}
    assert len(result.frames["benchmarks"]) == 4, "a hold rule refuses no row"


def test_benchmark_weights_within_tolerance_pass(tmp_path):
    frames = clean_inbox()
    frames["benchmarks"].loc[3, "weight"] = "0.1000000001"
    assert _validate(tmp_path, frames).ok


def test_a_refused_benchmark_row_breaks_its_sum(tmp_path):
    frames = clean_inbox()
    frames["benchmarks"].loc[0, "weight"] = "NaN"
    result = _validate(tmp_path, frames)
    assert {r for _, _, _, r in _found(result, "benchmark_weights_sum_to_one")} == {
        "A1",
        "A2",
        "A3",
    }


def test_lots_that_do_not_sum_to_the_custodian_position_hold_the_account(tmp_path):
    """Reconcile custodian positions against lots; a break holds the account (PRODUCT.md step 3)."""
    frames = clean_inbox()
    frames["positions"].loc[0, "quantity"] = "16"
    result = _validate(tmp_path, frames)
    assert _found(result, "lots_reconcile_to_positions") == [("positions", None, "quantity", "A1")]
    assert result.held_accounts == {"A1"}
    assert len(result.frames["positions"]) == 4 and len(result.frames["lots"]) == 5


def test_a_break_within_the_reconciliation_tolerance_is_no_break(tmp_path):
    frames = clean_inbox()
    frames["positions"].loc[0, "quantity"] = "15.0000000001"
    assert _validate(tmp_path, frames).ok


def test_a_position_without_lots_and_lots_without_a_position_are_breaks(tmp_path):
    frames = clean_inbox()
    frames["positions"] = frames["positions"].drop(index=3).reset_index(drop=True)
    frames["positions"].loc[len(frames["positions"])] = ["A2", "AAPL", "1"]
    result = _validate(tmp_path, frames)
    assert sorted(_found(result, "lots_reconcile_to_positions")) == [
        ("positions", None, "quantity", "A2"),
        ("positions", None, "quantity", "A3"),
    ]


def test_duplicate_lot_ids_of_an_account_refuse_both_rows(tmp_path):
    """No duplicate lot ids (issue 2): which row is right is unknown, so both are refused."""
    frames = clean_inbox()
    frames["lots"].loc[1, "lot_id"] = "L1"
    result = _validate(tmp_path, frames)
    found = result.issues[result.issues["rule"] == "unique_key"]
    assert list(found[["file", "row", "column", "value"]].itertuples(index=False, name=None)) == [
        ("lots", 1, "account_id,symbol,lot_id", "A1|AAPL|L1"),
        ("lots", 2, "account_id,symbol,lot_id", "A1|AAPL|L1"),
    ]


def test_a_spun_off_lot_keeps_its_parents_id_under_the_new_symbol(tmp_path):
    """shared/CORPORATE_ACTIONS.md, "One lot in, one lot out": lots are identified by (account_id,
    symbol, lot_id), so a spin-off lot and its parent share the lot id."""
    frames = clean_inbox()
    frames["lots"].loc[2, "lot_id"] = "L1"
    result = _validate(tmp_path, frames)
    assert not (result.issues["rule"] == "unique_key").any()


def test_the_same_lot_id_in_two_accounts_is_not_a_duplicate(tmp_path):
    frames = clean_inbox()
    assert frames["lots"].loc[3, "lot_id"] == frames["lots"].loc[0, "lot_id"] == "L1"
    assert _validate(tmp_path, frames).ok


def test_duplicate_keys_are_refused_in_every_keyed_file(tmp_path):
    frames = clean_inbox()
    for file in ("securities", "prices", "benchmarks", "positions", "corporate_actions", "cash"):
        frames[file] = pd.concat([frames[file], frames[file].iloc[[0]]], ignore_index=True)
    result = _validate(tmp_path, frames)
    found = result.issues[result.issues["rule"] == "unique_key"]
    for file in ("securities", "prices", "benchmarks", "positions", "corporate_actions", "cash"):
        assert sorted(found[found["file"] == file]["row"]) == [1, len(frames[file])], file


def test_an_account_listed_under_two_households_is_refused(tmp_path):
    """A household's accounts share one household: wash sales match across it (PRODUCT.md)."""
    frames = clean_inbox()
    twin = frames["accounts"].iloc[[0]].copy()
    twin["household_id"] = "H9"
    frames["accounts"] = pd.concat([frames["accounts"], twin], ignore_index=True)
    result = _validate(tmp_path, frames)
    assert _found(result, "one_household_per_account") == [
        ("accounts", 1, "household_id", "A1"),
        ("accounts", 4, "household_id", "A1"),
    ]
    assert "A1" in result.held_accounts


def test_an_account_whose_benchmark_does_not_exist_is_held(tmp_path):
    frames = clean_inbox()
    frames["accounts"].loc[1, "benchmark_id"] = "B9"
    result = _validate(tmp_path, frames)
    assert _found(result, "known_benchmark") == [("accounts", None, "benchmark_id", "A2")]
    assert result.held_accounts == {"A2"}
    assert 2 in result.frames["accounts"].index


def test_a_held_symbol_without_a_close_on_the_as_of_date_holds_its_accounts(tmp_path):
    """Prices exist on the as-of date for every held or benchmark symbol."""
    frames = clean_inbox()
    frames["prices"] = frames["prices"].drop(index=7).reset_index(drop=True)  # JNJ on the 24th
    result = _validate(tmp_path, frames)
    found = _found(result, "price_on_as_of")
    assert ("prices", None, "close", "A2") in found  # holds JNJ
    assert {a for *_, a in found} == {"A1", "A2", "A3"}  # JNJ is in everyone's benchmark


def test_an_account_without_a_cash_row_is_held(tmp_path):
    frames = clean_inbox()
    frames["cash"] = frames["cash"].drop(index=2).reset_index(drop=True)
    result = _validate(tmp_path, frames)
    assert _found(result, "cash_row") == [("cash", None, "account_id", "A3")]
    assert result.held_accounts == {"A3"}


def test_a_restriction_naming_two_targets_or_none_is_refused(tmp_path):
    """A restriction names exactly one of symbol, sector, esg_tag (PRODUCT.md, inbox contract)."""
    frames = clean_inbox()
    frames["restrictions"].loc[0, "sector"] = "Energy"
    frames["restrictions"].loc[1, "sector"] = ""
    result = _validate(tmp_path, frames)
    assert _found(result, "exactly_one_target") == [
        ("restrictions", 1, "symbol|sector|esg_tag", "A1"),
        ("restrictions", 2, "symbol|sector|esg_tag", "A3"),
    ]


def test_a_tilt_naming_both_a_sector_and_a_symbol_is_refused(tmp_path):
    frames = clean_inbox()
    frames["tilts"].loc[1, "sector"] = "Health Care"
    result = _validate(tmp_path, frames)
    assert _found(result, "exactly_one_target") == [("tilts", 2, "sector|symbol", "A2")]


def test_bad_rows_of_one_account_leave_the_rest_of_the_book_clean(tmp_path):
    """Accounts touched by bad data are held; the rest of the book still runs (PRODUCT.md step
    1)."""
    frames = clean_inbox()
    frames["lots"].loc[4, "quantity"] = "-3"
    result = _validate(tmp_path, frames)
    assert result.held_accounts == {"A3"}
    assert set(result.frames["lots"]["account_id"]) == {"A1", "A2"}
    assert set(result.frames["accounts"]["account_id"]) == {"A1", "A2", "A3"}


def _action(frames, **cells) -> None:
    actions = frames["corporate_actions"]
    row = {c: "" for c in actions.columns} | {"ex_date": AS_OF.isoformat()} | cells
    frames["corporate_actions"] = pd.concat([actions, pd.DataFrame([row])], ignore_index=True)


def test_lots_reconcile_with_the_custodian_after_tonights_spinoff_and_cash_merger(tmp_path):
    """shared/CORPORATE_ACTIONS.md: a spin-off adds ratio x shares of the new name per lot (whole
    shares when cash is paid in lieu); a cash merger closes the lots. The custodian's positions
    already show both on the ex date, which is no break."""
    frames = clean_inbox()
    _action(frames, symbol="AAPL", kind="SPINOFF", ratio="0.5", new_symbol="JNJ")
    frames["corporate_actions"].loc[2, ["basis_fraction", "cash_in_lieu_price"]] = ["0.2", "9"]
    _action(frames, symbol="XOM", kind="MERGER_CASH", price="120")
    positions = frames["positions"]
    positions = positions[positions["symbol"] != "XOM"]  # A3's XOM was paid in cash
    frames["positions"] = pd.concat(
        [positions, pd.DataFrame([["A1", "JNJ", "7"]], columns=positions.columns)],
        ignore_index=True,
    )  # lots of 10 and 5 AAPL: 5 + 2 JNJ, half a share paid in cash
    result = _validate(tmp_path, frames)
    assert _found(result, "lots_reconcile_to_positions") == [], result.issues.to_string()


def test_a_corporate_action_missing_a_field_its_kind_needs_is_refused(tmp_path):
    """Issue 22: a missing field the action needs is refused with file, row, column and rule."""
    frames = clean_inbox()
    _action(frames, symbol="AAPL", kind="SPINOFF", ratio="0.5", new_symbol="JNJ")
    _action(frames, symbol="XOM", kind="MERGER_CASH")
    result = _validate(tmp_path, frames)
    assert sorted(_found(result, "corporate_action_fields")) == [
        ("corporate_actions", 3, "basis_fraction", None),
        ("corporate_actions", 4, "price", None),
    ]


def test_a_corporate_action_handing_out_an_unknown_security_is_refused(tmp_path):
    """The engine must know the sector and price of what a client receives."""
    frames = clean_inbox()
    _action(frames, symbol="XOM", kind="SYMBOL_CHANGE", new_symbol="XOMX")
    result = _validate(tmp_path, frames)
    assert ("corporate_actions", 3, "new_symbol", None) in _found(result, "known_symbol")
