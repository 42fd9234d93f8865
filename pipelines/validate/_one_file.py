"""One input file read outside the night (a command's ``--lots``, a fills file, a replay's
transactions, a proposal's holdings): opened by :func:`open_file`, its cells typed by their column
kind by :func:`parse_table`, its contract's row rules run where the file has an inbox suite, and
every problem an issue in the one issues table (file, row, column, rule, value, message),
reported by :func:`render_report` -- the reading, typing and report of the night's inbox.

Each command adds the rules of its own files as flags on the same :class:`FileCheck`; nothing is
used while any issue stands: :class:`InputFileError` carries them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.errors import PipelineError
from pipelines.settings import ValidationSettings
from pipelines.validate._issues import ISSUE_COLUMNS
from pipelines.validate._parse import FileCheck, parse_table
from pipelines.validate._read import InboxReadError, locate, open_file, read_error_issue
from pipelines.validate._report import render_report
from pipelines.validate._suites import Suite, load_suite, run_suite
from pipelines.validate._validate import ValidationResult
from sma.inbox import INBOX_FILES, FileSpec


class InputFileError(PipelineError):
    """Input files that cannot be used; ``issues`` (the validator's issues table) say where and
    why, and ``str()`` is the validator's report. Nothing was written."""

    def __init__(self, issues: pd.DataFrame):
        self.issues = issues.reset_index(drop=True)
        result = ValidationResult(
            frames={},
            issues=self.issues,
            held_accounts=frozenset(),
            fatal=True,
            issue_count=len(self.issues),
            rows_quarantined=len(
                self.issues.dropna(subset=["row"])[["file", "row"]].drop_duplicates()
            ),
            files_with_issues=self.issues["file"].nunique(),
        )
        super().__init__(render_report(result))


def with_optional(spec: FileSpec, names: Sequence[str]) -> FileSpec:
    """``spec`` with the columns ``names`` neither required in the file nor non-blank (a command
    reading an inbox format needs fewer of its columns: a prospect's lots no account or lot id)."""
    return replace(
        spec,
        columns=tuple(
            replace(c, required=False, nullable=True) if c.name in names else c
            for c in spec.columns
        ),
    )


def _empty(names: Sequence[str]) -> pa.Table:
    return pa.table({c: pa.array([], pa.string()) for c in names})


def check_file(
    path: Path, spec: FileSpec, settings: ValidationSettings | None = None
) -> FileCheck | pd.DataFrame:
    """``path`` read and typed as ``spec``, its issues naming the file by its own name; or the
    one-row issues table refusing it whole (missing, unreadable, a column missing). An empty file,
    for a spec whose file is optional, has no rows."""
    path = Path(path)
    spec = replace(spec, name=path.name)
    if not path.exists():
        return read_error_issue(InboxReadError(spec.name, "required_file", f"{path}: no such file"))
    if not spec.required and path.is_file() and not path.read_bytes().strip():
        return parse_table(spec, _empty(spec.column_names))
    try:
        opened = open_file(path, spec, settings or ValidationSettings())
        batches = list(opened.batches)
    except (InboxReadError, OSError) as error:
        if isinstance(error, OSError):
            error = InboxReadError(spec.name, "unreadable", f"cannot read {path}: {error}")
        return read_error_issue(error)
    table = pa.concat_tables(batches) if batches else _empty(opened.column_names)
    check = parse_table(spec, table)
    check.columns_read = tuple(opened.column_names)
    return check


def raise_issues(checks: Sequence[FileCheck | pd.DataFrame]) -> None:
    """Raise :class:`InputFileError` with every issue of ``checks``, if there is one."""
    issues = [
        table
        for check in checks
        for table in (check.issues if isinstance(check, FileCheck) else [check])
        if len(table)
    ]
    if issues:
        raise InputFileError(pd.concat(issues, ignore_index=True)[list(ISSUE_COLUMNS)])


def typed_frame(check: FileCheck) -> pd.DataFrame:
    """The typed cells of a checked file, one column per contract column: text as ``object``
    (None where blank), numbers ``float64`` (NaN where blank), dates ``datetime64[s]`` (NaT),
    booleans ``bool``. An optional column the file did not have is left out."""
    out: dict[str, object] = {}
    for column in check.spec.columns:
        if check.columns_read and column.name not in check.columns_read and not column.required:
            continue
        values = check.values[column.name]
        if isinstance(values, pa.Array | pa.ChunkedArray):
            out[column.name] = np.array(values.to_pylist(), dtype=object)
        else:
            out[column.name] = values
    return pd.DataFrame(out, index=pd.RangeIndex(check.n_rows))


def read_input_file(
    path: Path,
    spec: FileSpec,
    *,
    suite: str | None = None,
    as_of: date | None = None,
    settings: ValidationSettings | None = None,
) -> pd.DataFrame:
    """One input file as a typed frame (:func:`typed_frame`), checked as the inbox checks it: its
    cells typed, and the row rules of the inbox suite ``suite`` (``data_contracts/suites/``; rules
    on an optional column the file does not have are skipped) for ``as_of`` (default today), or,
    with no suite, a blank refused where the contract has none. Raises :class:`InputFileError`
    naming file, row, column and rule."""
    check = check_file(path, spec, settings)
    if isinstance(check, FileCheck):
        if suite is not None:
            run_suite(check, _rules_on(load_suite(suite), check), {"as_of": as_of or date.today()})
        else:
            for column in spec.columns:
                if column.required and not column.nullable:
                    check.flag(
                        column.name,
                        "required value",
                        check.blank[column.name],
                        f"{column.name} is blank",
                    )
    raise_issues([check])
    assert isinstance(check, FileCheck)
    return typed_frame(check)


def _rules_on(suite: Suite, check: FileCheck) -> Suite:
    """``suite`` without the rules on a column ``check``'s file does not have, nor the not-null
    rules on a column its contract lets be blank."""
    absent = {c.name for c in check.spec.columns if c.name not in check.columns_read}
    blank_ok = {c.name for c in check.spec.columns if c.nullable}
    return replace(
        suite,
        expectations=tuple(
            e
            for e in suite.expectations
            if e.kwargs.get("column") not in absent
            and not (
                e.type == "expect_column_values_to_not_be_null"
                and e.kwargs.get("column") in blank_ok
            )
        ),
    )


def read_inbox_file(
    folder: Path, name: str, settings: ValidationSettings | None = None
) -> pd.DataFrame:
    """The inbox file ``name`` (CSV or Parquet) of a date folder, read by :func:`read_input_file`
    with its inbox contract and suite, for the folder's date when its name is one (else today)."""
    spec = INBOX_FILES[name]
    folder = Path(folder)
    try:
        path = locate(folder, spec)
    except InboxReadError as error:
        raise InputFileError(read_error_issue(error)) from None
    if path is None:
        return typed_frame(parse_table(spec, _empty(spec.column_names)))
    try:
        as_of = date.fromisoformat(folder.name)
    except ValueError:
        as_of = None
    return read_input_file(path, spec, suite=name, as_of=as_of, settings=settings)
