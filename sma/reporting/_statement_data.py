"""What a client statement is rendered from: one account, one period, frames handed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from sma.reporting._frames import ReportDataError, require_columns

HOLDING_COLUMNS = (
    "symbol",
    "name",
    "sector",
    "quantity",
    "price",
    "market_value",
    "cost_basis",
    "long_term_quantity",
)
SECTOR_COLUMNS = ("sector", "weight")
TRADE_COLUMNS = ("trade_date", "symbol", "side", "quantity", "price", "notional", "reason")
CASH_FLOW_COLUMNS = ("date", "amount")
REALIZED_COLUMNS = (
    "symbol",
    "lot_id",
    "acquired_date",
    "sale_date",
    "quantity",
    "proceeds",
    "cost_basis",
    "wash_sale_disallowed",
    "adjustment_code",
    "gain",
    "term",
)


@dataclass(frozen=True)
class Period:
    """A statement period, both ends inclusive, e.g.
    ``Period(date(2026,7,1), date(2026,9,30), "2026-Q3")``."""

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportDataError("period", None, f"ends {self.end} before it starts {self.start}")

    @property
    def year_start(self) -> date:
        return date(self.end.year, 1, 1)


#: What every statement says, whatever the firm adds (settings ``[statements] disclosures``).
DISCLOSURES = (
    (
        "Returns are time-weighted and chained daily from the account's daily values, so "
        "trading costs are "
        "included; advisory fees billed outside the account are not deducted. The "
        "money-weighted return is the "
        "internal rate of return of the same daily values and cash flows: it includes the "
        "effect of when money was "
        "added or withdrawn. Periods shorter than one year are not annualized. Past performance "
        "does not guarantee "
        "future results."
    ),
    (
        "The benchmark is held as its provider holds it: each day's return is chained from the "
        "previous close's "
        "weights, which drift with prices, and it is rebalanced only on the dates its weights "
        "are published. "
        "It cannot be invested in directly and bears no costs."
    ),
    (
        "Realized gains and losses are shown after wash-sale adjustments (code W). The "
        "estimated tax value of losses "
        "harvested nets this account's gains and losses for the year as Schedule D does, adds "
        "the offset of up to "
        "$3,000 of a net capital loss against ordinary income (IRC 1211(b); $1,500 if married "
        "filing separately) "
        "and carries the rest forward (IRC 1212(b)), at your marginal rates on file with us. "
        "Gains and losses "
        "outside this account change it: it is an estimate, not tax advice."
    ),
    "Your custodian's Form 1099-B is the official record for tax reporting. Please consult your "
    "tax advisor.",
)


@dataclass(frozen=True)
class Firm:
    """Who sends the statement: printed on the cover, in the footer and with the disclosures.

    ``disclosures`` are the firm's own, printed after the standard ``DISCLOSURES``; ``logo`` is a
    PNG or JPEG's bytes (the caller reads the file), or ``None`` for none.
    """

    name: str = "SMA Nightly"
    address: tuple[str, ...] = ()
    disclosures: tuple[str, ...] = ()
    logo: bytes | None = None


@dataclass(frozen=True)
class StatementData:
    """One account's statement for one period.

    Only the client's display name is carried: no address, tax id or birth date.

    Attributes
    ----------
    client : str
        Display name, client-supplied: escaped before rendering.
    account_id, account_type : str
        ``account_type`` is TAXABLE, IRA or ROTH.
    period : Period
    values : DataFrame
        ``date, market_value, cash_flow`` -- daily, from inception through the period end
        (USD; cash included; flows + in, - out). See ``sma.reporting`` for the TWR convention.
    benchmark_returns : DataFrame
        ``date, return`` -- the benchmark's daily returns (fractions), chained from drifting
        weights.
    holdings : DataFrame
        ``symbol, name, sector, quantity, price, market_value, cost_basis, long_term_quantity`` at
        the period end, one row per position (lots summed); ``long_term_quantity`` is the shares
        of lots held more than a year at the period end (IRS Publication 550, ch. 4).
    cash : float
        Cash at the period end, USD.
    benchmark_sectors : DataFrame
        ``sector, weight`` of the benchmark at the period end (weights sum to 1).
    trades : DataFrame
        ``trade_date, symbol, side, quantity, price, notional, reason`` -- the period's trades.
    cash_flows : DataFrame
        ``date, amount`` -- the period's contributions (+) and withdrawals (-).
    realized : DataFrame
        The calendar year's realized lots in Form 8949 fields (``REALIZED_COLUMNS``); ``gain``
        is after the wash-sale adjustment, ``term`` SHORT or LONG.
    st_tax_rate, lt_tax_rate : float
        The account's rates (fractions); 0 for IRA and ROTH.
    benchmark_name : str
        How the benchmark is named on the statement.
    inception : date or None
        The account's own inception (the accounts file's ``inception_date``); when ``values``
        begin later, returns "since inception" are labelled from the first valuation instead.
    firm : Firm
        The firm named on the cover, in the footer and the disclosures.
    corporate_actions : DataFrame or None
        ``date, symbol, description`` -- the period's corporate actions on what the account held
        (``corporate_action_activity``); None or empty = none.
    sleeves : DataFrame or None
        A UMA account's sleeve table (``SLEEVE_TABLE_COLUMNS``, :func:`sleeve_performance`);
        None or empty = not a UMA account (no table).
    overlay_savings : dict or None
        What the overlay saved over the period's nights (``orders_netted_away``,
        ``notional_netted_away``, ``gains_not_realized``, ``tax_saved``, ``wash_sales_avoided``,
        ``nights``); None = not available.
    gifts : DataFrame or None
        The period's charitable gifts, one row per lot delivered (``sma.reporting._gifts.
        DELIVERED_GIFT_COLUMNS``: ``date, request_id, charity, symbol, quantity, market_value,
        unrealized_gain``); None or empty = none (issue 21).
    """

    client: str
    account_id: str
    account_type: str
    period: Period
    values: pd.DataFrame
    benchmark_returns: pd.DataFrame
    holdings: pd.DataFrame
    cash: float
    benchmark_sectors: pd.DataFrame
    trades: pd.DataFrame
    cash_flows: pd.DataFrame
    realized: pd.DataFrame
    st_tax_rate: float
    lt_tax_rate: float
    benchmark_name: str = "Benchmark"
    inception: date | None = None
    firm: Firm = field(default_factory=Firm)
    corporate_actions: pd.DataFrame | None = None
    sleeves: pd.DataFrame | None = None
    overlay_savings: dict | None = None
    gifts: pd.DataFrame | None = None

    @property
    def manager(self) -> str:
        return self.firm.name

    def __post_init__(self) -> None:
        require_columns("holdings", self.holdings, HOLDING_COLUMNS)
        require_columns("benchmark_sectors", self.benchmark_sectors, SECTOR_COLUMNS)
        require_columns("trades", self.trades, TRADE_COLUMNS)
        require_columns("cash_flows", self.cash_flows, CASH_FLOW_COLUMNS)
        require_columns("realized", self.realized, REALIZED_COLUMNS)
        for name in ("st_tax_rate", "lt_tax_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ReportDataError("statement", name, f"tax rate {rate} is not a fraction")
