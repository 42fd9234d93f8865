"""Screen every account of a shard in one vectorised pass for reasons to trade tonight.

Triggers (PRODUCT.md, "The nightly run", step 4): tracking error over tolerance, drift over
tolerance, a harvestable loss worth more than its costs, cash to invest or to raise, a holding
that a restriction now excludes (or a changed restriction), a changed benchmark. An account with
no trigger is not optimised; its decision record says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams
from sma.risk import RiskModel, tracking_error


class Trigger(StrEnum):
    TRACKING_ERROR = "TRACKING_ERROR"
    DRIFT = "DRIFT"
    HARVEST = "HARVEST"
    CASH_INVEST = "CASH_INVEST"
    CASH_RAISE = "CASH_RAISE"
    RESTRICTION = "RESTRICTION"
    BENCHMARK = "BENCHMARK"


@dataclass(frozen=True)
class Screen:
    """The screen of a shard; every array has shape (m,), or (m, n_triggers) for ``fired``.

    fired : bool matrix, columns in ``Trigger`` order
    value : USD account value (holdings + cash + cash flows)
    te : ex-ante tracking error against the personalised target, annual fraction
    drift : half the sum of |weight - target|
    harvestable : USD tax value of losses that could be harvested tonight, net of trading costs
    cash_gap : (cash + flows) / value - cash_target
    """

    fired: np.ndarray
    value: np.ndarray
    te: np.ndarray
    drift: np.ndarray
    harvestable: np.ndarray
    cash_gap: np.ndarray

    @property
    def triggered(self) -> np.ndarray:
        return np.asarray(self.fired.any(axis=1))

    def reasons_of(self, a: int) -> str:
        """One readable line for account ``a``: what fired, with the numbers, or that nothing
        did."""
        names = [t.value for t, f in zip(Trigger, self.fired[a], strict=True) if f]
        facts = (
            f"TE {self.te[a]:.2%}, drift {self.drift[a]:.2%}, harvestable "
            f"${self.harvestable[a]:,.0f}, "
            f"cash vs target {self.cash_gap[a]:+.2%}"
        )
        return f"triggers {', '.join(names)}: {facts}" if names else f"no trigger: {facts}"


def screen_accounts(shard: ShardInputs, model: RiskModel, params: EngineParams) -> Screen:
    """Screen all accounts of the shard at once (no loop over accounts or lots)."""
    value = shard.account_values()
    safe = np.where(value > 0, value, 1.0)
    weights = shard.holdings() / safe[:, None]
    active = weights - shard.target
    te = tracking_error(model, active)
    drift = 0.5 * np.abs(active).sum(axis=1)

    lot_value = shard.lot_values()
    acc = shard.lot_account
    rate = np.where(shard.lot_long_term, shard.lt_rate[acc], shard.st_rate[acc])
    may_harvest = (shard.taxable & shard.tlh_enabled)[acc]
    blocked = (
        shard.loss_sale_blocked[acc, shard.lot_security] | shard.no_sell[acc, shard.lot_security]
    )
    loss = np.clip(shard.lot_basis - lot_value, 0.0, None)
    benefit = np.where(
        may_harvest & ~blocked & (loss > 0), loss * rate - 2 * params.trading_cost * lot_value, 0.0
    )
    harvestable = np.bincount(acc, np.clip(benefit, 0.0, None), minlength=shard.m)

    cash_gap = (shard.cash + shard.cash_flow) / safe - shard.cash_target
    holds_excluded = (weights * shard.exclude).sum(axis=1) > 0

    def flag(x):
        return np.zeros(shard.m, bool) if x is None else np.asarray(x, bool)

    fired = np.column_stack(
        [
            te > params.te_trigger_fraction * shard.max_tracking_error,
            drift > params.drift_tolerance,
            harvestable > np.maximum(params.harvest_min_usd, params.harvest_min_fraction * value),
            cash_gap > params.cash_tolerance,
            cash_gap < 0,
            holds_excluded | flag(shard.restriction_changed),
            flag(shard.benchmark_changed),
        ]
    )
    return Screen(fired & (value > 0)[:, None], value, te, drift, harvestable, cash_gap)
