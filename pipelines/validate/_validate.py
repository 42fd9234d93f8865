"""Validate a night's inbox: whole files, then each row, then the rules between files.

1. Read (:mod:`._read`): a missing required file or column, an oversized, misplaced or unreadable
   file is *fatal*: nothing of the night may be loaded.
2. Type each cell by its column kind (:mod:`._parse`) and run the file's GX suite, vectorised
   (:mod:`._suites`): a row breaking any rule is quarantined.
3. Cross-file rules (:mod:`._cross_file`, DuckDB SQL): quarantine rules refuse more rows
   (unknown symbols and accounts), then hold rules hold accounts (benchmark sums, lots against
   positions, closes on the as-of date, a cash row).

Every account named by an issue is held out of trading; the rest of the book runs on the clean
rows. The validator only reads: it writes no file and leaves the inbox as it found it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.settings import ValidationSettings
from pipelines.validate._cross_file import load_cross_file_rules, only_clean, run_cross_file_rules, typed_arrow
from pipelines.validate._issues import concat_issues
from pipelines.validate._parse import FileCheck, parse_table
from pipelines.validate._read import InboxReadError, check_columns, read_error_issue, read_file, read_inbox
from pipelines.validate._suites import DATA_CONTRACTS, load_suite, run_suite
from sma.inbox import INBOX_FILES, FileSpec


@dataclass(frozen=True)
class ValidationResult:
    """What validation found, and the rows that may be loaded.

    Attributes
    ----------
    frames : file name -> its clean rows, one frame per inbox file (empty for an absent optional
        file), columns exactly as in ``sma.inbox`` in contract order (extra columns dropped,
        absent optional columns all null). Types: ids, symbols, text and enums ``str`` (null =
        NaN); numbers ``float64`` (null = NaN); booleans ``bool``; dates ``datetime64[s]`` (null =
        NaT). The index, named ``row``, is each row's 1-based record number in its file. Empty
        when ``fatal``.
    issues : one row per problem: file, row, column, rule, value, message, account_id (see
        :mod:`pipelines.validate._issues`), sorted by file, row, column, rule.
    held_accounts : accounts named by any issue: held out of trading tonight.
    fatal : a whole-file problem: nothing may be loaded.
    notes : remarks that are not errors (extra columns, unknown files).
    rows_read : file name -> data records read.
    """

    frames: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    held_accounts: frozenset[str]
    fatal: bool
    notes: tuple[str, ...] = ()
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No issue at all."""
        return len(self.issues) == 0


def validate_inbox(
    inbox: Path, as_of: date, settings: ValidationSettings, contracts: Path = DATA_CONTRACTS
) -> ValidationResult:
    """Check every file of ``<inbox>/<as_of>/`` against ``data_contracts/``.

    Parameters
    ----------
    inbox : the inbox folder; the night's files are ``<inbox>/<YYYY-MM-DD>/<name>.csv|.parquet``.
    as_of : the night's date (lots and trades may not be dated after it).
    settings : limits and tolerances (``pipelines.settings.ValidationSettings``).
    contracts : the ``data_contracts`` folder.
    """
    raw = read_inbox(Path(inbox), as_of, settings)
    fatal = len(raw.issues) > 0
    parameters = {
        "as_of": as_of,
        "benchmark_weight_tolerance": settings.benchmark_weight_tolerance,
        "reconciliation_tolerance_shares": settings.reconciliation_tolerance_shares,
    }
    checks = {}
    for name, spec in INBOX_FILES.items():
        table = raw.tables.get(name, _empty_text_table(spec))
        check = parse_table(spec, table)
        run_suite(check, load_suite(name, contracts), parameters)
        checks[name] = check
    parts = [raw.issues, *(i for c in checks.values() for i in c.issues)]
    notes = list(raw.notes)
    if fatal:
        notes.append("cross-file rules were not run: a whole file is missing or refused")
    else:
        parts += _cross_file(checks, parameters, contracts)
    issues = concat_issues(parts)
    frames = {} if fatal else {name: clean_frame(check) for name, check in checks.items()}
    held = frozenset(issues["account_id"].dropna().unique())
    rows = {name: raw.tables[name].num_rows for name in raw.tables}
    return ValidationResult(frames, issues, held, fatal, tuple(notes), rows)


def validate_file(
    path: Path, spec: FileSpec, as_of: date, settings: ValidationSettings, contracts: Path = DATA_CONTRACTS
) -> ValidationResult:
    """Check one file on its own against its suite (e.g. the next day's fills, ``sma.inbox.FILLS``)."""
    try:
        table = read_file(Path(path), spec, settings)
    except InboxReadError as exc:
        return ValidationResult({}, read_error_issue(exc), frozenset(), True, (), {})
    return _validate_table(table, spec, as_of, contracts)


def validate_frame(
    frame: pd.DataFrame, spec: FileSpec, as_of: date, contracts: Path = DATA_CONTRACTS
) -> ValidationResult:
    """Check a frame already in memory against its suite, as :func:`validate_file` checks a file.

    Numbers, dates and booleans may come typed or as text; ``row`` numbers are positions + 1.
    """
    try:
        check_columns(spec, [str(c) for c in frame.columns])
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, ValueError) as exc:
            raise InboxReadError(spec.name, "unreadable", f"the {spec.name} frame has mixed cells: {exc}") from None
    except InboxReadError as exc:
        return ValidationResult({}, read_error_issue(exc), frozenset(), True, (), {})
    return _validate_table(table, spec, as_of, contracts)


def _validate_table(table: pa.Table, spec: FileSpec, as_of: date, contracts: Path) -> ValidationResult:
    check = parse_table(spec, table)
    run_suite(check, load_suite(spec.name, contracts), {"as_of": as_of})
    issues = concat_issues(check.issues)
    held = frozenset(issues["account_id"].dropna().unique())
    return ValidationResult({spec.name: clean_frame(check)}, issues, held, False, (), {spec.name: table.num_rows})


def _cross_file(checks: dict[str, FileCheck], parameters: dict, contracts: Path) -> list[pd.DataFrame]:
    rules = load_cross_file_rules(contracts)
    parsed = {name: typed_arrow(c) for name, c in checks.items()}
    clean = {name: only_clean(parsed[name], c.bad) for name, c in checks.items()}
    quarantine = tuple(r for r in rules if r.action == "quarantine")
    found = list(run_cross_file_rules(quarantine, clean, parsed, parameters).values())
    for issues in found:
        for name, rows in issues.dropna(subset=["row"]).groupby("file")["row"]:
            checks[name].bad[rows.to_numpy(dtype=np.int64) - 1] = True
    clean = {name: only_clean(parsed[name], c.bad) for name, c in checks.items()}
    hold = tuple(r for r in rules if r.action == "hold")
    found += list(run_cross_file_rules(hold, clean, parsed, parameters).values())
    return found


def _empty_text_table(spec: FileSpec) -> pa.Table:
    return pa.table({c.name: pa.array([], pa.string()) for c in spec.columns})


def clean_frame(check: FileCheck) -> pd.DataFrame:
    """The rows of ``check`` with no issue, typed as documented on :class:`ValidationResult`."""
    keep = ~check.bad
    every = not check.bad.any()
    index = pd.Index(np.flatnonzero(keep) + 1, name="row", dtype=np.int64)
    columns = {}
    for column in check.spec.columns:
        values = check.values[column.name]
        if isinstance(values, np.ndarray):
            columns[column.name] = pd.Series(values if every else values[keep], index=index, copy=False)
        else:
            text = (values if every else values.filter(pa.array(keep))).to_pandas().astype("str")
            columns[column.name] = text.set_axis(index)
    return pd.DataFrame(columns, index=index)
