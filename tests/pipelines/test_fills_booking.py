"""Fills booked into the store (issue 14, defects 4-7): one transaction books each broker
execution once, whatever the run folder says and however many loads race; a file breaking a rule
books nothing; a buy washes the household's loss sales of earlier days (IRS Pub. 550)."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from test_blotter_run import RUN, USERS, approved_run, clock, write_proposal
from test_fills_load import FULL, fills_file

from pipelines.blotter import approve, home, propose, release
from pipelines.fills_booking import book_fills_file
from pipelines.settings import Settings
from pipelines.store import open_store
from sma.trading import FillsRejected

AS_OF = date.fromisoformat(RUN)
TABLES = ("ledger_lots", "ledger_cash", "realized_gains", "fills_booked")


def settings(root: Path) -> Settings:
    return Settings(store={"path": root / "store.duckdb"}, runs={"dir": root})


def book_in_store(root: Path) -> None:
    """The run's snapshot: A1 holds XOM L1 (2 sh at 150) and L2 (10 sh at 120), A3 holds L9 (7 sh
    at 80); households H1 = A1, A2 (IRA), A4 and H2 = A3."""
    with open_store(settings(root).store.path) as con:
        con.execute(
            "INSERT INTO inbox_lots VALUES (?, 'A1', 'L1', 'XOM', 2, 300, '2024-01-02', NULL), "
            "(?, 'A1', 'L2', 'XOM', 10, 1200, '2026-10-01', NULL), (?, 'A3', 'L9', 'XOM', 7, "
            "560, '2025-01-02', NULL)",
            [AS_OF] * 3,
        )
        con.execute(
            "INSERT INTO inbox_cash VALUES (?, 'A1', 5000), (?, 'A2', 8000), (?, 'A3', 10), (?, "
            "'A4', 0)",
            [AS_OF] * 4,
        )
        for account, household, kind in (
            ("A1", "H1", "TAXABLE"),
            ("A2", "H1", "IRA"),
            ("A3", "H2", "TAXABLE"),
            ("A4", "H1", "TAXABLE"),
        ):
            con.execute(
                # Named columns: the optional ones later schema versions add stay null.
                "INSERT INTO inbox_accounts (as_of_date, account_id, household_id, client_name, "
                "account_type, benchmark_id, tlh_enabled, st_tax_rate, lt_tax_rate, "
                "max_tracking_error, gain_budget, min_trade_value, cash_target, inception_date) "
                "VALUES (?, ?, ?, 'client', ?, 'SP500', true, 0.37, "
                "0.2, 0.02, NULL, 100, 0.01, "
                "'2020-01-01')",  # fractional_shares, implementation blank: whole shares, SMA
                [AS_OF, account, household, kind],
            )
        for symbol in ("AAPL", "XOM", "KO"):
            con.execute(
                "INSERT INTO inbox_securities VALUES (?, ?, ?, 'S', 'I', NULL, NULL)",
                [AS_OF, symbol, symbol],
            )


def released(root: Path) -> Path:
    run_dir = approved_run(root)
    release(run_dir, "trader1", USERS, now=clock(10))
    book_in_store(root)
    return run_dir


def store_rows(root: Path) -> dict[str, list[tuple]]:
    with open_store(settings(root).store.path) as con:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def test_a_load_killed_before_the_run_folder_recorded_it_books_nothing_when_loaded_again(tmp_path):
    """Defect 4: the store is the one record of what was booked; the run folder's copy can be lost
    (a crash after the commit) and loading the file again still books nothing."""
    released(tmp_path)
    path = fills_file(tmp_path, FULL)
    first = book_fills_file(path, RUN, settings(tmp_path), user="ops")
    assert len(first.booked) == 5
    after = store_rows(tmp_path)
    (home(tmp_path / RUN) / "fills" / "booked.parquet").unlink()
    again = book_fills_file(path, RUN, settings(tmp_path), user="ops")
    assert again.booked.empty and again.duplicates == 5
    assert store_rows(tmp_path) == after
    assert len(pd.read_parquet(home(tmp_path / RUN) / "fills" / "booked.parquet")) == 5


def test_a_second_identical_execution_in_a_later_file_is_booked(tmp_path):
    """Defect 5: two partial fills of 12 AAPL at 200 for A2 are two executions (exec ids E1, E2)."""
    released(tmp_path)
    book_fills_file(
        fills_file(
            tmp_path, [("E1", f"{RUN}-BUY-AAPL", "A2", "AAPL", "BUY", 12, 200.0, "")], "a.csv"
        ),
        RUN,
        settings(tmp_path),
        user="ops",
    )
    second = book_fills_file(
        fills_file(
            tmp_path, [("E2", f"{RUN}-BUY-AAPL", "A2", "AAPL", "BUY", 12, 200.0, "")], "b.csv"
        ),
        RUN,
        settings(tmp_path),
        user="ops",
    )
    assert second.booked["exec_id"].tolist() == ["E2"]
    assert second.unfilled.set_index("account_id").loc["A2", "open"] == 6.0
    rows = store_rows(tmp_path)
    assert len(rows["fills_booked"]) == 2
    assert [r[4] for r in rows["ledger_lots"] if r[1] == "A2"] == [12.0, 12.0]
    assert [float(r[2]) for r in rows["ledger_cash"] if r[1] == "A2"] == [8000 - 2 * 2400]


@pytest.mark.parametrize(
    ("quantity", "price", "rule"),
    [
        (10, 999_999.0, "price_collar"),
        (0.5, 200.0, "whole_shares"),
        (1e-12, 200.0, "whole_shares"),
        (10, 0.001, "price_collar"),
        (1e17, 200.0, "open_quantity"),
    ],
)
def test_a_file_with_one_bad_fill_is_refused_whole_and_books_nothing(
    tmp_path, quantity, price, rule
):
    """Defect 6: $999,999 against a $200 reference, half a share, 1e-12 shares, $0.001 or 1e17
    shares refuse the whole file -- the good rows beside it are not booked either."""
    released(tmp_path)
    before = store_rows(tmp_path)
    bad = fills_file(
        tmp_path, [*FULL[1:], (f"{RUN}-BUY-AAPL", "A1", "AAPL", "BUY", quantity, price, "")]
    )
    with pytest.raises(FillsRejected) as e:
        book_fills_file(bad, RUN, settings(tmp_path), user="ops")
    assert [(p.row, p.rule) for p in e.value.problems] == [(5, rule)]
    assert f"{bad}: row 5, column" in str(e.value)
    assert store_rows(tmp_path) == before
    assert not (home(tmp_path / RUN) / "fills" / "booked.parquet").exists()


def ko_buy_released(root: Path, account: str, earlier_sale: str) -> Path:
    """Run 2026-11-25 buys 10 KO at 82 for ``account`` (released 2026-11-26, the fills' trade day);
    the store holds A4's sale of 10 KO on ``earlier_sale`` for 800 against a basis of 1,000."""
    run_dir = root / RUN
    kind = {"A1": "TAXABLE", "A2": "IRA"}[account]
    trades = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": AS_OF,
            "account_id": [account],
            "household_id": ["H1"],
            "account_type": [kind],
            "symbol": ["KO"],
            "side": ["BUY"],
            "quantity": [10.0],
            "price": [82.0],
            "reason": ["REBALANCE"],
        }
    )
    write_proposal(
        run_dir, trades, pd.DataFrame(columns=["account_id", "symbol", "lot_id", "quantity"])
    )
    propose(run_dir, "sma-night")
    approve(run_dir, "pm", USERS)
    release(run_dir, "trader1", USERS, now=clock(10))
    book_in_store(root)
    with open_store(settings(root).store.path) as con:
        con.execute(
            "INSERT INTO realized_gains VALUES (?, 'earlier-fill', 'A4', 'KO', 'K1', ?, 10, 800, "
            "1000, 0, 0, '', -200, 'SHORT', '2026-09-01', '2026-09-01')",
            [earlier_sale, earlier_sale],
        )
    return fills_file(root, [(f"{RUN}-BUY-KO", account, "KO", "BUY", 10, 82.0, "")])


def earlier_sale_in_store(root: Path) -> tuple[float, float, str, float]:
    """The earlier sale's wash_sale_disallowed, permanently_disallowed, adjustment_code, gain."""
    with open_store(settings(root).store.path) as con:
        (row,) = con.execute(
            "SELECT wash_sale_disallowed, permanently_disallowed, adjustment_code, gain FROM "
            "realized_gains "
            "WHERE fill_id = 'earlier-fill'"
        ).fetchall()
    return float(row[0]), float(row[1]), row[2], float(row[3])


def test_a_buy_washes_the_loss_sale_a_household_booked_on_an_earlier_day(tmp_path):
    """Defect 7, IRS Pub. 550 "Wash Sales": A4 sold 10 KO on 2026-11-10 for 800 against a basis of
    1,000; on 2026-11-26 A1, in the same household, buys 10 KO at 82. The 200 loss is disallowed
    (code W, the earlier sale amended) and added to the repurchase: basis 1,020, not 820."""
    r = book_fills_file(
        ko_buy_released(tmp_path, "A1", "2026-11-10"), RUN, settings(tmp_path), user="ops"
    )
    assert r.new_lots[["account_id", "cost_basis", "wash_sale_adjustment"]].values.tolist() == [
        ["A1", 1020.0, 200.0]
    ]
    # the holding period of the sold shares (2026-09-01 to 2026-11-10, 70 days) carries over
    assert r.new_lots["adjusted_acquired_date"].iloc[0] == pd.Timestamp("2026-09-17")
    with open_store(settings(tmp_path).store.path) as con:
        lot = con.execute(
            "SELECT cost_basis, wash_sale_adjustment FROM ledger_lots WHERE symbol = 'KO'"
        ).fetchall()
    assert [(float(a), float(b)) for a, b in lot] == [(1020.0, 200.0)]
    assert earlier_sale_in_store(tmp_path) == (200.0, 0.0, "W", 0.0)


def test_a_loss_sale_replaced_in_an_ira_of_the_household_is_lost_for_good(tmp_path):
    """Rev. Rul. 2008-5: the IRA's repurchase washes A4's loss, and the IRA's lot gets no basis for
    it."""
    r = book_fills_file(
        ko_buy_released(tmp_path, "A2", "2026-11-10"), RUN, settings(tmp_path), user="ops"
    )
    assert r.new_lots[["account_id", "cost_basis", "wash_sale_adjustment"]].values.tolist() == [
        ["A2", 820.0, 0.0]
    ]
    assert earlier_sale_in_store(tmp_path) == (200.0, 200.0, "W", 0.0)


@pytest.mark.parametrize(("sale_day", "washed"), [("2026-10-27", True), ("2026-10-26", False)])
def test_the_wash_window_reaches_30_days_back_and_no_further(tmp_path, sale_day, washed):
    """IRS Pub. 550 "Wash Sales": a buy within 30 days after the loss sale washes it (2026-10-27 is
    30 days before the 2026-11-26 buy); 31 days after, the loss stands."""
    r = book_fills_file(
        ko_buy_released(tmp_path, "A1", sale_day), RUN, settings(tmp_path), user="ops"
    )
    assert r.new_lots["cost_basis"].tolist() == [1020.0 if washed else 820.0]
    assert earlier_sale_in_store(tmp_path)[0] == (200.0 if washed else 0.0)


def _race(path: Path, root: Path, barrier, results) -> None:
    barrier.wait()
    try:
        r = book_fills_file(path, RUN, settings(root), user="ops")
        results.put(sorted(r.booked["exec_id"]))
    except Exception as e:  # reported, so a broken lock fails the test instead of hanging it
        results.put(repr(e))


@pytest.mark.slow
def test_64_racing_loads_of_one_file_book_each_execution_once(tmp_path):
    """Issue 14: 64 processes load the same file at once; one books its five executions, 63 skip
    them."""
    released(tmp_path)
    path = fills_file(tmp_path, FULL)
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(64), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(path, tmp_path, barrier, results)) for _ in range(64)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=120)
    assert [o for o in outcomes if o != []] == [["E1", "E2", "E3", "E4", "E5"]]
    assert outcomes.count([]) == 63
    rows = store_rows(tmp_path)
    assert sorted(r[-2] for r in rows["fills_booked"]) == ["E1", "E2", "E3", "E4", "E5"]
    assert len(rows["realized_gains"]) == 3


def test_tonights_corporate_action_is_booked_once_with_the_days_first_fills(tmp_path):
    """26 U.S.C. 301(c)(2), (3): a return of capital of $130 a share lowers each XOM lot's basis,
    and beyond the basis is a gain with no share sold; the ledger books those rows (``fill_id``
    corporate_action) with the first fills of the day, and never again."""
    released(tmp_path)
    with open_store(settings(tmp_path).store.path) as con:
        con.execute(
            "INSERT INTO inbox_corporate_actions (as_of_date, symbol, ex_date, kind, "
            "amount_per_share) VALUES (?, 'XOM', ?, 'RETURN_OF_CAPITAL', 130)",
            [AS_OF, AS_OF],
        )
    for name, exec_id in (("a.csv", "E1"), ("b.csv", "E2")):
        book_fills_file(
            fills_file(
                tmp_path, [(exec_id, f"{RUN}-BUY-AAPL", "A2", "AAPL", "BUY", 6, 200.0, "")], name
            ),
            RUN,
            settings(tmp_path),
            user="ops",
        )
    rows = store_rows(tmp_path)
    action_rows = [r for r in rows["realized_gains"] if r[1] == "corporate_action"]
    assert sorted((r[2], r[4], r[6], float(r[7]), float(r[12])) for r in action_rows) == [
        ("A1", "L2", 0.0, 100.0, 100.0),
        ("A3", "L9", 0.0, 350.0, 350.0),
    ]
    basis = {r[2]: float(r[5]) for r in rows["ledger_lots"] if r[3] == "XOM"}
    assert basis == {"L1": 40.0, "L2": 0.0, "L9": 0.0}


def test_tonights_corporate_action_is_booked_by_the_nights_ingest_once_and_counts_tonight(tmp_path):
    """Issue 22 / STYLE.md "nothing is lost": a corporate action realizes its gain on the ex date
    whether or not the night's blotter is approved and filled. The ingest books it (booking again,
    as a rerun does, replaces the rows), the fills loader then leaves those rows as they are, and
    the night's year-to-date gains already count it -- tonight's own fills never do (26 U.S.C.
    301(c)(3): a return of capital beyond basis is a gain)."""
    from pipelines.corporate_actions import book_corporate_actions
    from pipelines.night._prepare import _realized_this_year

    released(tmp_path)
    with open_store(settings(tmp_path).store.path) as con:
        con.execute(
            "INSERT INTO inbox_corporate_actions (as_of_date, symbol, ex_date, kind, "
            "amount_per_share) VALUES (?, 'XOM', ?, 'RETURN_OF_CAPITAL', 130)",
            [AS_OF, AS_OF],
        )
        before = _realized_this_year(con, AS_OF).set_index("account_id")["realized_ytd"]
        assert book_corporate_actions(con, AS_OF) == 2
        assert book_corporate_actions(con, AS_OF) == 2  # a rerun of the ingest
        after = _realized_this_year(con, AS_OF).set_index("account_id")["realized_ytd"]
    assert after.get("A1", 0.0) - before.get("A1", 0.0) == pytest.approx(100.0)
    assert after.get("A3", 0.0) - before.get("A3", 0.0) == pytest.approx(350.0)
    book_fills_file(
        fills_file(tmp_path, [("E1", f"{RUN}-BUY-AAPL", "A2", "AAPL", "BUY", 6, 200.0, "")]),
        RUN,
        settings(tmp_path),
        user="ops",
    )
    action_rows = [r for r in store_rows(tmp_path)["realized_gains"] if r[1] == "corporate_action"]
    assert sorted((r[2], r[4], float(r[12])) for r in action_rows) == [
        ("A1", "L2", 100.0),
        ("A3", "L9", 350.0),
    ]
