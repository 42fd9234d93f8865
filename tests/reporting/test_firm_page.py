"""The firm view's page (issue 21, "Firm view"): each figure names the query it came from, the
appendix prints that query, and a night without lock-up files says so instead of showing zero."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sma.reporting import FirmPage, render_firm_page

QUERIES = {
    "LATEST_RUN": "SELECT 1 -- latest",
    "BUDGET_TOTALS": "SELECT 2 -- budget",
    "LOCKUP_TOTALS": "SELECT 3 -- lockup",
    "LOCKED_UP": "SELECT 4 -- locked",
    "HARVEST_BY_MONTH": "SELECT 5 -- harvest",
}


def results(**extra) -> dict[str, pd.DataFrame | None]:
    return {
        "LATEST_RUN": pd.DataFrame(
            {"as_of_date": [date(2026, 11, 3)], "accounts": [120], "accounts_traded": [40]}
        ),
        "BUDGET_TOTALS": pd.DataFrame(
            {
                "total_budget": [200_000.0],
                "realized_within_budgets": [50_000.0],
                "accounts_with_budget": [1],
                "accounts_over_90pct": [2],
            }
        ),
        "HARVEST_BY_MONTH": pd.DataFrame(
            {
                "month": ["2026-10", "2026-11"],
                "nights": [22, 2],
                "account_nights_harvesting": [30, 4],
                "losses_harvested": [100_000.0, 25_000.0],
                "est_tax_saved": [30_000.0, 7_500.0],
            }
        ),
        **extra,
    }


def page(**extra) -> str:
    return render_firm_page(FirmPage(date(2026, 11, 3), results(**extra), QUERIES, "/runs/x"))


def test_headline_figures_carry_their_query_name():
    html = page()
    assert 'data-query="BUDGET_TOTALS"><div class="label">Gain budget used this year' in html
    assert "$50,000" in html and "of $200,000 budgeted (25%), over 1 account with a budget" in html
    assert 'title="query HARVEST_BY_MONTH"' in html and "$125,000" in html


def test_the_appendix_prints_every_query_under_its_name():
    html = page()
    for name, sql in QUERIES.items():
        assert f'<h3 id="q-{name}">{name}</h3><pre class="sql">{sql}</pre>' in html


def test_a_night_without_lockup_files_says_not_available():
    html = page(LOCKUP_TOTALS=None, LOCKED_UP=None)
    section = html[html.index('<section id="lockup"') :]
    assert "Not available for this night" in section[: section.index("</section>")]
    assert "Locked-up accounts</div>" not in html  # no headline card from a missing file


def test_locked_up_accounts_are_a_red_card_and_an_empty_list_says_none():
    html = page(
        LOCKUP_TOTALS=pd.DataFrame(
            {
                "accounts": [120],
                "locked_up": [0],
                "harvest_potential": [1e6],
                "harvest_share": [0.02],
            }
        ),
        LOCKED_UP=pd.DataFrame(columns=["account_id"]),
    )
    assert ">0 of 120<" in html and 'class="card alert" title="query LOCKUP_TOTALS"' not in html
    assert "No account is locked up." in html
