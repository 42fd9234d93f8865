"""`sma nightly` runs the whole night from the inbox to a checked, proposed blotter (PRODUCT.md,
"The nightly run"), idempotently, refusing a second run of the same date."""

from __future__ import annotations

import fcntl
import json
import os

import duckdb
import pandas as pd

from tests.nightly_env import AS_OF, sma, workplace

OUTPUTS = (
    "trades",
    "lot_sells",
    "records",
    "exceptions",
    "violations",
    "blocks",
    "holdings",
    # issue 19: the UMA accounts' sleeves
    "lot_sleeves",
    "sleeve_trades",
    "sleeve_transfers",
    "sleeves",
)


def outputs(root) -> dict[str, bytes]:
    run = root / "runs" / AS_OF.isoformat()
    files = {f"proposal/{n}": (run / "proposal" / f"{n}.parquet").read_bytes() for n in OUTPUTS}
    files.update(
        {
            str(p.relative_to(run)): p.read_bytes()
            for p in sorted((run / "blotter" / "proposed").glob("*"))
        }
    )
    return files


def store_results(root) -> dict[str, list]:
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        return {
            t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall()))
            for t in (
                "runs",
                "run_trades",
                "run_lot_sells",
                "run_decisions",
                "run_exceptions",
                "uma_lot_sleeves",
            )
        }


def test_a_night_runs_end_to_end_and_prints_its_summary(tiny_inbox, tmp_path):
    env = workplace(tmp_path)
    done = sma(["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], env, tmp_path)
    assert done.returncode == 0, done.stderr
    for words in (
        "accounts",
        "screened",
        "traded",
        "held out",
        "orders",
        "losses harvested",
        "tracking error",
        "models changed",
    ):
        assert words in done.stdout
    # Issue 19: the night reports its model changes; the store's first night has none to compare.
    changes = pd.read_parquet(tmp_path / "runs" / AS_OF.isoformat() / "model_changes.parquet")
    assert changes.empty and "accounts" in changes.columns
    trades = pd.read_parquet(tmp_path / "runs" / AS_OF.isoformat() / "proposal" / "trades.parquet")
    assert len(trades) > 0 and set(trades["side"]) <= {"BUY", "SELL"}
    # Whole shares, except in the accounts that allow fractional shares (issue 17): 0.001 share.
    whole = ~trades["fractional_shares"]
    assert (trades.loc[whole, "quantity"] == trades.loc[whole, "quantity"].round()).all()
    assert (trades["quantity"].round(9) == trades["quantity"].round(3)).all()
    assert store_results(tmp_path)["runs"], "the night is recorded in the store"
    # Gains realized count taxable accounts only (IRA and ROTH sales are not taxed, IRC 408(e),
    # 408A), checked by plain SQL over the store's record of the night.
    summary = json.loads((tmp_path / "runs" / AS_OF.isoformat() / "summary.json").read_text())
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        by_sql = dict(
            con.execute(
                "SELECT CASE WHEN a.account_type = 'TAXABLE' THEN l.term ELSE 'UNTAXED' END, "
                "sum(l.realized_gain) "
                "FROM run_lot_sells l JOIN inbox_accounts a USING (as_of_date, account_id) "
                "GROUP BY ALL"
            ).fetchall()
        )
    assert round(by_sql.get("SHORT", 0.0), 2) == summary["gains_realized_st"]
    assert round(by_sql.get("LONG", 0.0), 2) == summary["gains_realized_lt"]
    assert round(by_sql.get("UNTAXED", 0.0), 2) == summary["gains_realized_untaxed"]
    assert "taxable accounts" in done.stdout
    # The tiny night harvests more short-term losses than it realizes gains: a negative amount is
    # printed as a statement writes it, "-$3,410", never "$-3,410".
    st = summary["gains_realized_st"]
    assert st < 0 and f"(short -${abs(st):,.0f}, long" in done.stdout
    assert "$-" not in done.stdout
    # Each exception listed on one line; a reason cut to fit says so with an ellipsis.
    exceptions = pd.read_parquet(
        tmp_path / "runs" / AS_OF.isoformat() / "proposal" / "exceptions.parquet"
    )
    assert (exceptions["reason"].str.len() > 90).any()  # the tiny night has reasons to cut
    for row in exceptions.head(10).itertuples():
        listed = next(
            line for line in done.stdout.splitlines() if line.startswith(f"    {row.account_id} ")
        )
        shown = listed[4 + 15 + 16 :]
        assert shown == (row.reason if len(row.reason) <= 90 else row.reason[:89] + "…")


def test_a_complete_night_is_not_redone_and_force_gives_identical_outputs(tiny_inbox, tmp_path):
    env = workplace(tmp_path)
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    assert sma(args, env, tmp_path).returncode == 0
    first, first_store = outputs(tmp_path), store_results(tmp_path)
    again = sma(args, env, tmp_path)
    assert "already complete" in again.stdout
    forced = sma([*args, "--force"], env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert outputs(tmp_path) == first
    assert store_results(tmp_path) == first_store


def test_two_worker_processes_decide_the_same_trades_as_one(tiny_inbox, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    assert sma(args, workplace(one, workers=1), tmp_path).returncode == 0
    assert sma(args, workplace(two, workers=2), tmp_path).returncode == 0
    assert outputs(one) == outputs(two)


def test_a_second_run_of_the_same_date_is_refused_while_one_runs(tiny_inbox, tmp_path):
    env = workplace(tmp_path)
    lock = tmp_path / "runs" / AS_OF.isoformat() / ".lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a running night holds
    try:
        refused = sma(
            ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], env, tmp_path
        )
    finally:
        os.close(fd)
    assert refused.returncode == 1
    assert "already running" in refused.stderr


def test_an_unreadable_inbox_runs_nothing_and_says_why(tmp_path):
    env = workplace(tmp_path)
    (tmp_path / "inbox" / AS_OF.isoformat()).mkdir(parents=True)
    refused = sma(
        ["nightly", "--inbox", str(tmp_path / "inbox"), "--date", AS_OF.isoformat()], env, tmp_path
    )
    assert refused.returncode == 1
    assert "nothing was run" in refused.stderr
    assert not (tmp_path / "runs" / AS_OF.isoformat() / "proposal").exists()


def test_the_review_page_of_a_big_night_lists_the_chosen_accounts_and_accounts_csv_lists_all(
    tiny_inbox, tmp_path
):
    env = {**workplace(tmp_path), "SMA_NIGHT__REVIEW_LIST_LIMIT": "3"}
    done = sma(["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], env, tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / AS_OF.isoformat()
    every = pd.read_csv(run / "accounts.csv")
    assert len(every) == 8 and every["account_id"].is_unique
    assert "3 of 8 accounts listed" in (run / "review.html").read_text()
