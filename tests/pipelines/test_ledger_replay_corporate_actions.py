"""``sma ledger replay`` with corporate actions beyond splits (shared/CORPORATE_ACTIONS.md, "CSV
contract for sma ledger replay"): six optional columns, ``price`` as MERGER_CASH's cash per share,
``ratio`` as a decimal or N/D, blank ``account_id`` = every account; a bad action row is refused
with file, row, column and rule, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.pipelines.test_ledger_replay_cli import ACCOUNTS, LOTS, cli, issues_of

HEADER = (
    "seq,account_id,trade_date,action,symbol,quantity,price,amount,lot_id,lot_ids,ratio,"
    "new_symbol,basis_fraction,cash_per_share,new_share_price,amount_per_share,cash_in_lieu_price\n"
)


def run(tmp_path: Path, transactions: str, lots: str = LOTS):
    files = {"accounts.csv": ACCOUNTS, "lots.csv": lots, "transactions.csv": HEADER + transactions}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    args = ["ledger", "replay", "--method", "FIFO", "--out", str(out)]
    for name in ("accounts", "lots", "transactions"):
        args += [f"--{name}", str(tmp_path / f"{name}.csv")]
    return CliRunner().invoke(cli(), args), out


def lines(out: Path, name: str) -> list[str]:
    return (out / name).read_text().splitlines()[1:]


def test_spinoff_with_cash_in_lieu_then_a_sale_of_the_spun_off_lot(tmp_path):
    """Form 8937 basis allocation (26 U.S.C. 358(c)); cash in lieu is a sale of the fraction
    (Rev. Rul. 66-365); the new lot keeps the lot id and dates (26 U.S.C. 1223(1))."""
    result, out = run(
        tmp_path,
        "1,,2026-03-02,SPINOFF,M,,,,,,1/3,S,0.2,,,,12\n2,A,2026-04-01,SELL,S,33,,400,,,,,,,,,\n",
    )
    assert result.exit_code == 0, result.output
    # 100 x 1/3 = 33 1/3 shares, basis 2000.00: 1/3 share sold for 4.00 against 20.00
    assert lines(out, "realized.csv") == [
        "A,S,OLD,2026-03-02,0.3333333333333333,4.00,20.00,0.00,0.00,,-16.00,SHORT,2025-09-24,2025-09-24",
        "A,S,OLD,2026-04-01,33,400.00,1980.00,0.00,0.00,,-1580.00,SHORT,2025-09-24,2025-09-24",
    ]
    assert lines(out, "open_lots.csv") == ["A,OLD,M,100,8000.00,2025-09-24,2025-09-24,0.00"]


def test_cash_merger_row_and_a_later_return_of_capital_on_the_acquirer(tmp_path):
    """MERGER_CASH: one row per lot at shares x price (the CSV ``price`` column); a return of
    capital reduces basis (26 U.S.C. 301(c)(2))."""
    result, out = run(
        tmp_path,
        "1,A,2026-01-05,BUY,N,10,,500,NL,,,,,,,,\n"
        "2,,2026-03-02,MERGER_CASH,M,,120,,,,,,,,,,\n"
        "3,,2026-03-03,RETURN_OF_CAPITAL,N,,,,,,,,,,,2.5,\n",
    )
    assert result.exit_code == 0, result.output
    assert lines(out, "realized.csv") == [
        "A,M,OLD,2026-03-02,100,12000.00,10000.00,0.00,0.00,,2000.00,SHORT,2025-09-24,2025-09-24"
    ]
    assert lines(out, "open_lots.csv") == ["A,NL,N,10,475.00,2026-01-05,2026-01-05,0.00"]


def test_mixed_merger_row_for_a_loss_lot_reports_boot_with_no_gain(tmp_path):
    """26 U.S.C. 356(c): no loss is recognised in a reorganisation; the row still reports the
    boot (the contract, MERGER_MIXED: exactly one row per lot)."""
    result, out = run(tmp_path, "1,,2026-03-02,MERGER_MIXED,M,,,,,,0.5,N,,10,80,,\n")
    assert result.exit_code == 0, result.output
    assert lines(out, "realized.csv") == [
        "A,M,OLD,2026-03-02,100,1000.00,1000.00,0.00,0.00,,0.00,SHORT,2025-09-24,2025-09-24"
    ]
    assert lines(out, "open_lots.csv") == ["A,OLD,N,50,9000.00,2025-09-24,2025-09-24,0.00"]


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("1,,2026-03-02,SPINOFF,M,,,,,,0,S,0.2,,,,", "ratio", "positive"),
        ("1,,2026-03-02,SPINOFF,M,,,,,,1,S,1.2,,,,", "basis_fraction", "between"),
        ("1,,2026-03-02,SPINOFF,M,,,,,,1,S,,,,,", "basis_fraction", "required value"),
        ("1,,2026-03-02,MERGER_STOCK,M,,,,,,one,N,,,,,", "ratio", "number_format"),
        ("1,,2026-03-02,MERGER_STOCK,M,,,,,,3/0,N,,,,,", "ratio", "number_format"),
        ("1,,2026-03-02,MERGER_STOCK,M,,,,,,-3/2,N,,,,,", "ratio", "positive"),
        ("1,,2026-03-02,MERGER_CASH,M,,,,,,,,,,,,", "price", "required value"),
        ("1,,2026-03-02,SYMBOL_CHANGE,ZZZ,,,,,,,T,,,,,", "symbol", "known symbol"),
    ],
)
def test_a_bad_action_row_is_refused_by_file_row_column_and_rule_and_nothing_written(
    tmp_path, row, column, rule
):
    """Issue 22: unknown symbol, ratio <= 0, basis_fraction outside (0, 1), a missing field --
    reported as the validator reports an inbox file (rows are 1-based data records)."""
    result, out = run(tmp_path, row + "\n")
    assert result.exit_code == 1
    assert rule in result.output and column in result.output
    assert not out.exists()
    assert ("transactions.csv", 1, column, rule) in issues_of(tmp_path, row + "\n")
