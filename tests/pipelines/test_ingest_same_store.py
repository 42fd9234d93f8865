"""Issue 23: ingest appends the price history by new or changed rows instead of rewriting it whole,
and stores what the whole rewrite stored.

The reference is the load before issue 23 (:func:`_rewrite_whole_history`, kept here verbatim in
spirit: every restated row upserted, the latest night wins). The same generated book is ingested
into two stores, one per way, for two nights; every table of the store, ordered by all its
columns, must be the same, apart from ``loaded_as_of`` of the history rows a night restated
unchanged: they now keep the night that brought them (``pipelines/store/SCHEMA.md``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import pipelines.store._load as load
from pipelines.book import write_book
from pipelines.corporate_actions import CORPORATE_ACTION_FILL_ID
from pipelines.ingest import ingest
from pipelines.settings import Settings
from pipelines.store import open_store
from pipelines.store._schema import HISTORY_FILES, table_name
from sma.book import BookParams
from sma.inbox import INBOX_FILES

AS_OF, NEXT = date(2026, 11, 24), date(2026, 11, 25)  # a Tuesday and the Wednesday after it
SMALL = BookParams(price_days=260, history_years=3)
HISTORY_TABLES = {table_name(name) for name in HISTORY_FILES}


def _rewrite_whole_history(con, name: str, source: str, as_of: date) -> int:
    """The load before issue 23: every row the night restates is upserted (the reference)."""
    table, spec = table_name(name), INBOX_FILES[name]
    updates = ", ".join(
        f"{c} = excluded.{c}"
        for c in (*spec.column_names, "loaded_as_of")
        if c not in HISTORY_FILES[name]
    )
    con.execute(f"DELETE FROM {table} WHERE loaded_as_of = ?", [as_of])
    return int(
        con.execute(
            f"INSERT INTO {table} ({', '.join(spec.column_names)}, loaded_as_of) "
            f"SELECT *, CAST(? AS DATE) FROM ({load._select_typed(name, source, None)}) "
            f"ON CONFLICT ({', '.join(HISTORY_FILES[name])}) DO UPDATE SET {updates} "
            f"WHERE excluded.loaded_as_of >= {table}.loaded_as_of",
            [as_of],
        ).fetchall()[0][0]
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("book")
    write_book(20, 11, AS_OF, inbox, "parquet", SMALL)
    return inbox


def _next_night(inbox: Path, restate: float | None = None) -> date:
    """Tonight's files again for :data:`NEXT`, its prices one day longer (each symbol's close of
    the night before, again); ``restate``: the file's first (oldest) close times this."""
    night = inbox / NEXT.isoformat()
    night.mkdir()
    for path in (inbox / AS_OF.isoformat()).iterdir():
        (night / path.name).write_bytes(path.read_bytes())
    prices = pq.read_table(night / "prices.parquet")
    last = prices.filter(
        pc.equal(prices["date"], pa.scalar(AS_OF, prices.schema.field("date").type))
    )
    day = pa.array([NEXT] * len(last), prices.schema.field("date").type)
    prices = pa.concat_tables([prices, last.set_column(0, "date", day)])
    if restate is not None:
        close = prices["close"].to_numpy().copy()
        close[0] *= restate
        prices = prices.set_column(prices.schema.get_field_index("close"), "close", pa.array(close))
    pq.write_table(prices, night / "prices.parquet")
    return NEXT


def _store_after(inbox: Path, store: Path, nights: list[date]) -> dict[str, list[tuple]]:
    settings = Settings(store={"path": store})
    for night in nights:
        assert ingest(inbox, night, settings).issue_count == 0
    with open_store(store, read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def _both_ways(tmp_path, monkeypatch, inbox: Path, nights: list[date]):
    appended = _store_after(inbox, tmp_path / "appended" / "store.duckdb", nights)
    monkeypatch.setattr(load, "_replace_history", _rewrite_whole_history)
    rewritten = _store_after(inbox, tmp_path / "rewritten" / "store.duckdb", nights)
    return appended, rewritten


def _without_loaded_as_of(rows: list[tuple]) -> list[tuple]:
    return sorted(row[:-1] for row in rows)  # loaded_as_of is the history tables' last column


def _loaded_as_of(rows: list[tuple]) -> dict[date, int]:
    found: dict[date, int] = {}
    for row in rows:
        found[row[-1]] = found.get(row[-1], 0) + 1
    return found


def _copy(book: Path, to: Path) -> Path:
    night = to / AS_OF.isoformat()
    night.mkdir(parents=True)
    for path in (book / AS_OF.isoformat()).iterdir():
        (night / path.name).write_bytes(path.read_bytes())
    return to


@pytest.mark.slow
def test_a_second_night_appends_its_new_day_and_stores_what_the_whole_rewrite_stored(
    book, tmp_path, monkeypatch
):
    inbox = _copy(book, tmp_path / "inbox")
    appended, rewritten = _both_ways(tmp_path, monkeypatch, inbox, [AS_OF, _next_night(inbox)])
    assert appended.keys() == rewritten.keys()
    for table in appended.keys() - HISTORY_TABLES:
        assert appended[table] == rewritten[table], table
    symbols = len({row[1] for row in appended["inbox_prices"]})
    for table in HISTORY_TABLES:
        assert _without_loaded_as_of(appended[table]) == _without_loaded_as_of(rewritten[table])
    # The whole rewrite marked every restated row as the second night's; appending only its day.
    assert _loaded_as_of(rewritten["inbox_prices"]) == {NEXT: len(rewritten["inbox_prices"])}
    assert _loaded_as_of(appended["inbox_prices"]) == {
        AS_OF: len(appended["inbox_prices"]) - symbols,
        NEXT: symbols,
    }
    assert _loaded_as_of(appended["inbox_models"]) == {AS_OF: len(appended["inbox_models"])}


@pytest.mark.slow
def test_a_restated_historical_close_replaces_the_stored_one_as_the_whole_rewrite_did(
    book, tmp_path, monkeypatch
):
    inbox = _copy(book, tmp_path / "inbox")
    night = _next_night(inbox, restate=1.01)
    appended, rewritten = _both_ways(tmp_path, monkeypatch, inbox, [AS_OF, night, night])
    for table in appended.keys() - HISTORY_TABLES:
        assert appended[table] == rewritten[table], table
    assert _without_loaded_as_of(appended["inbox_prices"]) == _without_loaded_as_of(
        rewritten["inbox_prices"]
    )
    oldest = pq.read_table(inbox / NEXT.isoformat() / "prices.parquet").slice(0, 1).to_pylist()[0]
    first = pq.read_table(inbox / AS_OF.isoformat() / "prices.parquet").slice(0, 1).to_pylist()[0]
    stored = [
        r for r in appended["inbox_prices"] if (r[0], r[1]) == (oldest["date"], oldest["symbol"])
    ]
    assert stored == [(oldest["date"], oldest["symbol"], oldest["close"], oldest["volume"], NEXT)]
    assert oldest["close"] == pytest.approx(first["close"] * 1.01)
    # Restated, changed and rerun: the row is the second night's, not rewritten twice.
    symbols = len({row[1] for row in appended["inbox_prices"]})
    assert _loaded_as_of(appended["inbox_prices"])[NEXT] == symbols + 1


def test_tonights_corporate_actions_are_booked_by_the_ingest_and_taken_back_by_a_rerun_without_them(
    tmp_path,
):
    """The ingest books the realized rows of the night's corporate actions (issue 22) and skips
    the booking -- which reads every lot -- only when there is nothing to book or take back."""
    inbox = tmp_path / "inbox"
    busy = BookParams(
        price_days=260, history_years=3, corporate_actions=SMALL.corporate_actions.scaled(250)
    )
    write_book(20, 11, AS_OF, inbox, "parquet", busy)
    settings = Settings(store={"path": tmp_path / "store.duckdb"})

    def booked() -> int:
        with open_store(settings.store.path, read_only=True) as con:
            return con.execute(
                "SELECT count(*) FROM realized_gains WHERE as_of_date = ? AND fill_id = ?",
                [AS_OF, CORPORATE_ACTION_FILL_ID],
            ).fetchall()[0][0]

    ingest(inbox, AS_OF, settings)
    assert booked() > 0
    (inbox / AS_OF.isoformat() / "corporate_actions.parquet").unlink()  # an optional file
    ingest(inbox, AS_OF, settings)
    assert booked() == 0


def test_an_inbox_staged_in_a_file_loads_the_store_an_inbox_staged_in_memory_loads(
    book, tmp_path, monkeypatch
):
    """A small inbox is staged in DuckDB's memory, a large one in a staging file: the store is
    the same either way."""
    import pipelines.validate._validate as validate

    inbox = _copy(book, tmp_path / "inbox")
    in_memory = _store_after(inbox, tmp_path / "memory" / "store.duckdb", [AS_OF])
    monkeypatch.setattr(validate, "fits_in_memory", lambda paths, limit: False)
    in_a_file = _store_after(inbox, tmp_path / "file" / "store.duckdb", [AS_OF])
    assert in_memory == in_a_file
    assert len(in_memory["inbox_lots"]) > 0


def test_an_inbox_is_staged_in_memory_when_it_takes_at_most_half_the_memory_limit(tmp_path):
    from pipelines.validate._stage import fits_in_memory

    parquet, csv = tmp_path / "lots.parquet", tmp_path / "cash.csv"
    parquet.write_bytes(b"x" * 1000)  # stages in up to 4,000 bytes
    csv.write_bytes(b"x" * 1000)  # in up to 1,000
    assert fits_in_memory([parquet, csv], "10KB")
    assert fits_in_memory([parquet, csv], "10 KB")
    assert not fits_in_memory([parquet, csv], "9.9KB")
    assert fits_in_memory([parquet, csv], "9.8KiB")  # 10,035 bytes
    assert fits_in_memory([], "1B")
