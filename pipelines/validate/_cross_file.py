"""The rules between files, kept as DuckDB SQL in ``data_contracts/cross_file/<rule>.sql``.

Each SQL file starts with ``-- rule: <name>`` and ``-- action: quarantine|hold`` and selects the
issues it finds as ``file, row, column, value, account_id, message``. It reads one view per inbox
file holding that file's rows that passed their row rules (``lots``, ``accounts``, ...) and one
holding every row read, null where a cell did not parse (``lots_all``, ...), each with the 1-based
record number ``_row``; the views are over the staged files (:mod:`._stage`), never frames in
memory;
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

from pipelines.validate._stage import Staging
from pipelines.validate._suites import DATA_CONTRACTS, ContractError

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
            raise ContractError(
                f"{path}: needs '-- rule: {path.stem}' and '-- action: quarantine|hold'"
            )
        rules.append(CrossFileRule(path.stem, header["action"], sql))
    return tuple(sorted(rules, key=lambda r: (ACTIONS.index(r.action), r.name)))


def run_cross_file_rules(
    staging: Staging, rules: tuple[CrossFileRule, ...], parameters: Mapping[str, object]
) -> None:
    """Run ``rules`` over the staged files' views, quarantine rules first, into ``staging.issues``.

    Every quarantine rule sees the same clean rows; the rows they name are then refused, and the
    hold rules run on what is left. A hold rule's issues carry no row: it holds, never refuses.
    """
    staging.open_views()
    try:
        for action in ACTIONS:
            for rule in (r for r in rules if r.action == action):
                used = {k: parameters[k] for k in set(_PARAMETER.findall(rule.sql))}
                staging.add_issues_sql(
                    rule.sql, used, rule=rule.name, keep_rows=action == "quarantine"
                )
            if action == "quarantine":
                for name in staging.files:
                    staging.refuse_issued_rows(name)
    except duckdb.Error as exc:
        raise ContractError(f"a cross-file rule failed to run: {exc}") from None
    finally:
        staging.close_views()
