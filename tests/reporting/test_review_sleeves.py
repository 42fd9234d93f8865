"""The review page's sleeve view per UMA account (issue 19, "Reports": "review page with a sleeve
view per UMA account"): each sleeve's model, target, weight before and after, drift after against
its band, active share to its model and tax cost; a sleeve out of its band is marked."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from reporting_samples import review_data

from sma.reporting import ReportDataError, render_review_page
from sma.reporting._review_sleeves import sleeves_section


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
