"""``sma ledger replay`` end to end (PRODUCT.md "Interfaces"): CSV in, realized.csv and
open_lots.csv out; an oversell or bad input exits 1 naming file, row, column and rule, writing
nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from pipelines.cli import _ledger
from pipelines.ledger_replay import OPEN_LOT_COLUMNS, REALIZED_COLUMNS, replay_files
from pipelines.validate import ReplayInputError

ACCOUNTS = "account_id,household_id,account_type\nA,H,TAXABLE\nR,H,ROTH\n"
LOTS = (
    "account_id,lot_id,symbol,quantity,cost_basis,acquired_date,adjusted_acquired_date\n"
    "A,OLD,M,100,10000.00,2025-09-24,\n"
)
HEADER = "seq,account_id,trade_date,action,symbol,quantity,price,amount,lot_id,lot_ids,ratio\n"


def cli() -> typer.Typer:
    app = typer.Typer()
    _ledger.register(app)
    return app


def run(tmp_path: Path, transactions: str, method: str = "FIFO", lots: str = LOTS):
    files = {"accounts.csv": ACCOUNTS, "lots.csv": lots, "transactions.csv": HEADER + transactions}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    args = [
        "ledger",
        "replay",
        "--accounts",
        str(tmp_path / "accounts.csv"),
        "--lots",
        str(tmp_path / "lots.csv"),
        "--transactions",
        str(tmp_path / "transactions.csv"),
        "--method",
        method,
        "--out",
        str(out),
    ]
    return CliRunner().invoke(cli(), args), out


def test_replay_writes_form_8949_rows_and_open_lots_for_a_pub_550_wash_sale(tmp_path):
    """Pub. 550 "More or less stock bought than sold": 100 shares sold at a $1,000 loss, 75 bought
    back within 30 days: $750 disallowed (code W), $250 deductible; the new lot's basis $7,500."""
    result, out = run(
        tmp_path, "1,A,2026-02-03,SELL,M,100,,9000,,,\n2,A,2026-02-10,BUY,M,75,90,,NEW,,\n"
    )
    assert result.exit_code == 0, result.output
    realized = (out / "realized.csv").read_text().splitlines()
    assert realized[0] == ",".join(REALIZED_COLUMNS)
    assert (
        realized[1]
        == "A,M,OLD,2026-02-03,100,9000.00,10000.00,750.00,0.00,W,-250.00,SHORT,2025-09-24,2025-09-24"
    )
    open_lots = (out / "open_lots.csv").read_text().splitlines()
    assert open_lots == [
        ",".join(OPEN_LOT_COLUMNS),
        "A,NEW,M,75,7500.00,2026-02-10,2025-10-01,750.00",
    ]


def test_replacement_in_a_roth_reports_the_loss_as_permanently_disallowed(tmp_path):
    """Rev. Rul. 2008-5: the Roth's purchase disallows the loss and its basis stays its cost."""
    result, out = run(
        tmp_path, "1,A,2026-02-03,SELL,M,100,,9000,,,\n2,R,2026-02-04,BUY,M,100,,9100,RL,,\n"
    )
    assert result.exit_code == 0, result.output
    assert (out / "realized.csv").read_text().splitlines()[1].split(",")[7:10] == [
        "1000.00",
        "1000.00",
        "W",
    ]
    assert (out / "open_lots.csv").read_text().splitlines()[
        1
    ] == "R,RL,M,100,9100.00,2026-02-04,2026-02-04,0.00"


def test_specific_lot_sell_and_split_are_replayed_in_seq_order(tmp_path):
    """PRODUCT.md "Interfaces": rows apply in seq order, not file order; a SPLIT doubles the shares
    and keeps basis; a sell naming lot_ids relieves those lots."""
    rows = "3,A,2026-03-02,SELL,M,50,,6000,,OLD,\n1,A,2026-03-01,BUY,M,10,,1000,NEW,,\n2,,2026-03-01,SPLIT,M,,,,,,2\n"
    result, out = run(tmp_path, rows, method="LIFO")
    assert result.exit_code == 0, result.output
    sale = (out / "realized.csv").read_text().splitlines()[1].split(",")
    assert (sale[2], sale[4], sale[6], sale[10], sale[11]) == (
        "OLD",
        "50",
        "2500.00",
        "3500.00",
        "SHORT",
    )
    assert (out / "open_lots.csv").read_text().splitlines()[1:] == [
        "A,OLD,M,150,7500.00,2025-09-24,2025-09-24,0.00",
        "A,NEW,M,20,1000.00,2026-03-01,2026-03-01,0.00",
    ]


def issues_of(tmp_path: Path, transactions: str) -> list[tuple]:
    """The issues (file, row, column, rule) the replay of ``transactions`` refuses, as the
    validator reports them: rows are 1-based data records, as for inbox files."""
    with pytest.raises(ReplayInputError) as refused:
        replay_files(
            tmp_path / "accounts.csv",
            tmp_path / "lots.csv",
            tmp_path / "transactions.csv",
            "FIFO",
            tmp_path / "out",
        )
    issues = refused.value.issues
    return [
        (file, None if row is pd.NA else int(row), column, rule)
        for file, row, column, rule in issues[["file", "row", "column", "rule"]].itertuples(
            index=False, name=None
        )
    ]


def test_oversell_exits_1_naming_the_row_and_writes_nothing(tmp_path):
    """PRODUCT.md "Interfaces": a sale of more than is held is rejected: exit 1, the row named,
    no output written."""
    rows = "1,A,2026-02-03,SELL,M,60,,6000,,,\n2,A,2026-02-04,SELL,M,41,,4100,,,\n"
    result, out = run(tmp_path, rows)
    assert result.exit_code == 1
    assert "transactions.csv" in result.output and "no sale of more than is held" in result.output
    assert not out.exists()
    assert issues_of(tmp_path, rows) == [
        ("transactions.csv", 2, "quantity", "no sale of more than is held")
    ]


def test_bad_input_names_file_row_column_and_rule_and_writes_nothing(tmp_path):
    """STYLE.md / PRODUCT.md: a bad row gets a clear error naming file, row, column and rule --
    the same report as a bad inbox file (``sma validate``)."""
    rows = "1,A,2026-02-30,BUY,M,10,,100,NEW,,\n2,Z,2026-03-01,HOLD,M,1,,1,,,\n"
    result, out = run(tmp_path, rows)
    assert result.exit_code == 1
    assert "date_format" in result.output and "known account" in result.output
    assert not out.exists()
    assert sorted(issues_of(tmp_path, rows)) == [
        ("transactions.csv", 1, "trade_date", "date_format"),
        ("transactions.csv", 2, "account_id", "known account"),
        ("transactions.csv", 2, "action", "enum"),
    ]


def test_every_bad_file_is_reported_at_once(tmp_path):
    """beancount's bean-check, as ``sma validate``: every problem of every input is collected
    before refusing, each with its file and rule."""
    run(tmp_path, "x,A,2026-01-05,BUY,M,-1,,,,,\n")
    (tmp_path / "accounts.csv").write_text(ACCOUNTS + "A,H,PENSION\n")
    (tmp_path / "lots.csv").write_text("account_id,lot_id\n")
    assert sorted(issues_of(tmp_path, "x,A,2026-01-05,BUY,M,-1,,,,,\n")) == [
        ("accounts.csv", 3, "account_id", "unique"),
        ("accounts.csv", 3, "account_type", "enum"),
        ("lots.csv", None, "symbol", "required_column"),
        ("transactions.csv", 1, "amount", "required value"),
        ("transactions.csv", 1, "lot_id", "required value"),
        ("transactions.csv", 1, "quantity", "positive"),
        ("transactions.csv", 1, "seq", "number_format"),
    ]


def test_an_empty_lots_file_means_no_opening_lots(tmp_path):
    """PRODUCT.md "Interfaces": lots may be empty."""
    result, out = run(tmp_path, "1,A,2026-01-05,BUY,M,1,,10,L1,,\n", lots="")
    assert result.exit_code == 0, result.output
    assert (out / "realized.csv").read_text().splitlines() == [",".join(REALIZED_COLUMNS)]


def test_the_same_inputs_write_byte_identical_files(tmp_path):
    """PRODUCT.md "Non-functional": the same inputs give byte-identical outputs."""
    rows = "1,A,2026-02-03,SELL,M,40,,3600,,,\n2,R,2026-02-04,BUY,M,10,,900,RL,,\n3,A,2026-02-05,BUY,M,20,,1800,N,,\n"
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, out_first = run(tmp_path / "one", rows, method="MINTAX")
    second, out_second = run(tmp_path / "two", rows, method="MINTAX")
    assert first.exit_code == second.exit_code == 0
    for name in ("realized.csv", "open_lots.csv"):
        assert (out_first / name).read_bytes() == (out_second / name).read_bytes()


def test_a_missing_input_file_is_named_and_nothing_is_written(tmp_path):
    """A whole-file problem is reported as the inbox reports one: file, rule, no row."""
    run(tmp_path, "")
    (tmp_path / "accounts.csv").unlink()
    assert issues_of(tmp_path, "") == [("accounts.csv", None, None, "required_file")]


def test_transactions_with_a_header_only_replay_the_opening_lots_unchanged(tmp_path):
    result, out = run(tmp_path, "")
    assert result.exit_code == 0, result.output
    assert (out / "open_lots.csv").read_text().splitlines()[1:] == [
        "A,OLD,M,100,10000.00,2025-09-24,2025-09-24,0.00"
    ]
