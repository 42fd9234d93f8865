"""`sma statements --period 2026-Q3` writes one PDF per account whose figures reconcile with the
store: value at the period end = its lots at the last close + cash; realized gains year to date
= the ledger's realized rows (PRODUCT.md, "Who uses it": every number traced to lots)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from pypdf import PdfReader

from pipelines.history import build_history
from pipelines.settings import Settings
from sma.book import BookParams, generate_book
from tests.nightly_env import sma, workplace

START, END = date(2026, 6, 30), date(2026, 10, 6)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    env = workplace(root)
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
    )
    frames = generate_book(4, 9, START, BookParams(price_days=300))
    build_history(frames, START, END, root / "inbox", settings, seed=9, workers=1)
    return root, env


def text_of(pdf) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.mark.slow
def test_every_account_gets_a_statement_whose_figures_reconcile_with_the_store(history):
    root, env = history
    done = sma(["statements", "--period", "2026-Q3", "--out", str(root / "st")], env, root)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        accounts = [
            r[0]
            for r in con.execute(
                "SELECT account_id FROM inbox_accounts WHERE as_of_date = '2026-09-30'"
            ).fetchall()
        ]
        assert sorted(p.name for p in (root / "st").glob("*.pdf")) == sorted(
            f"{a}_2026-Q3.pdf" for a in accounts
        )
        for account in accounts:
            value = con.execute(
                """SELECT sum(l.quantity * p.close) + (SELECT CAST(amount AS DOUBLE) FROM inbox_cash c
                          WHERE c.account_id = ? AND c.as_of_date = '2026-09-30')
                   FROM inbox_lots l JOIN inbox_prices p ON p.symbol = l.symbol AND p.date = '2026-09-30'
                   WHERE l.account_id = ? AND l.as_of_date = '2026-09-30'""",
                [account, account],
            ).fetchone()[0]
            text = text_of(root / "st" / f"{account}_2026-Q3.pdf")
            assert f"${value:,.2f}" in text, (
                f"{account}: value at the end {value:,.2f} not on the statement"
            )
            for section in (
                "Account value and performance",
                "Holdings by sector",
                "Realized gains",
                "Disclosures",
            ):
                assert section.lower() in text.lower()


def test_a_period_without_a_snapshot_at_its_end_is_refused(history):
    root, env = history
    refused = sma(["statements", "--period", "2026-Q2", "--out", str(root / "q2")], env, root)
    assert refused.returncode == 1
    assert "no snapshot of the book at the end of 2026-Q2" in refused.stderr


def test_the_statements_dag_slices_cover_every_account_once(history, monkeypatch):
    from pipelines.statements import write_statement_slice

    root, env = history
    monkeypatch.setenv("SMA_CONFIG", env["SMA_CONFIG"])
    written = [write_statement_slice("2026-Q3", part, 3) for part in range(3)]
    pdfs = sorted((root / "statements" / "2026-Q3").glob("*.pdf"))
    assert sum(written) == len(pdfs) == 4


@pytest.mark.slow
def test_the_historys_corporate_actions_reach_the_statements_and_form_8949(history):
    """Issue 22: the demo's history has corporate actions at the realistic rates; the store lists
    the quarter's (statements' activity), and a cash merger of a held lot is a Form 8949 row at
    the deal price on its ex date (shared/CORPORATE_ACTIONS.md, MERGER_CASH)."""
    root, env = history
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        listed = con.execute(
            "SELECT count(DISTINCT (symbol, ex_date, kind)) FROM inbox_corporate_actions "
            "WHERE ex_date BETWEEN '2026-07-01' AND '2026-09-30'"
        ).fetchone()[0]
        merged = con.execute(
            "SELECT r.account_id, r.quantity, CAST(r.proceeds AS DOUBLE), a.price "
            "FROM realized_gains r JOIN (SELECT DISTINCT symbol, ex_date, price "
            "FROM inbox_corporate_actions WHERE kind = 'MERGER_CASH') a "
            "ON r.symbol = a.symbol AND r.sale_date = a.ex_date"
        ).fetchall()
    assert listed > 0
    for _, quantity, proceeds, price in merged:
        assert proceeds == pytest.approx(round(quantity * price, 2), abs=0.005)
    done = sma(["statements", "--period", "2026-Q3", "--out", str(root / "ca")], env, root)
    assert done.returncode == 0, done.stderr
    texts = [text_of(pdf) for pdf in (root / "ca").glob("*.pdf")]
    assert any("Corporate actions" in text for text in texts)
