"""What a generated book looks like: one frozen dataclass of parameters, every default in one
place."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sma.book._corporate import CorporateActionRates
from sma.book._uma import STANDARD_MODELS, ModelDefinition
from sma.errors import SmaError
from sma.market import STANDARD_BENCHMARKS, BenchmarkDefinition, MarketParams, UniverseParams


class Funding(StrEnum):
    """How an account came to hold what it holds."""

    CASH = "CASH"  # newly funded with cash: no lots yet
    LUMP_SUM = "LUMP_SUM"  # invested at inception, a few lots added since
    MONTHLY = "MONTHLY"  # years of monthly contributions, each buying some names
    LEGACY = "LEGACY"  # a concentrated legacy stock with a low basis, plus the index


class BookError(SmaError, ValueError):
    """The book cannot be generated with these inputs (which input, and why)."""


@dataclass(frozen=True)
class BookParams:
    """Parameters of the book generator.

    Shares are fractions of accounts unless said otherwise; money in USD; days are business days.
    """

    price_days: int = 783  # closes written to the inbox: about three years (the contract needs one)
    history_years: int = 10  # oldest account inception; closes are simulated back that far
    universe: UniverseParams = field(default_factory=UniverseParams)
    market: MarketParams = field(default_factory=MarketParams)
    benchmarks: tuple[BenchmarkDefinition, ...] = STANDARD_BENCHMARKS
    benchmark_shares: tuple[float, ...] = (0.75, 0.12, 0.13)  # one per benchmark
    household_sizes: tuple[float, ...] = (0.45, 0.30, 0.15, 0.10)  # P(1, 2, 3, 4 accounts)
    median_value: float = 500_000.0
    value_sigma: float = 1.1  # of log account value
    min_value: float = 50_000.0
    max_value: float = 20_000_000.0
    funding_shares: tuple[tuple[Funding, float], ...] = (
        (Funding.CASH, 0.06),
        (Funding.LUMP_SUM, 0.30),
        (Funding.MONTHLY, 0.54),
        (Funding.LEGACY, 0.10),
    )
    min_names: int = 120  # names held by a $50k account; more with size, up to the whole index
    names_per_doubling: float = 70.0
    lots_lump_sum: float = 2.5  # mean extra lots per position after the first
    lots_monthly_min: float = 1.5  # monthly contributors: one extra lot per 6 months, within these
    lots_monthly_max: float = 9.0
    heavy_lot_share: float = 0.003  # accounts whose positions carry 50+ lots each
    heavy_lots: float = 55.0
    restriction_share: float = 0.25
    new_restriction_share: float = 0.15  # of restrictions: added tonight, so still held
    tilt_share: float = 0.10
    gain_budget_share: float = 0.30  # of taxable accounts (most legacy accounts have one)
    cash_flow_share: float = 0.08
    recent_sell_share: float = 0.03  # of positions: a sale in the last 31 days
    wash_adjusted_share: float = (
        0.003  # of taxable lots: holding period carried over by a wash sale
    )
    tlh_off_taxable_share: float = 0.10
    # Custodians offer fractional shares mostly to smaller accounts: this share of the accounts
    # worth less than ``fractional_below_usd`` allow them (the inbox's ``fractional_shares``).
    fractional_share: float = 0.30
    fractional_below_usd: float = 250_000.0
    transaction_days: int = 31  # calendar days of transactions before the as-of date, inclusive
    # Accounts are drawn and written in parts of about this many (whole households), each part
    # from its own random stream: memory stays bounded and a part can be written as it is drawn.
    accounts_per_part: int = 2000
    # Corporate actions going ex on the as-of date, a year across the universe, per kind.
    corporate_actions: CorporateActionRates = field(default_factory=CorporateActionRates)
    # Issue 19: the model-delivered UMA. Outside managers' models (a version every quarter) and
    # the share of accounts implemented as UMAs, each with 2-4 model sleeves and a cash sleeve.
    models: tuple[ModelDefinition, ...] = STANDARD_MODELS
    model_versions: int = 4  # per model, the latest one offset_days before the as-of date
    model_version_days: int = 63  # business days between a model's versions: a quarter
    uma_share: float = 0.25
    max_sleeves: int = 4  # model sleeves per UMA account, at least 2
