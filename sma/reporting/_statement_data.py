"""What a client statement is rendered from: one account, one period, frames handed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from sma.reporting._frames import ReportDataError, require_columns

HOLDING_COLUMNS = ("symbol", "name", "sector", "quantity", "price", "market_value", "cost_basis")
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
    """A statement period, both ends inclusive, e.g. ``Period(date(2026,7,1), date(2026,9,30), "2026-Q3")``."""

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportDataError("period", None, f"ends {self.end} before it starts {self.start}")

    @property
    def year_start(self) -> date:
        return date(self.end.year, 1, 1)


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
        ``date, return`` -- the personalised benchmark's daily returns (fractions).
    holdings : DataFrame
        ``symbol, name, sector, quantity, price, market_value, cost_basis`` at the period end.
    cash : float
        Cash at the period end, USD.
    benchmark_sectors : DataFrame
        ``sector, weight`` of the personalised benchmark (weights sum to 1).
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
    manager : str
        The firm named on the cover and in the disclosures.
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
    benchmark_name: str = "Personalised benchmark"
    manager: str = field(default="SMA Nightly")

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
