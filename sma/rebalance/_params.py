"""The engine's parameters: one frozen dataclass, every default documented."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SignMethod(StrEnum):
    """How the non-convex rule "no buy and loss sale of one security" is enforced.

    TWO_STEP: Moehle et al. (2021), section 5 — solve the convex relaxation (each security's
    trade cost replaced by its convex envelope, i.e. buys and lot sells both allowed), take each
    conflicting security's side from the sign of its relaxed net trade, and solve again with those
    sides fixed. TWO_STEP_LOCAL: the same two steps, but each contested group's side is the one
    whose removal costs less at the relaxed solution (second-order change of the objective with the
    other trades held), which measured closer to exhaustive search (benchmarks/bench_engine.py
    --quality). RELAX_AND_NET: the weak heuristic the paper improves on — solve the relaxation and
    net each conflicting security's buy against its loss sales, without solving again.

    After either two-step rule, ``EngineParams.sign_search_solves`` > 0 improves the sides by a
    local search (``_sign_search``), which measured far closer still (benchmarks/bench_engine.py
    --quality).
    """

    TWO_STEP = "TWO_STEP"
    TWO_STEP_LOCAL = "TWO_STEP_LOCAL"
    RELAX_AND_NET = "RELAX_AND_NET"


@dataclass(frozen=True)
class EngineParams:
    """What the nightly decision trades off and tolerates.

    Objective (weights of account value): ``risk_aversion * TE^2 + tax cost + trading cost``.
    """

    risk_aversion: float = (
        50.0  # 1 % TE (annual) costs as much as 50 bp of tax: 50 * 0.01^2 = 0.005
    )
    trading_cost_bps: float = 5.0  # per side, on notional
    exclusion_penalty: float = (
        1.0  # per unit of weight still held in an EXCLUDE name: sell out first
    )
    max_overweight: float = 0.05  # a buy may lift a position at most 5 pp above its target
    te_escalations: int = (
        2  # re-solves with risk aversion raised while TE stays above the account's max
    )
    te_escalation_factor: float = 4.0  # ... each time by this factor (50 -> 200 -> 800)
    # ... and straight away, without the side search, when the two-step answer's TE is above this
    # multiple of the max (the search rarely lowers TE by a fifth; inf: always search first); the
    # first rung is skipped when its answer is forecast above it from the lot buckets (``_decide``)
    te_escalation_skip_search: float = 1.25
    te_trigger_fraction: float = 0.8  # screen: TE above 80 % of the account's max_tracking_error
    drift_tolerance: float = 0.05  # screen: half the sum of |weight - target| above 5 %
    harvest_min_usd: float = (
        250.0  # screen: tax value of harvestable losses, net of costs, above this
    )
    harvest_min_fraction: float = 0.0005  # ... and above 5 bp of account value
    cash_tolerance: float = 0.005  # screen: cash more than 0.5 pp above target is cash to invest
    idle_cash_tolerance: float = (
        0.02  # cash still more than 2 pp above target after the night's trades: IDLE_CASH
    )
    sign_method: SignMethod = SignMethod.TWO_STEP_LOCAL
    # then flip sides while that helps: at least this many convex solves (0: no search) ...
    sign_search_solves: int = 4
    # ... and more while each solve's variables add up to at most this much work, a budget of time
    # in units that do not depend on the machine: a 12-name account (~50 variables) gets the cap, a
    # 500-name account with 20 lots a position (~10,000) the floor (bench_engine.py --quality)
    sign_search_work: int = 16_000
    sign_search_max_solves: int = 12
    solver_tolerance: float = (
        1e-6  # duality gap relative to |objective| (objective within ~1e-7 of Clarabel)
    )
    relaxation_tolerance: float = (
        3e-2  # the relaxation only picks sides: a loose solve (3 % gap) suffices
    )
    screen_margin: float = (
        5e-3  # lot sales costing 50 bp more than they gain are left out first (KKT-checked)
    )
    solver_max_iterations: int = 80
    min_trade_resolves: int = (
        2  # re-solves with only the trades that survive whole shares and min_trade_value
    )
    min_trade_resolve_fraction: float = (
        1e-3  # ... when the dropped trades add up to more than 0.1 % of value
    )
    trade_epsilon: float = 1e-7  # weights below this count as no trade when reading a solution
    fractional_decimals: int = 3  # a fractional-shares account trades to 0.001 share (custodian's)
    sma_minimum_usd: float = (
        250_000.0  # the firm's minimum for a manager-traded SMA (USD): below it, BELOW_MINIMUM
    )
    uma_minimum_usd: float = (
        50_000.0  # ... for a unified managed account (issue 19): below it, BELOW_MINIMUM
    )

    @property
    def trading_cost(self) -> float:
        return self.trading_cost_bps * 1e-4
