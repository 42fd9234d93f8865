"""Bad data for one account holds that account, not the night; a reconciliation break holds the
account and is reported; every other account gets exactly what it gets from a clean book
(PRODUCT.md, "The nightly run", steps 1 and 3)."""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd

from sma.rebalance import DecisionStatus, ExceptionKind
from tests.nightly_env import AS_OF, sma, workplace

BAD_LOT_ACCOUNT = "A000000"  # a household of its own
BROKEN_ACCOUNT = "A000006"  # a household of its own


def run(root, inbox):
    done = sma(
        ["nightly", "--inbox", str(inbox), "--date", AS_OF.isoformat()], workplace(root), root
    )
    assert done.returncode == 0, done.stderr
    proposal = root / "runs" / AS_OF.isoformat() / "proposal"
    return done.stdout, {
        n: pd.read_parquet(proposal / f"{n}.parquet") for n in ("trades", "records", "exceptions")
    }


def test_bad_rows_and_a_break_hold_their_accounts_and_the_rest_trade_as_in_a_clean_book(
    tiny_inbox, tmp_path
):
    bad_inbox = tmp_path / "bad_inbox"
    shutil.copytree(tiny_inbox, bad_inbox)
    day = bad_inbox / AS_OF.isoformat()
    lots = pd.read_csv(day / "lots.csv", dtype=str, keep_default_na=False)
    first = lots.index[lots["account_id"] == BAD_LOT_ACCOUNT][0]
    lots.loc[first, "quantity"] = "NaN"
    lots.to_csv(day / "lots.csv", index=False)
    positions = pd.read_csv(day / "positions.csv", dtype=str, keep_default_na=False)
    row = positions.index[positions["account_id"] == BROKEN_ACCOUNT][0]
    positions.loc[row, "quantity"] = str(float(positions.loc[row, "quantity"]) + 7)
    positions.to_csv(day / "positions.csv", index=False)

    _, clean = run(tmp_path / "clean", tiny_inbox)
    stdout, bad = run(tmp_path / "bad", bad_inbox)

    exc = bad["exceptions"]
    kinds = exc.groupby("account_id")["kind"].apply(set)
    reasons = exc.groupby("account_id")["reason"].apply(" ".join)
    assert "BAD_INPUT" in kinds[BAD_LOT_ACCOUNT]
    assert "lots row 1 quantity: finite" in reasons[BAD_LOT_ACCOUNT]
    assert kinds[BROKEN_ACCOUNT] == {"BAD_INPUT", "RECONCILIATION"}
    assert "lots_reconcile_to_positions" in reasons[BROKEN_ACCOUNT]
    assert "reconciliation break" in reasons[BROKEN_ACCOUNT]
    assert "held out                     2" in stdout
    assert not bad["trades"]["account_id"].isin([BAD_LOT_ACCOUNT, BROKEN_ACCOUNT]).any()

    others = ~clean["trades"]["account_id"].isin([BAD_LOT_ACCOUNT, BROKEN_ACCOUNT])
    pd.testing.assert_frame_equal(clean["trades"][others].reset_index(drop=True), bad["trades"])
    rec_others = ~clean["records"]["account_id"].isin([BAD_LOT_ACCOUNT, BROKEN_ACCOUNT])
    held = bad["records"]["account_id"].isin([BAD_LOT_ACCOUNT, BROKEN_ACCOUNT])
    pd.testing.assert_frame_equal(
        clean["records"][rec_others].sort_values("account_id").reset_index(drop=True),
        bad["records"][~held].sort_values("account_id").reset_index(drop=True),
    )
    # Every account of the night has a record; the held ones say HELD, with the exception that holds
    # them.
    assert set(bad["records"].loc[held, "status"]) == {"HELD"}
    assert set(bad["records"].loc[held, "exception"]) <= {"BAD_INPUT", "RECONCILIATION"}
    assert_counts_agree(tmp_path / "bad", stdout, bad)


def assert_counts_agree(root, stdout: str, frames: dict[str, pd.DataFrame]) -> None:
    """The night's exceptions and statuses are one set of numbers: the proposal files, the store,
    the `sma nightly` summary, `sma review` and the review page all count the same (issue 13)."""
    exc, rec = frames["exceptions"], frames["records"]
    assert set(exc["kind"]) <= {str(k) for k in ExceptionKind} and set(rec["status"]) <= {
        str(s) for s in DecisionStatus
    }
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        stored = dict(
            con.execute(
                "SELECT kind, count(*) FROM run_exceptions WHERE as_of_date = ? GROUP BY kind",
                [AS_OF],
            ).fetchall()
        )
        statuses = dict(
            con.execute(
                "SELECT status, count(*) FROM run_decisions WHERE as_of_date = ? GROUP BY status",
                [AS_OF],
            ).fetchall()
        )
    assert stored == exc["kind"].value_counts().to_dict()
    assert statuses == rec["status"].value_counts().to_dict() and sum(statuses.values()) == 8
    assert f"exceptions          {len(exc):>10,}" in stdout
    review = sma(["review", "--run", AS_OF.isoformat()], workplace(root), root)
    assert f"exceptions {len(exc):,} (" in review.stdout
    page = (root / "runs" / AS_OF.isoformat() / "review.html").read_text()
    badge = re.search(r'<h2>Exceptions <span class="badge[^"]*">(\d+)</span>', page)
    assert badge and int(badge.group(1)) == len(exc)
    assert page.count('<td class="kind">') == len(exc)
    assert f"HELD {statuses['HELD']:,}" in page
