"""Page one: the seed's questions answered, and the suggested implementation against the firm's
minimums (issue 21; minimums: ``[engine] sma_minimum_usd``, ``uma_minimum_usd``, issue 19)."""

import numpy as np
import pandas as pd
import pytest

from sma.inbox import Implementation
from sma.proposals import page_one_answers, prospect_profile, suggested_implementation

DAY = np.datetime64("2026-01-02")
LOTS = pd.DataFrame(
    {
        "account_id": ["IRA", "JOINT", "JOINT", "JOINT"],
        "symbol": ["BIG", "BIG", "FUND", "SMALL"],
        "quantity": [1000.0, 3000.0, 1000.0, 100.0],
        "cost_basis": [10_000.0, 30_000.0, 80_000.0, 12_000.0],
        "acquired_date": ["2010-01-04", "2012-06-01", "2020-01-02", "2025-09-01"],
    }
)
PRICES = pd.Series({"BIG": 100.0, "FUND": 100.0, "SMALL": 100.0})


def profile(cash=90_000.0, sma_minimum=250_000.0, uma_minimum=50_000.0):
    return prospect_profile(LOTS, cash, PRICES, {"BIG", "SMALL"}, DAY, sma_minimum, uma_minimum)


def test_page_one_answers_size_complexity_legacy_funding_and_accounts():
    p = profile()
    assert p.value == pytest.approx(400_000 + 100_000 + 10_000 + 90_000)
    assert p.accounts == 2 and p.lots == 4
    assert p.largest["symbol"] == "BIG" and p.largest["share"] == pytest.approx(400_000 / 600_000)
    assert list(p.outside["symbol"]) == ["FUND"]
    assert p.unrealized_gain == pytest.approx(360_000 + 20_000 - 2_000)
    assert p.short_term_lots == 1  # SMALL, held four months (IRC section 1222)
    assert p.complexity.startswith("complex")
    answers = dict(page_one_answers(p))
    assert list(answers) == [
        "Portfolio size",
        "Complexity",
        "Legacy positions",
        "Funding",
        "Number of accounts",
        "Suggested implementation",
    ]
    assert "$600,000" in answers["Portfolio size"] and "FUND" in answers["Legacy positions"]
    assert answers["Number of accounts"] == "2"
    assert answers["Suggested implementation"] == "Manager-traded SMA"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (250_000.0, Implementation.MANAGER_TRADED),
        (249_999.0, Implementation.UMA),
        (50_000.0, Implementation.UMA),
        (49_999.0, None),
    ],
)
def test_the_implementation_follows_the_firms_minimums(value, expected):
    implementation, why = suggested_implementation(value, 250_000.0, 50_000.0, 0.0)
    assert implementation == expected
    assert f"${value:,.0f}" in why


def test_a_large_outside_share_mentions_a_uma_sleeve_beside_the_sma():
    _, why = suggested_implementation(1e6, 250_000.0, 50_000.0, 0.4)
    assert "sleeve" in why


def test_lots_of_two_accounts_sharing_an_id_are_told_apart_by_their_account():
    from sma.proposals import Prospect

    lots = LOTS.assign(lot_id=["1", "1", "2", "3"])
    ids = Prospect(lots, 0.0, "LC500", pd.DataFrame()).lot_ids()
    assert list(ids) == ["IRA-1", "JOINT-1", "JOINT-2", "JOINT-3"]
    assert list(Prospect(LOTS, 0.0, "LC500", pd.DataFrame()).lot_ids()) == [
        "LOT-1",
        "LOT-2",
        "LOT-3",
        "LOT-4",
    ]
    same = lots.drop(columns="account_id")
    assert len(set(Prospect(same, 0.0, "LC500", pd.DataFrame()).lot_ids())) == 4
