"""The rules between files, kept as DuckDB SQL in ``data_contracts/cross_file/<rule>.sql``.

Each SQL file starts with ``-- rule: <name>`` and ``-- action: quarantine|hold`` and selects the
issues it finds as ``file, row, column, value, account_id, message``. It reads one view per inbox
file holding that file's rows that passed their row rules (``lots``, ``accounts``, ...) and one
holding every row that parsed (``lots_all``, ...), each with the 1-based record number ``_row``;
named parameters ``$as_of``, ``$benchmark_weight_tolerance`` and
``$reconciliation_tolerance_shares`` come from the night and its settings.

``quarantine`` rules run first and refuse the rows they name (references to unknown symbols or
accounts, one row naming several targets); ``hold`` rules then run on what is left and hold
accounts without removing rows (sums, reconciliation, prices on the as-of date); their issues
carry no row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.validate._issues import issues_frame
from pipelines.validate._parse import FileCheck
from pipelines.validate._suites import DATA_CONTRACTS, ContractError
from sma.inbox import ColumnKind

_HEADER = re.compile(r"^--\s*(rule|action):\s*(\S+)\s*$", re.MULTILINE)
_PARAMETER = re.compile(r"\$([a-z_]+)")
ACTIONS = ("quarantine", "hold")


@dataclass(frozen=True)
class CrossFileRule:
    name: str
    action: str  # "quarantine" or "hold"
    sql: str


def load_cross_file_rules(contracts: Path = DATA_CONTRACTS) -> tuple[CrossFileRule, ...]:
    """Every rule in ``data_contracts/cross_file/``, quarantine rules first, each group by name."""
    rules = []
    for path in sorted((contracts / "cross_file").glob("*.sql")):
        sql = path.read_text()
        header = dict(m.groups() for m in _HEADER.finditer(sql))
        if header.get("rule") != path.stem or header.get("action") not in ACTIONS:
            raise ContractError(f"{path}: needs '-- rule: {path.stem}' and '-- action: quarantine|hold'")
        rules.append(CrossFileRule(path.stem, header["action"], sql))
    return tuple(sorted(rules, key=lambda r: (ACTIONS.index(r.action), r.name)))


def typed_arrow(check: FileCheck) -> pa.Table:
    """The typed columns of ``check``, every row, nulls for blank or unparsed cells, plus ``_row``."""
    columns = {"_row": pa.array(np.arange(1, check.n_rows + 1), pa.int64())}
    for column in check.spec.columns:
        values = check.values[column.name]
        if isinstance(values, np.ndarray):
            missing = check.missing[column.name]
            if column.kind is ColumnKind.FLOAT:
                missing = missing | np.isnan(values)
            columns[column.name] = pa.array(values, mask=missing)
        else:
            columns[column.name] = values
    return pa.table(columns)


def only_clean(table: pa.Table, bad: np.ndarray) -> pa.Table:
    """The rows of ``table`` not marked ``bad``."""
    return table.filter(pa.array(~bad)) if bad.any() else table


def run_cross_file_rules(
    rules: tuple[CrossFileRule, ...],
    clean: Mapping[str, pa.Table],
    parsed: Mapping[str, pa.Table],
    parameters: Mapping[str, object],
) -> dict[str, pd.DataFrame]:
    """Run ``rules`` on the views; rule name -> its issues (issues table layout)."""
    found = {}
    words = set(re.findall(r"\w+", " ".join(r.sql for r in rules)))
    con = duckdb.connect()
    try:
        # Registering a view costs milliseconds: only those the rules name.
        for name, table in clean.items():
            if name in words:
                con.register(name, table)
        for name, table in parsed.items():
            if f"{name}_all" in words:
                con.register(f"{name}_all", table)
        for rule in rules:
            used = {k: parameters[k] for k in set(_PARAMETER.findall(rule.sql))}
            result = con.execute(rule.sql, used).fetch_df()
            found[rule.name] = _as_issues(rule, result)
    except duckdb.Error as exc:
        raise ContractError(f"a cross-file rule failed to run: {exc}") from None
    finally:
        con.close()
    return found


def _as_issues(rule: CrossFileRule, result: pd.DataFrame) -> pd.DataFrame:
    rows = [None if pd.isna(r) else int(r) for r in result["row"]] if len(result) else []
    if rule.action == "hold":
        rows = [None] * len(result)

    def texts(name):
        return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
                for v in result[name]]

    return issues_frame(
        texts("file"), rows, texts("column"), rule.name, texts("value"), texts("message"), texts("account_id")
    )
