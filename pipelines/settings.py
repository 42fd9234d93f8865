"""One typed settings object for a night, read from a TOML file and ``SMA_<SECTION>__<KEY>``
overrides.

Everything a firm configures lives here with its default and one line of meaning; nothing else in
the code hides a default. The file is ``sma.toml`` in the working folder, or the path in
``SMA_CONFIG``; ``config/sma.example.toml`` lists every key with its default
(``python -m pipelines.settings_doc`` writes it from this module).

The ``[engine]``, ``[risk]``, ``[compliance]`` and ``[fills]`` sections are the firm-wide parameters
of the
domain's frozen dataclasses (``EngineParams``, ``RiskModelParams``, ``ComplianceLimits``,
``FillLimits``): their
defaults are read from those dataclasses, the rules a value must meet are checked here, where the
input is read, and :class:`Settings` converts them (``engine_params()`` ...) for ``sma`` — which
never imports this module. Per-account parameters (tax rates, tracking-error budget, gain budget,
minimum trade, cash target) come from the inbox's ``accounts`` file, not from here.

Unknown sections and keys are errors, so a misspelt key cannot silently leave a default in force.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pipelines.errors import PipelineError
from pipelines.orchestration import AirflowSettings, AlertSettings
from sma.compliance import ComplianceLimits
from sma.lockup import LockupThresholds
from sma.rebalance import EngineParams, SignMethod
from sma.risk import RiskModelParams
from sma.trading import FillLimits

_ENGINE = EngineParams()
_RISK = RiskModelParams()
_LIMITS = ComplianceLimits()
_FILLS = FillLimits()


class _Section(BaseModel):
    """A ``[section]`` of the file: a key it does not know is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class StoreSettings(_Section):
    """The store: every night's inbox snapshot, runs, fills and history."""

    path: Path = Path("out/store.duckdb")
    """The one DuckDB file; one writer at a time."""


class StorageSettings(_Section):
    """The exchange between a night's tasks, which may run on different machines."""

    uri: str = "out/storage"
    """Where shard tasks exchange Parquet: a local folder or any fsspec URI (s3://, gs://, ...)."""


class RunSettings(_Section):
    """The files people read, per run."""

    dir: Path = Path("out/runs")
    """Blotters, review pages, decision records, one folder per run."""


class ValidationSettings(_Section):
    """Reading and checking the inbox (sma validate and a night's ingest)."""

    # Files are read in batches, so max_file_bytes guards against absurd files, not memory: 100,000
    # accounts are ~7.6 GB of lots CSV, ~0.9 GB of lots Parquet that decodes to ~13 GB. Python holds
    # about (check_threads + 1) batches of batch_rows while DuckDB stages the one before; with a 2GB
    # staging_memory_limit a 100,000-account book (173M rows) ingested at a peak RSS of 3.6 GB.
    max_file_bytes: int = Field(32 * 1024**3, ge=1)
    """Larger inbox files are refused unread (a Parquet file: also when it would decode to more)."""
    max_errors_reported: int = Field(1000, ge=1)
    """Issues listed in the report and kept in memory; the store quarantines all."""
    batch_rows: int = Field(250_000, ge=1)
    """Records typed and checked at a time."""
    check_threads: int = Field(2, ge=1)
    """Batches checked at once while DuckDB stages the one before."""
    staging_memory_limit: str = Field(
        "2GB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
    )
    """DuckDB's working memory while staging and loading the inbox; beyond it DuckDB spills to disk."""
    staging_dir: Path | None = None
    """Folder for the staged inbox and DuckDB's spills (removed afterwards); unset = beside the
    store for a night, the system's temporary folder for `sma validate`."""
    benchmark_weight_tolerance: float = Field(1e-6, ge=0)
    """|sum(weights) - 1| allowed per benchmark."""
    reconciliation_tolerance_shares: float = Field(1e-6, ge=0)
    """Shares by which an account's lots may differ from the custodian's position before the
    account is held."""


#: Keys that left ``[night]``: an old file naming them fails, saying where the key lives now.
MOVED_FROM_NIGHT = {
    "price_collar": "[compliance] price_collar",
    "max_order_notional": "[compliance] max_order_notional",
    "max_share_of_daily_volume": "[compliance] max_share_of_daily_volume",
    "risk_history_days": "[risk] history_days",
}


class NightSettings(_Section):
    """How a night's work is split and shown."""

    accounts_per_shard: int = Field(250, ge=1)
    """Accounts decided by one shard task; households are never split across shards."""
    workers: int = Field(2, ge=1)
    """Processes deciding shards in `sma nightly`."""
    review_list_limit: int = Field(2000, ge=1)
    """Accounts the review page lists (exceptions first); accounts.csv has them all."""
    prepare_memory_limit: str = "2GB"
    """DuckDB's memory while prepare writes the book's lots per shard; beyond it DuckDB spills to disk."""

    @model_validator(mode="before")
    @classmethod
    def _no_moved_keys(cls, data):
        if isinstance(data, dict):
            moved = [
                f"[night] {k} is now {MOVED_FROM_NIGHT[k]}" for k in data if k in MOVED_FROM_NIGHT
            ]
            if moved:
                raise ValueError("; ".join(moved))
        return data


class BlotterSettings(_Section):
    """Blotters: who may act on them, and how they are built."""

    users_file: Path = Path("config/users.toml")
    """Who is a PM, a trader, operations: logins, their roles and their public keys."""
    keys_dir: Path = Path("~/.config/sma")
    """Where each login keeps its private signing key, ``<login>.ed25519`` (``~`` is the login's home)."""
    rows_per_part: int = Field(1_000_000, ge=1)
    """Proposed trades and lot sells (whole block orders) the blotter is built from at a time; a
    million peaked at 1.1 GB."""


class EngineSettings(_Section):
    """The engine (sma.rebalance.EngineParams); it minimises risk_aversion * TE^2 + tax + trading
    cost."""

    risk_aversion: float = Field(_ENGINE.risk_aversion, gt=0)
    """Weight of tracking error squared against tax: at 50, 1 % TE (annual) costs as much as 50 bp of tax."""
    trading_cost_bps: float = Field(_ENGINE.trading_cost_bps, ge=0)
    """Cost per side, bp of notional."""
    exclusion_penalty: float = Field(_ENGINE.exclusion_penalty, ge=0)
    """Cost per unit of weight still held in an EXCLUDE name: sells out first."""
    max_overweight: float = Field(_ENGINE.max_overweight, ge=0, le=1)
    """A buy may lift a position at most this far (weight) above its target."""
    te_escalations: int = Field(_ENGINE.te_escalations, ge=0)
    """Re-solves with risk aversion raised while TE stays above the account's max_tracking_error."""
    te_escalation_factor: float = Field(_ENGINE.te_escalation_factor, ge=1)
    """Each re-solve multiplies risk aversion by this."""
    te_escalation_skip_search: float = Field(_ENGINE.te_escalation_skip_search, ge=1)
    """Before the last re-solve, an answer whose TE is above this multiple of max_tracking_error
    before the side search is re-solved at once, without the search (inf: always search first)."""
    te_trigger_fraction: float = Field(_ENGINE.te_trigger_fraction, gt=0)
    """Screen: an account trades when its TE is above this fraction of its max_tracking_error."""
    drift_tolerance: float = Field(_ENGINE.drift_tolerance, ge=0, le=1)
    """Screen: an account trades when half the sum of |weight - target| is above this."""
    harvest_min_usd: float = Field(_ENGINE.harvest_min_usd, ge=0)
    """Screen: harvest when the tax value of harvestable losses, net of costs, is above this many USD ..."""
    harvest_min_fraction: float = Field(_ENGINE.harvest_min_fraction, ge=0, lt=1)
    """... and above this fraction of account value."""
    cash_tolerance: float = Field(_ENGINE.cash_tolerance, ge=0, le=1)
    """Screen: cash more than this fraction above the account's cash_target is cash to invest."""
    idle_cash_tolerance: float = Field(_ENGINE.idle_cash_tolerance, ge=0, le=1)
    """Cash still more than this fraction above the cash_target after the night's trades flags the
    account to the PM (IDLE_CASH), with what keeps it uninvested."""
    sign_method: SignMethod = _ENGINE.sign_method
    """How "no buy beside a loss sale of one security" is enforced (sma/rebalance/_params.py)."""
    sign_search_solves: int = Field(_ENGINE.sign_search_solves, ge=0)
    """After the two-step answer, the buy/sell side of contested securities is flipped while that
    lowers the objective, for at most this many convex solves per account (0: the two steps alone).
    A budget in solves, not milliseconds, so the same inputs give the same trades on any machine."""
    sign_search_work: int = Field(_ENGINE.sign_search_work, ge=0)
    """More side-search solves than ``sign_search_solves`` while their variables (trade variables
    per solve, summed) stay within this: small accounts, whose solves are cheap, search further."""
    sign_search_max_solves: int = Field(_ENGINE.sign_search_max_solves, ge=0)
    """The most side-search solves any account gets."""
    solver_tolerance: float = Field(_ENGINE.solver_tolerance, gt=0, lt=1)
    """Duality gap, relative to |objective|, at which a solve stops."""
    relaxation_tolerance: float = Field(_ENGINE.relaxation_tolerance, gt=0, lt=1)
    """The same for the relaxation, which only picks sides, so a loose solve suffices."""
    screen_margin: float = Field(_ENGINE.screen_margin, ge=0)
    """Lot sales costing this much more than they gain (fraction of value) are left out of the
    problem first (KKT-checked)."""
    solver_max_iterations: int = Field(_ENGINE.solver_max_iterations, ge=1)
    """Iterations before a solve is given up (the account falls back to no trade)."""
    min_trade_resolves: int = Field(_ENGINE.min_trade_resolves, ge=0)
    """Re-solves with only the trades big enough to survive whole shares and min_trade_value."""
    min_trade_resolve_fraction: float = Field(_ENGINE.min_trade_resolve_fraction, ge=0, le=1)
    """... made when the trades rounding dropped add up to more than this fraction of value."""
    trade_epsilon: float = Field(_ENGINE.trade_epsilon, gt=0)
    """Weights below this count as no trade when reading a solution."""
    fractional_decimals: int = Field(_ENGINE.fractional_decimals, ge=0, le=9)
    """Decimals of a share the custodian books (3: 0.001 share): an account whose inbox row says
    ``fractional_shares`` trades to them instead of whole shares."""
    sma_minimum_usd: float = Field(_ENGINE.sma_minimum_usd, ge=0)
    """The firm's minimum account value for a manager-traded SMA, USD: an account worth less is flagged
    to the PM (BELOW_MINIMUM) with its value and the minimum; its best allowed trades still go."""
    uma_minimum_usd: float = Field(_ENGINE.uma_minimum_usd, ge=0)
    """The same for a unified managed account (``implementation`` UMA, issue 19), USD: a UMA worth
    less is flagged to the PM (BELOW_MINIMUM) with its value and this minimum."""

    @field_validator("sign_method", mode="before")
    @classmethod
    def _by_name(cls, value):
        """By name, in any case: ``two_step`` is ``TWO_STEP``."""
        return value.upper() if isinstance(value, str) else value


class RiskSettings(_Section):
    """The nightly risk model (sma.risk.RiskModelParams); a vendor's model in the inbox replaces
    it."""

    history_days: int = Field(504, ge=2)
    """Trading days of closes behind the nightly risk model."""
    halflife_days: float = Field(_RISK.halflife_days, gt=0)
    """Trading days over which a day's weight in the covariance halves."""
    n_statistical: int = Field(_RISK.n_statistical, ge=0)
    """Principal components of residual returns added as factors."""
    min_history_days: int = Field(_RISK.min_history_days, ge=2)
    """Fewer usable days of returns is an error, not a model."""
    ridge: float = Field(_RISK.ridge, gt=0)
    """Keeps the daily cross-sectional fit well posed."""
    specific_var_floor: float = Field(_RISK.specific_var_floor, ge=0)
    """Least specific variance, annual (0.0025 = 5 % specific volatility)."""
    momentum_window: tuple[int, int] = _RISK.momentum_window
    """[lookback, skip] trading days of the momentum style (12-1 months)."""

    @field_validator("momentum_window")
    @classmethod
    def _lookback_beyond_skip(cls, window: tuple[int, int]) -> tuple[int, int]:
        lookback, skip = window
        if not 0 <= skip < lookback:
            raise ValueError(
                f"momentum_window [lookback, skip] needs 0 <= skip < lookback, got {list(window)}"
            )
        return window

    @model_validator(mode="after")
    def _enough_history(self) -> RiskSettings:
        if self.history_days <= self.min_history_days:
            raise ValueError(
                f"history_days ({self.history_days}) must exceed min_history_days "
                f"({self.min_history_days}): the model could never be estimated"
            )
        return self


class ComplianceSettings(_Section):
    """Pre-trade compliance (sma.compliance.ComplianceLimits): limits on orders and night totals."""

    max_order_shares: float = Field(_LIMITS.max_order_shares, gt=0)
    """Shares per account order."""
    max_order_notional: float = Field(_LIMITS.max_order_notional, gt=0)
    """USD per account order."""
    price_collar: float = Field(_LIMITS.price_collar, gt=0)
    """An order's price may differ from the last close by at most this fraction."""
    max_share_of_daily_volume: float = Field(_LIMITS.max_share_of_daily_volume, gt=0, le=1)
    """One account's order vs the symbol's last daily volume."""
    run_notional_multiple: float = Field(_LIMITS.run_notional_multiple, gt=0)
    """The PM is warned when tonight's notional is above this multiple of recent nights' median."""
    run_orders_multiple: float = Field(_LIMITS.run_orders_multiple, gt=0)
    """... or tonight's order count above this multiple of theirs."""
    run_history_nights: int = Field(_LIMITS.run_history_nights, ge=1)
    """The recent nights those medians are taken over."""


class FillsSettings(_Section):
    """Loading a broker's fills (sma.trading.FillLimits): a file breaking a limit is refused
    whole."""

    price_collar: float = Field(_FILLS.price_collar, gt=0, lt=1)
    """A fill's price may differ from its order's reference price (the run's close) by at most this fraction."""


class StatementSettings(_Section):
    """Client statements (sma statements): who sends them and what they disclose."""

    firm_name: str = Field("SMA Nightly", min_length=1)
    """The firm named on every statement's cover, footer and disclosures, and on the Form 8949 reports."""
    firm_address: list[str] = Field(default_factory=list)
    """The firm's address, one line per item, printed under its name on the cover."""
    logo: Path | None = None
    """A PNG or JPEG printed on the cover band; none when unset."""
    disclosures: list[str] = Field(default_factory=list)
    """The firm's own disclosures, one paragraph per item, printed after the standard ones (which say how
    returns, the benchmark and the tax value of losses are computed: ``sma.reporting.DISCLOSURES``)."""

    @field_validator("logo")
    @classmethod
    def _logo_exists(cls, logo: Path | None) -> Path | None:
        if logo is not None and not logo.expanduser().is_file():
            raise ValueError(f"no logo file at {logo}")
        return logo


_LOCKUP = LockupThresholds()


class LockupSettings(_Section):
    """The lock-up monitor (issue 21): which accounts are locked up by their gains, and the
    remedies the engine reruns for them (``sma.lockup``)."""

    gain_threshold: float = Field(_LOCKUP.gain_threshold, ge=0)
    """A position is appreciated when its unrealized gain is above this fraction of its basis
    (0.5: up 50 %, selling realizes gains of a third of what it raises)."""
    harvest_floor: float = Field(_LOCKUP.harvest_floor, ge=0, le=1)
    """Harvest potential under this fraction of value is "little left to harvest" (0.005: at
    most 18 bp of value in tax saved at a 37 % rate)."""
    budget_slack: float = Field(_LOCKUP.budget_slack, ge=0, le=1)
    """The gain budget binds when tonight used all but this fraction of what was left of it."""
    cash_added: float = Field(0.05, gt=0, le=1)
    """The "add cash" remedy: a contribution of this fraction of account value."""
    gift_share: float = Field(0.05, gt=0, le=1)
    """The "gift lots" remedy: the most appreciated long-term lots worth this fraction of account
    value given to charity (``sma.ledger.choose_gift_lots``), the rest refilled by the engine."""
    budget_widening: float = Field(0.5, gt=0)
    """The "widen the budget" remedy: the year's gain budget raised by this fraction of itself."""
    max_accounts_per_night: int = Field(50, ge=0)
    """Locked-up accounts whose remedies are rerun per night (worst tracking error first), split
    evenly over the night's shards: each costs the engine three or four more solves."""

    def thresholds(self) -> LockupThresholds:
        """The thresholds as ``sma.lockup`` takes them."""
        return LockupThresholds(
            gain_threshold=self.gain_threshold,
            harvest_floor=self.harvest_floor,
            budget_slack=self.budget_slack,
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMA_", env_nested_delimiter="__", extra="forbid")

    store: StoreSettings = Field(default_factory=StoreSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    runs: RunSettings = Field(default_factory=RunSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    night: NightSettings = Field(default_factory=NightSettings)
    blotter: BlotterSettings = Field(default_factory=BlotterSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    compliance: ComplianceSettings = Field(default_factory=ComplianceSettings)
    fills: FillsSettings = Field(default_factory=FillsSettings)
    statements: StatementSettings = Field(default_factory=StatementSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    lockup: LockupSettings = Field(default_factory=LockupSettings)

    def engine_params(self) -> EngineParams:
        """The engine's parameters as ``sma.rebalance`` takes them."""
        return EngineParams(**self.engine.model_dump())

    def risk_model_params(self) -> RiskModelParams:
        """How ``sma.risk`` estimates the nightly model (``history_days`` is how many closes it is
        given)."""
        return RiskModelParams(**self.risk.model_dump(exclude={"history_days"}))

    def compliance_limits(self) -> ComplianceLimits:
        """The limits ``sma.compliance`` checks every order and the night's totals against."""
        return ComplianceLimits(**self.compliance.model_dump())

    def fill_limits(self) -> FillLimits:
        """The limits ``sma.trading.match_fills`` refuses a fills file by."""
        return FillLimits(
            **self.fills.model_dump(), fractional_decimals=self.engine.fractional_decimals
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )


def config_file() -> Path:
    """The TOML file settings are read from: ``$SMA_CONFIG``, else ``sma.toml`` in the working
    folder."""
    return Path(os.environ.get("SMA_CONFIG", "sma.toml"))


class SettingsInvalid(PipelineError):
    """A setting breaks its rule; the message names every such key, its rule and the value given."""


def _describe(error: ValidationError) -> str:
    lines = [f"settings are invalid ({config_file()} and SMA_* environment variables):"]
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "settings"
        given = (
            "" if isinstance(e["input"], dict) else f" (got {e['input']!r})"
        )  # a whole section: too long
        lines.append(f"  {where}: {e['msg'].removeprefix('Value error, ')}{given}")
    return "\n".join(lines)


def load_settings(**overrides) -> Settings:
    """Settings from init arguments, then environment, then the TOML file, then defaults.

    Raises :class:`SettingsInvalid` naming each bad key and its rule.
    """
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsInvalid(_describe(error)) from None
