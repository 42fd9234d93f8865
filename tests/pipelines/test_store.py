"""The store keeps each night's inbox as a dated snapshot, loads in one transaction and is
versioned."""

from __future__ import annotations

import multiprocessing
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from pipelines.store import (
    SCHEMA_VERSION,
    StoreError,
    book_summary,
    load_snapshot,
    open_store,
    render_book_summary,
)
from pipelines.store._schema import MIGRATIONS
from sma.inbox import INBOX_FILES

AS_OF = date(2026, 11, 24)


def small_inbox() -> dict[str, pd.DataFrame]:
    """Two accounts in one household holding two stocks; everything a night needs, nothing more."""
    return {
        "securities": pd.DataFrame(
            {
                "symbol": ["AAA", "BBB"],
                "name": ["Alpha Corp", "Beta Inc"],
                "sector": ["Energy", "Utilities"],
                "industry": ["Oil", "Power"],
                "identical_group": [None, None],
                "esg_tags": ["fossil_fuels", None],
            }
        ),
        "prices": pd.DataFrame(
            {
                "date": [date(2026, 11, 23), date(2026, 11, 23), AS_OF, AS_OF],
                "symbol": ["AAA", "BBB", "AAA", "BBB"],
                "close": [10.0, 20.0, 11.0, 19.0],
                "volume": [1e6, 2e6, 1e6, None],
            }
        ),
        "benchmarks": pd.DataFrame(
            {"benchmark_id": ["IDX", "IDX"], "symbol": ["AAA", "BBB"], "weight": [0.4, 0.6]}
        ),
        "accounts": pd.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "household_id": ["H1", "H1"],
                "client_name": ["Pat Doe", "Pat Doe"],
                "account_type": ["TAXABLE", "IRA"],
                "benchmark_id": ["IDX", "IDX"],
                "tlh_enabled": [True, False],
                "st_tax_rate": [0.37, 0.0],
                "lt_tax_rate": [0.2, 0.0],
                "max_tracking_error": [0.02, 0.02],
                "gain_budget": [10000.0, None],
                "min_trade_value": [100.0, 100.0],
                "cash_target": [0.01, 0.01],
                "inception_date": [date(2020, 1, 2), date(2021, 3, 1)],
            }
        ),
        "lots": pd.DataFrame(
            {
                "account_id": ["A1", "A1", "A2"],
                "lot_id": ["L1", "L2", "L1"],
                "symbol": ["AAA", "AAA", "BBB"],
                "quantity": [100.0, 50.0, 10.0],
                "cost_basis": [834.57, 600.10, 250.0],
                "acquired_date": [date(2024, 1, 5), date(2025, 6, 2), date(2023, 2, 1)],
                "adjusted_acquired_date": [None, None, None],
            }
        ),
        "cash": pd.DataFrame({"account_id": ["A1", "A2"], "amount": [500.25, 0.0]}),
        "positions": pd.DataFrame(
            {"account_id": ["A1", "A2"], "symbol": ["AAA", "BBB"], "quantity": [150.0, 10.0]}
        ),
    }


NO_ISSUES = pd.DataFrame(
    columns=["file", "row", "column", "rule", "value", "message", "account_id"]
)


def dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    tables = [
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    ]
    return {
        t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in sorted(tables)
    }


def test_loading_the_same_date_twice_leaves_the_same_store(tmp_path):
    path = tmp_path / "store.duckdb"
    with open_store(path) as con:
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        first = dump(con)
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        assert dump(con) == first


def test_every_inbox_file_has_a_table_and_optional_files_load_empty(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        counts = load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
    assert set(counts) == {f"inbox_{name}" for name in INBOX_FILES}
    assert counts["inbox_restrictions"] == 0 and counts["inbox_lots"] == 3


def test_money_is_booked_exactly_in_cents(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        basis = con.execute(
            "SELECT sum(cost_basis) FROM inbox_lots WHERE account_id = 'A1'"
        ).fetchone()[0]
    assert basis == Decimal("1434.67")


def test_a_load_that_fails_part_way_leaves_the_previous_snapshot(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as con:
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        before = dump(con)
        broken = small_inbox()
        # cash loads after lots: the lots of the new load are already inserted when cash fails
        broken["lots"] = broken["lots"].assign(quantity=[1.0, 2.0, 3.0])
        broken["cash"] = broken["cash"].assign(amount=["not a number", "0"])
        with pytest.raises(duckdb.Error):
            load_snapshot(con, AS_OF, broken, NO_ISSUES, {})
        assert dump(con) == before


def test_quarantined_rows_and_held_accounts_are_replaced_per_date(tmp_path):
    issues = pd.DataFrame(
        [
            {
                "file": "lots",
                "row": 3,
                "column": "quantity",
                "rule": "finite",
                "value": "nan",
                "message": "quantity must be a finite number",
                "account_id": "A2",
            }
        ]
    )
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(
            con, AS_OF, small_inbox(), issues, {"A2": "bad input: lots row 3 quantity finite"}
        )
        load_snapshot(
            con, AS_OF, small_inbox(), issues, {"A2": "bad input: lots row 3 quantity finite"}
        )
        assert con.execute('SELECT file, "row", rule, account_id FROM quarantine').fetchall() == [
            ("lots", 3, "finite", "A2")
        ]
        assert con.execute("SELECT account_id FROM held_accounts").fetchall() == [("A2",)]
        summary = book_summary(con, AS_OF)
    assert (summary.rows_quarantined, summary.accounts_held) == (1, 1)


def test_price_history_keeps_one_close_per_day_and_symbol_across_nights(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        load_snapshot(con, date(2026, 11, 25), small_inbox(), NO_ISSUES, {})
        assert con.execute("SELECT count(*) FROM inbox_prices").fetchone()[0] == 4


def test_book_summary_values_lots_at_the_as_of_close(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, small_inbox(), NO_ISSUES, {})
        s = book_summary(con, AS_OF)
    assert (s.accounts, s.households, s.lots, s.positions) == (2, 1, 3, 2)
    assert s.market_value == pytest.approx(150 * 11.0 + 10 * 19.0)
    assert s.unrealized_gains == pytest.approx(100 * 11 - 834.57)
    assert s.unrealized_losses == pytest.approx(50 * 11 - 600.10 + 10 * 19 - 250)
    assert s.aum == pytest.approx(s.market_value + 500.25)
    # As make demo prints it: the dollar sign beside the digits, a loss's sign before it, the
    # amounts right-aligned in one column.
    lines = {line[:22].strip(): line[22:] for line in render_book_summary(s).splitlines()[1:]}
    assert lines["unrealized gains"] == "          $265"  # 1,100 - 834.57 = 265.43
    assert lines["unrealized losses"] == "         -$110"  # -50.10 - 60.00 = -110.10
    assert lines["AUM"].startswith("        $2,340   (securities $1,840, cash $500)")


def test_the_schema_version_is_recorded_and_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as con:
        assert con.execute(
            "SELECT value FROM store_meta WHERE key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)
        con.execute(
            "UPDATE store_meta SET value = ? WHERE key = 'schema_version'",
            [str(len(MIGRATIONS) + 1)],
        )
    with pytest.raises(StoreError, match="newer than this code"):
        with open_store(path):
            pass


def _hold_store_open(path, ready, release):
    con = duckdb.connect(str(path))
    ready.set()
    release.wait(30)
    con.close()


@pytest.mark.slow  # a second Python process (spawned) holds the store
def test_a_second_writer_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path):
        pass
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_store_open, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(StoreError, match="in use by another process"):
            with open_store(path):
                pass
    finally:
        release.set()
        holder.join(30)


def test_every_table_is_documented_in_schema_md(tmp_path):
    from pathlib import Path

    import pipelines.store

    doc = (Path(pipelines.store.__file__).parent / "SCHEMA.md").read_text()
    with open_store(tmp_path / "s.duckdb") as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
    assert all(f"`{t}`" in doc for t in tables), [t for t in tables if f"`{t}`" not in doc]


def test_a_version_6_store_gains_the_fractional_shares_column_and_keeps_its_rows(tmp_path):
    """Issue 17: migration 7 adds accounts.fractional_shares (null = whole shares) to a store made
    before it; a fresh store has it too, in the same place, and it loads true, false or blank."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for statements in MIGRATIONS[:6]:
        for sql in statements:
            con.execute(sql)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', '6')")
    con.close()
    frames = small_inbox()
    frames["accounts"]["fractional_shares"] = [True, None]
    for store in (path, tmp_path / "new.duckdb"):
        with open_store(store) as con:
            load_snapshot(con, AS_OF, frames, NO_ISSUES, {})
            got = con.execute(
                "SELECT account_id, fractional_shares FROM inbox_accounts ORDER BY account_id"
            ).fetchall()
            columns = [r[0] for r in con.execute("DESCRIBE inbox_accounts").fetchall()]
        assert got == [("A1", True), ("A2", None)]
        # After the first schema's columns, in the contract's order (migration 9 adds another).
        assert columns[columns.index("inception_date") + 1] == "fractional_shares"


def test_a_store_from_before_issue_22_gains_the_corporate_action_fields(tmp_path):
    """Migration 8: the corporate actions beyond splits need their fields, and no ratio for the
    kinds without one; the rows already stored are kept."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for statements in MIGRATIONS[:6]:
        for sql in statements:
            con.execute(sql)
    con.execute("INSERT INTO store_meta VALUES ('schema_version', '6')")
    # The table as a version-6 store had it: splits only.
    con.execute("DROP TABLE inbox_corporate_actions")
    con.execute(
        "CREATE TABLE inbox_corporate_actions (as_of_date DATE NOT NULL, symbol VARCHAR NOT NULL, "
        "ex_date DATE NOT NULL, kind VARCHAR NOT NULL, ratio DOUBLE NOT NULL)"
    )
    con.execute(
        "INSERT INTO inbox_corporate_actions VALUES ('2026-11-24', 'AAA', '2026-11-24', 'SPLIT', 2)"
    )
    con.close()
    with open_store(path) as con:
        columns = [r[0] for r in con.execute("DESCRIBE inbox_corporate_actions").fetchall()]
        con.execute(
            "INSERT INTO inbox_corporate_actions (as_of_date, symbol, ex_date, kind) "
            "VALUES ('2026-11-24', 'BBB', '2026-11-24', 'WORTHLESS')"
        )
        assert con.execute("SELECT count(*) FROM inbox_corporate_actions").fetchone() == (2,)
    assert columns == ["as_of_date", *INBOX_FILES["corporate_actions"].column_names]
