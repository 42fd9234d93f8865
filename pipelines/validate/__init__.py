"""Validate a night's inbox against ``data_contracts/`` and report what is wrong, and where.

Design: the row rules of each file are a genuine Great Expectations Core 1.x suite kept as JSON
in ``data_contracts/suites/`` (GX loads and runs them: :func:`run_suite_with_gx`). A night may
carry millions of lot rows, and GX's per-row reporting is slow, so the night evaluates the same
expectations with its own vectorised executor (Arrow and NumPy, GX's semantics); a test runs GX on
every suite over clean rows and bad copies of them and checks both find the same rows, and
``benchmarks/bench_validate.py`` measures both (GX about 9x slower on 200,000 lots). Cells are first
read as text (CSV) and typed by their column kind from
``sma.inbox``; rules between files are DuckDB SQL in ``data_contracts/cross_file/``.
``data_contracts/README.md`` lists every rule.

The book does not fit in memory: files are read in batches of ``batch_rows`` records, each typed
and checked and appended to a DuckDB staging database (:mod:`._stage`); rules over a whole file
(a repeated key) and between files run in SQL there, and the night loads the store from it.

Public API
----------
validate_inbox(inbox, as_of, settings, with_frames=False) -> ValidationResult
stage_inbox(inbox, as_of, settings, con) -> context of StagedInbox: the inbox validated into a
    staging database on ``con`` (the store's connection), to load the clean rows from
validate_frame(frame, spec, as_of, contracts=...) -> ValidationResult (a frame in memory, e.g.
    outputs)
render_report(result, max_issues=1000) -> str
read_input_file(path, spec, as_of=...) -> a typed frame of one input file outside the night (a
    command's --lots, a proposal's holdings), or InputFileError with the issues table; check_file
    is its first step (opened and typed), for callers adding rules of their own;
    read_inbox_file(folder, name) the same for an inbox date folder's file
read_replay_inputs(accounts, lots, transactions) -> the typed inputs of ``sma ledger replay``,
    or ReplayInputError with the issues table (the same reading, typing and report as the inbox)
parse_table(spec, table) -> FileCheck; run_suite(check, load_suite(name), {"as_of": d}): one
    file's (or batch's) cells typed and its suite's row rules run, for callers with a table in hand;
    WHOLE_FILE, key_columns(expectation), text_key_columns(spec, suite): the rules run over a whole
    staged file instead (a repeated key) and the columns they key on; empty_issues() -> an issues
    table without rows
"""

from pipelines.validate._gx import run_suite_with_gx
from pipelines.validate._issues import empty_issues
from pipelines.validate._one_file import (
    InputFileError,
    check_file,
    read_inbox_file,
    read_input_file,
    with_optional,
)
from pipelines.validate._parse import parse_table
from pipelines.validate._replay import ReplayInputError, read_replay_inputs, replay_row_issue
from pipelines.validate._report import render_report
from pipelines.validate._suites import (
    WHOLE_FILE,
    key_columns,
    load_suite,
    run_suite,
    text_key_columns,
)
from pipelines.validate._validate import stage_inbox, validate_frame, validate_inbox

__all__ = [
    "WHOLE_FILE",
    "InputFileError",
    "check_file",
    "empty_issues",
    "read_inbox_file",
    "read_input_file",
    "ReplayInputError",
    "key_columns",
    "load_suite",
    "parse_table",
    "read_replay_inputs",
    "render_report",
    "replay_row_issue",
    "run_suite",
    "run_suite_with_gx",
    "stage_inbox",
    "text_key_columns",
    "validate_frame",
    "validate_inbox",
    "with_optional",
]
