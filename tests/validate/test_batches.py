"""The inbox is read in batches (the book does not fit in memory, issue 8): a batch of 7 records
finds exactly the issues one batch finds and loads exactly the same store -- duplicates split
across batches, a bad row in the last batch, rules between files -- from CSV and from Parquet."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from inbox_builder import AS_OF, _frame, clean_inbox, night, write_inbox

from pipelines.ingest import InboxRejected, ingest
from pipelines.settings import Settings, ValidationSettings
from pipelines.validate import validate_inbox

TINY = 7
WHOLE = 1_000_000


def bigger_inbox() -> dict[str, pd.DataFrame]:
    """The clean inbox with 30 lots (one share each) and 30 days of closes, so files span
    batches."""
    frames = clean_inbox()
    held = [("A1", "AAPL", 15), ("A1", "MSFT", 8), ("A2", "JNJ", 4), ("A3", "XOM", 3)]
    lots = [
        f"{a},L{s}{i},{s},1,150.00,2024-01-{i:02d}," for a, s, n in held for i in range(1, n + 1)
    ]
    frames["lots"] = _frame(
        "account_id,lot_id,symbol,quantity,cost_basis,acquired_date,adjusted_acquired_date", *lots
    )
    closes = [
        f"2026-10-{d:02d},{s},100.5,1000"
        for d in range(1, 29)
        for s in ("AAPL", "MSFT", "XOM", "JNJ")
    ]
    frames["prices"] = pd.concat(
        [_frame("date,symbol,close,volume", *closes), frames["prices"]], ignore_index=True
    )
    return frames


def broken_inbox() -> dict[str, pd.DataFrame]:
    frames = bigger_inbox()
    lots = frames["lots"]
    # records 2 and 20: one key (account, symbol, lot) in batches 1 and 3
    lots.loc[19, ["symbol", "lot_id"]] = lots.loc[1, ["symbol", "lot_id"]].to_numpy()
    lots.loc[9, "symbol"] = "ZZZ"  # a symbol the security master lacks: a rule between files
    lots.loc[len(lots) - 1, "quantity"] = "-1"  # the last record, alone in the last batch
    prices = frames["prices"]
    frames["prices"] = pd.concat([prices, prices.iloc[[0]]], ignore_index=True)  # records 1 and 121
    return frames


def _validate(root, batch_rows):
    settings = ValidationSettings(batch_rows=batch_rows, max_errors_reported=WHOLE)
    return validate_inbox(root, AS_OF, settings, with_frames=True)


def _store(root, inbox, batch_rows) -> dict[str, list]:
    path = root / "store.duckdb"
    ingest(inbox, AS_OF, Settings(store={"path": path}, validation={"batch_rows": batch_rows}))
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        # A table is a set of rows: the order a scan returns them in is not part of the store.
        return {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in sorted(tables)
        }


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_tiny_batch_finds_exactly_the_issues_and_clean_rows_one_batch_finds(tmp_path, fmt):
    write_inbox(broken_inbox(), tmp_path, fmt=fmt)
    tiny, whole = _validate(tmp_path, TINY), _validate(tmp_path, WHOLE)
    pd.testing.assert_frame_equal(tiny.issues, whole.issues)
    assert tiny.held_accounts == whole.held_accounts == {"A1", "A3"}
    assert tiny.held_reasons == whole.held_reasons
    for name in whole.frames:
        pd.testing.assert_frame_equal(tiny.frames[name], whole.frames[name])
    found = set(
        tiny.issues[["file", "row", "rule"]]
        .dropna()
        .astype(object)
        .itertuples(index=False, name=None)
    )
    assert {
        ("lots", 2, "unique_key"),
        ("lots", 20, "unique_key"),
        ("lots", 10, "known_symbol"),
        ("lots", 30, "positive"),
        ("prices", 1, "unique_key"),
        ("prices", 121, "unique_key"),
    } <= found
    assert tiny.rows_read == whole.rows_read and tiny.rows_read["lots"] == 30


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_tiny_batch_loads_exactly_the_store_one_batch_loads(tmp_path, fmt):
    inbox = tmp_path / "inbox"
    write_inbox(broken_inbox(), inbox, fmt=fmt)
    tiny = _store(tmp_path / "tiny", inbox, TINY)
    whole = _store(tmp_path / "whole", inbox, WHOLE)
    assert tiny == whole
    assert len(tiny["inbox_lots"]) == 30 - 4 and len(tiny["held_accounts"]) == 2


def test_a_record_that_does_not_parse_in_a_later_batch_refuses_the_file_as_one_batch_does(tmp_path):
    write_inbox(bigger_inbox(), tmp_path)
    path = night(tmp_path) / "lots.csv"
    lines = path.read_text().splitlines()
    lines[25] += ",surplus cell"
    path.write_text("\n".join(lines) + "\n")
    tiny, whole = _validate(tmp_path, TINY), _validate(tmp_path, WHOLE)
    pd.testing.assert_frame_equal(tiny.issues, whole.issues)
    assert tiny.fatal and tiny.frames == {}
    lots = tiny.issues[tiny.issues["file"] == "lots"]
    assert list(lots["rule"]) == ["unreadable"], "nothing of the batches read before the bad record"


def test_issues_beyond_the_report_cap_are_counted_quarantined_and_hold_their_accounts(tmp_path):
    frames = bigger_inbox()
    frames["lots"]["quantity"] = "-1"
    inbox = tmp_path / "inbox"
    write_inbox(frames, inbox)
    settings = ValidationSettings(batch_rows=TINY, max_errors_reported=3)
    result = validate_inbox(inbox, AS_OF, settings)
    assert len(result.issues) == 3 and result.issue_count > 30
    assert result.rows_quarantined == 30 and result.held_accounts == {"A1", "A2", "A3"}
    path = tmp_path / "store.duckdb"
    loaded = ingest(inbox, AS_OF, Settings(store={"path": path}, validation=settings.model_dump()))
    assert loaded.issue_count == result.issue_count and len(loaded.issues) == 3
    assert "... and" in loaded.report
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == result.issue_count
        assert (
            con.execute(
                "SELECT count(DISTINCT \"row\") FROM quarantine WHERE file = 'lots'"
            ).fetchone()[0]
            == 30
        )
        assert {r[0] for r in con.execute("SELECT account_id FROM held_accounts").fetchall()} == {
            "A1",
            "A2",
            "A3",
        }
        assert con.execute("SELECT count(*) FROM inbox_lots").fetchone()[0] == 0


def test_a_fatal_inbox_loads_nothing(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(bigger_inbox(), inbox)
    (night(inbox) / "cash.csv").unlink()
    path = tmp_path / "store.duckdb"
    with pytest.raises(InboxRejected, match="required_file"):
        ingest(inbox, AS_OF, Settings(store={"path": path}, validation={"batch_rows": TINY}))
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM inbox_lots").fetchone()[0] == 0


def test_a_staging_folder_a_killed_ingest_left_is_cleared_and_nothing_else_ever_is(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(bigger_inbox(), inbox)
    settings = Settings(store={"path": tmp_path / "store.duckdb"})
    left = tmp_path / "store.duckdb.staging"
    (left / "spill").mkdir(parents=True)
    (left / "staging.duckdb").write_bytes(b"half a staged inbox")
    assert ingest(inbox, AS_OF, settings).issue_count == 0
    assert not left.exists(), "the staging folder goes once the inbox is loaded"
    left.mkdir()
    (left / "notes.txt").write_text("not the validator's")
    with pytest.raises(ValueError, match="not a staging folder"):
        ingest(inbox, AS_OF, settings)
    assert (left / "notes.txt").exists()
