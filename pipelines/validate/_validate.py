"""Validate a night's inbox: whole files, then each row, then the rules between files, streaming.

1. Open (:mod:`._read`): a missing required file or column, an oversized, misplaced or unreadable
   file is *fatal*: nothing of the night may be loaded.
2. Read each file in batches of ``batch_rows`` records; type each cell by its column kind
   (:mod:`._parse`) and run the file's GX suite's row rules, vectorised (:mod:`._suites`), then
   append the typed rows and their issues to the staging database (:mod:`._stage`). Whole-file
   rules (a repeated key) run in SQL over every staged row of the file. A row breaking any rule
   is quarantined.
3. Cross-file rules (:mod:`._cross_file`, DuckDB SQL over the staged files): quarantine rules
   refuse more rows (unknown symbols and accounts), then hold rules hold accounts (benchmark
   sums, lots against positions, closes on the as-of date, a cash row).

Every account named by an issue is held out of trading; the rest of the book runs on the clean
rows. No file is held whole in memory: a small file is simply one batch. The validator only
reads the inbox: it writes no file there and leaves it as it found it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.settings import ValidationSettings
from pipelines.validate._cross_file import load_cross_file_rules, run_cross_file_rules
from pipelines.validate._read import (
    InboxReadError,
    check_columns,
    locate,
    missing_folder_issue,
    night_folder,
    open_file,
    read_error_issue,
    unknown_files,
)
from pipelines.validate._stage import ISSUE_ORDER, Staging, fits_in_memory, staging_area
from pipelines.validate._suites import DATA_CONTRACTS, load_suite
from sma.inbox import INBOX_FILES, FileSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationResult:
    """What validation found, and (on request) the rows that may be loaded.

    Attributes
    ----------
    frames : file name -> its clean rows, one frame per file checked (empty for an absent optional
        file), only when asked for (``with_frames=True``: the rows are then in memory, so for
        small inboxes; the night loads straight from staging). Columns exactly as in
        ``sma.inbox`` in contract order (extra columns dropped, absent optional columns all
        null). Types: ids, symbols, text and enums ``str`` (null = NaN); numbers ``float64``
        (null = NaN); booleans ``bool``; dates ``datetime64[s]`` (null = NaT). The index, named
        ``row``, is each row's 1-based record number in its file. Empty when ``fatal``.
    issues : the first ``max_errors_reported`` problems in report order (all of them when there
        are fewer): file, row, column, rule, value, message, account_id (see
        :mod:`pipelines.validate._issues`), sorted by file, row, column, rule.
    held_accounts : accounts named by any issue: held out of trading tonight.
    fatal : a whole-file problem: nothing may be loaded.
    notes : remarks that are not errors (extra columns, unknown files).
    rows_read : file name -> data records read.
    issue_count : every issue found, listed or not.
    rows_quarantined : distinct rows refused (named by an issue).
    files_with_issues : files named by an issue.
    held_reasons : account_id -> why it is held: its first issues, in words a PM reads.
    """

    frames: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    held_accounts: frozenset[str]
    fatal: bool
    notes: tuple[str, ...] = ()
    rows_read: dict[str, int] = field(default_factory=dict)
    issue_count: int = 0
    rows_quarantined: int = 0
    files_with_issues: int = 0
    held_reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No issue at all."""
        return self.issue_count == 0


@dataclass(frozen=True)
class StagedInbox:
    """A night's inbox validated into a staging area that is still open.

    Attributes
    ----------
    staging : the staged files and issues (``staging.<file>`` with ``_bad``; ``staging.issues``).
    result : what validation found (no frames).
    """

    staging: Staging
    result: ValidationResult

    def clean_rows(self) -> dict[str, str]:
        """file name -> a SQL query of its clean rows (the contract's columns), for loading.

        The rows come in file order without a sort: they were staged in that order and DuckDB
        keeps insertion order through a filtered scan (``preserve_insertion_order``, on by default).
        """
        return {
            name: f"SELECT {', '.join(spec.column_names)} FROM staging.{name} WHERE NOT _bad"
            for name, spec in self.staging.files.items()
        }

    def issues_in_report_order(self) -> str:
        """A SQL query of every issue (the issues table layout), in report order, for the
        quarantine."""
        return (
            f'SELECT file, "row", "column", rule, value, message, account_id FROM staging.issues '
            f"ORDER BY {ISSUE_ORDER}"
        )


@contextmanager
def stage_inbox(
    inbox: Path,
    as_of: date,
    settings: ValidationSettings,
    con: duckdb.DuckDBPyConnection | None = None,
    contracts: Path = DATA_CONTRACTS,
    staging_folder: Path | None = None,
) -> Iterator[StagedInbox]:
    """Check every file of ``<inbox>/<as_of>/`` into a staging area on ``con`` (or a private one).

    Parameters
    ----------
    inbox : the inbox folder; the night's files are ``<inbox>/<YYYY-MM-DD>/<name>.csv|.parquet``.
    as_of : the night's date (lots and trades may not be dated after it).
    settings : limits, tolerances, batch size and DuckDB memory (``ValidationSettings``).
    con : a DuckDB connection to stage on (the store's, to load from staging); None = in memory.
    contracts : the ``data_contracts`` folder.
    staging_folder : where to stage (the store's staging folder, emptied first); None = a temporary
    one. An inbox that fits in DuckDB's memory is staged in memory; the folder then only takes
    what DuckDB spills.
    """
    parameters = {
        "as_of": as_of,
        "benchmark_weight_tolerance": settings.benchmark_weight_tolerance,
        "reconciliation_tolerance_shares": settings.reconciliation_tolerance_shares,
    }
    night = night_folder(Path(inbox), as_of)
    files = [p for p in night.iterdir() if p.is_file()] if night.is_dir() else []
    in_memory = fits_in_memory(files, settings.staging_memory_limit)
    with staging_area(settings, con, staging_folder, in_memory, compress=True) as staging:
        notes: list[str] = []
        rows_read: dict[str, int] = {}
        fatal = not night.is_dir()
        if fatal:
            staging.add_issues(missing_folder_issue(night, as_of))
        else:
            for name, spec in INBOX_FILES.items():
                started = time.perf_counter()
                try:
                    path = locate(night, spec)
                    opened = open_file(path, spec, settings) if path is not None else None
                    batches = opened.batches if opened is not None else iter([_no_rows(spec)])
                    rows = staging.stage_file(
                        spec, load_suite(name, contracts), batches, parameters
                    )
                except InboxReadError as exc:
                    staging.add_issues(read_error_issue(exc))
                    fatal = True
                    continue
                log.info(
                    "%s: %s rows read, typed, checked and staged in %.1f s",
                    name,
                    f"{rows:,}",
                    time.perf_counter() - started,
                )
                if opened is not None:
                    rows_read[name] = rows
                    notes += [
                        f"{name}: extra column {c!r} is ignored" for c in opened.extra_columns()
                    ]
            notes += unknown_files(night)
        if fatal:
            notes.append("cross-file rules were not run: a whole file is missing or refused")
        else:
            started = time.perf_counter()
            run_cross_file_rules(staging, load_cross_file_rules(contracts), parameters)
            log.info("rules between files run in %.1f s", time.perf_counter() - started)
        yield StagedInbox(
            staging, _result(staging, fatal, notes, rows_read, settings.max_errors_reported)
        )


def validate_inbox(
    inbox: Path,
    as_of: date,
    settings: ValidationSettings,
    contracts: Path = DATA_CONTRACTS,
    *,
    with_frames: bool = False,
) -> ValidationResult:
    """Check every file of ``<inbox>/<as_of>/`` against ``data_contracts/`` (see
    :func:`stage_inbox`).

    ``with_frames=True`` also returns the clean rows in memory (small inboxes: tests, tools).
    """
    with stage_inbox(inbox, as_of, settings, None, contracts) as staged:
        return _with_frames(staged.result, staged.staging, with_frames)


def validate_file(
    path: Path,
    spec: FileSpec,
    as_of: date,
    settings: ValidationSettings,
    contracts: Path = DATA_CONTRACTS,
    *,
    with_frames: bool = False,
) -> ValidationResult:
    """Check one file on its own against its suite (e.g. the next day's fills, ``sma.inbox.FILLS``).

    Every issue is kept in ``issues`` (a single file is small); ``with_frames`` as for the inbox.
    """
    try:
        opened = open_file(Path(path), spec, settings)
    except InboxReadError as exc:
        return _fatal(exc)
    return _check_alone(spec, opened.batches, as_of, settings, contracts, with_frames)


def validate_frame(
    frame: pd.DataFrame,
    spec: FileSpec,
    as_of: date,
    contracts: Path = DATA_CONTRACTS,
    *,
    with_frames: bool = False,
) -> ValidationResult:
    """Check a frame already in memory against its suite, as :func:`validate_file` checks a file.

    Numbers, dates and booleans may come typed or as text; ``row`` numbers are positions + 1.
    """
    try:
        check_columns(spec, [str(c) for c in frame.columns])
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, ValueError) as exc:
            raise InboxReadError(
                spec.name, "unreadable", f"the {spec.name} frame has mixed cells: {exc}"
            ) from None
    except InboxReadError as exc:
        return _fatal(exc)
    return _check_alone(
        spec, iter([table]), as_of, ValidationSettings(), contracts, with_frames, in_memory=True
    )


def _check_alone(
    spec: FileSpec,
    batches,
    as_of: date,
    settings: ValidationSettings,
    contracts: Path,
    with_frames: bool,
    in_memory: bool = False,
) -> ValidationResult:
    """One file through the same staging as a night's inbox, without the rules between files."""
    with staging_area(settings, in_memory=in_memory) as staging:
        try:
            rows = staging.stage_file(
                spec, load_suite(spec.name, contracts), batches, {"as_of": as_of}
            )
        except InboxReadError as exc:
            return _fatal(exc)
        # A frame or a single file is in memory already: every issue is kept, none only counted.
        result = _result(staging, False, [], {spec.name: rows}, None)
        return _with_frames(result, staging, with_frames)


def _result(
    staging: Staging,
    fatal: bool,
    notes: list[str],
    rows_read: dict[str, int],
    max_issues: int | None,
) -> ValidationResult:
    count, quarantined, files = staging.issue_counts()
    reasons = staging.held_reasons()
    return ValidationResult(
        {},
        staging.first_issues(max_issues),
        frozenset(reasons),
        fatal,
        tuple(notes),
        rows_read,
        count,
        quarantined,
        files,
        reasons,
    )


def _with_frames(result: ValidationResult, staging: Staging, with_frames: bool) -> ValidationResult:
    if not with_frames or result.fatal:
        return result
    return replace(
        result, frames={name: staging.clean_frame(spec) for name, spec in staging.files.items()}
    )


def _fatal(exc: InboxReadError) -> ValidationResult:
    issues = read_error_issue(exc)
    return ValidationResult({}, issues, frozenset(), True, (), {}, 1, 0, 1, {})


def _no_rows(spec: FileSpec) -> pa.Table:
    return pa.table({c.name: pa.array([], pa.string()) for c in spec.columns})
