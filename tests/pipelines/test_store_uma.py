"""The store keeps the model-delivered UMA's inbox (issue 19): a history of model versions, each
night's sleeves and each account's implementation; a store from before them migrates."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.ingest import ingest
from pipelines.settings import Settings
from pipelines.store import SCHEMA_VERSION, open_store
from pipelines.store._schema import MIGRATIONS
from tests.validate.inbox_builder import AS_OF, clean_inbox, write_inbox


def _ingest(tmp_path, frames, as_of=AS_OF):
    inbox = tmp_path / "inbox"
    folder = write_inbox(frames, inbox)
    if as_of != AS_OF:
        folder.rename(inbox / as_of.isoformat())
    store = tmp_path / "store.duckdb"
    result = ingest(inbox, as_of, Settings(store={"path": store}))
    assert result.issue_count == 0, result.report
    return store


def test_a_night_loads_its_models_sleeves_and_implementations_as_typed(tmp_path):
    store = _ingest(tmp_path, clean_inbox())
    with open_store(store, read_only=True) as con:
        models = con.execute(
            "SELECT provider_id, model_id, effective_date, symbol, weight, loaded_as_of "
            "FROM inbox_models ORDER BY model_id, effective_date, symbol"
        ).fetchall()
        sleeves = con.execute(
            "SELECT account_id, sleeve_id, model_id, target_weight, drift_band FROM inbox_sleeves "
            "WHERE as_of_date = ? ORDER BY sleeve_id",
            [AS_OF],
        ).fetchall()
        kinds = con.execute(
            "SELECT account_id, implementation FROM inbox_accounts ORDER BY account_id"
        ).fetchall()
    assert len(models) == 6
    assert models[0] == ("NORTHWIND", "CORE", date(2026, 10, 1), "AAPL", 0.5, AS_OF)
    assert sleeves == [
        ("A3", "S1", "CORE", 0.6, 0.05),
        ("A3", "S2", "GROWTH", 0.35, 0.05),
        ("A3", "S3", "CASH", 0.05, 0.02),
    ]
    assert kinds == [("A1", "MANAGER_TRADED"), ("A2", None), ("A3", "UMA")]


def test_model_versions_are_a_history_kept_across_nights(tmp_path):
    """A later inbox carrying only the latest version keeps the earlier one in the store: the
    night compares the version in force with the one before it."""
    _ingest(tmp_path / "a", clean_inbox())
    frames = clean_inbox()
    frames["models"] = frames["models"].iloc[3:].reset_index(drop=True)
    store = tmp_path / "a" / "store.duckdb"
    inbox = tmp_path / "b"
    write_inbox(frames, inbox)
    ingest(inbox, AS_OF, Settings(store={"path": store}))
    with open_store(store, read_only=True) as con:
        versions = con.execute(
            "SELECT model_id, effective_date, count(*) FROM inbox_models GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    # The rerun of the night took back what its earlier load put there (as for prices).
    assert versions == [("CORE", date(2026, 11, 24), 2), ("GROWTH", date(2026, 9, 1), 1)]


def test_a_store_of_schema_8_migrates_to_the_uma_tables(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for statements in MIGRATIONS[:8]:
        for sql in statements:
            con.execute(sql)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', '8')")
    con.close()
    with open_store(path) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        columns = [r[0] for r in con.execute("DESCRIBE inbox_accounts").fetchall()]
        version = con.execute("SELECT value FROM store_meta").fetchone()
    assert {"inbox_models", "inbox_sleeves"} <= tables
    assert columns[-1] == "implementation"
    assert "uma_lot_sleeves" in tables  # migration 10, the lots' sleeves
    assert version == (str(SCHEMA_VERSION),) and SCHEMA_VERSION >= 10
