"""The staging area: inbox files typed and checked batch by batch into DuckDB, never whole in
memory.

Each file checked becomes a table ``staging.<file>`` holding every record read: ``_row`` (its
1-based record number in the file), the contract's columns typed (null where blank or unparsed),
``_bad`` (the row is refused) and, for key columns that are not text, ``_text_<column>``: the
cell as written, to report a repeated key as it was written. Every issue goes to
``staging.issues`` (the issues table layout plus ``seq``, the order it was found in), so a broken
file with millions of bad rows costs disk, not memory.

The staging database is attached to the connection as ``staging``. An inbox small beside DuckDB's
memory limit (:func:`fits_in_memory`) is staged in memory, compressed, so the store is the only
file the night writes its rows to (issue 23: at 10,000 accounts a staging file cost a third of the
ingest); a larger one is staged in a DuckDB file in a temporary folder, which DuckDB writes
compressed, and spills to the same folder beyond its memory limit (a spilled in-memory database
would be larger on disk and slower). The night's ingest attaches it to the store's own connection
and loads the clean rows straight from it; the folder is removed when the staging ends.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines._leftovers import staging_prefix
from pipelines.settings import ValidationSettings
from pipelines.validate._issues import ISSUE_COLUMNS, issues_frame
from pipelines.validate._parse import FileCheck, as_text, parse_table
from pipelines.validate._suites import (
    WHOLE_FILE,
    Suite,
    duplicate_key_sql,
    run_suite,
    text_key_columns,
)
from sma.inbox import ID_PATTERN, ColumnKind, FileSpec

_SQL_TYPE = {
    ColumnKind.FLOAT: "DOUBLE",
    ColumnKind.RATIONAL: "DOUBLE",
    ColumnKind.DATE: "TIMESTAMP",
    ColumnKind.BOOL: "BOOLEAN",
}
#: Kinds staged as doubles (an exact number as its nearest double: see ``sma.ledger.exact``).
_NUMBER_KINDS = (ColumnKind.FLOAT, ColumnKind.RATIONAL)
#: The order issues are reported in: by file, row (whole-file issues first), column, rule, then
#: found.
ISSUE_ORDER = 'file, coalesce("row", 0), "column" NULLS FIRST, rule, seq'
#: DuckDB's memory units (``staging_memory_limit``), in bytes.
_UNITS = {
    "B": 1,
    **{u: 1000 ** (i + 1) for i, u in enumerate(("KB", "MB", "GB", "TB"))},
    **{u: 1024 ** (i + 1) for i, u in enumerate(("KiB", "MiB", "GiB", "TiB"))},
}
#: Bytes of compressed DuckDB memory a staged inbox takes per byte of its files, at most
#: (a 10,000-account Parquet book stages in about 3x its size; CSV text in well under its size).
_STAGED_PER_FILE_BYTE = {".parquet": 4, ".csv": 1}
#: What a staging folder may hold: the staging database, its write-ahead log, DuckDB's spills.
_STAGING_FILES = ("staging.duckdb", "staging.duckdb.wal", "spill")


class Staging:
    """A night's (or one file's) staged rows and issues on a DuckDB connection; see the module
    doc."""

    def __init__(self, con: duckdb.DuckDBPyConnection, check_threads: int = 1):
        self.con = con
        self.check_threads = check_threads
        self.files: dict[str, FileSpec] = {}
        self._views: list[str] = []
        con.execute(
            'CREATE TABLE staging.issues (seq BIGINT, file VARCHAR, "row" BIGINT, "column" VARCHAR, '
            "rule VARCHAR, value VARCHAR, message VARCHAR, account_id VARCHAR)"
        )

    # -- one file -----------------------------------------------------------------------------

    def stage_file(
        self,
        spec: FileSpec,
        suite: Suite,
        batches: Iterator[pa.Table],
        parameters: Mapping[str, object],
    ) -> int:
        """Type and check ``batches`` (a file's records in order) into ``staging.<file>``; rows
        read.

        Row rules run per batch, on ``check_threads`` threads while DuckDB appends the batches
        checked before (Arrow, NumPy and DuckDB release the GIL), in file order; the suite's
        whole-file rules then run in SQL over every row. Each batch is committed on its own (one
        transaction over a whole file holds memory in proportion to it): a read error in a later
        batch drops what the earlier ones staged, rows and issues.
        """
        texts = text_key_columns(spec, suite)
        self._create_table(spec, texts)
        try:
            rows = 0
            with ThreadPoolExecutor(max_workers=self.check_threads) as pool:
                checking: deque[Future[FileCheck]] = deque()
                for batch in batches:
                    checking.append(
                        pool.submit(_check_batch, spec, suite, batch, rows + 1, parameters)
                    )
                    rows += batch.num_rows
                    if (
                        len(checking) > self.check_threads
                    ):  # at most this many batches wait in memory
                        self._append(checking.popleft().result(), texts)
                while checking:
                    self._append(checking.popleft().result(), texts)
            for e in suite.expectations:
                if e.type in WHOLE_FILE:
                    self.add_issues_sql(duplicate_key_sql(spec, e, f"staging.{spec.name}"))
            self.refuse_issued_rows(spec.name)
        except BaseException:
            self.con.execute("DELETE FROM staging.issues WHERE file = ?", [spec.name])
            self._create_table(spec, texts)
            raise
        self.files[spec.name] = spec
        return rows

    def _create_table(self, spec: FileSpec, texts: list[str]) -> None:
        columns = ["_row BIGINT"] + [
            f'"{c.name}" {_SQL_TYPE.get(c.kind, "VARCHAR")}' for c in spec.columns
        ]
        columns += ["_bad BOOLEAN"] + [f'"_text_{c}" VARCHAR' for c in texts]
        self.con.execute(f"CREATE OR REPLACE TABLE staging.{spec.name} ({', '.join(columns)})")

    def _append(self, check: FileCheck, texts: list[str]) -> None:
        columns = {
            "_row": pa.array(np.arange(check.first_row, check.first_row + check.n_rows), pa.int64())
        }
        for column in check.spec.columns:
            values = check.values[column.name]
            if column.name in check.encoded:
                values = _encoded_text(check, column.name)
            elif isinstance(values, np.ndarray):
                missing = check.missing[column.name]
                if column.kind in _NUMBER_KINDS:
                    missing = missing | np.isnan(values)
                values = pa.array(values, mask=missing)
            columns[column.name] = values
        columns["_bad"] = pa.array(check.bad)
        columns.update({f"_text_{c}": as_text(check.text[c]) for c in texts})
        self.con.register("_batch", pa.table(columns))
        try:
            self.con.execute(f"INSERT INTO staging.{check.spec.name} SELECT * FROM _batch")
        finally:
            self.con.unregister("_batch")
        for issues in check.issues:
            self.add_issues(issues)

    # -- issues -------------------------------------------------------------------------------

    def add_issues(self, issues: pd.DataFrame) -> None:
        """Append an issues table (the layout of :mod:`._issues`) to ``staging.issues``."""
        if not len(issues):
            return
        frame = issues.loc[:, list(ISSUE_COLUMNS)].assign(_order=np.arange(len(issues)))
        self.con.register("_issues", frame)
        try:
            self._insert_issues("SELECT * FROM _issues", order="_order")
        finally:
            self.con.unregister("_issues")

    def add_issues_sql(
        self,
        select: str,
        parameters: Mapping[str, object] | None = None,
        *,
        rule: str | None = None,
        keep_rows: bool = True,
    ) -> None:
        """Append the issues ``select`` finds (file, row, column, value, message, account_id, and
        rule unless ``rule`` names it); ``keep_rows=False`` drops their rows (issues about
        groups)."""
        rule_sql = "rule" if rule is None else "'" + rule.replace("'", "''") + "'"
        row_sql = 'CAST("row" AS BIGINT)' if keep_rows else "CAST(NULL AS BIGINT)"
        source = (
            f'SELECT CAST(file AS VARCHAR) AS file, {row_sql} AS "row", CAST("column" AS '
            'VARCHAR) AS "column", '
            f"{rule_sql} AS rule, CAST(value AS VARCHAR) AS value, CAST(message AS VARCHAR) AS "
            "message, "
            f"CAST(account_id AS VARCHAR) AS account_id FROM (\n{select}\n) found"
        )
        self._insert_issues(source, 'file, "row", "column", value, account_id, message', parameters)

    def _insert_issues(
        self, source: str, order: str, parameters: Mapping[str, object] | None = None
    ) -> None:
        # seq keeps the order issues were found in; ids that are not valid ids never travel as
        # accounts.
        # (Results are fetched whole: DuckDB 2 refuses register() while a result is unfinished.)
        first = self.con.execute("SELECT coalesce(max(seq), 0) FROM staging.issues").fetchall()[0][
            0
        ]
        pattern = ID_PATTERN.replace("'", "''")
        self.con.execute(
            f"INSERT INTO staging.issues SELECT {first} + row_number() OVER (ORDER BY {order}), "
            "file, "
            f'"row", "column", rule, value, message, '
            f"CASE WHEN regexp_full_match(account_id, '{pattern}') THEN account_id END FROM "
            f"({source}) s",
            dict(parameters or {}),
        )

    def refuse_issued_rows(self, name: str) -> None:
        """Mark ``_bad`` every row of ``staging.<name>`` an issue names (a row named is
        quarantined)."""
        named = self.con.execute(
            'SELECT count(*) FROM staging.issues WHERE file = ? AND "row" IS NOT NULL', [name]
        ).fetchall()[0][0]
        if not named:  # the usual clean file: no scan of its millions of rows
            return
        self.con.execute(
            f"UPDATE staging.{name} SET _bad = true WHERE NOT _bad AND _row IN "
            f'(SELECT "row" FROM staging.issues WHERE file = ? AND "row" IS NOT NULL)',
            [name],
        )

    def issue_counts(self) -> tuple[int, int, int]:
        """Issues, quarantined rows and files with issues."""
        return self.con.execute(
            'SELECT count(*), count(DISTINCT CASE WHEN "row" IS NOT NULL THEN (file, "row") END), '
            "count(DISTINCT file) FROM staging.issues"
        ).fetchall()[0]

    def first_issues(self, limit: int | None) -> pd.DataFrame:
        """The first ``limit`` issues (None: all) in report order, as an issues table."""
        found = self.con.execute(
            f'SELECT file, "row", "column", rule, value, message, account_id FROM staging.issues '
            f"ORDER BY {ISSUE_ORDER}" + ("" if limit is None else f" LIMIT {int(limit)}")
        ).fetchall()
        columns = list(zip(*found)) if found else [[] for _ in ISSUE_COLUMNS]
        return issues_frame(*[list(c) for c in columns])

    def held_reasons(self) -> dict[str, str]:
        """account_id -> why it is held: its first three issues in report order, in words a PM
        reads."""
        found = self.con.execute(
            f"""
            WITH ranked AS (
                SELECT account_id,
                       file || coalesce(' row ' || "row", '') || coalesce(' ' || "column", '') || ': ' || rule AS what,
                       row_number() OVER (PARTITION BY account_id ORDER BY {ISSUE_ORDER}) AS n,
                       count(*) OVER (PARTITION BY account_id) AS total
                FROM staging.issues WHERE account_id IS NOT NULL
            )
            SELECT account_id, string_agg(what, '; ' ORDER BY n), max(total)
            FROM ranked WHERE n <= 3 GROUP BY account_id ORDER BY account_id
            """
        ).fetchall()
        return {
            a: f"bad input: {what}" + (f" (+{total - 3} more)" if total > 3 else "")
            for a, what, total in found
        }

    # -- views for rules between files, and the clean rows ------------------------------------

    def open_views(self) -> None:
        """Temporary views ``<file>`` (clean rows) and ``<file>_all`` (every row), with ``_row``."""
        for name, spec in self.files.items():
            columns = ", ".join(["_row"] + [f'"{c}"' for c in spec.column_names])
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {columns} FROM staging.{name} "
                "WHERE NOT _bad"
            )
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {name}_all AS SELECT {columns} FROM staging.{name}"
            )
            self._views += [name, f"{name}_all"]

    def close_views(self) -> None:
        for view in self._views:
            self.con.execute(f"DROP VIEW IF EXISTS temp.{view}")
        self._views = []

    def clean_frame(self, spec: FileSpec) -> pd.DataFrame:
        """The clean rows of a staged file in memory (small files only), typed as
        ``ValidationResult.frames``."""
        columns = ", ".join(f'"{c}"' for c in spec.column_names)
        table = self.con.sql(
            f'SELECT _row AS "row", {columns} FROM staging.{spec.name} WHERE NOT _bad ORDER BY _row'
        ).to_arrow_table()
        index = pd.Index(table.column("row").to_numpy(), name="row", dtype=np.int64)
        frame = {}
        for column in spec.columns:
            values = table.column(column.name)
            if column.kind in _NUMBER_KINDS:
                series = pd.Series(
                    values.to_numpy(zero_copy_only=False).astype(np.float64), index=index
                )
            elif column.kind is ColumnKind.BOOL:
                series = pd.Series(
                    values.fill_null(False).to_numpy(zero_copy_only=False).astype(bool), index=index
                )
            elif column.kind is ColumnKind.DATE:
                dates = (
                    values.cast(pa.timestamp("s"))
                    .to_numpy(zero_copy_only=False)
                    .astype("datetime64[s]")
                )
                series = pd.Series(dates, index=index)
            else:
                series = values.to_pandas().astype("str").set_axis(index)
            frame[column.name] = series
        return pd.DataFrame(frame, index=index)


def _encoded_text(check: FileCheck, name: str) -> pa.DictionaryArray:
    """A text column's typed values (null where blank) still dictionary-encoded: DuckDB converts
    each distinct string once instead of once per cell."""
    encoded = check.encoded[name]
    blank = pa.array(check.blank[name])
    indices = pc.if_else(blank, pa.scalar(None, encoded.indices.type), encoded.indices)
    return pa.DictionaryArray.from_arrays(indices, encoded.dictionary)


def _check_batch(
    spec: FileSpec, suite: Suite, batch: pa.Table, first_row: int, parameters: Mapping[str, object]
) -> FileCheck:
    check = parse_table(spec, batch, first_row=first_row)
    run_suite(check, suite, parameters)
    return check


@contextmanager
def staging_area(
    settings: ValidationSettings,
    con: duckdb.DuckDBPyConnection | None = None,
    folder: Path | None = None,
    in_memory: bool = False,
    compress: bool = False,
) -> Iterator[Staging]:
    """A fresh staging database attached to ``con`` (or to a private in-memory connection).

    DuckDB's memory is limited to ``settings.staging_memory_limit``; it spills into the staging
    folder, which is removed on leaving, with everything staged. ``folder`` is a fixed one (the
    store's, whose writer lock makes it the only user): what a killed run left there is removed
    first. None = a new temporary folder under ``settings.staging_dir``. ``in_memory``: the
    staging database lives in memory (a frame already in memory, e.g. a night's proposal for
    its output contracts: 2-3x faster than a file for a shard's orders); ``compress``: DuckDB
    compresses it as it would a file (an inbox: less memory, as fast).
    """
    if folder is None:
        # Named by its owner, so the next night sweeps it if this process is killed
        # (pipelines._leftovers).
        folder = Path(tempfile.mkdtemp(prefix=staging_prefix(), dir=settings.staging_dir))
    else:
        _clear_staging_folder(folder)
    own = con is None
    con = duckdb.connect() if own else con
    staging = None
    try:
        con.execute(f"SET memory_limit = '{settings.staging_memory_limit}'")
        con.execute(f"SET temp_directory = '{_quoted(folder / _STAGING_FILES[2])}'")
        con.execute("SET enable_progress_bar = false")
        con.execute(
            "ATTACH ':memory:' AS staging" + (" (COMPRESS)" if compress else "")
            if in_memory
            else f"ATTACH '{_quoted(folder / _STAGING_FILES[0])}' AS staging"
        )
        staging = Staging(con, settings.check_threads)
        yield staging
    finally:
        try:
            if staging is not None:
                staging.close_views()
            con.execute("DETACH DATABASE IF EXISTS staging")
            if not own:
                # The caller's connection goes on with its own memory limit; DuckDB keeps the
                # temporary directory once it has spilled there (it recreates it if needed).
                con.execute("RESET memory_limit")
        finally:
            if own:
                con.close()
            shutil.rmtree(folder, ignore_errors=True)


def fits_in_memory(paths: Iterable[Path], memory_limit: str) -> bool:
    """Whether files of these paths would stage within half of DuckDB's ``memory_limit`` (a
    ``staging_memory_limit`` setting): the other half is the checks' and the load's."""
    number, unit = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]+)", memory_limit.strip()).groups()
    staged = sum(p.stat().st_size * _STAGED_PER_FILE_BYTE.get(p.suffix, 4) for p in paths)
    return staged <= float(number) * _UNITS[unit] / 2


def _clear_staging_folder(folder: Path) -> None:
    """Empty ``folder`` of what a killed staging left; refuse any folder holding something else."""
    if folder.exists():
        left = {p.name for p in folder.iterdir()} - set(_STAGING_FILES)
        if left:
            raise ValueError(
                f"{folder} is not a staging folder (it holds {sorted(left)[0]!r}): not cleared"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
