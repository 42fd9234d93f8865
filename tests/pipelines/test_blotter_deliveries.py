"""A night's charitable gifts on its blotter (issue 21): DELIVER instructions beside the orders,
in what the PM approves (the content hash), taken out for an account the PM holds, and written
to ``deliveries.csv`` at release -- never sent to the broker as an order."""

from __future__ import annotations

import pandas as pd

from pipelines.blotter import approve, home, propose, release
from pipelines.blotter._folder import content_digest
from pipelines.store import open_store
from tests.pipelines.test_blotter_run import RUN, USERS, clock, write_run


def with_gifts(root):
    run_dir = write_run(root)
    pd.DataFrame(
        {
            "request_id": ["G1", "G2"],
            "account_id": ["A1", "A3"],
            "lot_id": ["L5", "L8"],
            "symbol": ["AAPL", "XOM"],
            "quantity": [3.0, 2.0],
            "price": [200.0, 100.0],
            "cost_basis": [150.0, 50.0],
            "market_value": [600.0, 200.0],
            "unrealized_gain": [450.0, 150.0],
            "charity": ["Red Cross", "Oxfam"],
        }
    ).to_parquet(run_dir / "proposal" / "deliveries.parquet")
    return run_dir


def test_a_blotter_without_gifts_keeps_the_content_hash_it_always_had(tmp_path):
    """An empty deliveries file adds nothing to the hash: blotters approved before gifts existed
    still verify."""
    plain = write_run(tmp_path / "a")
    propose(plain, "sma-night", now=clock(1))
    digest = content_digest(home(plain) / "proposed")
    (home(plain) / "proposed" / "deliveries.parquet").unlink()
    assert content_digest(home(plain) / "proposed") == digest


def test_gifts_are_in_the_proposed_content_hash(tmp_path):
    plain, gifts = write_run(tmp_path / "a"), with_gifts(tmp_path / "b")
    for run_dir in (plain, gifts):
        propose(run_dir, "sma-night", now=clock(1))
    assert content_digest(home(plain) / "proposed") != content_digest(home(gifts) / "proposed")
    proposed = pd.read_parquet(home(gifts) / "proposed" / "deliveries.parquet")
    assert proposed["delivery_id"].tolist() == [f"{RUN}-DELIVER-A1-001", f"{RUN}-DELIVER-A3-001"]
    assert set(proposed["instruction"]) == {"DELIVER"}


def test_a_held_account_gives_nothing_and_its_gift_is_due_again(tmp_path):
    """The PM holds A3: its DELIVER goes from the approved blotter and its row from the store's
    gifts_delivered (so the next night delivers the request), in the approval's transaction."""
    run_dir = with_gifts(tmp_path)
    store = tmp_path / "store.duckdb"
    with open_store(store) as con:
        con.execute("INSERT INTO runs VALUES (?, ?, 0, 0, 0, 0, 0, 0, 0, '{}')", [RUN, RUN])
        for account, lot in (("A1", "L5"), ("A3", "L8")):
            con.execute(
                "INSERT INTO gifts_delivered VALUES (?, ?, ?, ?, 'X', 1, 1, 1, 1, 0, 'C', ?, ?)",
                [RUN, f"G-{account}", account, lot, RUN, RUN],
            )
    propose(run_dir, "sma-night", now=clock(1), store=store)
    approve(run_dir, "pm", USERS, now=clock(8), hold=["A3"], store=store)
    approved = pd.read_parquet(home(run_dir) / "approved" / "deliveries.parquet")
    assert approved["account_id"].tolist() == ["A1"]
    with open_store(store, read_only=True) as con:
        left = con.execute("SELECT account_id FROM gifts_delivered").fetchall()
    assert left == [("A1",)]

    exports = release(run_dir, "trader1", USERS, now=clock(9), store=store)
    csv = pd.read_csv(exports / "deliveries.csv")
    assert csv[["account_id", "lot_id", "quantity", "charity"]].values.tolist() == [
        ["A1", "L5", 3, "Red Cross"]
    ]
    assert "DELIVER" not in (exports / "orders.fix").read_text()


def test_a_release_without_gifts_writes_no_deliveries_file(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    approve(run_dir, "pm", USERS, now=clock(8))
    exports = release(run_dir, "trader1", USERS, now=clock(9))
    assert not (exports / "deliveries.csv").exists()


def test_blotter_show_lists_the_deliver_instructions_for_the_trader(tmp_path):
    import typer
    from typer.testing import CliRunner

    from pipelines.cli import _blotter

    app = typer.Typer()
    _blotter.register(app)
    run_dir = with_gifts(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    shown = CliRunner().invoke(app, ["blotter", "show", "--run", RUN, "--runs-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "DELIVER to charities (gifts, no sale): 2 lot(s), $800.00" in shown.output
    assert "Red Cross" in shown.output and "Oxfam" in shown.output


def test_blotter_show_prints_shares_as_traded_and_dollars_to_the_cent(tmp_path):
    """The trader's view of the orders: 8,898 AAPL (8,868 + 30 shares at $200) is $1,779,600.00, 12
    XOM at $100 is $1,200.00, never in pandas' scientific notation (the demo's blotter printed
    1.773729e+06 for a $1,773,729 order and 8.559000e+01 for $85.59)."""
    import typer
    from typer.testing import CliRunner

    from pipelines.cli import _blotter

    app = typer.Typer()
    _blotter.register(app)
    propose(write_run(tmp_path, buy_a1=8_868.0), "sma-night", now=clock(1))
    shown = CliRunner().invoke(app, ["blotter", "show", "--run", RUN, "--runs-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    rows = {line.split()[0]: line.split()[1:] for line in shown.output.splitlines()[2:4]}
    assert rows == {
        f"{RUN}-BUY-AAPL": ["BUY", "AAPL", "8,898", "$1,779,600.00", "2"],
        f"{RUN}-SELL-XOM": ["SELL", "XOM", "12", "$1,200.00", "2"],
    }
    assert "e+" not in shown.output
