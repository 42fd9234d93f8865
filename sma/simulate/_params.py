"""The simulator's parameters: strategies, harvest frequency, held-away gains, one frozen
dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sma.market import MarketParams, UniverseParams
from sma.rebalance import EngineParams
from sma.risk import RiskModelParams


class Strategy(StrEnum):
    """What trades an account on the simulated path.

    TRACKING_ONLY: no tax management -- invest flows, raise cash and rebalance on drift toward the
    personalised target, relieving lots FIFO. THRESHOLD: the same plus a classic harvester: sell
    every lot down more than ``harvest_threshold`` (HIFO) and buy the same sector's most correlated
    name. ENGINE: the nightly engine (``sma.rebalance.decide``).
    """

    TRACKING_ONLY = "TRACKING_ONLY"
    THRESHOLD = "THRESHOLD"
    ENGINE = "ENGINE"


class HarvestFrequency(StrEnum):
    """How often decisions are taken (a cash flow also makes its day a decision day)."""

    DAILY = "DAILY"
    WEEKLY = "WEEKLY"  # the first business day of each ISO week
    MONTHLY = "MONTHLY"  # the first business day of each month


class HeldAwayGains(StrEnum):
    """What the client's other gains let net harvested losses offset in the year they are realized.

    UNLIMITED: every net loss saves tax at its own (short- or long-term) rate. LONG_TERM_ONLY: net
    losses offset long-term gains held away, saving at the long-term rate. NONE: net losses offset
    $3,000 of ordinary income (IRC section 1211(b)) and the rest carries forward, keeping its
    character (section 1212(b)).
    """

    UNLIMITED = "UNLIMITED"
    LONG_TERM_ONLY = "LONG_TERM_ONLY"
    NONE = "NONE"


class Profile(StrEnum):
    """How a simulated account is funded and what flows it sees."""

    LUMP_SUM = "LUMP_SUM"  # funded once with cash
    MONTHLY = "MONTHLY"  # a smaller start plus a contribution every month
    WITHDRAWALS = "WITHDRAWALS"  # funded once, then a withdrawal every month
    TRANSITION = (
        "TRANSITION"  # funded in kind: a concentrated low-basis stock plus cash, gain budget
    )


@dataclass(frozen=True)
class SimulationParams:
    """One simulation: the path, the accounts, the tax assumptions and the strategies.

    Money in USD, rates as fractions, tracking error annualised.
    """

    years: int = 10
    vintages: int = 1  # start dates, one year apart on the same path
    first_year: int = 2015  # the first vintage starts on the first business day of this year
    seed: int = 7
    accounts_per_profile: int = 1
    profiles: tuple[Profile, ...] = tuple(Profile)
    initial_value: float = 1_000_000.0
    monthly_contribution: float = 10_000.0  # MONTHLY accounts
    monthly_withdrawal: float = 4_000.0  # WITHDRAWALS accounts (about 5 % a year)
    concentrated_share: float = 0.5  # TRANSITION: the legacy stock's share of the account
    concentrated_basis_share: float = 0.1  # ... its basis as a fraction of its value
    transition_gain_budget: float = 50_000.0  # net gains allowed per year while transitioning
    st_tax_rate: float = 0.408  # 37 % + 3.8 % net investment income tax
    lt_tax_rate: float = 0.238  # 20 % + 3.8 %
    max_tracking_error: float = 0.01  # the tracking-error budget
    cash_target: float = 0.01
    min_trade_value: float = 100.0
    fractional_shares: bool = False  # the accounts allow fractional shares (ENGINE trades them)
    harvest_frequency: HarvestFrequency = HarvestFrequency.WEEKLY
    held_away: HeldAwayGains = HeldAwayGains.UNLIMITED
    strategies: tuple[Strategy, ...] = tuple(Strategy)
    harvest_threshold: float = 0.10  # THRESHOLD: lots down more than this fraction are harvested
    drift_tolerance: float = (
        0.05  # baselines rebalance when half the sum of |w - target| exceeds it
    )
    fill_cost_bps: float = 5.0  # fills at the close, this much worse per side
    risk_history_days: int = 252  # closes behind each monthly risk-model estimate
    engine: EngineParams = field(default_factory=EngineParams)
    risk: RiskModelParams = field(
        default_factory=RiskModelParams
    )  # each monthly risk-model estimate
    market: MarketParams = field(default_factory=MarketParams)  # the path, when none is given
    universe: UniverseParams = field(default_factory=UniverseParams)  # ~500 US large caps
    # Corporate actions on the path, times the realistic yearly rates of the book generator
    # (sma.book.CorporateActionRates: ~24 mergers, ~4 spin-offs a year...); 0 = none.
    corporate_action_rate: float = 1.0

    def __post_init__(self) -> None:
        if self.years < 1 or self.vintages < 1 or self.accounts_per_profile < 1:
            raise ValueError("years, vintages and accounts_per_profile must be at least 1")
        if not 0 <= self.harvest_threshold < 1:
            raise ValueError("harvest_threshold must be a fraction in [0, 1)")
