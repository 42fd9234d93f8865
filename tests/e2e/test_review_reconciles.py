"""Every figure on the run review page, recomputed from the store by plain SQL (issue 15): a second
path that shares no code with the report, the engine or the ledger, compared to the cent.

A small demo book (as `make demo` builds it, fewer accounts, one year of simulated nights). The
rules the SQL states: tax cost = each lot sold at a gain x the account's rate for its term, tax
saved = each lot sold at a loss x its rate, TAXABLE accounts only (IRS Publications 550 and
590-B); gain budget used = net gains realized this calendar year before tonight (sale dates,
Publication 550; fills of earlier nights and the simulated history) + tonight's net gains
(PRODUCT.md, "The per-account decision"); sector weights sum every holding of the account.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.demo_env import shared_demo

AS_OF = date(2026, 11, 24)
ACCOUNTS, SEED = 24, 5
CENT = 0.005
#: Kinds that keep an account out of tonight's blotter (PRODUCT.md, "The nightly run", step 6).
HELD_OUT = "('BAD_INPUT', 'RECONCILIATION', 'COMPLIANCE')"


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    # The small demo test_demo_mandates reads too: built once a session.
    work = shared_demo(tmp_path_factory, AS_OF, accounts=ACCOUNTS, seed=SEED, years=1)
    run = work / "runs" / AS_OF.isoformat()
    with duckdb.connect(str(work / "store.duckdb"), read_only=True) as con:
        yield con, run, (run / "review.html").read_text(encoding="utf-8")


def sql(con, query: str) -> pd.DataFrame:
    return con.execute(query, {"d": AS_OF}).df()


#: Per account, tonight's lot sells and the rates, budget and this year's realized gains (before
#: tonight).
PER_ACCOUNT = """
WITH acc AS (SELECT account_id, account_type, st_tax_rate, lt_tax_rate, CAST(gain_budget AS DOUBLE) AS gain_budget
             FROM inbox_accounts WHERE as_of_date = $d),
lots AS (SELECT account_id,
                sum(realized_gain) FILTER (term = 'SHORT') AS net_st,
                sum(realized_gain) FILTER (term = 'LONG') AS net_lt,
                sum(realized_gain) FILTER (realized_gain > 0 AND term = 'SHORT') AS gains_st,
                sum(realized_gain) FILTER (realized_gain > 0 AND term = 'LONG') AS gains_lt,
                sum(-realized_gain) FILTER (realized_gain < 0 AND term = 'SHORT') AS losses_st,
                sum(-realized_gain) FILTER (realized_gain < 0 AND term = 'LONG') AS losses_lt
         FROM run_lot_sells WHERE as_of_date = $d GROUP BY account_id),
ytd AS (SELECT account_id, CAST(sum(gain) AS DOUBLE) AS realized_ytd FROM realized_gains
        WHERE sale_date BETWEEN date_trunc('year', $d) AND $d AND (fill_id = 'simulated' OR as_of_date < $d)
        GROUP BY account_id)
SELECT acc.*, coalesce(net_st, 0) AS net_st, coalesce(net_lt, 0) AS net_lt,
       coalesce(gains_st, 0) AS gains_st, coalesce(gains_lt, 0) AS gains_lt,
       coalesce(losses_st, 0) AS losses_st, coalesce(losses_lt, 0) AS losses_lt,
       coalesce(realized_ytd, 0) AS realized_ytd, account_type = 'TAXABLE' AS taxable
FROM acc LEFT JOIN lots USING (account_id) LEFT JOIN ytd USING (account_id) ORDER BY account_id
"""


@pytest.fixture(scope="module")
def accounts(night) -> pd.DataFrame:
    con, _, _ = night
    a = sql(con, PER_ACCOUNT).set_index("account_id")
    t = a["taxable"]
    # Each account's tax is booked in cents (the decision records book tax saved so); totals add
    # cents.
    a["tax_cost"] = np.where(
        t, a["gains_st"] * a["st_tax_rate"] + a["gains_lt"] * a["lt_tax_rate"], 0.0
    ).round(2)
    a["tax_saved"] = np.where(
        t, a["losses_st"] * a["st_tax_rate"] + a["losses_lt"] * a["lt_tax_rate"], 0.0
    ).round(2)
    a["budgeted"] = t & a["gain_budget"].notna()
    a["budget_used"] = np.where(
        a["budgeted"], a["realized_ytd"] + a["net_st"] + a["net_lt"], np.nan
    )
    a["budget_left"] = a["gain_budget"].where(a["budgeted"]) - a["budget_used"]
    # The page books every account's figures in cents and its headline adds the cents shown
    # (sma/reporting/_review_tax.py): with hundreds of accounts the raw sum can drift more than
    # half a cent from that, so the second path rounds per account too.
    for col in ("net_st", "net_lt", "budget_used", "budget_left"):
        a[col] = a[col].round(2)
    return a


def cards(html: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r'data-figure="([^"]+)" data-value="([^"]+)"', html)}


def account_table(html: str) -> pd.DataFrame:
    """The account table as the page holds it: one row per account, numbers from ``data-value``."""
    table = html[html.index('id="account-table"') :]
    keys = re.findall(r'<th data-key="([^"]+)"', table[: table.index("</thead>")])
    rows = {}
    for aid, cells in re.findall(
        r'<tr data-account="([^"]+)"[^>]*>(.*?)</tr>', table[: table.index("</tbody>")]
    ):
        values = [
            re.search(r'data-value="([^"]*)"', attrs)
            for attrs, _ in re.findall(r"<td([^>]*)>(.*?)</td>", cells)
        ]
        rows[aid] = [
            float(m.group(1)) if m and m.group(1) else (np.nan if m else None) for m in values
        ]
    return pd.DataFrame.from_dict(rows, orient="index", columns=keys)


def drill(html: str) -> dict:
    return json.loads(
        re.search(
            r'<script type="application/json" id="drill-data">(.*?)</script>', html, re.S
        ).group(1)
    )


def test_the_small_demo_has_tax_to_reconcile(accounts):
    """The reconciliation means something only if tonight sells at gains and at losses in taxable
    accounts, some with a budget, and an IRA or ROTH sells too (its gains must be left out)."""
    assert accounts["tax_cost"].sum() > 0 and accounts["tax_saved"].sum() > 0
    assert (accounts["budgeted"] & (accounts["net_st"] + accounts["net_lt"] != 0)).any()
    untaxed = ~accounts["taxable"]
    assert (accounts.loc[untaxed, "gains_st"] + accounts.loc[untaxed, "gains_lt"]).sum() > 0


def test_headline_counts_and_money_match_the_store(night, accounts):
    con, _, html = night
    c = cards(html)
    store = sql(
        con,
        f"""
        SELECT (SELECT count(*) FROM run_decisions WHERE as_of_date = $d) AS screened,
               (SELECT count(DISTINCT account_id) FROM run_trades WHERE as_of_date = $d) AS traded,
               (SELECT count(DISTINCT account_id) FROM run_exceptions WHERE as_of_date = $d AND kind IN {HELD_OUT}) AS held,
               (SELECT count(*) FROM run_trades WHERE as_of_date = $d) AS orders,
               (SELECT sum(notional) FROM run_trades WHERE as_of_date = $d) AS notional
    """,
    ).iloc[0]
    assert (c["Accounts screened"], c["Traded"], c["Held out"], c["Orders"]) == (
        store["screened"],
        store["traded"],
        store["held"],
        store["orders"],
    )
    assert c["Notional"] == pytest.approx(store["notional"], abs=CENT)
    taxable = accounts[accounts["taxable"]]
    assert c["Losses harvested"] == pytest.approx(
        (taxable["losses_st"] + taxable["losses_lt"]).sum(), abs=CENT
    )
    assert c["Est. tax saved"] == pytest.approx(accounts["tax_saved"].sum(), abs=CENT)


def test_the_figures_the_approval_request_quotes_are_the_pages_headline(night):
    """The PM's approval request in Airflow quotes ``headline.json`` (issue 20): it must say what
    the page's cards say, to the cent."""
    _, run, html = night
    c, h = cards(html), json.loads((run / "headline.json").read_text())
    pairs = {
        "Accounts screened": "accounts_screened",
        "Traded": "accounts_traded",
        "Held out": "accounts_held",
        "Orders": "orders",
        "Notional": "notional",
        "Losses harvested": "losses_harvested",
        "Gains realized ST": "gains_realized_st",
        "Gains realized LT": "gains_realized_lt",
        "Est. tax cost": "est_tax_cost",
        "Est. tax saved": "est_tax_saved",
    }
    assert {card: c[card] for card in pairs} == pytest.approx(
        {card: h[key] for card, key in pairs.items()}, abs=CENT
    )
    assert re.search(rf'<h2>Exceptions <span class="badge[^"]*">{h["exceptions"]}</span>', html)


def test_every_money_figure_of_the_headline_is_written_in_whole_cents(night):
    """A program reading ``headline.json`` or the cards' ``data-value`` gets the amounts as the page
    shows them, to the cent: "265111.1", not a float sum's "265111.10000000003"."""
    _, run, html = night
    money = ("notional", "losses_harvested", "gains_realized_st", "gains_realized_lt")
    money += ("est_tax_cost", "est_tax_saved")
    written = json.loads((run / "headline.json").read_text())
    text = {key: repr(float(written[key])) for key in money}
    text |= dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]+)"', html))
    counts = ("Accounts screened", "Triggered", "Traded", "Held out", "Orders")
    for label, value in text.items():
        if label not in counts:
            assert Decimal(value) == Decimal(value).quantize(Decimal("0.01")), (label, value)


def test_headline_tax_cost_taxable_gains_and_gain_budgets_match_the_store(night, accounts):
    _, _, html = night
    c = cards(html)
    taxable, budgeted = accounts[accounts["taxable"]], accounts[accounts["budgeted"]]
    assert c["Gains realized ST"] == pytest.approx(taxable["net_st"].sum(), abs=CENT)
    assert c["Gains realized LT"] == pytest.approx(taxable["net_lt"].sum(), abs=CENT)
    assert c["Est. tax cost"] == pytest.approx(accounts["tax_cost"].sum(), abs=CENT)
    assert c["Est. net tax"] == pytest.approx(
        accounts["tax_cost"].sum() - accounts["tax_saved"].sum(), abs=CENT
    )
    assert c["Gain budget used"] == pytest.approx(budgeted["budget_used"].sum(), abs=CENT)
    assert c["Gain budget left"] == pytest.approx(budgeted["budget_left"].sum(), abs=CENT)
    untaxed = accounts.loc[~accounts["taxable"], ["net_st", "net_lt"]].to_numpy().sum()
    assert (
        f"(tonight they net {'-' if round(untaxed) < 0 else ''}${abs(untaxed):,.0f}, left out)"
        in html
    )


def test_every_account_rows_figures_match_the_store(night, accounts):
    con, _, html = night
    page = account_table(html)
    d = sql(
        con,
        """
        SELECT d.account_id, te_before, te_after, d.max_tracking_error, turnover, account_value AS market_value,
               (SELECT count(*) FROM run_trades t WHERE t.as_of_date = $d AND t.account_id = d.account_id) AS n_trades
        FROM run_decisions d WHERE as_of_date = $d ORDER BY account_id""",
    ).set_index("account_id")
    assert sorted(page.index) == sorted(d.index)
    for col in ("te_before", "te_after", "max_tracking_error", "turnover", "n_trades"):
        np.testing.assert_allclose(
            page.loc[d.index, col].astype(float), d[col], rtol=1e-12, atol=0, err_msg=col
        )
    np.testing.assert_allclose(
        page.loc[d.index, "market_value"].astype(float), d["market_value"], atol=CENT
    )
    trading = d.index[
        ~d.index.isin(
            sql(
                con,
                f"SELECT account_id FROM run_exceptions WHERE as_of_date = $d "
                f"AND kind IN {HELD_OUT}",
            )["account_id"]
        )
    ]
    a = accounts.loc[trading]
    harvested = np.where(a["taxable"], a["losses_st"] + a["losses_lt"], 0.0)
    np.testing.assert_allclose(
        page.loc[trading, "losses_harvested"].astype(float), harvested, atol=CENT
    )
    np.testing.assert_allclose(
        page.loc[trading, "est_tax_saved"].astype(float), a["tax_saved"], atol=CENT
    )
    np.testing.assert_allclose(
        page.loc[accounts.index, "tax_cost"].astype(float), accounts["tax_cost"], atol=CENT
    )
    np.testing.assert_allclose(
        page.loc[accounts.index, "budget_left"].astype(float), accounts["budget_left"], atol=CENT
    )  # NaN (no budget) on both sides where there is none


def test_trades_by_reason_match_the_store(night):
    con, _, html = night
    store = sql(
        con,
        """
        SELECT reason, count(*) AS trades, count(DISTINCT account_id) AS accounts,
               coalesce(sum(notional) FILTER (side = 'BUY'), 0) AS bought,
               coalesce(sum(notional) FILTER (side = 'SELL'), 0) AS sold
        FROM run_trades WHERE as_of_date = $d GROUP BY reason""",
    ).set_index("reason")
    table = html[html.index('id="reason-table"') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = re.findall(
        r"<tr><td>([^<]+)</td>" + r'<td class="num" data-value="([^"]*)">[^<]*</td>' * 4, table
    )
    assert sorted(r[0] for r in rows) == sorted(store.index)
    for reason, *values in rows:
        expected = store.loc[reason, ["trades", "accounts", "bought", "sold"]].to_numpy(float)
        np.testing.assert_allclose(np.array(values, float), expected, atol=CENT, err_msg=reason)


def test_exception_and_status_counts_match_the_store(night):
    con, _, html = night
    stored = sql(con, "SELECT count(*) AS n FROM run_exceptions WHERE as_of_date = $d")["n"].iloc[0]
    assert (
        int(re.search(r'<h2>Exceptions <span class="badge[^"]*">(\d+)</span>', html).group(1))
        == stored
    )
    statuses = sql(
        con, "SELECT status, count(*) AS n FROM run_decisions WHERE as_of_date = $d GROUP BY status"
    )
    for status, n in statuses.itertuples(index=False):
        assert f'<option value="{status}">{status} ({n:,})</option>' in html


def test_drill_down_sector_weights_sum_every_holding(night):
    con, run, html = night
    data = drill(html)
    store = con.execute(f"""
        SELECT account_id, sector, sum(weight_before) AS b, sum(weight_after) AS a, sum(target_weight) AS t,
               count(*) AS n
        FROM read_parquet('{run / "proposal" / "holdings.parquet"}') GROUP BY ALL ORDER BY ALL""").df()
    checked = 0
    for aid, account in data["accounts"].items():
        mine = store[store["account_id"] == aid].set_index("sector")
        shown = {data["sectors"][g[0]]: g[1:] for g in account["g"]}
        if (
            not shown
        ):  # only accounts that trade or have an exception carry holdings (checked below)
            continue
        assert sorted(shown) == sorted(mine.index), aid
        for sector, (b, a, t, n) in shown.items():
            row = mine.loc[sector]
            assert [b, a, t] == [round(row[k] * data["unit"]) for k in ("b", "a", "t")], (
                aid,
                sector,
            )
            assert n == row["n"], (aid, sector)
        checked += 1
    trading = set(
        con.execute(
            "SELECT account_id FROM run_trades WHERE as_of_date = ? UNION "
            "SELECT account_id FROM run_exceptions WHERE as_of_date = ?",
            [AS_OF, AS_OF],
        ).df()["account_id"]
    )
    assert checked == len(trading & set(data["accounts"])) > 0


def test_drill_down_tax_figures_match_the_store(night, accounts):
    _, _, html = night
    data = drill(html)
    for aid, account in data["accounts"].items():
        d, a = account["d"], accounts.loc[aid]
        assert d["tax_cost"] == pytest.approx(a["tax_cost"], abs=CENT), aid
        for key in ("gain_budget", "budget_used", "budget_left"):
            expected = a[key] if a["budgeted"] else None
            assert (d[key] is None) == (expected is None), (aid, key)
            if expected is not None:
                assert d[key] == pytest.approx(expected, abs=CENT), (aid, key)


def test_the_page_shows_the_blotters_state_from_its_audit_log(night):
    _, run, html = night
    records = [
        json.loads(line) for line in (run / "blotter" / "audit.jsonl").read_text().splitlines()
    ]
    assert records[-1]["action"] == "PROPOSE"  # the night proposed; nobody approved yet
    assert 'id="blotter-state" class="state PROPOSED">PROPOSED<' in html


def test_sma_review_prints_the_same_tax_figures_as_the_store(night, accounts):
    _, run, _ = night
    from pipelines.cli._review import tax_lines

    text = "\n".join(
        tax_lines(json.loads((run / "summary.json").read_text()), run / "accounts.csv")
    )
    taxable, budgeted = accounts[accounts["taxable"]], accounts[accounts["budgeted"]]

    def usd(x: float) -> str:
        return f"{'-' if round(x) < 0 else ''}${abs(x):,.0f}"

    assert f"est. tax cost {usd(accounts['tax_cost'].sum())}" in text
    assert f"(short {usd(taxable['net_st'].sum())}, long {usd(taxable['net_lt'].sum())})" in text
    assert (
        f"IRA/ROTH {usd(accounts.loc[~accounts['taxable'], ['net_st', 'net_lt']].to_numpy().sum())}, "
        "not taxable"
    ) in text
    assert (
        f"used {usd(budgeted['budget_used'].sum())} of {usd(budgeted['gain_budget'].sum())}" in text
    )
