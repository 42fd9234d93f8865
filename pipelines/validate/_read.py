"""Read a night's inbox files in batches of records, refusing whole-file problems before any is
parsed.

A file is ``<inbox>/<YYYY-MM-DD>/<name>.csv`` or ``.parquet``. A file larger than
``max_file_bytes`` is refused unread (a Parquet file also when its columns would decode to more);
a file that is not a regular file inside the date folder
(a symlink out of it, a folder) is refused; a CSV whose records do not parse (a truncated last
record, an open quote, bad UTF-8) or a Parquet file that does not open is refused whole -- also
when the problem is found only in a later batch: the caller drops what it took from the earlier
ones. CSV cells are read as text, every one, so a bad value can be reported as it was written;
Parquet columns keep their stored types and are checked in :mod:`._parse`. No file is ever held
whole in memory: batches of ``batch_rows`` records are read one after another.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.errors import PipelineError
from pipelines.settings import ValidationSettings
from pipelines.validate._issues import issues_frame
from sma.inbox import INBOX_FILES, INBOX_FORMATS, FileSpec

_HEADER_PROBE_BYTES = 1 << 16
#: Bytes of CSV Arrow parses at a time; batches are then cut to ``batch_rows`` records.
_CSV_BLOCK_BYTES = 1 << 24


class InboxReadError(PipelineError):
    """A whole file cannot be read; ``rule`` names why, ``file`` which one."""

    def __init__(self, file: str, rule: str, message: str, column: str | None = None):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.rule = rule
        self.column = column
        self.message = message


@dataclass(frozen=True)
class InboxFile:
    """One inbox file opened for reading: its header, and its records batch by batch.

    Attributes
    ----------
    spec : the file's contract.
    path : where it is.
    column_names : the columns of the file, as in its header or schema.
    batches : the file's records, at most ``batch_rows`` at a time, in file order (CSV: every
        column ``string``; Parquet: as stored, a ``string`` column dictionary-encoded as read, so
        the row rules see each distinct text once). Iterating may raise :class:`InboxReadError`.
    """

    spec: FileSpec
    path: Path
    column_names: tuple[str, ...]
    batches: Iterator[pa.Table]

    def extra_columns(self) -> list[str]:
        return [c for c in self.column_names if c not in self.spec.column_names]


def night_folder(inbox: Path, as_of: date) -> Path:
    return Path(inbox) / as_of.isoformat()


def unknown_files(folder: Path) -> list[str]:
    """Files of the night's folder that are no inbox file: a note each, never an error."""
    known = {f"{n}.{fmt}" for n in INBOX_FILES for fmt in INBOX_FORMATS}
    return [
        f"{p.name}: not an inbox file, ignored"
        for p in sorted(folder.iterdir())
        if p.name not in known
    ]


def missing_folder_issue(folder: Path, as_of: date) -> pd.DataFrame:
    return issues_frame(
        ["inbox"],
        [None],
        [None],
        ["inbox_folder"],
        [str(folder)],
        [f"no folder {folder} for the night of {as_of.isoformat()}"],
        [None],
    )


def read_error_issue(exc: InboxReadError) -> pd.DataFrame:
    """A whole-file problem as a one-row issues table."""
    return issues_frame([exc.file], [None], [exc.column], [exc.rule], [None], [exc.message], [None])


def locate(folder: Path, spec: FileSpec) -> Path | None:
    """The one file of ``spec`` in ``folder``; None for a missing optional file."""
    found = [
        folder / f"{spec.name}.{fmt}"
        for fmt in INBOX_FORMATS
        if (folder / f"{spec.name}.{fmt}").exists()
    ]
    if len(found) > 1:
        raise InboxReadError(
            spec.name,
            "ambiguous_file",
            f"both {found[0].name} and {found[1].name} are present: keep one",
        )
    if not found:
        if spec.required:
            raise InboxReadError(
                spec.name, "required_file", f"{spec.name}.csv or {spec.name}.parquet is missing"
            )
        return None
    return found[0]


def open_file(path: Path, spec: FileSpec, settings: ValidationSettings) -> InboxFile:
    """Open one inbox file for batches, or raise :class:`InboxReadError` naming the whole-file
    rule."""
    if path.is_symlink() or not path.is_file() or path.resolve().parent != path.parent.resolve():
        raise InboxReadError(
            spec.name,
            "not_a_regular_file",
            f"{path.name} is not a regular file inside the night's folder",
        )
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise InboxReadError(
            spec.name,
            "file_size",
            f"{path.name} is {size:,} bytes, over the limit of {settings.max_file_bytes:,}: not "
            "read",
        )
    if path.suffix == ".parquet":
        names, batches = _open_parquet(path, spec, settings.max_file_bytes, settings.batch_rows)
    else:
        names, batches = _open_csv(path, spec, settings.batch_rows)
    check_columns(spec, list(names))
    return InboxFile(spec, path, tuple(names), batches)


def check_columns(spec: FileSpec, names: list[str]) -> None:
    """Refuse a header naming a column twice or lacking a required column."""
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise InboxReadError(
            spec.name,
            "duplicate_column",
            f"column {duplicated[0]!r} appears twice",
            column=duplicated[0],
        )
    missing = [c.name for c in spec.columns if c.required and c.name not in names]
    if missing:
        raise InboxReadError(
            spec.name,
            "required_column",
            f"required column {missing[0]!r} is missing"
            + (f" (and {', '.join(missing[1:])})" if missing[1:] else ""),
            column=missing[0],
        )


def _open_csv(path: Path, spec: FileSpec, batch_rows: int) -> tuple[list[str], Iterator[pa.Table]]:
    header = _csv_header(path, spec)
    if _has_open_quote(path):
        raise InboxReadError(
            spec.name, "unreadable", f"{path.name} ends inside a quoted cell: the file is truncated"
        )
    return header, _csv_batches(path, spec, header, batch_rows)


def _csv_batches(
    path: Path, spec: FileSpec, header: list[str], batch_rows: int
) -> Iterator[pa.Table]:
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, block_size=_CSV_BLOCK_BYTES
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from _in_batches_of(reader, batch_rows)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InboxReadError(
            spec.name, "unreadable", f"{path.name} does not parse as CSV: {_short(exc)}"
        ) from None


def _in_batches_of(record_batches, batch_rows: int) -> Iterator[pa.Table]:
    """Re-cut a stream of record batches into tables of exactly ``batch_rows`` rows (the last
    fewer)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in record_batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= batch_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, batch_rows)
            rest = table.slice(batch_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


def _has_open_quote(path: Path) -> bool:
    """A quoted cell never closed: it would run to the end of the file (Arrow's reader takes it so).

    An even number of quote characters cannot leave one open (escaped quotes come in pairs), so
    only a file with an odd count is read again, by Python's CSV reader: a quote inside an unquoted
    cell (``5" Systems``) is a plain character to it and to Arrow (RFC 4180 only opens a quoted cell
    at its first character), and only a cell still open at the end of the file is an error.
    """
    quotes = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            quotes += chunk.count(b'"')
    if quotes % 2 == 0:
        return False
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, path.stat().st_size + 1))
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            deque(csv.reader(handle, strict=True), maxlen=0)  # read every record, keep none
    except csv.Error as exc:
        # strict: also "',' expected after '\"'" (text after a closing quote), which Arrow reports
        # itself as a record with the wrong number of cells.
        return "unexpected end of data" in str(exc)
    finally:
        csv.field_size_limit(limit)
    return False


def _csv_header(path: Path, spec: FileSpec) -> list[str]:
    with path.open("rb") as handle:
        probe = handle.read(_HEADER_PROBE_BYTES)
    try:
        text = probe.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(probe) - 4:  # a multi-byte character cut by the probe is fine
            raise InboxReadError(
                spec.name, "unreadable", f"{path.name} is not UTF-8 text"
            ) from None
        text = probe[: exc.start].decode("utf-8-sig")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InboxReadError(spec.name, "unreadable", f"{path.name} is empty: no header")
    if len(lines) == 1 and len(probe) == _HEADER_PROBE_BYTES:
        raise InboxReadError(
            spec.name, "unreadable", f"{path.name} has no header line in its first 64 KiB"
        )
    header = next(csv.reader(io.StringIO(lines[0])))
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InboxReadError(
            spec.name, "duplicate_column", f"column {dup!r} appears twice", column=dup
        )
    return header


def _open_parquet(
    path: Path, spec: FileSpec, limit: int, batch_rows: int
) -> tuple[list[str], Iterator[pa.Table]]:
    """Open a Parquet file whose decoded size stays within ``limit`` bytes.

    A few kilobytes of Parquet can decode to gigabytes (one long string repeated through a
    dictionary, a constant run-length encoded): the size is checked from the metadata before any
    column is read, then batch by batch from the dictionaries before any string is expanded.
    """
    try:
        parquet = pq.ParquetFile(path)
        metadata = parquet.metadata
        schema = metadata.schema.to_arrow_schema()
        strings = [
            f.name
            for f in schema
            if pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or pa.types.is_binary(f.type)
        ]
        fixed = (
            sum(_fixed_width(f.type) for f in schema if f.name not in strings) * metadata.num_rows
        )
        encoded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        _within(spec, path, max(fixed, encoded), limit)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InboxReadError(
            spec.name, "unreadable", f"{path.name} does not open as Parquet: {_short(exc)}"
        ) from None
    return list(schema.names), _parquet_batches(
        path, spec, schema, strings, fixed, limit, batch_rows
    )


def _parquet_batches(path, spec, schema, strings, fixed, limit, batch_rows) -> Iterator[pa.Table]:
    decoded = fixed
    try:
        parquet = pq.ParquetFile(path, read_dictionary=strings)
        for batch in _in_batches_of(parquet.iter_batches(batch_size=batch_rows), batch_rows):
            decoded += sum(_decoded_bytes(batch.column(name)) for name in strings)
            _within(spec, path, decoded, limit)
            yield pa.table(
                {
                    name: batch.column(name).cast(schema.field(name).type)
                    if name in strings and schema.field(name).type != pa.string()
                    else batch.column(name)
                    for name in batch.column_names
                }
            )
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InboxReadError(
            spec.name, "unreadable", f"{path.name} does not open as Parquet: {_short(exc)}"
        ) from None


def _fixed_width(kind: pa.DataType) -> int:
    try:
        return max(kind.bit_width // 8, 1)
    except ValueError:  # nested or variable width: counted in the encoded size
        return 0


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    total = 0
    for chunk in column.chunks:
        lengths = pc.binary_length(chunk.dictionary).take(chunk.indices)
        total += (pc.sum(lengths).as_py() or 0) + 4 * len(chunk)
    return total


def _within(spec: FileSpec, path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise InboxReadError(
            spec.name,
            "file_size",
            f"{path.name} decodes to {size:,} bytes, over the limit of {limit:,}: not read",
        )


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."
