"""Every figure a client statement prints, recomputed from the store by plain SQL and read back
from the PDF's text (``pdftotext``, Debian's poppler-utils): the statement is right to the cent
by a path that shares no code with the report (PRODUCT.md: "every number on a statement can be
traced to lots")."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import duckdb
import pytest

from pipelines.history import build_history
from pipelines.settings import Settings
from sma.book import BookParams, generate_book
from tests.nightly_env import sma, workplace

START, END = date(2026, 3, 31), date(2026, 10, 6)
Q_START, Q_END = "2026-06-30", "2026-09-30"  # the valuation Q3 is measured from, and its last
FIRM = "Harbor & Pine Advisors"
ADDRESS = ["1 Harbor Way", "Portland, ME 04101"]
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("reconcile")
    env = workplace(root)
    with open(root / "sma.toml", "a") as toml:
        toml.write(
            f'[statements]\nfirm_name = "{FIRM}"\nfirm_address = {ADDRESS!r}\n'.replace("'", '"')
        )
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
    )
    build_history(
        generate_book(6, 9, START, BookParams(price_days=300)),
        START,
        END,
        root / "inbox",
        settings,
        seed=9,
        workers=1,
    )
    done = sma(["statements", "--period", "2026-Q3", "--out", str(root / "st")], env, root)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(root / "store.duckdb"), read_only=True)
    yield root, con
    con.close()


def usd(x) -> str:
    """Dollars as the statement prints them, written out here rather than imported."""
    cents = round(float(x), 2)
    return ("-" if cents < 0 else "") + f"${abs(cents):,.2f}"


def pct(x) -> str:
    return f"{float(x) * 100:+.2f}%"


def text_of(root, account: str) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is missing: install Debian's poppler-utils (make install does)")
    out = subprocess.run(
        [PDFTOTEXT, "-layout", str(root / "st" / f"{account}_2026-Q3.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout


def row(text: str, label: str) -> str:
    """The first line of the text that starts (after spaces) with ``label``."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line
    raise AssertionError(f"no line starting {label!r}")


def accounts(con) -> list[tuple]:
    return con.execute(f"""SELECT account_id, account_type, benchmark_id, st_tax_rate, lt_tax_rate, inception_date
                           FROM inbox_accounts WHERE as_of_date = '{Q_END}' ORDER BY account_id""").fetchall()


def q3_twr(con, account: str) -> float:
    """Daily chained: prod V_t / (V_{t-1} + CF_t) over Q3, in SQL."""
    return con.execute(
        f"""
        WITH v AS (SELECT date, market_value + cash AS v, cash_flow,
                          lag(market_value + cash) OVER (ORDER BY date) AS v0
                   FROM account_values WHERE account_id = ?)
        SELECT exp(sum(ln(v / (v0 + cash_flow)))) - 1 FROM v WHERE date > '{Q_START}' AND date <= '{Q_END}'""",
        [account],
    ).fetchone()[0]


def q3_buy_and_hold(con, benchmark: str) -> float:
    """The benchmark held from June 30's weights to September 30, in SQL, with what its members
    paid out in the quarter (a spin-off's new shares at their close, a return of capital) put back
    into it in proportion on the day (S&P's methodology keeps the level through both): the units
    held grow by 1 + paid / value on each such day, value at each member's last close."""
    return con.execute(
        f"""
        WITH units AS (
            SELECT b.symbol, b.weight / p0.close AS u FROM inbox_benchmarks b
            JOIN inbox_prices p0 ON p0.symbol = b.symbol AND p0.date = '{Q_START}'
            WHERE b.as_of_date = '{Q_START}' AND b.benchmark_id = $1),
        actions AS (
            SELECT DISTINCT symbol, ex_date, kind, ratio, new_symbol, amount_per_share
            FROM inbox_corporate_actions
            WHERE kind IN ('SPINOFF', 'RETURN_OF_CAPITAL')
              AND ex_date > '{Q_START}' AND ex_date <= '{Q_END}'),
        paid AS (
            SELECT a.ex_date AS day, sum(units.u * CASE WHEN a.kind = 'SPINOFF'
                   THEN a.ratio * c.close ELSE a.amount_per_share END) AS paid
            FROM actions a JOIN units USING (symbol)
            LEFT JOIN inbox_prices c ON c.symbol = a.new_symbol AND c.date = a.ex_date
            GROUP BY a.ex_date),
        days AS (SELECT DISTINCT day FROM paid),
        worth AS (
            SELECT days.day, sum(units.u * p.close) AS value
            FROM days CROSS JOIN units
            ASOF JOIN inbox_prices p ON p.symbol = units.symbol AND p.date <= days.day
            GROUP BY days.day),
        growth AS (SELECT coalesce(exp(sum(ln(1 + paid / value))), 1) AS g
                   FROM paid JOIN worth USING (day))
        SELECT (SELECT sum(units.u * p1.close) FROM units
                JOIN inbox_prices p1 ON p1.symbol = units.symbol AND p1.date = '{Q_END}')
               * (SELECT g FROM growth) - 1""",
        [benchmark],
    ).fetchone()[0]


@pytest.mark.slow
def test_the_store_holds_a_benchmark_that_did_not_rebalance_in_q3(book):
    """September 30's weights are June 30's drifted with prices: the premise of the next test.

    The history has corporate actions: a name merged away or spun off in the quarter changes its
    benchmark's membership, so the premise is checked over the names no action touched in Q3,
    each side renormalised over them (their ratios are what prices alone move)."""
    _, con = book
    off, names = con.execute(f"""
        WITH touched AS (SELECT DISTINCT symbol FROM inbox_corporate_actions
                         WHERE ex_date > '{Q_START}' AND ex_date <= '{Q_END}'
                         UNION SELECT DISTINCT new_symbol FROM inbox_corporate_actions
                         WHERE ex_date > '{Q_START}' AND ex_date <= '{Q_END}'
                           AND new_symbol IS NOT NULL),
             grown AS (SELECT b.benchmark_id, b.symbol, b.weight * p1.close / p0.close AS g FROM inbox_benchmarks b
                       JOIN inbox_prices p0 ON p0.symbol = b.symbol AND p0.date = '{Q_START}'
                       JOIN inbox_prices p1 ON p1.symbol = b.symbol AND p1.date = '{Q_END}'
                       WHERE b.as_of_date = '{Q_START}' AND b.symbol NOT IN (SELECT symbol FROM touched)),
             drifted AS (SELECT benchmark_id, symbol, g / sum(g) OVER (PARTITION BY benchmark_id) AS w FROM grown),
             now AS (SELECT s.benchmark_id, s.symbol,
                            s.weight / sum(s.weight) OVER (PARTITION BY s.benchmark_id) AS w
                     FROM inbox_benchmarks s JOIN drifted d USING (benchmark_id, symbol)
                     WHERE s.as_of_date = '{Q_END}')
        SELECT max(abs(d.w - n.w)), count(*) FROM drifted d JOIN now n USING (benchmark_id, symbol)
        """).fetchone()
    assert names > 100 and off < 1e-9


@pytest.mark.slow
def test_returns_on_the_statement_are_the_stores_and_accounts_track_their_benchmark(book):
    root, con = book
    gaps = []
    for account, _, benchmark, *_ in accounts(con):
        text = text_of(root, account)
        twr, bench = q3_twr(con, account), q3_buy_and_hold(con, benchmark)
        line = row(text, "2026-Q3 (from Jul 1, 2026)")
        assert pct(twr) in line and pct(bench) in line, f"{account}: {line}"
        gaps.append(twr - bench)
    # Tax-managed accounts after a quarter of harvesting: within a couple of points of the index,
    # never the 2-3 points of lag every account showed against end-of-quarter weights (issue 15).
    assert max(abs(g) for g in gaps) < 0.02
    assert abs(sorted(gaps)[len(gaps) // 2]) < 0.0075


@pytest.mark.slow
def test_the_money_weighted_return_printed_solves_the_stores_flows(book):
    """The printed rate, over the quarter, makes the store's flows worth nothing, to its rounding:
    -V(Jun 30) - sum CF_t (1+r)^-(t/T) + V(Sep 30) (1+r)^-1 changes sign within +-0.005 points."""
    root, con = book
    for account, *_ in accounts(con):
        printed = row(text_of(root, account), "2026-Q3 (from Jul 1, 2026)").split()[-1]
        rate = float(printed.rstrip("%")) / 100
        rows = con.execute(
            f"""SELECT date, market_value + cash, cash_flow FROM account_values
                               WHERE account_id = ? AND date >= '{Q_START}' AND date <= '{Q_END}' ORDER BY date""",
            [account],
        ).fetchall()
        span = (rows[-1][0] - rows[0][0]).days
        flows = (
            [(-rows[0][1], 0)]
            + [(-cf, (d - rows[0][0]).days) for d, _, cf in rows[1:] if cf]
            + [(rows[-1][1], span)]
        )

        def npv(r, flows=flows, span=span):  # r: the rate over the whole span
            return sum(float(a) * (1 + r) ** (-t / span) for a, t in flows)

        assert npv(rate - 0.00005) * npv(rate + 0.00005) <= 0, f"{account}: {printed}"


@pytest.mark.slow
def test_values_holdings_and_realized_gains_on_the_statement_are_the_stores_to_the_cent(book):
    root, con = book
    for account, account_type, _, st_rate, lt_rate, inception in accounts(con):
        text = text_of(root, account)
        start, flows = con.execute(
            f"""SELECT sum(CASE WHEN date = '{Q_START}' THEN market_value + cash END),
                                              sum(CASE WHEN date > '{Q_START}' THEN cash_flow END)
                                       FROM account_values WHERE account_id = ? AND date <= '{Q_END}'""",
            [account],
        ).fetchone()
        market, basis = con.execute(
            f"""SELECT sum(l.quantity * p.close), sum(l.cost_basis) FROM inbox_lots l
                                        JOIN inbox_prices p ON p.symbol = l.symbol AND p.date = '{Q_END}'
                                        WHERE l.account_id = ? AND l.as_of_date = '{Q_END}'""",
            [account],
        ).fetchone()
        cash = con.execute(
            f"SELECT amount FROM inbox_cash WHERE account_id = ? AND as_of_date = '{Q_END}'",
            [account],
        ).fetchone()[0]
        end = float(market) + float(cash)
        assert usd(start) in row(text, "Value at the start")
        assert usd(flows) in row(text, "Contributions and withdrawals, net")
        assert usd(end - float(start) - float(flows)) in row(text, "Investment gain or loss")
        assert usd(end) in row(text, "Value at the end")
        assert usd(basis) in row(text, "Cost basis (after wash-sale adjustments)")
        assert usd(float(market) - float(basis)) in row(text, "Unrealized gain or loss")
        # every position of the appendix: shares, market value and cost basis on its own line
        positions = con.execute(
            f"""SELECT l.symbol, sum(l.quantity), sum(l.quantity * p.close), sum(l.cost_basis)
                                    FROM inbox_lots l JOIN inbox_prices p ON p.symbol = l.symbol AND p.date = '{Q_END}'
                                    WHERE l.account_id = ? AND l.as_of_date = '{Q_END}' GROUP BY 1""",
            [account],
        ).fetchall()
        appendix = text[text.index("All holdings\n") :] if "All holdings\n" in text else text
        lines = [ln for ln in appendix.splitlines() if ln.strip()]
        for symbol, _qty, value, cost in positions:
            found = [
                ln
                for ln in lines
                if re.match(rf"\s*{re.escape(symbol)}\s", ln)
                and usd(value) in ln
                and usd(cost) in ln
                and usd(float(value) - float(cost)) in ln
            ]
            assert found, f"{account} {symbol}: {usd(value)} / {usd(cost)} not in the appendix"
        # realized this year, from the ledger
        st_g, st_l, lt_g, lt_l = con.execute(
            """
            SELECT coalesce(sum(gain) FILTER (term = 'SHORT' AND gain > 0), 0),
                   coalesce(-sum(gain) FILTER (term = 'SHORT' AND gain < 0), 0),
                   coalesce(sum(gain) FILTER (term = 'LONG' AND gain > 0), 0),
                   coalesce(-sum(gain) FILTER (term = 'LONG' AND gain < 0), 0)
            FROM realized_gains WHERE account_id = ? AND sale_date BETWEEN '2026-01-01' AND '2026-09-30'""",
            [account],
        ).fetchone()
        short, long_ = row(text, "Short-term  "), row(text, "Long-term  ")
        assert usd(st_g) in short and usd(-st_l) in short and usd(st_g - st_l) in short
        assert usd(lt_g) in long_ and usd(-lt_l) in long_ and usd(lt_g - lt_l) in long_
        assert f"Account opened {inception:%b} {inception.day}, {inception.year}" in text
        assert FIRM in text and ADDRESS[0] in text
        if account_type == "TAXABLE":
            assert usd(_loss_value(*map(float, (st_g, st_l, lt_g, lt_l)), st_rate, lt_rate)) in row(
                text, "Estimated tax value this year"
            )
        else:
            assert "their estimated tax value is $0.00" in text


def _loss_value(st_g, st_l, lt_g, lt_l, st_rate, lt_rate) -> float:
    """Tax saved this year by the losses, by Schedule D's netting (Pub. 550 ch. 4), written out:
    tax on the gains alone, minus tax on what is left after netting, plus min(net loss, 3,000)
    against ordinary income at the short-term rate (IRC 1211(b))."""
    st, lt = st_g - st_l, lt_g - lt_l
    if st >= 0 and lt >= 0:
        after = st * st_rate + lt * lt_rate
    elif st + lt >= 0:
        after = (st + lt) * (st_rate if st > 0 else lt_rate)
    else:
        after = 0.0
    return st_g * st_rate + lt_g * lt_rate - after + min(3000.0, max(0.0, -(st + lt))) * st_rate
