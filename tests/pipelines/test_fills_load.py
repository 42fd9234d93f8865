"""`sma fills load FILE` (issue 5): buys become lots, sells relieve exactly the instructed lots
through the ledger, realized gains and wash sales are recorded, cash moves, and what is not
filled is reported. Loading the same fills twice changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import typer
from test_blotter_run import RUN, USERS, approved_run, clock, signed_released_run, write_proposal
from typer.testing import CliRunner

from pipelines.blotter import approve, propose, read_trail, release, verify
from pipelines.cli import _blotter
from pipelines.fills import NotReleased, load_fills, record_fills
from sma.trading import FillsRejected

BUY, SELL = f"{RUN}-BUY-AAPL", f"{RUN}-SELL-XOM"
FILL_COLUMNS = [
    "exec_id",
    "order_id",
    "account_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "lot_id",
]


def lots() -> pd.DataFrame:
    """A1 holds XOM L1 (2 sh at 150, long-term) and L2 (10 sh at 120, short-term); A3 holds L9."""
    return pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A3"],
            "lot_id": ["L1", "L2", "L9"],
            "symbol": ["XOM"] * 3,
            "quantity": [2.0, 10.0, 7.0],
            "cost_basis": [300.0, 1200.0, 560.0],
            "acquired_date": pd.to_datetime(["2024-01-02", "2026-10-01", "2025-01-02"]),
            "adjusted_acquired_date": pd.NaT,
        }
    )


def cash() -> pd.DataFrame:
    return pd.DataFrame({"account_id": ["A1", "A2", "A3"], "amount": [5000.0, 8000.0, 10.0]})


def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "household_id": ["H1", "H1", "H2", "H1"],
            "account_type": ["TAXABLE", "IRA", "TAXABLE", "TAXABLE"],
        }
    )


def released_run(root: Path) -> Path:
    run_dir = approved_run(root)
    release(run_dir, "trader1", USERS, now=clock(10))
    return run_dir


def fills_file(root: Path, rows: list[tuple], name: str = "fills.csv") -> Path:
    """Rows (order_id, account_id, symbol, side, quantity, price, lot_id), or with the broker's
    exec_id first; without one, row n is execution E<n>."""
    rows = [
        r if len(r) == len(FILL_COLUMNS) else (f"E{n}", *r) for n, r in enumerate(rows, start=1)
    ]
    path = root / name
    pd.DataFrame(rows, columns=FILL_COLUMNS).to_csv(path, index=False)
    return path


FULL = [
    (BUY, "A1", "AAPL", "BUY", 10, 201.0, ""),
    (BUY, "A2", "AAPL", "BUY", 30, 203.0, ""),
    (SELL, "A1", "XOM", "SELL", 2, 99.0, "L1"),
    (SELL, "A1", "XOM", "SELL", 3, 99.0, "L2"),
    (SELL, "A3", "XOM", "SELL", 7, 99.0, "L9"),
]


def test_buys_open_lots_at_the_block_average_price_and_sells_relieve_the_instructed_lots(tmp_path):
    run_dir = released_run(tmp_path)
    r = load_fills(fills_file(tmp_path, FULL), run_dir, lots(), cash(), accounts())
    assert r.trade_date == date(2026, 11, 26)  # the release day
    new = r.new_lots.set_index("account_id")
    assert new.loc["A1", ["symbol", "quantity", "cost_basis"]].tolist() == [
        "AAPL",
        10.0,
        2025.0,
    ]  # 10 x 202.50
    assert new.loc["A2", ["symbol", "quantity", "cost_basis"]].tolist() == ["AAPL", 30.0, 6075.0]
    held = r.open_lots.set_index("lot_id")
    assert "L1" not in held.index and "L9" not in held.index
    assert held.loc["L2", ["quantity", "cost_basis"]].tolist() == [7.0, 840.0]
    realized = r.realized.set_index("lot_id")
    assert realized.loc[
        "L1", ["proceeds_cents", "cost_basis_cents", "gain_cents", "term"]
    ].tolist() == [19800, 30000, -10200, "LONG"]
    assert realized.loc[
        "L2", ["proceeds_cents", "cost_basis_cents", "gain_cents", "term"]
    ].tolist() == [29700, 36000, -6300, "SHORT"]
    assert r.unfilled.empty


def test_cash_moves_by_the_proceeds_and_costs_to_the_cent(tmp_path):
    run_dir = released_run(tmp_path)
    r = load_fills(fills_file(tmp_path, FULL), run_dir, lots(), cash(), accounts())
    assert r.cash.set_index("account_id")["amount"].to_dict() == {
        "A1": 3470.0,
        "A2": 1925.0,
        "A3": 703.0,
    }


def test_shares_and_cash_are_conserved_from_proposal_through_fills(tmp_path):
    """PRODUCT.md "Nothing is lost": every proposed share is booked once, and the cash that moved
    is exactly the proceeds booked minus the cost of the lots opened."""
    run_dir = released_run(tmp_path)
    r = load_fills(fills_file(tmp_path, FULL), run_dir, lots(), cash(), accounts())
    proposal = pd.read_parquet(run_dir / "proposal" / "trades.parquet")
    signed = proposal["quantity"].where(proposal["side"] == "BUY", -proposal["quantity"])
    expected = (
        lots()
        .groupby(["account_id", "symbol"])["quantity"]
        .sum()
        .add(signed.groupby([proposal["account_id"], proposal["symbol"]]).sum(), fill_value=0)
    )
    after = r.open_lots.groupby(["account_id", "symbol"])["quantity"].sum()
    assert after.to_dict() == expected[expected > 0].to_dict()
    moved = r.cash["amount"].sum() - cash()["amount"].sum()
    assert round(moved * 100) == r.realized["proceeds_cents"].sum() - round(
        r.new_lots["cost_basis"].sum() * 100
    )


def test_partial_fills_leave_the_right_open_quantity(tmp_path):
    run_dir = released_run(tmp_path)
    r = load_fills(
        fills_file(
            tmp_path,
            [(BUY, "A2", "AAPL", "BUY", 12, 200.0, ""), (SELL, "A3", "XOM", "SELL", 4, 99.0, "L9")],
        ),
        run_dir,
        lots(),
        cash(),
        accounts(),
    )
    assert r.unfilled[["account_id", "side", "open"]].values.tolist() == [
        ["A1", "BUY", 10.0],
        ["A2", "BUY", 18.0],
        ["A1", "SELL", 5.0],
        ["A3", "SELL", 3.0],
    ]
    assert r.open_lots.set_index("lot_id").loc["L9", "quantity"] == 3.0


def test_loading_the_same_fills_twice_changes_nothing(tmp_path):
    run_dir = released_run(tmp_path)
    path = fills_file(tmp_path, FULL)
    first = load_fills(path, run_dir, lots(), cash(), accounts())
    record_fills(run_dir, first, "ops")
    second = load_fills(path, run_dir, first.open_lots, first.cash, accounts())
    assert second.booked.empty and second.duplicates == len(FULL)
    assert second.cash.equals(first.cash) and second.realized.empty and second.new_lots.empty
    pd.testing.assert_frame_equal(second.open_lots, first.open_lots)


def test_a_fill_that_matches_no_released_order_is_rejected_naming_its_row(tmp_path):
    run_dir = released_run(tmp_path)
    bad = fills_file(tmp_path, [FULL[0], (f"{RUN}-BUY-TSLA", "A1", "TSLA", "BUY", 1, 300.0, "")])
    with pytest.raises(FillsRejected, match="row 2, column order_id: no released order"):
        load_fills(bad, run_dir, lots(), cash(), accounts())


def test_fills_for_a_blotter_that_is_not_released_are_refused(tmp_path):
    run_dir = approved_run(tmp_path)
    with pytest.raises(NotReleased, match="APPROVED"):
        load_fills(fills_file(tmp_path, FULL), run_dir, lots(), cash(), accounts())


def test_a_harvested_loss_replaced_in_the_household_within_30_days_is_washed(tmp_path):
    """IRS Pub. 550 "Wash Sales": A1 sells 3 XOM of L2 at a loss of 21/share; A4 in the same
    household buys 2 XOM the same day: 42 USD is disallowed (code W) and added to A4's new lot."""
    run_dir = tmp_path / RUN
    trades = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": date(2026, 11, 25),
            "account_id": ["A1", "A4"],
            "household_id": ["H1", "H1"],
            "account_type": ["TAXABLE", "TAXABLE"],
            "symbol": ["XOM", "XOM"],
            "side": ["SELL", "BUY"],
            "quantity": [3.0, 2.0],
            "price": [99.0, 99.0],
            "reason": ["HARVEST", "REBALANCE"],
        }
    )
    write_proposal(
        run_dir,
        trades,
        pd.DataFrame(
            {"account_id": ["A1"], "symbol": ["XOM"], "lot_id": ["L2"], "quantity": [3.0]}
        ),
    )
    propose(run_dir, "sma-night")
    approve(run_dir, "pm", USERS)
    release(run_dir, "trader1", USERS, now=clock(10))
    f = fills_file(
        tmp_path,
        [
            (f"{RUN}-SELL-XOM", "A1", "XOM", "SELL", 3, 99.0, "L2"),
            (f"{RUN}-BUY-XOM", "A4", "XOM", "BUY", 2, 99.0, ""),
        ],
    )
    r = load_fills(f, run_dir, lots(), cash(), accounts())
    row = r.realized.iloc[0]
    assert (row["wash_sale_disallowed_cents"], row["adjustment_code"], row["gain_cents"]) == (
        4200,
        "W",
        -6300 + 4200,
    )
    assert r.new_lots[["account_id", "cost_basis", "wash_sale_adjustment"]].values.tolist() == [
        ["A4", 240.0, 42.0]
    ]


def test_fills_load_command_books_reports_unfilled_and_books_nothing_twice(tmp_path, monkeypatch):
    """As the operations login running it, which signs a FILLS record over what it booked."""
    from pipelines.identity import os_login

    run_dir, users, keys = signed_released_run(tmp_path, {os_login(): ["OPERATIONS"]})
    monkeypatch.setenv("SMA_BLOTTER__USERS_FILE", str(tmp_path / "users.toml"))
    monkeypatch.setenv("SMA_BLOTTER__KEYS_DIR", str(keys))
    path = fills_file(tmp_path, FULL[:4])
    for name, frame in (("lots", lots()), ("cash", cash()), ("accounts", accounts())):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    app = typer.Typer()
    _blotter.register(app)
    args = [
        "fills",
        "load",
        str(path),
        "--lots",
        str(tmp_path / "lots.csv"),
        "--cash",
        str(tmp_path / "cash.csv"),
        "--accounts",
        str(tmp_path / "accounts.csv"),
        "--out",
        str(tmp_path / "out"),
        "--runs-dir",
        str(run_dir.parent),
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert (
        "booked 4 fill(s)" in first.output
        and f"unfilled 7 of 7 shares: {SELL}-0002" in first.output
    )
    assert (
        pd.read_csv(tmp_path / "out" / "cash.csv").set_index("account_id")["amount"].to_dict()["A2"]
        == 1925.0
    )
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "booked 0 fill(s), skipped 4 already booked" in second.output
    assert len(pd.read_parquet(run_dir / "blotter" / "fills" / "booked.parquet")) == 4
    fills_records = [r for r in read_trail(run_dir) if r["action"] == "FILLS"]
    assert [(r["user"], r["state"]) for r in fills_records] == [(os_login(), "RELEASED")], (
        "one record: the second load booked nothing"
    )
    assert verify(run_dir, users, signed=True) == []


def test_the_same_fills_as_csv_then_parquet_are_recognised_as_duplicates(tmp_path):
    run_dir = released_run(tmp_path)
    first = load_fills(fills_file(tmp_path, FULL), run_dir, lots(), cash(), accounts())
    record_fills(run_dir, first, "ops")
    as_parquet = tmp_path / "fills.parquet"
    frame = pd.DataFrame(
        [(f"E{n}", *r) for n, r in enumerate(FULL, start=1)], columns=FILL_COLUMNS
    ).astype({"quantity": float})
    frame.assign(lot_id=frame["lot_id"].replace("", None)).to_parquet(as_parquet)
    again = load_fills(as_parquet, run_dir, first.open_lots, first.cash, accounts())
    assert again.booked.empty and again.duplicates == len(FULL)


def test_a_buy_fill_washes_a_loss_the_household_took_earlier_when_the_ledger_knows_it(tmp_path):
    """IRS Pub. 550 "Wash Sales", 30 days before or after: A2 (IRA, household H1) buys AAPL the day
    after A1 sold 30 AAPL at a loss of 10/share; in an IRA the loss is lost for good (Rev. Rul.
    2008-5)."""
    from sma.ledger import Ledger, usd_to_cents

    run_dir = released_run(tmp_path)
    ledger = Ledger(accounts())
    ledger.add_lots(
        pd.DataFrame(
            {
                "account_id": ["A1"],
                "lot_id": ["OLD"],
                "symbol": ["AAPL"],
                "quantity": [30.0],
                "cost_basis_cents": [usd_to_cents(6300)],
                "acquired_date": [pd.Timestamp("2026-06-01")],
                "adjusted_acquired_date": [pd.NaT],
            }
        )
    )
    ledger.sell("A1", "AAPL", 30.0, usd_to_cents(6000), date(2026, 11, 25))
    r = load_fills(
        fills_file(tmp_path, [FULL[1]]), run_dir, lots(), cash(), accounts(), ledger=ledger
    )
    assert r.realized.empty  # only this file's sells are reported
    washed = ledger.realized().iloc[0]
    assert (washed["wash_sale_disallowed_cents"], washed["permanently_disallowed_cents"]) == (
        30000,
        30000,
    )
    assert r.new_lots[["account_id", "cost_basis", "wash_sale_adjustment"]].values.tolist() == [
        ["A2", 6090.0, 0.0]
    ]


def test_fills_load_refuses_a_bad_lots_file_by_file_row_column_and_rule(tmp_path, monkeypatch):
    """--lots is the inbox's lots format, read and checked by the inbox's reader and suite
    (issue 18: one implementation of input reading): nothing is booked."""
    from pipelines.identity import os_login

    run_dir, _, keys = signed_released_run(tmp_path, {os_login(): ["OPERATIONS"]})
    monkeypatch.setenv("SMA_BLOTTER__USERS_FILE", str(tmp_path / "users.toml"))
    monkeypatch.setenv("SMA_BLOTTER__KEYS_DIR", str(keys))
    bad = lots().astype({"quantity": object})
    bad.loc[1, "quantity"] = "ten"
    for name, frame in (("lots", bad), ("cash", cash()), ("accounts", accounts())):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    app = typer.Typer()
    _blotter.register(app)
    args = ["fills", "load", str(fills_file(tmp_path, FULL[:4]))]
    for name in ("lots", "cash", "accounts"):
        args += [f"--{name}", str(tmp_path / f"{name}.csv")]
    args += ["--out", str(tmp_path / "out"), "--runs-dir", str(run_dir.parent)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code != 0
    assert any(
        line.split()[:4] == ["lots.csv", "2", "quantity", "number_format"]
        for line in refused.output.splitlines()
    ), refused.output
    assert not (tmp_path / "out").exists()
    assert not (run_dir / "blotter" / "fills" / "booked.parquet").exists()
