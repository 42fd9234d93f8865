"""Write inbox frames to disk in the contract layout ``<inbox>/<YYYY-MM-DD>/<file>.csv|parquet``.

Generic on purpose: it writes whatever frames it is handed -- a generated book, or a hand-made bad
inbox in a test -- with no validation. Each file is written under a temporary name in the dated
folder and renamed into place, so a reader never sees half a file.

CSV: header row, ISO dates, blank for null, booleans as ``true``/``false``, text quoted.
Parquet: typed columns, dates as ``date32``.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines._atomic import writing_atomically
from pipelines.errors import PipelineError
from sma.book import BookParams, book_tables
from sma.inbox import FILLS, INBOX_FILES, INBOX_FORMATS, ColumnKind

_DATE_COLUMNS = {
    spec.name: {c.name for c in spec.columns if c.kind is ColumnKind.DATE}
    for spec in (*INBOX_FILES.values(), FILLS)
}


class InboxWriteError(PipelineError, ValueError):
    """A frame could not be written: which file and why."""


def _column_to_arrow(series: pd.Series) -> pa.Array:
    """One column as Arrow; a column of mixed values (a hand-made bad cell) is written as text."""
    try:
        return pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = [None if pd.isna(v) else str(v) for v in series.tolist()]
        return pa.array(text, type=pa.string())


def frame_to_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table; timestamp columns the contract calls dates become ``date32``."""
    dates = _DATE_COLUMNS.get(name, set())
    arrays, fields = [], []
    for column in frame.columns:
        array = _column_to_arrow(frame[column])
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if str(column) in dates and pa.types.is_timestamp(array.type):
            array = array.cast(pa.date32())
        if pa.types.is_large_string(array.type):
            array = array.cast(pa.string())
        arrays.append(array)
        fields.append(pa.field(str(column), array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


_CSV_OPTIONS = pa_csv.WriteOptions(quoting_style="needed")


def _write_one(table: pa.Table, target: Path, fmt: str) -> None:
    with writing_atomically(target) as tmp:
        if fmt == "csv":
            pa_csv.write_csv(table, tmp, write_options=_CSV_OPTIONS)
        else:
            pq.write_table(table, tmp, compression="zstd")


def _check_format(fmt: str) -> None:
    if fmt not in INBOX_FORMATS:
        raise InboxWriteError(f"format must be one of {INBOX_FORMATS}, not {fmt!r}")


def write_inbox(
    frames: dict[str, pd.DataFrame], inbox: Path, as_of: date, fmt: str = "csv"
) -> Path:
    """Write each frame to ``inbox/<as_of>/<name>.<fmt>`` atomically and return the dated folder.

    Parameters
    ----------
    frames : dict of file name -> DataFrame
        Usually the inbox files of ``sma.inbox.INBOX_FILES`` with their columns in contract order;
        written as given, whatever their content (tests write bad inboxes with this too).
    inbox : Path
        The inbox root; the dated folder is created if needed.
    as_of : date
        The night the files are for.
    fmt : {"csv", "parquet"}

    Returns
    -------
    Path
        The dated folder ``inbox/<YYYY-MM-DD>``.
    """
    _check_format(fmt)
    folder = Path(inbox) / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if Path(name).name != name or name.startswith("."):
            raise InboxWriteError(f"{name!r} is not a plain file name")
        try:
            table = frame_to_table(name, frame)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InboxWriteError(f"{name}: cannot be written ({exc})") from exc
        _write_one(table, folder / f"{name}.{fmt}", fmt)
    return folder


@dataclass(frozen=True)
class WrittenBook:
    """Where a streamed book went and how many rows each file got."""

    folder: Path
    rows: dict[str, int]


def write_book(
    n_accounts: int,
    seed: int,
    as_of: date,
    inbox: Path,
    fmt: str = "csv",
    params: BookParams = BookParams(),
) -> WrittenBook:
    """Generate a book and stream it to ``inbox/<as_of>/`` part by part, with bounded memory.

    The files are the same book as ``write_inbox(generate_book(...))`` writes (byte for byte in
    CSV; Parquet row groups follow the parts). Each file is written under a temporary name and
    renamed into place once the whole book is written; on an error no file is replaced.
    """
    _check_format(fmt)
    folder = Path(inbox) / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pa_csv.CSVWriter | pq.ParquetWriter] = {}
    rows: Counter[str] = Counter()
    # Every file is renamed into place only when the whole book is written (the stack unwinds).
    with ExitStack() as in_place:
        try:
            for tables in book_tables(n_accounts, seed, as_of, params):
                for name, table in tables.items():
                    if name not in writers:
                        tmp = in_place.enter_context(writing_atomically(folder / f"{name}.{fmt}"))
                        writers[name] = (
                            pa_csv.CSVWriter(tmp, table.schema, write_options=_CSV_OPTIONS)
                            if fmt == "csv"
                            else pq.ParquetWriter(tmp, table.schema, compression="zstd")
                        )
                    writers[name].write_table(table)
                    rows[name] += table.num_rows
        finally:
            for writer in writers.values():
                writer.close()
    return WrittenBook(folder, {name: rows[name] for name in INBOX_FILES})
