"""A simulated year of weekly nights: the engine beside the baselines, on one path.

PRODUCT.md, "Tax rules": the engine avoids wash sales (IRS Pub. 550, "Wash Sales") and keeps
realized net gains within the gain budget; the ledger books every fill and reports any disallowed
loss, so a violation would show in its realized rows.
"""

import numpy as np
import pandas as pd
import pytest

from pipelines.simulate import write_report
from sma.simulate import HarvestFrequency, SimulationParams, Strategy, simulate
from sma.simulate._metrics import YEAR_COLUMNS
from sma.simulate._params import Profile
from tests.simulate.small_universe import SMALL_UNIVERSE

# Each test simulates a year of nights: minutes in all, so `make test` runs them in the slow group.
pytestmark = pytest.mark.slow

#: A lump sum (losses to harvest) and an in-kind transition (a gain budget), one weekly year.
YEAR = SimulationParams(
    years=1,
    seed=7,
    harvest_frequency=HarvestFrequency.WEEKLY,
    profiles=(Profile.LUMP_SUM, Profile.TRANSITION),
    universe=SMALL_UNIVERSE,
)


@pytest.fixture(scope="module")
def year():
    return simulate(YEAR)


def test_engine_books_no_wash_sale_over_a_year(year):
    """IRS Pub. 550: a loss sale with a household purchase within 30 days is washed; the engine
    avoids it."""
    engine = year.summary[year.summary["strategy"] == Strategy.ENGINE]
    assert len(engine) == len(YEAR.profiles) and engine["wash_sale_violations"].sum() == 0


def test_engine_keeps_realized_gains_within_the_gain_budget(year):
    """PRODUCT.md: realized net gains this year <= gain budget (the transition account has one)."""
    engine = year.years[year.years["strategy"] == Strategy.ENGINE]
    assert engine["gain_budget_breaches"].sum() == 0


def test_engine_tax_alpha_is_at_least_that_of_no_tax_management(year):
    s = year.summary.groupby("strategy")["tax_alpha"].mean()
    assert s[Strategy.ENGINE] >= s[Strategy.TRACKING_ONLY]


def test_engine_harvests_losses_and_tracking_only_does_not_harvest_on_purpose(year):
    s = year.summary.set_index(["strategy", "profile"])
    assert s.loc[(Strategy.ENGINE, Profile.LUMP_SUM), "losses_harvested_pct"] > 0.01
    assert s.loc[(Strategy.TRACKING_ONLY, Profile.LUMP_SUM), "losses_harvested_pct"] == 0.0


def test_every_account_and_year_has_a_row_with_finite_figures(year):
    assert list(year.years.columns) == YEAR_COLUMNS
    assert len(year.years) == len(YEAR.profiles) * len(Strategy)
    numbers = year.years.select_dtypes("number").to_numpy(float)
    assert np.isfinite(numbers).all()


def test_report_is_written_with_html_charts_and_csvs(year, tmp_path):
    files = write_report(year, tmp_path)
    html = files["report"].read_text()
    for section in (
        "Loss-harvest profile",
        "Tax alpha by vintage",
        "Tracking error vs tax alpha",
        "Beside the published results",
        "Chaudhuri",
        "Conventions",
    ):
        assert section in html
    assert html.count("data:image/png;base64,") == 3
    back = pd.read_csv(files["summary"])
    assert len(back) == len(year.summary)


def test_same_seed_gives_identical_results_and_report_bytes(tmp_path):
    small = SimulationParams(
        years=1,
        seed=3,
        profiles=(Profile.MONTHLY,),
        harvest_frequency=HarvestFrequency.MONTHLY,
        strategies=(Strategy.THRESHOLD, Strategy.ENGINE),
        universe=SMALL_UNIVERSE,
    )
    a, b = simulate(small), simulate(small)
    pd.testing.assert_frame_equal(a.years, b.years)
    first = write_report(a, tmp_path / "a")
    second = write_report(b, tmp_path / "b")
    assert all(first[k].read_bytes() == second[k].read_bytes() for k in first)


def test_accounts_dealt_out_to_two_processes_give_the_same_results(year):
    """Each account is its own household: how they are split between processes changes nothing."""
    split = simulate(YEAR, workers=2)
    pd.testing.assert_frame_equal(split.years, year.years)
    pd.testing.assert_frame_equal(split.summary, year.summary)
    assert split.account_days == year.account_days
