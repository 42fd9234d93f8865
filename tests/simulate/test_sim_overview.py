"""The simulation report's overview, as its reader takes it: each row is one strategy's accounts of
one profile, or all of them (``ALL``); the counts (wash sales, gain-budget breaches) are totals over
the row's accounts in every row, so the ALL row is the sum of the profile rows; every other figure
is the mean over the row's accounts; counts print as whole numbers and headers wrap."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from pipelines.simulate import _table, overview
from sma.simulate import COUNT_FIGURES, SUMMARY_FIGURES


def _summary() -> pd.DataFrame:
    """Two strategies; ENGINE has two LUMP_SUM accounts and one TRANSITION account."""
    rows = [
        ("ENGINE", "LUMP_SUM", 0.02, 3, 1),
        ("ENGINE", "LUMP_SUM", 0.04, 2, 0),
        ("ENGINE", "TRANSITION", -0.01, 0, 2),
        ("THRESHOLD", "LUMP_SUM", 0.03, 1, 0),
    ]
    out = []
    for i, (strategy, profile, alpha, by_actions, exceeded) in enumerate(rows):
        figures = {c: 0.0 for c in SUMMARY_FIGURES}
        figures.update(
            tax_alpha=alpha,
            tracking_error=0.005 * (i + 1),
            wash_sale_violations=0,
            wash_sales_by_actions=by_actions,
            gain_budget_breaches=0,
            gain_budget_exceeded_by_actions=exceeded,
        )
        out.append(
            {"strategy": strategy, "vintage": 0, "account_id": f"A{i}", "profile": profile}
            | {"years": 1}
            | figures
        )
    frame = pd.DataFrame(out)
    for c in COUNT_FIGURES:
        frame[c] = frame[c].astype("int64")
    return frame


def _row(table: pd.DataFrame, strategy: str, profile: str) -> pd.Series:
    hit = table[(table["strategy"] == strategy) & (table["profile"] == profile)]
    assert len(hit) == 1, (strategy, profile)
    return hit.iloc[0]


def test_counts_are_totals_in_every_row_and_all_is_the_sum_of_the_profiles():
    table = overview(SimpleNamespace(summary=_summary()))
    lump, transition = _row(table, "ENGINE", "LUMP_SUM"), _row(table, "ENGINE", "TRANSITION")
    everything = _row(table, "ENGINE", "ALL")
    assert lump["wash_sales_by_actions"] == 3 + 2 and lump["gain_budget_exceeded_by_actions"] == 1
    assert transition["gain_budget_exceeded_by_actions"] == 2
    for c in COUNT_FIGURES:
        assert everything[c] == lump[c] + transition[c], c
        assert table[c].dtype == "int64", c


def test_other_figures_are_means_over_the_rows_accounts_and_the_row_says_how_many():
    table = overview(SimpleNamespace(summary=_summary()))
    lump, everything = _row(table, "ENGINE", "LUMP_SUM"), _row(table, "ENGINE", "ALL")
    assert (lump["accounts"], everything["accounts"]) == (2, 3)
    assert abs(lump["tax_alpha"] - (0.02 + 0.04) / 2) < 1e-15
    assert abs(everything["tax_alpha"] - (0.02 + 0.04 - 0.01) / 3) < 1e-15
    assert abs(everything["tracking_error"] - (0.005 + 0.010 + 0.015) / 3) < 1e-15
    assert _row(table, "THRESHOLD", "ALL")["accounts"] == 1
    assert list(table.columns[:3]) == ["strategy", "profile", "accounts"]
    assert list(table.columns[3:]) == SUMMARY_FIGURES


def test_the_html_table_prints_counts_as_whole_numbers_and_wraps_its_headers():
    page = _table(overview(SimpleNamespace(summary=_summary())))
    assert "<th>wash sales by actions</th>" in page and "wash_sales_by_actions" not in page
    assert "<td>5</td>" in page and "5.0000" not in page  # ENGINE LUMP_SUM: 3 + 2 by actions
    assert "<td>0.0300</td>" in page  # ENGINE's LUMP_SUM tax alpha, a mean, to four places
    assert page.startswith("<div class='wide'>")


def test_dollar_columns_print_to_the_cent_with_thousands_separated():
    frame = pd.DataFrame({"strategy": ["ENGINE"], "tax_paid": [-143960.5315], "turnover": [2.5]})
    page = _table(frame)
    assert "<td>-143,960.53</td>" in page and "<td>2.5000</td>" in page
