"""The night reads the gains already realized this year from the store's ledger
(``realized_gains``).

Issue 13, defect 2: the year to date came from the inbox's transactions only, so an account whose
ledger had used its budget up to $143 was proposed $64,243 of gains.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from pipelines.night._prepare import _prepared_accounts, _realized_this_year
from pipelines.store import open_store

TONIGHT = date(2026, 11, 24)
#: (as_of_date, fill_id, sale_date, gain USD): simulated history, an earlier night's fill, last
#: year,
#: and the fills of tonight's own run (loaded before a forced rerun).
LEDGER = [
    ("2026-03-02", "simulated", "2026-03-02", "30000.10"),
    ("2026-11-20", "simulated", "2026-11-20", "9856.45"),
    ("2026-11-21", "F-0001", "2026-11-23", "10000.45"),
    ("2025-12-30", "simulated", "2025-12-30", "99999.99"),
    ("2026-11-24", "F-0002", "2026-11-24", "64243.00"),
]


def _store(path):
    with open_store(path) as con:
        for as_of, fill, sale, gain in LEDGER:
            con.execute(
                "INSERT INTO realized_gains VALUES (?, ?, 'A000094', 'XOM', 'L1', ?, 1, ?, 0, "
                "0, 0, NULL, ?, 'SHORT', "
                "DATE '2025-01-02', DATE '2025-01-02')",
                [as_of, fill, sale, Decimal(gain), Decimal(gain)],
            )
    return path


def _accounts() -> dict[str, pd.DataFrame]:
    accounts = pd.DataFrame(
        {
            "account_id": ["A000094"],
            "household_id": ["H1"],
            "account_type": ["TAXABLE"],
            "gain_budget": [50_000.0],
            "min_trade_value": [0.0],
        }
    )
    return {
        "accounts": accounts,
        "cash": pd.DataFrame({"account_id": ["A000094"], "amount": [0.0]}),
        "cash_flows": pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "amount": pd.Series(dtype=float),
                "requested_date": pd.Series(dtype="datetime64[ns]"),
            }
        ),
    }


def test_the_budget_left_comes_from_the_ledger_not_the_inbox_transactions(tmp_path):
    """IRS Publication 550 (gains fall in the year of the trade date); PRODUCT.md: realized net
    gains this
    year <= gain budget. The inbox holds no transactions at all; the ledger shows $49,857.00
    realized this
    year (history and an earlier night's fill; not last year, not tonight's own fills): $143 is
    left."""
    with open_store(_store(tmp_path / "store.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM inbox_transactions").fetchone()[0] == 0
        realized = _realized_this_year(con, TONIGHT)
    none = pd.DataFrame({"account_id": pd.Series(dtype=str)})
    prepared = _prepared_accounts(_accounts(), realized, none, none, TONIGHT, per_shard=10)
    assert prepared["realized_ytd"].tolist() == [49_857.00]
    assert prepared["gain_budget_remaining"].tolist() == [143.00]


def test_the_year_to_date_is_the_same_on_every_read_and_equals_a_plain_sql_sum(tmp_path):
    """Money booked is exact (STYLE.md): DECIMAL cents summed exactly, whatever order DuckDB reads
    rows in;
    the rule (IRS Publication 550, tax year of the sale; not tonight's own fills) checked by plain
    SQL."""
    path = _store(tmp_path / "store.duckdb")
    with open_store(path) as con:
        for k in range(200):  # many cents that a float sum would round differently in another order
            con.execute(
                "INSERT INTO realized_gains SELECT * REPLACE (? AS fill_id, CAST(? AS "
                "DECIMAL(18, 2)) AS gain) "
                "FROM realized_gains WHERE fill_id = 'F-0001'",
                [f"F-1{k:03d}", f"0.{k % 100:02d}"],
            )
    with open_store(path, read_only=True) as con:
        reads = {tuple(_realized_this_year(con, TONIGHT)["realized_ytd"]) for _ in range(5)}
        expected = con.execute(
            """SELECT sum(gain) FROM realized_gains
               WHERE year(sale_date) = 2026 AND sale_date <= DATE '2026-11-24'
                 AND (fill_id = 'simulated' OR as_of_date < DATE '2026-11-24')"""
        ).fetchone()[0]
    assert len(reads) == 1
    assert Decimal(str(reads.pop()[0])) == expected
