"""A charitable gift through a night (issue 21, "Charitable gifting"): the request in the inbox,
the most appreciated long-term lots delivered before the engine decides, no sale and no realized
gain, a DELIVER row on the blotter, the lots gone from the store's ledger once the night is
booked, and the gift on the client's statement -- each checked against plain SQL over the store.

Why long-term appreciated lots: their fair market value is deductible and their gain never taxed
(IRS Publication 526, "Giving Property That Has Increased in Value"; IRC 170(e)(1)(A) limits
short-term property to its basis). Long-term: held more than one year (IRS Publication 550).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.book import write_inbox
from pipelines.night import run_night
from pipelines.settings import Settings
from sma.ledger import is_long_term
from tests.e2e import small_book
from tests.e2e.test_fills_cli import fills_from_exports, release_a_night
from tests.e2e.test_nights_stateful import FIRST_DAY, next_business_day
from tests.nightly_env import AS_OF, sma

AMOUNT = 3_000.0


def _settings(root: Path) -> Settings:
    return Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": 1, "accounts_per_shard": 3},
    )


def _gift_frames() -> dict[str, pd.DataFrame]:
    frames = small_book.initial_book(7, FIRST_DAY)
    frames["gift_requests"] = pd.DataFrame(
        [
            # A1 asks for a gift it can make; A3 for more than its eligible lots hold.
            ("G-A1-1", "A1", AMOUNT, FIRST_DAY, "Red Cross"),
            ("G-A3-1", "A3", 10_000_000.0, FIRST_DAY, "City Food Bank"),
            # dated after tonight: not yet due
            ("G-A1-2", "A1", 500.0, pd.Timestamp(FIRST_DAY) + pd.Timedelta(days=7), "Oxfam"),
        ],
        columns=["request_id", "account_id", "amount", "date", "charity"],
    )
    return frames


def _night(root: Path, frames) -> Path:
    write_inbox(frames, root / "inbox", FIRST_DAY, "csv")
    run_night(FIRST_DAY, root / "inbox", _settings(root), workers=1, progress=False)
    return root / "runs" / FIRST_DAY.isoformat()


def _sql(root: Path, query: str, *params) -> pd.DataFrame:
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        return con.execute(query, list(params)).df()


@pytest.fixture(scope="module")
def gift_night(tmp_path_factory):
    root = tmp_path_factory.mktemp("gift")
    frames = _gift_frames()
    run = _night(root, frames)
    return root, run, frames


def test_the_gift_delivers_appreciated_long_term_lots_within_a_share_of_the_amount(gift_night):
    root, _, frames = gift_night
    # The independent path: the store's tables and the inbox's own closes, in SQL.
    delivered = _sql(
        root,
        """SELECT d.request_id, d.account_id, d.lot_id, d.symbol, d.quantity,
                  CAST(d.cost_basis AS DOUBLE) AS cost_basis,
                  CAST(d.market_value AS DOUBLE) AS market_value,
                  CAST(d.unrealized_gain AS DOUBLE) AS gain,
                  l.quantity AS lot_quantity, CAST(l.cost_basis AS DOUBLE) AS lot_basis,
                  coalesce(l.adjusted_acquired_date, l.acquired_date) AS held_from, p.close
           FROM gifts_delivered d
           JOIN inbox_lots l ON l.as_of_date = d.as_of_date AND l.account_id = d.account_id
                            AND l.lot_id = d.lot_id AND l.symbol = d.symbol
           JOIN inbox_prices p ON p.date = d.as_of_date AND p.symbol = d.symbol
           WHERE d.as_of_date = ?""",
        FIRST_DAY,
    )
    a1 = delivered[delivered["request_id"] == "G-A1-1"]
    assert len(a1) > 0
    assert set(delivered["request_id"]) <= {"G-A1-1", "G-A3-1"}  # G-A1-2 is not due
    held_from = pd.to_datetime(delivered["held_from"]).to_numpy().astype("datetime64[D]")
    assert is_long_term(held_from, np.datetime64(FIRST_DAY, "D")).all()
    assert (delivered["close"] * delivered["lot_quantity"] > delivered["lot_basis"]).all()
    assert np.allclose(
        delivered["market_value"], delivered["quantity"] * delivered["close"], atol=0.01
    )
    assert np.allclose(
        delivered["cost_basis"],
        delivered["lot_basis"] * delivered["quantity"] / delivered["lot_quantity"],
        atol=0.01,
    )
    assert (delivered["quantity"] == delivered["quantity"].round()).all()  # whole-share book
    assert abs(a1["market_value"].sum() - AMOUNT) < a1["close"].max()


def test_the_gift_realizes_nothing_and_is_never_a_trade(gift_night):
    root, run, _ = gift_night
    delivered = _sql(root, "SELECT * FROM gifts_delivered WHERE as_of_date = ?", FIRST_DAY)
    sold = pd.read_parquet(run / "proposal" / "lot_sells.parquet")
    both = sold.merge(delivered, on=["account_id", "symbol", "lot_id"])
    # A lot delivered whole is never also sold; a lot given in part may have its rest sold.
    lots = _sql(
        root,
        "SELECT account_id, symbol, lot_id, quantity AS lot_q FROM inbox_lots WHERE as_of_date = ?",
        FIRST_DAY,
    )
    both = both.merge(lots, on=["account_id", "symbol", "lot_id"])
    assert (both["quantity_x"] + both["quantity_y"] <= both["lot_q"] + 1e-9).all()


def test_a_request_the_eligible_lots_cannot_cover_is_flagged_gift_short(gift_night):
    root, _, _ = gift_night
    flagged = _sql(
        root,
        "SELECT account_id, kind, reason FROM run_exceptions WHERE as_of_date = ? AND kind = ?",
        FIRST_DAY,
        "GIFT_SHORT",
    )
    assert flagged["account_id"].tolist() == ["A3"]
    assert "G-A3-1" in flagged["reason"].iloc[0]


def test_a_rerun_of_the_night_replaces_its_deliveries_and_a_later_night_does_not_give_again(
    tmp_path,
):
    """Run the same night twice in one store (forced): the same rows, once. Then the next night,
    whose inbox still lists the requests, delivers none of them again (a request served short is
    served: the PM saw GIFT_SHORT and may send a new one)."""
    frames = _gift_frames()
    _night(tmp_path, frames)
    first = _sql(tmp_path, "SELECT * FROM gifts_delivered ORDER BY ALL")
    assert len(first)
    run_night(FIRST_DAY, tmp_path / "inbox", _settings(tmp_path), force=True, progress=False)
    pd.testing.assert_frame_equal(
        first, _sql(tmp_path, "SELECT * FROM gifts_delivered ORDER BY ALL")
    )

    later = next_business_day(FIRST_DAY)
    frames = small_book.initial_book(7, later)
    frames["gift_requests"] = _gift_frames()["gift_requests"]
    write_inbox(frames, tmp_path / "inbox", later, "csv")
    run_night(later, tmp_path / "inbox", _settings(tmp_path), workers=1, progress=False)
    delivered_later = _sql(
        tmp_path, "SELECT request_id FROM gifts_delivered WHERE as_of_date = ?", later
    )
    assert delivered_later.empty


def test_the_gift_is_approved_released_as_deliver_and_leaves_the_ledger_when_the_night_books(
    tiny_inbox, tmp_path, os_users
):
    """The generated book asks for two gifts. The PM approves them with the orders (they are in
    the approved content hash), the release writes ``deliveries.csv`` beside the orders (never a
    FIX order), and once the fills are booked each delivered lot's shares and basis are conserved,
    lot by lot: inbox = ledger after + delivered + sold; no realized row for a gift."""
    env, run = release_a_night(tiny_inbox, tmp_path)
    exports = run / "blotter" / "exports"
    deliveries = pd.read_csv(exports / "deliveries.csv")
    assert len(deliveries) and set(deliveries["instruction"]) == {"DELIVER"}
    fix = (exports / "orders.fix").read_text()
    assert not any(f"|37={d}|" in fix for d in deliveries["delivery_id"])
    manifest = (exports / "manifest.json").read_text()
    assert "deliveries.csv" in manifest

    fills_from_exports(run).to_csv(tmp_path / "fills.csv", index=False)
    done = sma(["fills", "load", str(tmp_path / "fills.csv")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    check = _sql(
        tmp_path,
        """WITH d AS (SELECT account_id, symbol, lot_id, sum(quantity) AS q,
                             sum(cost_basis) AS b FROM gifts_delivered WHERE as_of_date = ?
                      GROUP BY ALL),
                i AS (SELECT account_id, symbol, lot_id, quantity AS q, cost_basis AS b
                      FROM inbox_lots WHERE as_of_date = ?),
                l AS (SELECT account_id, symbol, lot_id, quantity AS q, cost_basis AS b
                      FROM ledger_lots WHERE as_of_date = ?),
                s AS (SELECT account_id, symbol, lot_id, sum(quantity) AS q, sum(cost_basis) AS b
                      FROM realized_gains WHERE as_of_date = ? GROUP BY ALL)
           SELECT d.account_id, d.symbol, d.lot_id, i.q AS inbox_q, i.b AS inbox_b,
                  coalesce(l.q, 0) + d.q + coalesce(s.q, 0) AS after_q,
                  coalesce(l.b, 0) + d.b + coalesce(s.b, 0) AS after_b
           FROM d JOIN i USING (account_id, symbol, lot_id)
           LEFT JOIN l USING (account_id, symbol, lot_id)
           LEFT JOIN s USING (account_id, symbol, lot_id)""",
        AS_OF,
        AS_OF,
        AS_OF,
        AS_OF,
    )
    assert len(check) == len(deliveries)
    assert np.allclose(check["inbox_q"], check["after_q"], atol=1e-9)
    assert (check["inbox_b"].astype(float) - check["after_b"].astype(float)).abs().max() < 0.005
    gift_sales = _sql(
        tmp_path,
        """SELECT r.* FROM realized_gains r JOIN gifts_delivered d
             ON r.account_id = d.account_id AND r.lot_id = d.lot_id AND r.symbol = d.symbol
           WHERE r.as_of_date = ? AND r.quantity + d.quantity > (
               SELECT quantity FROM inbox_lots i WHERE i.as_of_date = r.as_of_date
               AND i.account_id = r.account_id AND i.lot_id = r.lot_id AND i.symbol = r.symbol)
               + 1e-9""",
        AS_OF,
    )
    assert gift_sales.empty


def test_the_statement_shows_each_gift_with_the_gain_and_tax_avoided(gift_night):
    """The statement's gift line (date, charity, securities, value, gain not realized, tax
    avoided at the account's long-term rate) against plain SQL over the store."""
    from pypdf import PdfReader

    from pipelines.statements import _read, statement_data
    from sma.ledger import money
    from sma.reporting import Period, render_statement_pdf
    from sma.reporting._gifts import gift_lines

    root, _, _ = gift_night
    # A night writes no valuation history (the simulator does): give A1 a flat one to report on.
    with duckdb.connect(str(root / "store.duckdb")) as con:
        con.execute(
            """INSERT INTO account_values
               SELECT 'A1', date, 100000.0, 0.0, 0.0, 'test' FROM (
                 SELECT DISTINCT date FROM inbox_prices WHERE date BETWEEN ? AND ?)""",
            [FIRST_DAY - pd.Timedelta(days=40), FIRST_DAY],
        )
    expected = _sql(
        root,
        """SELECT d.charity, sum(CAST(d.market_value AS DOUBLE)) AS value,
                  sum(CAST(d.unrealized_gain AS DOUBLE)) AS gain,
                  round(sum(CAST(d.unrealized_gain AS DOUBLE)) * any_value(a.lt_tax_rate), 2) AS tax
           FROM gifts_delivered d JOIN inbox_accounts a
             ON a.account_id = d.account_id AND a.as_of_date = d.as_of_date
           WHERE d.account_id = 'A1' GROUP BY d.request_id, d.charity""",
    )
    period = Period(FIRST_DAY.replace(day=1), FIRST_DAY, "2026-11")
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        book = _read(con, period)
        account = book.accounts.set_index("account_id").loc["A1"].copy()
        account["account_id"] = "A1"
        data = statement_data(con, period, book, account)
    lines = gift_lines(data.gifts, data.lt_tax_rate)
    assert lines["charity"].tolist() == expected["charity"].tolist() == ["Red Cross"]
    assert lines["value"].tolist() == pytest.approx(expected["value"].tolist(), abs=0.005)
    assert lines["gain_avoided"].tolist() == pytest.approx(expected["gain"].tolist(), abs=0.005)
    assert lines["tax_avoided"].tolist() == pytest.approx(expected["tax"].tolist(), abs=0.005)
    pdf = root / "A1.pdf"
    pdf.write_bytes(render_statement_pdf(data))
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Charitable gifts" in text and "Red Cross" in text
    assert money(float(expected["value"].iloc[0])) in text
    assert money(float(expected["tax"].iloc[0])) in text


def test_the_nights_summary_tells_the_pm_what_was_given(gift_night):
    import json

    from pipelines.night import Night, render_summary

    root, run, _ = gift_night
    summary = json.loads((run / "summary.json").read_text())
    given = _sql(
        root,
        "SELECT count(*) AS lots, sum(CAST(market_value AS DOUBLE)) AS value FROM gifts_delivered "
        "WHERE as_of_date = ?",
        FIRST_DAY,
    )
    assert summary["gifts"]["lots"] == int(given["lots"].iloc[0])
    assert summary["gifts"]["market_value"] == pytest.approx(float(given["value"].iloc[0]))
    text = render_summary(Night(FIRST_DAY, root / "inbox", _settings(root)), summary)
    assert f"${summary['gifts']['market_value']:,.0f} to charities" in text
