"""Type every cell of a file by its column kind, flagging the cells that do not parse.

The kind rules come from the inbox contract (``sma.inbox``): a FLOAT is a finite decimal number
(``number_format`` when the text is not a number, ``finite`` for NaN and infinities, including
numbers too large for a double such as ``1e400``); a RATIONAL is an exact number written as a
decimal or ``N/D`` (``0.2794``, ``1/3``), read by :func:`exact_cells` -- the one reader of exact
numbers, for the inbox and ``sma ledger replay`` alike (``number_format`` for ``3/0`` or text
that is neither, ``finite`` beyond a double); a DATE is ``YYYY-MM-DD`` naming a real day
(``date_format``; a stored timestamp counts as its calendar day); a BOOL is true/false, 1/0 or
yes/no (``bool_format``). A blank cell is null here; whether null is allowed is a suite rule. A
Parquet column whose stored type no cell of its kind can come from (a list) refuses the file
(``column_type``). All work is done with Arrow compute kernels over whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.validate._issues import issues_frame
from pipelines.validate._read import InboxReadError
from sma.inbox import ColumnKind, FileSpec
from sma.ledger import exact

_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?([nN][aA][nN]|[iI][nN][fF]([iI][nN][iI][tT][yY])?)$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: Kinds whose typed value is the text as written (null where blank).
TEXT_KINDS = (ColumnKind.ID, ColumnKind.SYMBOL, ColumnKind.TEXT, ColumnKind.ENUM)
_TRUE = ("true", "1", "yes", "t", "y")
_FALSE = ("false", "0", "no", "f", "n")
#: Characters of a bad value kept in its issue.
_VALUE_CHARS = 120


@dataclass
class FileCheck:
    """One file under check: its cells as text and as typed values, and what is wrong so far.

    Attributes
    ----------
    spec : the file's contract.
    n_rows : data records under check (the whole file, or one batch of it).
    first_row : the 1-based record number in its file of the first of them.
    text : column -> cells as stored (CSV: Arrow strings, blanks empty; Parquet: the stored type).
    values : column -> typed values: float64 / datetime64[s] / bool ndarrays, or Arrow strings
        (null where blank); a RATIONAL's nearest doubles.
    exact : RATIONAL column -> ndarray of shape (n_rows,), object: the exact ``Fraction`` of each
        cell, None where blank or unparsed.
    encoded : text column -> its cells as a dictionary-encoded Arrow array (null where null,
        blanks as ``""``), when read so (Parquet) and some value repeats: a rule over text looks
        at each distinct value once (an account's id repeats over its thousand lots).
    blank : column -> ndarray of shape (n_rows,), True where the cell is empty.
    missing : column -> ndarray of shape (n_rows,), True where the cell is blank or did not parse.
    bad : ndarray of shape (n_rows,), True for every row with an issue (quarantined).
    issues : the issues found so far, one table per rule broken; rows are record numbers in the
    file.
    columns_read : the file's own columns, when read from a file.
    """

    spec: FileSpec
    n_rows: int
    first_row: int = 1
    text: dict[str, pa.Array] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    exact: dict[str, np.ndarray] = field(default_factory=dict)
    encoded: dict[str, pa.DictionaryArray] = field(default_factory=dict)
    blank: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, np.ndarray] = field(default_factory=dict)
    bad: np.ndarray = None
    issues: list[pd.DataFrame] = field(default_factory=list)
    #: the columns the file had (empty when not read from a file: every contract column)
    columns_read: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.bad is None:
            self.bad = np.zeros(self.n_rows, dtype=bool)

    def flag(
        self,
        column: str | None,
        rule: str,
        mask: np.ndarray,
        message: str,
        text: pa.Array | None = None,
    ) -> None:
        """Record ``rule`` broken on the rows where ``mask`` is True and quarantine them.

        The bad value reported is the cell of ``column`` as written, or of ``text`` if given.
        """
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        self.bad[rows] = True
        source = text if text is not None else self.text.get(column)
        value = (
            as_text(source.take(pa.array(rows))).to_pylist()
            if source is not None
            else [None] * len(rows)
        )
        value = [_shortened(v) for v in value]
        account = (
            as_text(self.text["account_id"].take(pa.array(rows))).to_pylist()
            if "account_id" in self.text
            else None
        )
        self.issues.append(
            issues_frame(
                self.spec.name, rows + self.first_row, column, rule, value, message, account
            )
        )


def _shortened(value: str | None) -> str | None:
    """A bad value as reported: cut to :data:`_VALUE_CHARS` characters (a 1 MB name is not
    copied into the quarantine and the report)."""
    if value is None or len(value) <= _VALUE_CHARS:
        return value
    return f"{value[: _VALUE_CHARS - 30]}... ({len(value):,} characters)"


def parse_table(spec: FileSpec, table: pa.Table, first_row: int = 1) -> FileCheck:
    """Type each contract column of ``table``; absent optional columns become all-null.

    ``first_row`` is the record number in its file of the table's first row (a batch of a file).
    """
    check = FileCheck(spec, table.num_rows, first_row)
    for column in spec.columns:
        if column.name in table.column_names:
            array = _one_array(table.column(column.name))
        else:
            array = pa.nulls(table.num_rows, pa.string())
        try:
            _refuse_nested(spec, column.name, array)
            _parse_column(check, column.name, column.kind, array)
        except pa.ArrowException as exc:  # a stored type no cell of this kind can come from
            raise InboxReadError(
                spec.name,
                "column_type",
                f"column {column.name!r} is stored as {array.type}, which does not read as "
                f"{column.kind.value} "
                f"({' '.join(str(exc).split())[:120]}): store it as {_store_as(column.kind)}",
                column=column.name,
            ) from None
    return check


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """The chunks of a column as one array. Text read dictionary-encoded stays so only when its
    values repeat: joining chunks unifies their dictionaries, a hash of every value in them (a
    column of unique lot ids is decoded chunk by chunk instead)."""
    if (
        pa.types.is_dictionary(column.type)
        and _is_text_type(column.type.value_type)
        and sum(len(chunk.dictionary) for chunk in column.chunks) >= len(column)
    ):
        column = column.cast(pa.string())
    return column.combine_chunks()


def _store_as(kind: ColumnKind) -> str:
    """What to store a column of ``kind`` as: said by the message refusing another type."""
    return {
        ColumnKind.FLOAT: "a double (or text) column",
        ColumnKind.RATIONAL: "a double (or text, for N/D) column",
        ColumnKind.DATE: "a date (or YYYY-MM-DD text) column",
        ColumnKind.BOOL: "a boolean (or true/false text) column",
    }.get(kind, "a UTF-8 text column")


def _refuse_nested(spec: FileSpec, name: str, array: pa.Array) -> None:
    """One value per cell: a list, struct or map column is refused whole (no cell of it is one
    value)."""
    if pa.types.is_nested(array.type):
        raise InboxReadError(
            spec.name,
            "column_type",
            f"column {name!r} is stored as {array.type}, a nested type holding several values "
            "per cell: "
            f"store it as {_store_as(spec.column(name).kind)}, one value per cell",
            column=name,
        )


def _is_text(array: pa.Array) -> bool:
    return _is_text_type(array.type)


def _is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)


def as_text(array: pa.Array) -> pa.Array:
    """Cells as text: dates as YYYY-MM-DD, numbers as Arrow prints them (only for reporting)."""
    if _is_text(array):
        return array.cast(pa.string())
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        return pc.strftime(array, format="%Y-%m-%d")
    return array.cast(pa.string())


def _parse_column(check: FileCheck, name: str, kind: ColumnKind, array: pa.Array) -> None:
    if pa.types.is_dictionary(array.type) and _is_text_type(array.type.value_type):
        # Text read dictionary-encoded is its decoded text, as any other stored text.
        if kind in TEXT_KINDS and len(array.dictionary) < len(array):
            check.encoded[name] = array.cast(pa.dictionary(array.type.index_type, pa.string()))
        array = array.cast(pa.string())
    # Typed Parquet columns are converted to text only for the few cells an issue reports.
    native = {
        ColumnKind.FLOAT: _is_number,
        ColumnKind.RATIONAL: _is_number,
        ColumnKind.DATE: _is_date,
        ColumnKind.BOOL: _is_bool,
    }.get(kind)
    if not _is_text(array) and (native is None or not native(array)):
        array = as_text(array)
    check.text[name] = array
    text = array if _is_text(array) else None
    if text is not None:
        text = text.cast(pa.string())
        blank = np.asarray(pc.fill_null(pc.equal(text, ""), True), dtype=bool)
    else:
        blank = np.asarray(array.is_null(), dtype=bool)
    check.blank[name] = blank
    if kind is ColumnKind.FLOAT:
        values, unparsable, nonfinite = _parse_float(array, text, blank)
        check.flag(name, "number_format", unparsable, f"{name} is not a number")
        check.flag(
            name,
            "finite",
            nonfinite,
            f"{name} must be a finite number (NaN and infinity are errors)",
        )
        missing = blank | unparsable | nonfinite
    elif kind is ColumnKind.RATIONAL:
        # NaN, infinities and numbers beyond a double break ``finite`` as for a FLOAT; every
        # other cell is read exactly, text as written and a stored number as its double.
        floats, _, nonfinite = _parse_float(array, text, blank)
        read = ~blank & ~nonfinite
        cells = floats if text is None else np.array(text.to_pylist(), dtype=object)
        fractions, unparsable = exact_cells(cells, read)
        values, too_large = _nearest_doubles(fractions)
        nonfinite |= too_large
        check.flag(name, "number_format", unparsable, f"{name} is not a decimal or N/D (1/3)")
        check.flag(
            name,
            "finite",
            nonfinite,
            f"{name} must be a finite number (NaN and infinity are errors)",
        )
        fractions[too_large] = None
        check.exact[name] = fractions
        missing = blank | unparsable | nonfinite
    elif kind is ColumnKind.DATE:
        values, unparsable = _parse_date(array, text, blank)
        check.flag(
            name, "date_format", unparsable, f"{name} must be a real date written YYYY-MM-DD"
        )
        missing = blank | unparsable
    elif kind is ColumnKind.BOOL:
        values, unparsable = _parse_bool(array, text, blank)
        check.flag(name, "bool_format", unparsable, f"{name} must be true or false")
        missing = blank | unparsable
    else:
        values = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)
        missing = blank
    check.values[name] = values
    check.missing[name] = missing


def exact_cells(cells: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact numbers from the cells where ``when``: text as written (``0.2794``, ``1/3``), a
    stored double as ``sma.ledger.exact`` reads it.

    Returns
    -------
    (fractions, unparsable) : ndarrays of shape (n,): ``Fraction`` or None (not read, or not a
    number), and True where a cell read is not a finite decimal or N/D (``3/0``, ``abc``, ``nan``).
    """
    fractions = np.full(len(cells), None, dtype=object)
    unparsable = np.zeros(len(cells), dtype=bool)
    for i in np.flatnonzero(when):
        try:
            fractions[i] = exact(cells[i])
        except ValueError:
            unparsable[i] = True
    return fractions, unparsable


def _nearest_doubles(fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The double nearest each fraction (NaN for None), and True where none is finite."""
    values = np.full(len(fractions), np.nan)
    too_large = np.zeros(len(fractions), dtype=bool)
    for i, value in enumerate(fractions):
        if value is None:
            continue
        try:
            values[i] = float(value)
        except OverflowError:
            too_large[i] = True
    return values, too_large


def _is_number(array: pa.Array) -> bool:
    return (
        pa.types.is_floating(array.type)
        or pa.types.is_integer(array.type)
        or pa.types.is_decimal(array.type)
    )


def _is_date(array: pa.Array) -> bool:
    return pa.types.is_date(array.type) or pa.types.is_timestamp(array.type)


def _is_bool(array: pa.Array) -> bool:
    return pa.types.is_boolean(array.type)


def _parse_float(array: pa.Array, text: pa.Array, blank: np.ndarray):
    if _is_number(array):
        # Unchecked: an integer beyond 2**53 (a uint64) loses digits as a double, but every such
        # number is far above each column's overflow bound, which refuses it with its row.
        values = np.asarray(
            pc.fill_null(pc.cast(array, pa.float64(), safe=False), np.nan), dtype=np.float64
        )
        unparsable = np.zeros(len(values), dtype=bool)
    else:
        candidate = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)
        try:
            parsed = candidate.cast(pa.float64())
            unparsable = np.zeros(len(blank), dtype=bool)
        except pa.ArrowInvalid:
            ok = np.asarray(
                pc.fill_null(pc.match_substring_regex(candidate, _NUMBER), True), dtype=bool
            )
            unparsable = ~ok
            parsed = pc.if_else(pa.array(ok), candidate, pa.scalar(None, pa.string())).cast(
                pa.float64()
            )
        values = np.asarray(pc.fill_null(parsed, np.nan), dtype=np.float64)
    nonfinite = ~blank & ~unparsable & ~np.isfinite(values)
    values = np.where(nonfinite | unparsable, np.nan, values)
    return values, unparsable, nonfinite


def _strict_iso_dates(candidate: pa.Array) -> np.ndarray | None:
    """Every non-blank cell as a day, when Arrow's cast reads them all (exactly YYYY-MM-DD naming a
    real day: the common, all-valid case); None when any cell needs the slower checks below."""
    try:
        parsed = candidate.cast(pa.date32()).cast(pa.timestamp("s"))
    except pa.ArrowInvalid:
        return None
    return parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]")


def _parse_date(array: pa.Array, text: pa.Array, blank: np.ndarray):
    if _is_date(array):
        # A stored timestamp names its day: 23:59 on the as-of date is that date, not the future.
        parsed = pc.cast(array, pa.date32(), safe=False).cast(pa.timestamp("s"))
        unparsable = np.zeros(len(blank), dtype=bool)
    else:
        strict = _strict_iso_dates(pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text))
        if strict is not None:
            return strict, np.zeros(len(blank), dtype=bool)
        shaped = np.asarray(
            pc.fill_null(pc.match_substring_regex(text, _ISO_DATE), False), dtype=bool
        )
        candidate = pc.if_else(pa.array(shaped), text, pa.scalar(None, pa.string()))
        parsed = pc.strptime(candidate, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2026-02-30 over to March 2: a real day keeps the month and day written.
        month = pc.cast(pc.utf8_slice_codeunits(candidate, 5, 7), pa.int64())
        day = pc.cast(pc.utf8_slice_codeunits(candidate, 8, 10), pa.int64())
        real = pc.and_(pc.equal(pc.month(parsed), month), pc.equal(pc.day(parsed), day))
        unparsable = ~blank & ~np.asarray(pc.fill_null(real, False), dtype=bool)
        parsed = pc.if_else(pa.array(unparsable), pa.scalar(None, pa.timestamp("s")), parsed)
    values = parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    return values, unparsable


def _parse_bool(array: pa.Array, text: pa.Array, blank: np.ndarray):
    if _is_bool(array):
        values = np.asarray(pc.fill_null(array, False), dtype=bool)
        return values, np.zeros(len(values), dtype=bool)
    lower = pc.utf8_lower(text)
    true = np.asarray(pc.fill_null(pc.is_in(lower, pa.array(_TRUE)), False), dtype=bool)
    false = np.asarray(pc.fill_null(pc.is_in(lower, pa.array(_FALSE)), False), dtype=bool)
    return true, ~blank & ~true & ~false
