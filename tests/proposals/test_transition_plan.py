"""A transition plan: the prospect's lots run forward by the engine under each annual gain budget
(issue 21, "Transition plan")."""

import numpy as np
import pytest

from sma.proposals import LOTS_SOLD_COLUMNS, PLAN_COLUMNS, transition_plan
from sma.simulate import HarvestFrequency, HeldAwayGains, SimulationParams
from tests.proposals.small_prospect import small_prospect

BUDGETS = (0.0, 20_000.0, float("inf"))
pytestmark = pytest.mark.slow  # the plan is a year of the simulator under three budgets


@pytest.fixture(scope="module")
def plan():
    path, first, prospect = small_prospect(years=1)
    params = SimulationParams(
        years=1, harvest_frequency=HarvestFrequency.MONTHLY, corporate_action_rate=0.0
    )
    return transition_plan(path, first, prospect, BUDGETS, params), prospect


def test_budget_zero_sells_nothing_but_losses(plan):
    """A $0 budget realizes no gain on any lot it sells (a gain is the amount realized over the
    adjusted basis, IRC section 1001(a)): not even one a harvested loss would net to zero under
    the engine's net budget (Schedule D netting)."""
    result, _ = plan
    zero = result.realized[result.realized["budget"] == 0.0]
    assert len(zero) > 0  # it does trade: losses are harvested
    assert (zero["gain"] <= 0).all()
    assert (
        (result.years.loc[result.years["budget"] == 0.0, ["st_gain", "lt_gain"]] <= 0).all().all()
    )


def test_budget_zero_keeps_the_concentrated_position_that_no_limit_sells(plan):
    result, prospect = plan
    big = str(prospect.lots["symbol"].iloc[0])
    sold = result.lots_sold
    assert not ((sold["budget"] == 0.0) & (sold["symbol"] == big)).any()
    assert ((sold["budget"] == np.inf) & (sold["symbol"] == big)).any()


def test_no_limit_tracks_the_index_closer_than_budget_zero_in_year_one(plan):
    result, _ = plan
    year_one = result.years[result.years["year"] == result.years["year"].min()]
    te = year_one.set_index("budget")["tracking_error"]
    assert te[np.inf] < te[0.0]
    assert te[np.inf] < 0.5 * te[0.0]


def test_a_limited_budget_keeps_each_years_net_gains_within_it(plan):
    """The engine's budget is on net gains per calendar year
    (``sma.ledger.gain_budget_remaining``)."""
    result, _ = plan
    limited = result.years[result.years["budget"] == 20_000.0]
    assert ((limited["st_gain"] + limited["lt_gain"]) <= 20_000.0 + 1.0).all()


def schedule_d(st: float, lt: float) -> tuple[float, float]:
    """A net loss in one term offsets the other term's net gain; what is left keeps the character
    of the term it came from (IRS Schedule D instructions, Part III)."""
    if st < 0 < lt:
        return min(st + lt, 0.0), max(st + lt, 0.0)
    if lt < 0 < st:
        return max(st + lt, 0.0), min(st + lt, 0.0)
    return st, lt


def test_tax_paid_is_each_years_netted_gains_at_the_stated_rates(plan):
    """What is left after netting is taxed at its term's rate; a net loss saves tax at it
    (held-away gains UNLIMITED, the simulator's default)."""
    result, _ = plan
    params = SimulationParams()
    for row in result.years.itertuples():
        st, lt = schedule_d(row.st_gain, row.lt_gain)
        assert row.tax_paid == pytest.approx(params.st_tax_rate * st + params.lt_tax_rate * lt)


def test_the_plan_reports_every_budget_and_year_and_which_lots_went(plan):
    result, prospect = plan
    assert list(result.years.columns) == PLAN_COLUMNS
    assert list(result.lots_sold.columns) == LOTS_SOLD_COLUMNS
    assert set(result.years["budget"]) == set(BUDGETS)
    assert set(result.lots_sold["lot_id"]) <= set(prospect.lot_ids())


def test_the_initial_value_is_the_lots_at_the_first_close_plus_cash(plan):
    result, prospect = plan
    path, first, _ = small_prospect(years=1)
    price = dict(zip(path.symbols, path.closes[first]))
    lots = prospect.lots
    expected = sum(q * price[s] for s, q in zip(lots["symbol"], lots["quantity"]))
    assert result.initial_value == pytest.approx(expected + prospect.cash)


@pytest.fixture(scope="module")
def plan_without_gains_elsewhere(plan):
    """The $0 budget's plan again for a client with no gains held elsewhere (``--held-away
    NONE``): the engine's trades are the same (it weighs each lot at its own rate), only the tax
    the year's net loss saves differs."""
    path, first, prospect = small_prospect(years=1)
    params = SimulationParams(
        years=1,
        harvest_frequency=HarvestFrequency.MONTHLY,
        corporate_action_rate=0.0,
        held_away=HeldAwayGains.NONE,
    )
    return transition_plan(path, first, prospect, (0.0,), params)


def test_without_gains_elsewhere_a_net_loss_saves_tax_on_3000_dollars_only(
    plan, plan_without_gains_elsewhere
):
    """IRC section 1211(b): net capital losses offset at most $3,000 of ordinary income a year, the
    rest carries forward (section 1212(b)). The $0 budget realizes only losses, so its first year
    saves tax on min($3,000, the net loss) at the short-term (ordinary) rate, where the default
    plan saves it on the whole loss."""
    result, _ = plan
    rate = SimulationParams().st_tax_rate
    unlimited = result.years[result.years["budget"] == 0.0].iloc[0]
    none = plan_without_gains_elsewhere.years.iloc[0]
    assert (none.st_gain, none.lt_gain) == pytest.approx((unlimited.st_gain, unlimited.lt_gain))
    loss = -(none.st_gain + none.lt_gain)
    assert loss > 3_000.0  # the limit binds
    assert none.tax_paid == pytest.approx(-rate * 3_000.0)
    assert none.loss_carryforward == pytest.approx(loss - 3_000.0)  # into the next year
    assert unlimited.tax_paid < none.tax_paid and unlimited.loss_carryforward == 0.0
