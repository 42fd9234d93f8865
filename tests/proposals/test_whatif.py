"""What-if: each restriction, ESG screen and tilt alone and together, against the plain benchmark
(issue 21, "What-if / customisation impact")."""

import numpy as np
import pandas as pd
import pytest

from sma.accounts import personalised_targets
from sma.proposals import ALL_TOGETHER, PLAIN, plan_accounts, whatif
from sma.rebalance import EngineParams
from sma.risk import RiskModelParams, estimate_risk_model, returns_from_prices
from sma.simulate import SimulationParams
from tests.proposals.small_prospect import small_prospect

NO_RESTRICTIONS = pd.DataFrame(columns=["account_id", "kind", "symbol", "sector", "esg_tag"])
NO_TILTS = pd.DataFrame(columns=["account_id", "sector", "symbol", "multiplier"])


@pytest.fixture(scope="module")
def setting():
    path, first, prospect = small_prospect(years=1)
    model = estimate_risk_model(
        returns_from_prices(path.closes[first - 250 : first + 1]),
        path.symbols,
        path.securities["sector"].to_numpy(str),
        RiskModelParams(),
    )
    account = plan_accounts(
        (float("inf"),), prospect.benchmark_id, SimulationParams(), path.dates[first]
    )
    lots = prospect.lots.assign(account_id=account["account_id"].iloc[0])
    return path, first, prospect, model, account, lots


def run(setting, restrictions, tilts):
    path, first, prospect, model, account, lots = setting
    return whatif(
        account,
        lots,
        prospect.cash,
        restrictions,
        tilts,
        path.securities,
        path.dates[first],
        path.closes[first],
        path.index_weights(first),
        path.benchmark_ids,
        model,
        EngineParams(),
    )


def test_no_restrictions_is_exactly_the_plain_target(setting):
    """No preference: the target is the benchmark with the cash target set aside
    (``personalised_targets`` with no exclusion, tilt or NO_SELL), to the last bit."""
    path, first, _, _, account, _ = setting
    result = run(setting, NO_RESTRICTIONS, NO_TILTS)
    assert list(result.table["scenario"]) == [PLAIN]
    n = path.symbols.size
    direct = personalised_targets(
        path.index_weights(first)[:1],
        np.zeros((1, n), bool),
        np.ones((1, n)),
        np.zeros((1, n)),
        np.zeros((1, n), bool),
        account["cash_target"].to_numpy(float),
    )[0]
    np.testing.assert_array_equal(result.plain, direct)
    np.testing.assert_array_equal(result.targets[0], direct)
    assert result.table["tracking_error"].iloc[0] == 0.0


def test_each_preference_alone_and_together_with_its_tracking_error_from_the_risk_model(setting):
    path, first, _, model, _, _ = setting
    sector = str(path.securities["sector"].iloc[0])
    restrictions = pd.DataFrame(
        {
            "account_id": ["X", "X"],
            "kind": ["EXCLUDE", "EXCLUDE"],
            "symbol": [None, None],
            "sector": [sector, None],
            "esg_tag": [None, "fossil_fuels"],
        }
    )
    tilts = pd.DataFrame(
        {"account_id": ["X"], "sector": [None], "symbol": [path.symbols[5]], "multiplier": [2.0]}
    )
    result = run(setting, restrictions, tilts)
    names = list(result.table["scenario"])
    assert names[0] == PLAIN and names[-1] == ALL_TOGETHER and len(names) == 5
    assert f"EXCLUDE sector {sector}" in names and "ESG screen fossil_fuels" in names
    # Ex-ante tracking error against the plain target, straight from the model's covariance:
    # sqrt(a' (X F X' + D) a).
    sigma = model.exposures @ model.factor_cov @ model.exposures.T + np.diag(model.specific_var)
    active = result.targets - result.plain
    direct = np.sqrt(np.einsum("ki,ij,kj->k", active, sigma, active))
    np.testing.assert_allclose(result.table["tracking_error"], direct, rtol=1e-9, atol=1e-12)
    excluded = path.securities["sector"].to_numpy(str) == sector
    row = names.index(f"EXCLUDE sector {sector}")
    assert (result.targets[row, excluded] == 0).all()


def test_first_year_tax_is_the_nights_gains_at_the_accounts_rates(setting):
    result = run(setting, NO_RESTRICTIONS, NO_TILTS)
    row = result.table.iloc[0]
    params = SimulationParams()
    assert row["tax"] == pytest.approx(
        params.st_tax_rate * row["st_gain"] + params.lt_tax_rate * row["lt_gain"]
    )
    assert row["lt_gain"] > 0  # no budget: the concentrated gain is sold on the first night
    assert row["tax_vs_plain"] == 0.0
