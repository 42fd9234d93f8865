"""Read a night's inbox files as text, refusing whole-file problems before anything is parsed.

A file is ``<inbox>/<YYYY-MM-DD>/<name>.csv`` or ``.parquet``. A file larger than
``max_file_bytes`` is refused unread (a Parquet file also when its columns would decode to more);
a file that is not a regular file inside the date folder
(a symlink out of it, a folder) is refused; a CSV whose records do not parse (a truncated last
record, an open quote, bad UTF-8) or a Parquet file that does not open is refused whole. CSV
cells are read as text, every one, so a bad value can be reported as it was written; Parquet
columns keep their stored types and are checked in :mod:`._parse`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.settings import ValidationSettings
from pipelines.validate._issues import concat_issues, issues_frame
from sma.inbox import INBOX_FILES, INBOX_FORMATS, FileSpec

_HEADER_PROBE_BYTES = 1 << 16


class InboxReadError(Exception):
    """A whole file cannot be read; ``rule`` names why, ``file`` which one."""

    def __init__(self, file: str, rule: str, message: str, column: str | None = None):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.rule = rule
        self.column = column
        self.message = message


@dataclass(frozen=True)
class RawInbox:
    """The files of one night as read, before any cell is typed.

    Attributes
    ----------
    tables : file name -> the file's cells (CSV: every column ``string``; Parquet: as stored).
    issues : whole-file problems (all fatal), in the issues table layout.
    notes : things worth saying that are not errors (an extra column, an unknown file).
    """

    tables: dict[str, pa.Table]
    issues: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def night_folder(inbox: Path, as_of: date) -> Path:
    return Path(inbox) / as_of.isoformat()


def read_inbox(inbox: Path, as_of: date, settings: ValidationSettings) -> RawInbox:
    """Read every contract file of ``<inbox>/<as_of>/``; whole-file problems become issues.

    Parameters
    ----------
    inbox : the inbox folder (the night's files are in its ``YYYY-MM-DD`` subfolder).
    as_of : the night's date.
    settings : ``max_file_bytes`` bounds every file.

    Returns
    -------
    RawInbox with a table for each file that could be read. A required file that is missing, a
    file that is too large, outside the folder or unreadable is a fatal issue and has no table.
    """
    folder = night_folder(inbox, as_of)
    if not folder.is_dir():
        issue = issues_frame(["inbox"], [None], [None], ["inbox_folder"], [str(folder)],
                             [f"no folder {folder} for the night of {as_of.isoformat()}"], [None])
        return RawInbox({}, issue, ())
    tables: dict[str, pa.Table] = {}
    problems = []
    notes = []
    for name, spec in INBOX_FILES.items():
        try:
            path = locate(folder, spec)
            if path is None:
                continue
            table = read_file(path, spec, settings)
        except InboxReadError as exc:
            problems.append(read_error_issue(exc))
            continue
        tables[name] = table
        notes += [f"{name}: extra column {c!r} is ignored" for c in table.column_names if c not in spec.column_names]
    known = {f"{n}.{fmt}" for n in INBOX_FILES for fmt in INBOX_FORMATS}
    notes += [f"{p.name}: not an inbox file, ignored" for p in sorted(folder.iterdir()) if p.name not in known]
    return RawInbox(tables, concat_issues(problems), tuple(notes))


def read_error_issue(exc: InboxReadError) -> pd.DataFrame:
    """A whole-file problem as a one-row issues table."""
    return issues_frame([exc.file], [None], [exc.column], [exc.rule], [None], [exc.message], [None])


def locate(folder: Path, spec: FileSpec) -> Path | None:
    """The one file of ``spec`` in ``folder``; None for a missing optional file."""
    found = [folder / f"{spec.name}.{fmt}" for fmt in INBOX_FORMATS if (folder / f"{spec.name}.{fmt}").exists()]
    if len(found) > 1:
        raise InboxReadError(spec.name, "ambiguous_file",
                             f"both {found[0].name} and {found[1].name} are present: keep one")
    if not found:
        if spec.required:
            raise InboxReadError(spec.name, "required_file", f"{spec.name}.csv or {spec.name}.parquet is missing")
        return None
    return found[0]


def read_file(path: Path, spec: FileSpec, settings: ValidationSettings) -> pa.Table:
    """One inbox file as an Arrow table, or :class:`InboxReadError` naming the whole-file rule."""
    if path.is_symlink() or not path.is_file() or path.resolve().parent != path.parent.resolve():
        raise InboxReadError(spec.name, "not_a_regular_file",
                             f"{path.name} is not a regular file inside the night's folder")
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise InboxReadError(spec.name, "file_size",
                             f"{path.name} is {size:,} bytes, over the limit of {settings.max_file_bytes:,}: not read")
    if path.suffix == ".parquet":
        table = _read_parquet(path, spec, settings.max_file_bytes)
    else:
        table = _read_csv(path, spec)
    check_columns(spec, table.column_names)
    return table


def check_columns(spec: FileSpec, names: list[str]) -> None:
    """Refuse a header naming a column twice or lacking a required column."""
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise InboxReadError(spec.name, "duplicate_column", f"column {duplicated[0]!r} appears twice",
                             column=duplicated[0])
    missing = [c.name for c in spec.columns if c.required and c.name not in names]
    if missing:
        raise InboxReadError(spec.name, "required_column",
                             f"required column {missing[0]!r} is missing" + (
                                 f" (and {', '.join(missing[1:])})" if missing[1:] else ""),
                             column=missing[0])


def _read_csv(path: Path, spec: FileSpec) -> pa.Table:
    header = _csv_header(path, spec)
    if _has_open_quote(path):
        raise InboxReadError(spec.name, "unreadable",
                             f"{path.name} ends inside a quoted cell: the file is truncated")
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InboxReadError(spec.name, "unreadable", f"{path.name} does not parse as CSV: {_short(exc)}") from None


def _has_open_quote(path: Path) -> bool:
    """An odd number of quote characters: a quoted cell never closed (escaped quotes come in pairs).

    Arrow's reader takes such a cell to run to the end of the file instead of failing.
    """
    quotes = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            quotes += chunk.count(b'"')
    return quotes % 2 == 1


def _csv_header(path: Path, spec: FileSpec) -> list[str]:
    with path.open("rb") as handle:
        probe = handle.read(_HEADER_PROBE_BYTES)
    try:
        text = probe.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(probe) - 4:  # a multi-byte character cut by the probe is fine
            raise InboxReadError(spec.name, "unreadable", f"{path.name} is not UTF-8 text") from None
        text = probe[: exc.start].decode("utf-8-sig")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InboxReadError(spec.name, "unreadable", f"{path.name} is empty: no header")
    if len(lines) == 1 and len(probe) == _HEADER_PROBE_BYTES:
        raise InboxReadError(spec.name, "unreadable", f"{path.name} has no header line in its first 64 KiB")
    header = next(csv.reader(io.StringIO(lines[0])))
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise InboxReadError(spec.name, "duplicate_column", f"column {dup!r} appears twice", column=dup)
    return header


def _read_parquet(path: Path, spec: FileSpec, limit: int) -> pa.Table:
    """Read a Parquet file whose decoded size stays within ``limit`` bytes.

    A few kilobytes of Parquet can decode to gigabytes (one long string repeated through a
    dictionary, a constant run-length encoded): the size is checked from the metadata and the
    dictionaries before any column is expanded.
    """
    try:
        metadata = pq.read_metadata(path)
        schema = metadata.schema.to_arrow_schema()
        strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                   or pa.types.is_binary(f.type)]
        fixed = sum(_fixed_width(f.type) for f in schema if f.name not in strings) * metadata.num_rows
        encoded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        _within(spec, path, max(fixed, encoded), limit)
        table = pq.read_table(path, read_dictionary=strings)
        decoded = fixed + sum(_decoded_bytes(table.column(name)) for name in strings)
        _within(spec, path, decoded, limit)
        return pa.table({
            name: table.column(name).cast(schema.field(name).type) if name in strings else table.column(name)
            for name in table.column_names
        })
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InboxReadError(spec.name, "unreadable", f"{path.name} does not open as Parquet: {_short(exc)}") from None


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
        raise InboxReadError(spec.name, "file_size",
                             f"{path.name} decodes to {size:,} bytes, over the limit of {limit:,}: not read")


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."
