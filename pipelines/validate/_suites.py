"""The row rules of each inbox file, read from its GX suite and evaluated over whole columns.

Each file's suite is a genuine Great Expectations Core 1.x ``ExpectationSuite`` kept as JSON in
``data_contracts/suites/<file>.json``; GX loads and runs it (see :mod:`._gx`). Running GX per
night would cost seconds per million rows for its per-row reports, so the night evaluates the same
expectations here, vectorised with Arrow and NumPy, with GX's semantics: a column map expectation
ignores null cells; only ``not_null`` looks at them. Each expectation carries its stable rule
name in ``meta.rule`` and the message shown to people in ``meta.message``; the as-of date enters
as the suite parameter ``{"$PARAMETER": "as_of"}``, the plausible date range as
``earliest_date`` and ``latest_date`` (:data:`DATE_RANGE`). Only the expectation types below are
used by the contracts; a suite with any other type is refused when it is loaded, so the contract
can never say more than is checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import PipelineError
from pipelines.validate._parse import TEXT_KINDS, FileCheck
from sma.inbox import FileSpec

#: Where the contracts live: ``data_contracts/`` at the repository root.
DATA_CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts"

SUPPORTED = frozenset(
    {
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)


#: Rules over a whole file (a key repeated anywhere in it): a batch cannot see them, so they run in
#: SQL over every row of the file once it is staged (:func:`duplicate_key_sql`).
WHOLE_FILE = frozenset(
    {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
)


#: The plausible range of every date in the inbox (rule ``date_range``), the suite parameters
#: ``earliest_date`` and ``latest_date``. No lot needs an older acquisition date (an inherited lot
#: takes the date of death, IRS Publication 551, "Inherited Property"), and the range stays well
#: inside pandas' nanosecond timestamps (1677-09-21 to 2262-04-11, pandas user guide, "Timestamp
#: limitations"): a close dated year 0 once passed and crashed every account's night.
DATE_RANGE: Mapping[str, date] = {
    "earliest_date": date(1900, 1, 1),
    "latest_date": date(2199, 12, 31),
}


class ContractError(PipelineError):
    """A file in ``data_contracts/`` is malformed; the message names the file and why."""


@dataclass(frozen=True)
class Expectation:
    type: str
    kwargs: Mapping[str, object]
    rule: str
    message: str


@dataclass(frozen=True)
class Suite:
    name: str
    expectations: tuple[Expectation, ...]
    raw: Mapping[str, object]  # the JSON as stored, for GX

    def required_columns(self) -> tuple[str, ...]:
        return tuple(
            e.kwargs["column"] for e in self.expectations if e.type == "expect_column_to_exist"
        )


def suite_path(name: str, contracts: Path = DATA_CONTRACTS) -> Path:
    return contracts / "suites" / f"{name}.json"


def load_suite(name: str, contracts: Path = DATA_CONTRACTS) -> Suite:
    """Read ``data_contracts/suites/<name>.json``; refuse unknown expectation types."""
    path = suite_path(name, contracts)
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path}: cannot read the suite: {exc}") from None
    expectations = []
    for i, item in enumerate(raw.get("expectations", ())):
        meta = item.get("meta") or {}
        kind = item.get("type")
        if kind not in SUPPORTED:
            raise ContractError(
                f"{path}: expectation {i} has type {kind!r}, which the night does not evaluate"
            )
        if "rule" not in meta:
            raise ContractError(f"{path}: expectation {i} ({kind}) has no meta.rule")
        if "mostly" in item.get("kwargs", {}):
            raise ContractError(f"{path}: expectation {i} uses 'mostly': every row must pass")
        expectations.append(
            Expectation(kind, item["kwargs"], meta["rule"], meta.get("message", meta["rule"]))
        )
    if raw.get("name") != name:
        raise ContractError(f"{path}: suite name {raw.get('name')!r} is not {name!r}")
    return Suite(name, tuple(expectations), raw)


def run_suite(check: FileCheck, suite: Suite, parameters: Mapping[str, object]) -> None:
    """Evaluate every row rule of ``suite`` on ``check`` (a file or a batch of it), flagging the
    rows that fail.

    Whole-file rules (:data:`WHOLE_FILE`) are not evaluated here: see :func:`duplicate_key_sql`.
    The :data:`DATE_RANGE` parameters are always there; ``parameters`` brings the night's.
    """
    parameters = {**DATE_RANGE, **parameters}
    for expectation in suite.expectations:
        if expectation.type not in WHOLE_FILE:
            _EVALUATE[expectation.type](check, expectation, parameters)


def key_columns(e: Expectation) -> list[str]:
    """The columns a whole-file rule keys on."""
    return [str(c) for c in e.kwargs["column_list"]] if "column_list" in e.kwargs else [_column(e)]


def text_key_columns(spec: FileSpec, suite: Suite) -> list[str]:
    """Key columns whose typed value is not the cell as written (dates, numbers): staged as text
    too."""
    keys = {c for e in suite.expectations if e.type in WHOLE_FILE for c in key_columns(e)}
    return [c.name for c in spec.columns if c.name in keys and c.kind not in TEXT_KINDS]


def duplicate_key_sql(spec: FileSpec, e: Expectation, table: str) -> str:
    """A whole-file key rule as DuckDB SQL over ``table``, every row of the file (a staged file).

    GX's semantics: a row whose key cells are all present and equal to those of another such row
    is refused, every copy (which one is right is unknown). ``table`` holds the typed columns
    (null when blank or unparsed), ``_row`` and, for each of :func:`text_key_columns`,
    ``_text_<column>``, the cell as written. Selects issues: file, row, column, rule, value
    (the key as written, ``|``-joined), message, account_id.

    The rows are first grouped by a 64-bit hash of their key, which is cheaper than grouping
    millions of distinct keys of text (issue 23: 13.7 M lots at 10,000 accounts); only rows
    whose hash repeats -- every repeated key, and the rare distinct keys that share a hash --
    are then grouped by the key itself, so the hash never decides.
    """
    columns = key_columns(e)
    keys = ", ".join(f'"{c}"' for c in columns)
    present = " AND ".join(f'"{c}" IS NOT NULL' for c in columns)
    joined = " AND ".join(f't."{c}" = r."{c}"' for c in columns)
    as_written = [
        f't."{c}"' if spec.column(c).kind in TEXT_KINDS else f't."_text_{c}"' for c in columns
    ]
    account = 't."account_id"' if "account_id" in spec.column_names else "NULL"
    value = " || '|' || ".join(as_written)
    return (
        f"WITH shared_hash AS (SELECT hash({keys}) AS h FROM {table} WHERE {present} GROUP BY h "
        "HAVING count(*) > 1),\n"
        f"candidates AS (SELECT * FROM {table} WHERE {present} AND hash({keys}) IN "
        "(SELECT h FROM shared_hash)),\n"
        f"repeated AS (SELECT {keys} FROM candidates GROUP BY {keys} HAVING count(*) > 1)\n"
        f'SELECT {_literal(spec.name)} AS file, t._row AS "row", {_literal(",".join(columns))} '
        'AS "column", '
        f"{_literal(e.rule)} AS rule, {value} AS value, {_literal(e.message)} AS message, "
        f"{account} AS account_id\n"
        f"FROM candidates t JOIN repeated r ON {joined}"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(e: Expectation) -> str:
    return str(e.kwargs["column"])


def _resolve(value, parameters: Mapping[str, object]):
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _present(check: FileCheck, column: str) -> np.ndarray:
    return ~check.missing[column]


def _exists(check: FileCheck, e: Expectation, parameters) -> None:
    """Checked when the file is read: a missing required column refuses the whole file."""


def _not_null(check: FileCheck, e: Expectation, parameters) -> None:
    column = _column(e)
    check.flag(column, e.rule, check.blank[column], e.message)


def _each_text(check: FileCheck, column: str, test) -> np.ndarray:
    """``test`` (an Arrow function of text, null for null) over a text column's cells; False
    where null.

    Over each distinct value once when the column was read dictionary-encoded
    (``FileCheck.encoded``), else over every cell. The two differ only on blank cells (``""``
    there, null here), which every rule leaves out as not present.
    """
    encoded = check.encoded.get(column)
    if encoded is not None:
        found = test(encoded.dictionary).take(encoded.indices)
    else:
        found = test(check.values[column])
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def _regex(check: FileCheck, e: Expectation, parameters, *, negate: bool) -> None:
    column = _column(e)
    regex = str(e.kwargs["regex"])
    matched = _each_text(check, column, lambda text: pc.match_substring_regex(text, regex))
    mask = _present(check, column) & (matched if negate else ~matched)
    check.flag(column, e.rule, mask, e.message)


def _in_set(check: FileCheck, e: Expectation, parameters, *, negate: bool) -> None:
    column = _column(e)
    values = check.values[column]
    value_set = list(e.kwargs["value_set"])
    if isinstance(values, np.ndarray):
        inside = np.isin(values, np.asarray(value_set, dtype=values.dtype))
    else:
        allowed = pa.array(value_set, pa.string())
        inside = _each_text(check, column, lambda text: pc.is_in(text, allowed))
    mask = _present(check, column) & (inside if negate else ~inside)
    check.flag(column, e.rule, mask, e.message)


def _bound(value, like: np.ndarray):
    if np.issubdtype(like.dtype, np.datetime64):
        return np.datetime64(pd.Timestamp(value).date(), "s")
    return float(value)


def _between(check: FileCheck, e: Expectation, parameters) -> None:
    column = _column(e)
    values = check.values[column]
    low = _resolve(e.kwargs.get("min_value"), parameters)
    high = _resolve(e.kwargs.get("max_value"), parameters)
    outside = np.zeros(check.n_rows, dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            low = _bound(low, values)
            outside |= (values <= low) if e.kwargs.get("strict_min") else (values < low)
        if high is not None:
            high = _bound(high, values)
            outside |= (values >= high) if e.kwargs.get("strict_max") else (values > high)
    check.flag(column, e.rule, _present(check, column) & outside, e.message)


def _lengths(check: FileCheck, e: Expectation, parameters) -> None:
    """Characters (code points, as GX counts them with ``str.len``) outside [min_value,
    max_value]."""
    column = _column(e)
    lengths = np.asarray(pc.fill_null(pc.utf8_length(check.values[column]), 0), dtype=np.int64)
    low, high = e.kwargs.get("min_value"), e.kwargs.get("max_value")
    outside = np.zeros(check.n_rows, dtype=bool)
    if low is not None:
        outside |= lengths < int(low)
    if high is not None:
        outside |= lengths > int(high)
    check.flag(column, e.rule, _present(check, column) & outside, e.message)


def _pair_greater(check: FileCheck, e: Expectation, parameters) -> None:
    a, b = str(e.kwargs["column_A"]), str(e.kwargs["column_B"])
    both = _present(check, a) & _present(check, b)
    with np.errstate(invalid="ignore"):
        passes = (
            check.values[a] >= check.values[b]
            if e.kwargs.get("or_equal")
            else check.values[a] > check.values[b]
        )
    check.flag(b, e.rule, both & ~passes, e.message)


_EVALUATE = {
    "expect_column_to_exist": _exists,
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_match_regex": lambda c, e, p: _regex(c, e, p, negate=False),
    "expect_column_values_to_not_match_regex": lambda c, e, p: _regex(c, e, p, negate=True),
    "expect_column_values_to_be_in_set": lambda c, e, p: _in_set(c, e, p, negate=False),
    "expect_column_values_to_not_be_in_set": lambda c, e, p: _in_set(c, e, p, negate=True),
    "expect_column_values_to_be_between": _between,
    "expect_column_value_lengths_to_be_between": _lengths,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
}
