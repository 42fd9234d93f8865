"""`make demo` gives every account what its mandate says (issue 13), checked by plain SQL over the
demo's store: a second path that shares no code with the engine, the ledger or the simulator.

A smaller demo than `make demo` (16 accounts, one year of simulated nights), same code path.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pandas as pd
import pytest

from tests.demo_env import shared_demo

AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # The small demo test_review_reconciles reads too: built once a session.
    work = shared_demo(tmp_path_factory, AS_OF, accounts=24, seed=5, years=1)
    with duckdb.connect(str(work / "store.duckdb"), read_only=True) as con:
        yield work, con


#: A realized row the engine chose: one of its SELL trades that day, of the lot's quantity.
BY_ENGINE = (
    "EXISTS (SELECT 1 FROM history_trades t WHERE t.side = 'SELL' AND t.account_id = r.account_id"
    " AND t.symbol = r.symbol AND t.trade_date = r.sale_date AND t.quantity = r.quantity)"
)


def test_the_simulated_history_makes_no_wash_sale(demo):
    """IRS Publication 550, "Wash Sales": no taxable loss sale has a purchase of a substantially
    identical security in the household within 30 days before or after it, and the ledger washed
    nothing (no code W) in them. Sales are the engine's own (``BY_ENGINE``): a merger's cash or
    cash in lieu is a sale nobody chose, which a purchase before it may rightly wash."""
    _, con = demo
    washed = con.execute(
        f"SELECT count(*) FROM realized_gains r WHERE (wash_sale_disallowed > 0 OR "
        f"adjustment_code = 'W') AND {BY_ENGINE}"
    )
    assert washed.fetchone()[0] == 0
    near = con.execute(f"""
        WITH acc AS (SELECT DISTINCT account_id, household_id, account_type FROM inbox_accounts),
        sec AS (SELECT DISTINCT symbol, coalesce(nullif(identical_group, ''), symbol) AS grp FROM inbox_securities),
        loss AS (SELECT r.account_id, a.household_id, s.grp, r.sale_date, r.lot_id FROM realized_gains r
                 JOIN acc a USING (account_id) JOIN sec s USING (symbol)
                 WHERE a.account_type = 'TAXABLE' AND r.proceeds < r.cost_basis AND {BY_ENGINE}),
        buys AS (SELECT a.household_id, s.grp, t.trade_date FROM history_trades t
                 JOIN acc a USING (account_id) JOIN sec s USING (symbol) WHERE t.side = 'BUY')
        SELECT count(*) FROM loss l JOIN buys b ON l.household_id = b.household_id AND l.grp = b.grp
         AND b.trade_date BETWEEN l.sale_date - INTERVAL 30 DAY AND l.sale_date + INTERVAL 30 DAY
    """).fetchone()[0]
    assert near == 0
    assert con.execute("SELECT count(*) FROM realized_gains").fetchone()[0] > 0, (
        "the history does sell"
    )


def test_no_account_is_proposed_past_its_gain_budget(demo):
    """PRODUCT.md: realized net gains this year <= gain budget. The year so far is the ledger's."""
    _, con = demo
    over = con.execute(
        """
        WITH ytd AS (SELECT account_id, sum(gain) AS ytd FROM realized_gains
                     WHERE year(sale_date) = year(CAST(? AS DATE)) AND sale_date <= ? GROUP BY 1),
        tonight AS (SELECT account_id, sum(realized_gain) AS tonight FROM run_lot_sells WHERE as_of_date = ? GROUP BY 1)
        SELECT a.account_id FROM inbox_accounts a LEFT JOIN ytd USING (account_id) LEFT JOIN tonight USING (account_id)
        WHERE a.as_of_date = ? AND a.account_type = 'TAXABLE' AND a.gain_budget IS NOT NULL
          AND coalesce(tonight, 0) > 0 AND coalesce(ytd, 0) + coalesce(tonight, 0) > a.gain_budget + 0.005
    """,
        [AS_OF, AS_OF, AS_OF, AS_OF],
    ).fetchall()
    assert over == []


def test_cash_and_tracking_error_are_delivered_or_explained(demo):
    """Every account ends at or above its cash target unless a CASH exception names the shortfall;
    none ends above its tracking-error limit or more than the idle-cash tolerance over its cash
    target while recorded as plainly TRADED or NO_TRADE."""
    work, con = demo
    rec = con.execute(
        """
        SELECT d.account_id, d.status, d.reason, d.te_after, d.max_tracking_error, d.cash_after, d.account_value,
               a.cash_target, e.kind
        FROM run_decisions d JOIN inbox_accounts a ON a.account_id = d.account_id AND a.as_of_date = d.as_of_date
        LEFT JOIN run_exceptions e ON e.account_id = d.account_id AND e.as_of_date = d.as_of_date
        WHERE d.as_of_date = ?""",
        [AS_OF],
    ).df()
    plain = rec["status"].isin(["TRADED", "NO_TRADE"])
    assert not (plain & (rec["te_after"] > rec["max_tracking_error"])).any()
    assert not (
        plain & (rec["cash_after"] / rec["account_value"] - rec["cash_target"] > 0.02)
    ).any()
    short = rec["cash_after"] < rec["cash_target"] * rec["account_value"] - 0.01
    assert (rec.loc[short, "kind"] == "CASH").all()
    assert rec.loc[rec["kind"] == "CASH", "reason"].str.contains(r"\$[\d,]+ short").all()


def test_the_store_the_files_and_the_page_count_the_same_exceptions(demo):
    work, con = demo
    stored = con.execute(
        "SELECT count(*) FROM run_exceptions WHERE as_of_date = ?", [AS_OF]
    ).fetchone()[0]
    run = work / "runs" / AS_OF.isoformat()
    assert len(pd.read_parquet(run / "proposal" / "exceptions.parquet")) == stored
    badge = re.search(
        r'<h2>Exceptions <span class="badge[^"]*">(\d+)</span>', (run / "review.html").read_text()
    )
    assert badge and int(badge.group(1)) == stored


def test_the_demos_blotter_is_proposed_signed_by_the_nights_login_and_verifies(demo):
    """Issue 14: the night signs its proposal with its login's key; the store keeps the chain's
    head;
    the whole trail verifies against the demo's users file, signatures required."""
    from pipelines.blotter import load_users, read_trail, verify
    from pipelines.identity import os_login

    work, con = demo
    run_dir = work / "runs" / AS_OF.isoformat()
    trail = read_trail(run_dir)
    assert [(r["action"], r["user"], bool(r.get("signature"))) for r in trail] == [
        ("PROPOSE", os_login(), True)
    ]
    head = con.execute(
        "SELECT seq, hash FROM audit_heads WHERE run_id = ?", [AS_OF.isoformat()]
    ).fetchone()
    assert head == (1, trail[0]["hash"])
    assert verify(run_dir, load_users(work / "users.toml"), signed=True) == []


def test_the_demo_night_delivers_the_books_gift_requests(demo):
    """Issue 21: the generated book asks two taxable accounts for a gift; the demo's night gives
    appreciated long-term lots for them (IRS Pub. 526, Pub. 550) and puts them on the blotter."""
    work, con = demo
    asked = con.execute(
        "SELECT request_id FROM inbox_gift_requests WHERE as_of_date = ? ORDER BY ALL", [AS_OF]
    ).fetchall()
    delivered = con.execute(
        """SELECT d.request_id, count(*) AS lots,
                  bool_and(d.unrealized_gain > 0) AS at_a_gain,
                  bool_and(d.adjusted_acquired_date + INTERVAL 1 YEAR < d.as_of_date) AS long_term
           FROM gifts_delivered d WHERE d.as_of_date = ? GROUP BY ALL ORDER BY ALL""",
        [AS_OF],
    ).df()
    assert len(asked) == 2
    assert delivered["request_id"].tolist() == [r[0] for r in asked]
    assert delivered["at_a_gain"].all() and delivered["long_term"].all()
    deliveries = pd.read_parquet(
        work / "runs" / AS_OF.isoformat() / "blotter" / "proposed" / "deliveries.parquet"
    )
    assert len(deliveries) == delivered["lots"].sum()
