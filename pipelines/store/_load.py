"""Open the DuckDB store and load a validated inbox into it as one date's snapshot.

The rows come as SQL queries on the same connection -- a night's inbox straight from the
validator's staging database, never whole in memory -- or as frames (:func:`load_snapshot`).
A load is one transaction: the date's previous snapshot rows, quarantine and held accounts are
replaced together, so loading the same inbox twice leaves the same store and a failure part-way
leaves the store as it was. The price history is shared by every night; each of its rows records
the night that loaded it (``loaded_as_of``), and a rerun of a night replaces what that night
loaded (:func:`_replace_history`). Only one process writes the file at a time (DuckDB refuses
others); the error says so instead of a traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines._faults import crash_point
from pipelines.errors import PipelineError
from pipelines.store._schema import (
    HISTORY_FILES,
    MIGRATIONS,
    SCHEMA_VERSION,
    column_type,
    table_name,
)
from sma.inbox import INBOX_FILES


class StoreError(PipelineError):
    """The store cannot be opened or written; the message says why and what to do."""


@contextmanager
def open_store(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short connection to the store, migrated to the current schema version."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"store {path} does not exist: load a night into it first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(
            f"store {path} is in use by another process (DuckDB allows one writer): {exc}"
        ) from None
    try:
        if not read_only:
            _migrate(con, path)
        else:
            _check_version(con, path)
        yield con
    finally:
        con.close()


def _stored_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    version = _stored_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"store {path} has schema version {version}, newer than this code's {SCHEMA_VERSION}: "
            "upgrade SMA Nightly"
        )
    return version


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of the block's writes or none: COMMIT when it ends, ROLLBACK when anything (a kill signal
    turned exception included) leaves it; the exception goes on."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _check_version(con, path)
    if version == SCHEMA_VERSION:
        return
    with transaction(con):
        con.execute(
            "CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
        )
        for statements in MIGRATIONS[version:]:
            for sql in statements:
                con.execute(sql)
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )


def inbox_sha256(con: duckdb.DuckDBPyConnection, rows: Mapping[str, str]) -> str:
    """A content hash of the clean rows (file -> SQL query), typed as stored.

    Independent of file format and of row order on disk: per file, the row count and the sum of
    DuckDB's hash of each typed row, so no file is ever held in memory to hash it.
    """
    digest = hashlib.sha256()
    for name in sorted(rows):
        columns = ", ".join(INBOX_FILES[name].column_names)
        count, total = con.execute(
            f"SELECT count(*), coalesce(sum(hash({columns})::HUGEINT), 0) "
            f"FROM ({_select_typed(name, f'({rows[name]})', None)})"
        ).fetchall()[0]
        digest.update(f"{name}:{count}:{total};".encode())
    return digest.hexdigest()


def _select_typed(file: str, view: str, as_of: date | None) -> str:
    spec = INBOX_FILES[file]
    exprs = [] if as_of is None else ["CAST(? AS DATE) AS as_of_date"]
    exprs += [
        f"CAST({c.name} AS {column_type(file, c.name, c.kind)}) AS {c.name}" for c in spec.columns
    ]
    return f"SELECT {', '.join(exprs)} FROM {view}"


def load_snapshot(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    frames: Mapping[str, pd.DataFrame],
    issues: pd.DataFrame,
    held_accounts: Mapping[str, str],
) -> dict[str, int]:
    """Replace the snapshot for ``as_of`` with ``frames`` (clean rows in memory), in one
    transaction.

    The rows go through :func:`load_staged`, as a night's staged inbox does.

    Parameters
    ----------
    frames : clean rows per inbox file, columns as in ``sma.inbox.INBOX_FILES`` (extra columns
        are ignored; an absent optional file loads as empty, an absent optional column as null).
    issues : the validator's issues (file, row, column, rule, value, message, account_id): they
        become the date's quarantine.
    held_accounts : account_id -> why it is held out of trading tonight.
    """
    registered = []
    rows = {}
    try:
        for name, spec in INBOX_FILES.items():
            frame = frames.get(name)
            if frame is None:
                frame = pd.DataFrame({c: pd.Series(dtype="object") for c in spec.column_names})
            absent = [c.name for c in spec.columns if not c.required and c.name not in frame]
            frame = frame.assign(**{c: None for c in absent}) if absent else frame
            con.register(f"incoming_{name}", frame.loc[:, list(spec.column_names)])
            registered.append(f"incoming_{name}")
            rows[name] = f"SELECT * FROM incoming_{name}"
        con.register("incoming_issues", _issues_for_sql(issues))
        registered.append("incoming_issues")
        return load_staged(con, as_of, rows, "SELECT * FROM incoming_issues", held_accounts)
    finally:
        for view in registered:
            con.unregister(view)


def load_staged(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    rows: Mapping[str, str],
    issues: str,
    held_accounts: Mapping[str, str],
) -> dict[str, int]:
    """Replace the snapshot for ``as_of`` with the clean rows the queries select, in one
    transaction.

    Parameters
    ----------
    rows : inbox file -> a SQL query of its clean rows with the contract's columns (a staged file
        or a registered frame); a file without one loads as empty, except the price history,
        which keeps what it has.
    issues : a SQL query of the validator's issues (file, row, column, rule, value, message,
        account_id), in report order: they become the date's quarantine.
    held_accounts : account_id -> why it is held out of trading tonight.

    Returns
    -------
    Rows loaded per table.
    """
    counts: dict[str, int] = {}
    with transaction(con):
        for name, spec in INBOX_FILES.items():
            table = table_name(name)
            source = (
                f"({rows[name]})"
                if name in rows
                else f"(SELECT {', '.join(spec.column_names)} FROM {table} LIMIT 0)"
            )
            if name in HISTORY_FILES:
                inserted = _replace_history(con, name, source, as_of)
            else:
                con.execute(f"DELETE FROM {table} WHERE as_of_date = ?", [as_of])
                inserted = con.execute(
                    f"INSERT INTO {table} {_select_typed(name, source, as_of)}", [as_of]
                ).fetchall()[0][0]
            counts[table] = int(inserted)
            crash_point(f"store-load:inside-transaction:{name}")
        n_issues = _replace_quarantine(con, as_of, issues, held_accounts)
        con.execute(
            "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)",
            [as_of, inbox_sha256(con, rows), sum(counts.values()), n_issues, len(held_accounts)],
        )
        crash_point("store-load:before-commit")
    return counts


def _replace_history(con: duckdb.DuckDBPyConnection, name: str, source: str, as_of: date) -> int:
    """Load a history file (keyed by its own dates) as night ``as_of``'s contribution to it.

    A nightly price file carries its whole history window, so most of its rows are already
    stored, unchanged: only rows with a new key are appended and only changed rows are rewritten;
    an unchanged row is left as it is and keeps the night that brought it (``loaded_as_of``).

    A rerun of a night first takes back every row that night's earlier load put there, so a bad
    row it loaded then (a close dated year 0) is gone unless the new inbox restates it. A changed
    row takes the latest night that restated it: a later inbox restating a close wins, and
    rerunning an older night never overwrites what a later night changed. (A row an earlier
    night brought and this night changed, not restated on a rerun, is gone, not restored:
    nightly price files carry their whole history window, so the next load restates it.) Since a
    row restated unchanged keeps its night, a rerun of an older night takes back and reloads the
    rows it brought even where a later night restated them unchanged: only a later night's
    *changed* rows are safe from it (before issue 23 every restated row was).

    Returns the rows the night restated, stored or already there: those whose key no later
    night has loaded.
    """
    table, spec = table_name(name), INBOX_FILES[name]
    keys = HISTORY_FILES[name]
    values = [c for c in spec.column_names if c not in keys]
    on = " AND ".join(f"t.{k} = i.{k}" for k in keys)
    con.execute(f"DELETE FROM {table} WHERE loaded_as_of = ?", [as_of])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _incoming_history AS {_select_typed(name, source, None)}"
    )
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM i.{c}" for c in values) or "false"
    con.execute(
        f"UPDATE {table} AS t SET {', '.join(f'{c} = i.{c}' for c in values)}, "
        f"loaded_as_of = CAST(? AS DATE) FROM _incoming_history AS i "
        f"WHERE {on} AND t.loaded_as_of <= CAST(? AS DATE) AND ({changed})",
        [as_of, as_of],
    )
    con.execute(
        f"INSERT INTO {table} ({', '.join(spec.column_names)}, loaded_as_of) "
        f"SELECT i.*, CAST(? AS DATE) FROM _incoming_history AS i "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {on})",
        [as_of],
    )
    later = con.execute(
        f"SELECT count(*) FROM _incoming_history AS i JOIN {table} AS t ON {on} "
        "WHERE t.loaded_as_of > CAST(? AS DATE)",
        [as_of],
    ).fetchall()[0][0]
    restated = con.execute("SELECT count(*) FROM _incoming_history").fetchall()[0][0]
    con.execute("DROP TABLE temp._incoming_history")  # (a failed load rolls it back)
    return int(restated - later)


def _issues_for_sql(issues: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": issues["file"].astype(str),
            "row": pd.array(issues["row"], dtype="Int64"),
            "column": issues["column"].astype("string"),
            "rule": issues["rule"].astype(str),
            "value": issues["value"]
            .map(lambda v: None if v is None or v is pd.NA else str(v))
            .astype(object),
            "message": issues["message"].astype(str),
            "account_id": issues["account_id"].astype("string"),
        }
    )


def _replace_quarantine(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    issues: str,
    held_accounts: Mapping[str, str],
) -> int:
    con.execute("DELETE FROM quarantine WHERE as_of_date = ?", [as_of])
    con.execute("DELETE FROM held_accounts WHERE as_of_date = ?", [as_of])
    n_issues = con.execute(
        'INSERT INTO quarantine SELECT CAST(? AS DATE), file, "row", "column", rule, value, '
        f"message, account_id FROM ({issues})",
        [as_of],
    ).fetchall()[0][0]
    if held_accounts:
        held = pd.DataFrame(
            {
                "account_id": sorted(held_accounts),
                "reason": [held_accounts[a] for a in sorted(held_accounts)],
            }
        )
        con.register("incoming_held", held)
        try:
            con.execute(
                "INSERT INTO held_accounts SELECT CAST(? AS DATE), account_id, reason FROM "
                "incoming_held",
                [as_of],
            )
        finally:
            con.unregister("incoming_held")
    return int(n_issues)
