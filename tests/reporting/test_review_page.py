"""The run review page as HTML: self-contained, exceptions first, figures as given, every
client-supplied string escaped (the issue "Reports people read")."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from reporting_samples import review_data

from sma.reporting import ReportDataError, ReviewData, render_review_page
from sma.reporting._reasons import trades_by_reason
from sma.reporting._review_figures import exception_rows


class Outline(HTMLParser):
    """Ids in document order, table cell texts by table id, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("src", "href"):
            if key in a:
                self.external.append(a[key])
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "script":
            self._script = a.get("id", "code")
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._script is not None:
            self.scripts[self._script] += data


@pytest.fixture(scope="module")
def page() -> tuple[str, Outline]:
    html = render_review_page(review_data())
    outline = Outline()
    outline.feed(html)
    return html, outline


def test_page_shows_exceptions_first_then_trades_distributions_and_accounts(page):
    _, o = page
    order = [
        o.ids.index(i)
        for i in ("headline", "exceptions", "trades-by-reason", "distributions", "accounts")
    ]
    assert order == sorted(order)


def test_page_is_self_contained_with_no_network_reference(page):
    html, o = page
    assert o.external == []
    assert set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"'<>]*", html)) == {
        "http://www.w3.org/2000/svg"
    }
    assert "default-src 'none'" in html  # the browser refuses any fetch


def test_headline_figures_are_the_runs_summary(page):
    html, _ = page
    s = review_data().summary
    assert f">{s['accounts_screened']}<" in html
    assert f"${s['notional']:,.0f}" in html
    assert f"${s['est_tax_saved']:,.0f}" in html


def test_client_text_is_escaped_in_the_markup_and_in_the_data_island(page):
    html, o = page
    assert "<script>alert(1)</script>" not in html
    assert "O&#x27;Neil &amp; Sons &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("</script>") == 2  # the data island and the code, nothing from a client
    data = json.loads(o.scripts["drill-data"])
    assert (
        data["accounts"]["ACC-0001"]["d"]["client_name"]
        == "O'Neil & Sons <script>alert(1)</script>"
    )
    assert data["accounts"]["ACC-0001"]["w"][0][3].endswith("</script><b>x</b>")


def test_exceptions_list_held_failed_flagged_and_compliance_accounts_with_reasons(page):
    _, o = page
    rows = {(r[0], r[2]): r[3] for r in o.tables["exception-table"][1:]}
    assert rows[("ACC-0004", "RECONCILIATION")] == "custodian shows 120 AAPL, lots hold 100"
    assert ("ACC-0006", "SOLVER") in rows and ("ACC-0011", "COMPLIANCE") in rows
    assert rows[("ACC-0009", "TE_LIMIT")] == "tracking error above limit after best trades"
    kinds = [r[2] for r in o.tables["exception-table"][1:]]
    assert kinds.index("COMPLIANCE") < kinds.index("SOLVER"), (
        "kinds that hold an account out come first"
    )


def test_the_page_lists_exactly_the_nights_exceptions_and_invents_none():
    """Issue 13: the page counted 41 exceptions where the CLI and store counted 25, by deriving rows
    of
    its own. The engine writes every exception (a TE_LIMIT breach included) as a typed kind; the
    page
    shows those rows, so its count is the store's."""
    data = review_data()
    decisions = data.decisions.copy()
    decisions.loc[decisions["account_id"] == "ACC-0013", ["te_after", "status"]] = [0.05, "TRADED"]
    rows = exception_rows(ReviewData(**{**data.__dict__, "decisions": decisions}))
    assert len(rows) == len(data.exceptions)
    assert sorted(zip(rows["account_id"], rows["kind"])) == sorted(
        zip(data.exceptions["account_id"], data.exceptions["kind"])
    )
    html = render_review_page(data)
    assert f'<h2>Exceptions <span class="badge">{len(data.exceptions)}</span>' in html


def test_trades_by_reason_add_up_to_the_trades(page):
    data = review_data()
    rows = trades_by_reason(data.trades)
    assert rows["trades"].sum() == len(data.trades)
    assert (rows["bought"] + rows["sold"]).sum() == pytest.approx(data.trades["notional"].sum())
    assert list(rows["reason"]) == ["REBALANCE", "HARVEST", "REPLACE", "CASH_INVEST"]
    _, o = page
    assert [r[0] for r in o.tables["reason-table"][1:]] == list(rows["reason"])


def test_account_table_has_one_sortable_row_per_account_with_raw_values(page):
    html, o = page
    body = o.tables["account-table"][1:]
    assert len(body) == len(review_data().decisions)
    assert 'data-key="te_after" data-type="num"' in html
    assert re.search(r'data-value="0\.0\d+">\d\.\d\d%', html)


def test_drill_down_data_carries_holdings_trades_lots_and_wash_blocks(page):
    _, o = page
    island = json.loads(o.scripts["drill-data"])
    acct = island["accounts"]["ACC-0001"]
    data = review_data()
    mine = data.holdings[data.holdings["account_id"] == "ACC-0001"]
    assert [island["symbols"][s] for s in acct["h"]["s"]] == mine["symbol"].tolist()
    assert [island["sectors"][c] for c in acct["h"]["c"]] == mine["sector"].tolist()
    after = [a / island["unit"] for a in acct["h"]["a"]]
    assert after == pytest.approx(mine["weight_after"].tolist(), abs=1e-6)
    assert len(acct["t"]) == int((data.trades["account_id"] == "ACC-0001").sum())
    assert [lot[1] for lot in acct["l"]] == data.lot_sells.loc[
        data.lot_sells["account_id"] == "ACC-0001", "lot_id"
    ].tolist()
    assert acct["w"][0][:3] == ["INTC", "BUY_BLOCKED", "2026-12-14"]


def test_same_data_gives_the_same_page():
    assert render_review_page(review_data()) == render_review_page(review_data())


def test_a_missing_column_is_named():
    data = review_data()
    with pytest.raises(ReportDataError, match="decisions.te_after"):
        ReviewData(**{**data.__dict__, "decisions": data.decisions.drop(columns="te_after")})


def test_a_night_without_trades_or_exceptions_still_renders():
    data = review_data(n_accounts=12)
    empty = ReviewData(
        **{
            **data.__dict__,
            "trades": data.trades.iloc[0:0],
            "lot_sells": data.lot_sells.iloc[0:0],
            "exceptions": data.exceptions.iloc[0:0],
            "wash_blocks": data.wash_blocks.iloc[0:0],
            "decisions": data.decisions.assign(status="NO_TRADE", te_after=0.001),
        }
    )
    html = render_review_page(empty)
    assert "No exceptions tonight." in html and "No trades tonight." in html
    assert isinstance(empty.trades, pd.DataFrame)


def test_a_big_book_lists_only_the_chosen_accounts_and_says_where_all_of_them_are():
    """A PM opens the page of a 100,000-account night: it lists the accounts chosen for it, the
    headline figures and distributions still cover every account."""
    from dataclasses import replace

    data = review_data()
    chosen = frozenset(data.decisions["account_id"].head(5))
    html = render_review_page(replace(data, listed=chosen, listed_elsewhere="accounts.csv"))
    o = Outline()
    o.feed(html)
    assert {row[0] for row in o.tables["account-table"][1:]} == set(chosen)
    assert f"5 of {len(data.decisions)} accounts listed" in html and "accounts.csv" in html
    assert set(json.loads(o.scripts["drill-data"])["accounts"]) == set(chosen)
    everyone = Outline()
    everyone.feed(render_review_page(data))
    assert o.tables["reason-table"] == everyone.tables["reason-table"]


def test_a_big_books_page_sums_every_accounts_trades_though_it_holds_only_the_listed_ones():
    """A 100,000-account night keeps in memory only the listed accounts' trades; trades by reason
    and each listed account's number of trades still cover the whole night (PRODUCT.md: the PM
    reviews what will trade and why)."""
    from dataclasses import replace

    data = review_data()
    chosen = frozenset(data.decisions["account_id"].iloc[[0, 2, 4, 6, 7]])
    counts = data.trades.groupby("account_id").size().rename("trades").reset_index()
    big = replace(
        data,
        trades=data.trades[data.trades["account_id"].isin(chosen)],
        listed=chosen,
        listed_elsewhere="accounts.csv",
        by_reason=trades_by_reason(data.trades),
        trade_counts=counts,
    )
    page, everyone = Outline(), Outline()
    page.feed(render_review_page(big))
    everyone.feed(render_review_page(data))
    assert page.tables["reason-table"] == everyone.tables["reason-table"]
    assert int(page.tables["reason-table"][1][2]) > len(
        chosen
    )  # accounts per reason: not only the listed
    trades_column = page.tables["account-table"][0].index("Trades")
    listed_rows = {r[0]: r[trades_column] for r in page.tables["account-table"][1:]}
    assert listed_rows == {
        r[0]: r[trades_column] for r in everyone.tables["account-table"][1:] if r[0] in chosen
    }
    island = json.loads(page.scripts["drill-data"])
    assert {a: len(v["t"]) for a, v in island["accounts"].items()} == {
        a: int((data.trades["account_id"] == a).sum()) for a in chosen
    }


def test_the_whole_nights_figures_handed_to_the_page_must_carry_their_columns():
    data = review_data()
    with pytest.raises(ReportDataError, match="by_reason.sold"):
        ReviewData(
            **{**data.__dict__, "by_reason": trades_by_reason(data.trades).drop(columns="sold")}
        )
    with pytest.raises(ReportDataError, match="trade_counts.trades"):
        ReviewData(**{**data.__dict__, "trade_counts": pd.DataFrame({"account_id": ["ACC-0001"]})})
