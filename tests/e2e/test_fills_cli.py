"""`sma fills load FILE` books the broker's fills of a released blotter into the store through the
ledger: lots opened and relieved exactly as instructed, realized gains booked, cash moved; loading
the same file twice changes nothing (PRODUCT.md, "The nightly run", step 9)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.nightly_env import AS_OF, sma, workplace
from tests.os_users import shared, sma_as, write_night_users, write_users


def fills_from_exports(run: Path) -> pd.DataFrame:
    """What a broker sends back when every allocation fills at the reference price."""
    ex = run / "blotter" / "exports"
    alloc, lots, desk = (
        pd.read_csv(ex / f"{n}.csv") for n in ("allocations", "lot_instructions", "desk")
    )
    price = desk.set_index("order_id")["reference_price"]
    buys = alloc[alloc["side"] == "BUY"][
        ["order_id", "account_id", "symbol", "side", "quantity"]
    ].assign(lot_id="")
    sells = lots.assign(side="SELL")[
        ["order_id", "account_id", "symbol", "side", "quantity", "lot_id"]
    ]
    fills = pd.concat([buys, sells], ignore_index=True)
    fills = fills.assign(
        price=fills["order_id"].map(price), exec_id=[f"EX{n:05d}" for n in range(1, len(fills) + 1)]
    )
    return fills[
        ["exec_id", "order_id", "account_id", "symbol", "side", "quantity", "price", "lot_id"]
    ]


def release_a_night(inbox: Path, root: Path) -> tuple[dict[str, str], Path]:
    """Run the night in ``root``; a PM's login approves its blotter and a trader's releases it (the
    ``os_users`` fixture must be in use). The env and the run folder."""
    env = workplace(root, users_file=write_users(root))
    day = AS_OF.isoformat()
    done = sma(["nightly", "--inbox", str(inbox), "--date", day], env, root)
    assert done.returncode == 0, done.stderr
    shared(root)
    for login, action in (("sma-test-pm", "approve"), ("sma-test-trader", "release")):
        done = sma_as(login, ["blotter", action, "--run", day], env, root)
        assert done.returncode == 0, done.stderr
    return env, root / "runs" / day


@pytest.fixture
def released(tiny_inbox, tmp_path, os_users):
    """Tonight's blotter, approved by a PM's login and released by a trader's."""
    env, run = release_a_night(tiny_inbox, tmp_path)
    return env, tmp_path, run


def store(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        return con.execute(sql, [AS_OF]).fetchall()


def test_fills_in_two_files_conserve_shares_and_cash_and_a_second_load_changes_nothing(released):
    env, root, run = released
    fills = fills_from_exports(run)
    half = len(fills) // 2
    fills.iloc[:half].to_csv(root / "fills1.csv", index=False)
    fills.iloc[half:].to_csv(root / "fills2.csv", index=False)

    first = sma(["fills", "load", str(root / "fills1.csv")], env, root)
    assert first.returncode == 0, first.stderr
    assert "unfilled" in first.stdout
    assert sma(["fills", "load", str(root / "fills2.csv")], env, root).returncode == 0
    after = store(
        root, "SELECT sum(quantity), sum(cost_basis) FROM ledger_lots WHERE as_of_date = ?"
    )
    again = sma(["fills", "load", str(root / "fills2.csv")], env, root)
    assert "booked 0 fill(s)" in again.stdout
    assert (
        store(root, "SELECT sum(quantity), sum(cost_basis) FROM ledger_lots WHERE as_of_date = ?")
        == after
    )

    (before_qty,) = store(root, "SELECT sum(quantity) FROM inbox_lots WHERE as_of_date = ?")[0]
    bought = fills.loc[fills["side"] == "BUY", "quantity"].sum()
    sold = fills.loc[fills["side"] == "SELL", "quantity"].sum()
    # the night's charitable gifts left the account without a sale (issue 21)
    (given_qty, given_basis) = store(
        root,
        "SELECT coalesce(sum(quantity), 0), coalesce(sum(cost_basis), 0) FROM gifts_delivered "
        "WHERE as_of_date = ?",
    )[0]
    assert after[0][0] == pytest.approx(before_qty + bought - sold - given_qty)

    (cash_before,) = store(root, "SELECT sum(amount) FROM inbox_cash WHERE as_of_date = ?")[0]
    (cash_after,) = store(root, "SELECT sum(amount) FROM ledger_cash WHERE as_of_date = ?")[0]
    flow = (
        (fills["quantity"] * fills["price"] * fills["side"].map({"SELL": 1, "BUY": -1}))
        .round(2)
        .sum()
    )
    assert float(cash_after) == pytest.approx(float(cash_before) + flow, abs=0.01 * len(fills))

    basis_relieved = store(root, "SELECT sum(cost_basis) FROM realized_gains WHERE as_of_date = ?")[
        0
    ][0]
    (basis_before,) = store(root, "SELECT sum(cost_basis) FROM inbox_lots WHERE as_of_date = ?")[0]
    bought_cost = (
        fills.loc[fills["side"] == "BUY", "quantity"] * fills.loc[fills["side"] == "BUY", "price"]
    ).sum()
    disallowed = store(
        root,
        "SELECT coalesce(sum(wash_sale_disallowed - permanently_disallowed), 0) FROM "
        "realized_gains WHERE as_of_date = ?",
    )[0][0]
    assert float(after[0][1]) == pytest.approx(
        float(basis_before)
        + bought_cost
        + float(disallowed)
        - float(basis_relieved)
        - float(given_basis),
        abs=0.01 * len(fills),
    )


def test_the_engines_trades_wash_no_loss_when_booked(released):
    """The engine never buys what the household sells at a loss (PRODUCT.md, "Tax rules")."""
    env, root, run = released
    fills_from_exports(run).to_csv(root / "fills.csv", index=False)
    assert sma(["fills", "load", str(root / "fills.csv")], env, root).returncode == 0
    assert (
        store(
            root,
            "SELECT coalesce(sum(wash_sale_disallowed), 0) FROM realized_gains WHERE as_of_date "
            "= ?",
        )[0][0]
        == 0
    )


def test_fills_for_a_run_not_released_are_refused(tiny_inbox, tmp_path):
    env = workplace(tmp_path, users_file=write_night_users(tmp_path))
    day = AS_OF.isoformat()
    assert (
        sma(["nightly", "--inbox", str(tiny_inbox), "--date", day], env, tmp_path).returncode == 0
    )
    pd.DataFrame(
        [
            {
                "exec_id": "EX1",
                "order_id": f"{day}-BUY-XYZ",
                "account_id": "A000000",
                "symbol": "XYZ",
                "side": "BUY",
                "quantity": 1,
                "price": 10.0,
                "lot_id": "",
            }
        ]
    ).to_csv(tmp_path / "fills.csv", index=False)
    refused = sma(["fills", "load", str(tmp_path / "fills.csv")], env, tmp_path)
    assert refused.returncode == 1
    assert "released" in refused.stderr
