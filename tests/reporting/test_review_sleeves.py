"""The review page's sleeve view per UMA account (issue 19, "Reports": "review page with a sleeve
view per UMA account"): each sleeve's model, target, weight before and after, drift after against
its band, active share to its model and tax cost; a sleeve out of its band is marked."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from reporting_samples import review_data

from sma.reporting import ReportDataError, render_review_page
from sma.reporting._review_sleeves import fit_section, savings_section, sleeves_section


def _sleeves() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["U<1>", "U<1>"],
            "sleeve_id": ["CORE", "GROWTH"],
            "model_id": ["NW_CORE", "BW_GROWTH"],
            "target_weight": [0.6, 0.4],
            "weight_before": [0.7, 0.3],
            "weight_after": [0.62, 0.38],
            "drift_after": [0.02, -0.08],
            "drift_band": [0.05, 0.05],
            "within_band_after": [True, False],
            "active_share_before": [0.3, 0.5],
            "active_share_after": [0.1, 0.2],
            "bought": [0.0, 12_000.0],
            "sold": [9_000.0, 0.0],
            "transferred_in": [0.0, 2_500.0],
            "transferred_out": [2_500.0, 0.0],
            "tax_cost": [-350.0, 0.0],
        }
    )


def test_each_sleeve_shows_its_drift_against_its_band_and_an_out_of_band_one_is_marked():
    html = sleeves_section(_sleeves(), None)
    assert html.startswith('<section id="sleeves">') and "U&lt;1&gt;" in html and "U<1>" not in html
    assert "1 sleeve(s) outside their drift band" in html
    assert '<td class="num alert">-8.00% (5.00%)</td>' in html
    assert '<td class="num">+2.00% (5.00%)</td>' in html
    assert "$2,500 / $0" in html and "-$350" in html


def test_a_sleeve_still_out_of_band_is_an_exception_naming_its_drift_band_and_why():
    # issue 19: a sleeve no move of whole lots brings inside its band is flagged to the PM with
    # the reason (sma.uma.keep_in_band), below the sleeve table and from the exceptions section
    sleeves = _sleeves().assign(band_reason=["", "only a <trade> brings this sleeve in"])
    html = sleeves_section(sleeves, None)
    table = html.split('id="sleeve-band-table"')[1]
    assert table.count("<tr data-account=") == 1
    assert '<tr data-account="U&lt;1&gt;" data-sleeve="GROWTH">' in table
    assert '<td class="num alert">-8.00%</td><td class="num">5.00%</td>' in table
    assert "only a &lt;trade&gt; brings this sleeve in" in table
    page = render_review_page(replace(review_data(), sleeves=sleeves))
    exceptions = page.split('<section id="exceptions">')[1].split("</section>")[0]
    assert "1 UMA sleeve(s) end the night outside their drift band" in exceptions
    assert 'href="#sleeve-band-exceptions"' in exceptions


def test_sleeves_all_in_band_list_no_band_exception():
    in_band = _sleeves().assign(within_band_after=True)
    assert 'id="sleeve-band-table"' not in sleeves_section(in_band, None)
    assert '<span class="badge ok">2</span>' in sleeves_section(in_band, None)  # nothing alarms
    assert '<span class="badge">2</span>' in sleeves_section(_sleeves(), None)
    page = render_review_page(replace(review_data(), sleeves=in_band))
    assert 'id="sleeve-band-note"' not in page
    # records written before the reason existed still list the sleeve, without a reason
    assert "no reason recorded" in sleeves_section(_sleeves(), None)


def test_a_night_without_uma_sleeves_has_no_sleeve_section():
    assert sleeves_section(None, None) == "" and sleeves_section(_sleeves().iloc[:0], None) == ""
    assert 'id="sleeves"' not in render_review_page(review_data())


def test_the_page_lists_the_sleeves_of_the_listed_accounts_only():
    assert sleeves_section(_sleeves(), frozenset({"OTHER"})).count("<tr data-account") == 0
    page = render_review_page(replace(review_data(), sleeves=_sleeves()))
    assert page.count('<tr data-account="U&lt;1&gt;">') == 2


def test_sleeve_records_missing_a_column_are_refused():
    with pytest.raises(ReportDataError):
        replace(review_data(), sleeves=_sleeves().drop(columns="drift_band"))


def _savings() -> pd.DataFrame:
    """The hand-worked example of tests/uma/test_uma_overlay_savings.py: two sleeves trading XXX
    in opposite directions on their own, netted by the overlay."""
    return pd.DataFrame(
        {
            "account_id": ["U<1>"],
            "trades_independent": [4],
            "trades_overlay": [2],
            "traded_independent": [10_000.0],
            "traded_overlay": [5_000.0],
            "gain_st_independent": [250.0],
            "gain_lt_independent": [500.0],
            "gain_st_overlay": [0.0],
            "gain_lt_overlay": [500.0],
            "tax_saved": [100.0],
            "wash_sales_independent": [1],
            "wash_sales_overlay": [0],
        }
    )


def test_what_the_overlay_saved_shows_the_sleeves_alone_against_the_overlay():
    """Issue 19: "reports the difference: trades netted away, gains not realized, wash sales
    avoided. Shown on the review page"."""
    html = savings_section(_savings(), None)
    assert html.startswith('<section id="overlay-savings">') and "U&lt;1&gt;" in html
    cells = [
        "4 / 2",
        "$10,000 / $5,000",
        "$5,000",
        "$250 / $500",
        "$0 / $500",
        "$250",
        "$100",
        "1 / 0",
    ]
    assert all(f'<td class="num">{c}</td>' in html for c in cells)
    assert savings_section(None, None) == "" and savings_section(_savings().iloc[:0], None) == ""
    assert savings_section(_savings(), frozenset({"OTHER"})).count("<tr data-account") == 0
    page = render_review_page(replace(review_data(), overlay_savings=_savings()))
    assert page.count('<tr data-account="U&lt;1&gt;">') == 1
    with pytest.raises(ReportDataError):
        replace(review_data(), overlay_savings=_savings().drop(columns="tax_saved"))


def test_the_structure_fit_line_of_each_household_is_on_the_page():
    """Issue 19, "Minimums": "a per-household 'structure fit' line on the review page"."""
    fits = pd.DataFrame(
        {
            "household_id": ["H<2>", "H1"],
            "value": [180_000.0, 1_200_000.0],
            "fit": [
                "UMA fits: $180k (under the $250k SMA minimum), 3 managers, 1 account",
                "Manager-traded SMA fits: $1.2M, 1 account, legacy AAPL 28 %",
            ],
        }
    )
    html = fit_section(fits)
    assert html.index('data-household="H1"') < html.index('data-household="H&lt;2&gt;"')
    assert '<td class="num">$180,000</td><td>UMA fits: $180k (under the $250k' in html
    assert fit_section(None) == "" and fit_section(fits.iloc[:0]) == ""
    page = render_review_page(replace(review_data(), structure_fit=fits))
    assert "Manager-traded SMA fits: $1.2M, 1 account, legacy AAPL 28 %" in page
    with pytest.raises(ReportDataError):
        replace(review_data(), structure_fit=fits.drop(columns="fit"))
