"""The simulator in fractional shares (issue 17; ``sma simulate --fractional``): a $50k account
that allows them holds fractions of a share (to 0.001), leaves less cash idle than in whole
shares, and the shares it bought and sold add up to what it holds."""

from __future__ import annotations

import numpy as np
import pytest

from sma.simulate import HarvestFrequency, SimulationParams, Strategy, generated_market
from sma.simulate._params import Profile
from sma.simulate._run import _calendar_span, run_vintage, vintage_window


def _month(market, fractional: bool):
    params = SimulationParams(
        years=1,
        initial_value=50_000.0,
        harvest_frequency=HarvestFrequency.WEEKLY,
        strategies=(Strategy.ENGINE,),
        profiles=(Profile.LUMP_SUM,),
        fractional_shares=fractional,
    )
    first, _ = vintage_window(market, params, 0)
    return run_vintage(market, params, Strategy.ENGINE, first, first + 15).run


@pytest.mark.slow
def test_a_fractional_account_holds_fractions_and_leaves_less_cash_idle():
    params = SimulationParams(years=1)
    start, n_days = _calendar_span(params)
    market = generated_market(params.seed, start, n_days, params.market, params.universe)
    whole, fractional = _month(market, False), _month(market, True)
    q = fractional.open_lots["quantity"].to_numpy()
    assert (q != np.round(q)).any() and np.allclose(q, np.round(q, 3))
    assert (whole.open_lots["quantity"] == whole.open_lots["quantity"].round()).all()
    idle = lambda run: (run.cash[-1] / run.value[-1]).item()  # noqa: E731
    assert idle(fractional) < idle(whole)
    traded = fractional.trades
    bought = traded.loc[traded["side"] == "BUY", "quantity"].sum()
    sold = traded.loc[traded["side"] == "SELL", "quantity"].sum()
    assert q.sum() == pytest.approx(bought - sold, abs=1e-6)
