"""The review page's "Locked-up accounts" section (issue 21, "Lock-up monitor"): the locked-up
accounts with their figures and the remedies the engine quantified; an account that is not locked
up is not listed."""

from __future__ import annotations

import pandas as pd

from sma.lockup import LOCKUP_COLUMNS, REMEDY_COLUMNS, LockupThresholds
from sma.reporting._review_lockup import lockup_section


def lockup_rows() -> pd.DataFrame:
    row = dict(
        account_value=100_000.0,
        appreciated_value=80_000.0,
        appreciated_share=0.8,
        harvest_potential=120.0,
        harvest_potential_share=0.0012,
        wash_blocked_losses=0.0,
        te_before=0.04,
        te_after=0.035,
        max_tracking_error=0.02,
        gain_budget_left=0.0,
        gains_tonight=0.0,
        budget_bound=True,
        te_limit=True,
        locked_up=True,
    )
    free = row | dict(
        harvest_potential=9_000.0, harvest_potential_share=0.09, te_after=0.01, locked_up=False
    )
    frame = pd.DataFrame([{"account_id": "LOCKED1", **row}, {"account_id": "FREE2", **free}])
    return frame[list(LOCKUP_COLUMNS)]


def remedy_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            [
                "LOCKED1",
                "NO_BUDGET",
                "no gain budget this year",
                0.012,
                0.02,
                0.0,
                14_250.0,
                "TRADED",
                "",
            ],
            [
                "LOCKED1",
                "ADD_CASH",
                "add $5,000 of cash (5% of value)",
                0.03,
                0.02,
                0.0,
                0.0,
                "FLAGGED",
                "TE_LIMIT",
            ],
        ],
        columns=list(REMEDY_COLUMNS),
    )


def test_a_locked_up_account_is_listed_with_its_figures_and_remedies():
    html = lockup_section(lockup_rows(), remedy_rows(), None, LockupThresholds())
    table = html[html.index('id="lockup-table"') : html.index('id="remedy-table"')]
    assert 'data-account="LOCKED1"' in table
    assert "80.00%" in table and "$120 (0.12%)" in table and "3.50% (2.00%)" in table
    remedies = html[html.index('id="remedy-table"') :]
    assert "no gain budget this year" in remedies and "$14,250" in remedies
    assert "FLAGGED · TE_LIMIT" in remedies


def test_an_account_that_is_not_locked_up_is_not_listed():
    html = lockup_section(lockup_rows(), remedy_rows(), None)
    assert "FREE2" not in html
    assert "1 of 2 accounts decided tonight are locked up" in html


def test_the_thresholds_in_force_are_stated():
    html = lockup_section(
        lockup_rows(), remedy_rows(), None, LockupThresholds(gain_threshold=1.0, harvest_floor=0.01)
    )
    assert "under 1.00% of its value" in html and "above 100% of its basis" in html


def test_no_locked_up_account_says_so_and_a_run_without_figures_has_no_section():
    free = lockup_rows().assign(locked_up=False)
    html = lockup_section(free, remedy_rows().iloc[0:0], None)
    assert 'class="badge ok">0<' in html and "lockup-table" not in html
    assert lockup_section(None, None, None) == ""


def test_a_locked_up_account_beyond_the_nights_limit_has_no_remedies_shown():
    html = lockup_section(lockup_rows(), None, None)
    assert "No remedies were examined tonight" in html


def test_only_listed_accounts_are_shown_on_a_big_night():
    html = lockup_section(lockup_rows(), remedy_rows(), frozenset({"OTHER"}))
    assert "LOCKED1" not in html
