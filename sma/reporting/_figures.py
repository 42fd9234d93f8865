"""The figures a client statement prints, computed from the data handed to it.

Every figure here is one small function so that a test can recompute it independently and the
statement shows nothing that cannot be traced back to holdings, lots and valuations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sma.reporting._frames import ReportDataError, as_dates
from sma.reporting._performance import Returns, ValueChange, returns_over, value_change
from sma.reporting._reasons import trades_by_reason
from sma.reporting._statement_data import StatementData
from sma.reporting._tax_view import LossValue, loss_tax_value

CASH_SECTOR = "Cash"


def sector_weights(
    holdings: pd.DataFrame, cash: float, benchmark_sectors: pd.DataFrame
) -> pd.DataFrame:
    """Account vs benchmark weight per sector, as fractions of the account's value.

    The account's weights are over securities plus cash (a ``Cash`` row), so they show where
    the client's money is; the benchmark holds no cash.

    Returns
    -------
    DataFrame
        ``sector, account_weight, benchmark_weight, difference``, largest benchmark weight first.
    """
    total = float(holdings["market_value"].sum()) + float(cash)
    if total <= 0:
        raise ReportDataError("holdings", "market_value", "the account has no value to weigh")
    account = holdings.groupby("sector")["market_value"].sum() / total
    account.loc[CASH_SECTOR] = float(cash) / total
    bench = benchmark_sectors.groupby("sector")["weight"].sum()
    out = pd.DataFrame({"account_weight": account, "benchmark_weight": bench}).fillna(0.0)
    out["difference"] = out["account_weight"] - out["benchmark_weight"]
    out = out.rename_axis("sector").reset_index()
    out["_cash"] = out["sector"] == CASH_SECTOR
    out = out.sort_values(["_cash", "benchmark_weight", "sector"], ascending=[True, False, True])
    return out.drop(columns="_cash").reset_index(drop=True)


def top_holdings(holdings: pd.DataFrame, total_value: float, n: int = 10) -> pd.DataFrame:
    """The ``n`` largest holdings by market value with their weight in the account."""
    top = holdings.sort_values(["market_value", "symbol"], ascending=[False, True]).head(n).copy()
    top["weight"] = top["market_value"] / total_value if total_value > 0 else 0.0
    return top.reset_index(drop=True)


@dataclass(frozen=True)
class RealizedSummary:
    """Realized gains and losses over a span, after wash-sale adjustments, USD.

    Losses are positive amounts (``st_losses = 1200.0`` means 1,200 of short-term losses).
    """

    st_gains: float
    st_losses: float
    lt_gains: float
    lt_losses: float
    wash_sale_disallowed: float

    @property
    def st_net(self) -> float:
        return self.st_gains - self.st_losses

    @property
    def lt_net(self) -> float:
        return self.lt_gains - self.lt_losses

    @property
    def net(self) -> float:
        return self.st_net + self.lt_net

    @property
    def losses(self) -> float:
        return self.st_losses + self.lt_losses


def realized_summary(realized: pd.DataFrame, start: date, end: date) -> RealizedSummary:
    """Sums of the realized rows sold from ``start`` through ``end`` (sale dates, inclusive).

    ``gain`` is taken as booked by the ledger, i.e. already including the disallowed wash-sale
    loss (IRS Form 8949 instructions, column (h) = (d) - (e) + (g)); a fully washed loss
    counts 0.
    """
    sold = as_dates("realized", realized, "sale_date")
    rows = realized[(sold >= pd.Timestamp(start)) & (sold <= pd.Timestamp(end))]
    term = rows["term"].astype(str).str.upper()
    if not term.isin(["SHORT", "LONG"]).all():
        raise ReportDataError("realized", "term", "term must be SHORT or LONG")
    gain = rows["gain"].to_numpy(dtype=float)
    st = (term == "SHORT").to_numpy()
    return RealizedSummary(
        st_gains=float(gain[st & (gain > 0)].sum()),
        st_losses=float(-gain[st & (gain < 0)].sum()),
        lt_gains=float(gain[~st & (gain > 0)].sum()),
        lt_losses=float(-gain[~st & (gain < 0)].sum()),
        wash_sale_disallowed=float(
            rows["wash_sale_disallowed"].fillna(0.0).to_numpy(dtype=float).sum()
        ),
    )


@dataclass(frozen=True)
class Unrealized:
    market_value: float
    cost_basis: float

    @property
    def gain(self) -> float:
        return self.market_value - self.cost_basis


def holdings_appendix(holdings: pd.DataFrame, total_value: float) -> pd.DataFrame:
    """Every position with its weight, unrealized gain and holding-period term, by symbol.

    ``term`` is LONG when every share is held more than a year at the period end, SHORT when
    none is, MIXED otherwise (IRS Publication 550, ch. 4).
    """
    out = holdings.sort_values("symbol").reset_index(drop=True).copy()
    out["weight"] = out["market_value"] / total_value if total_value > 0 else 0.0
    out["unrealized_gain"] = out["market_value"] - out["cost_basis"]
    lt, qty = out["long_term_quantity"].to_numpy(dtype=float), out["quantity"].to_numpy(dtype=float)
    out["term"] = np.where(lt <= 0, "SHORT", np.where(lt >= qty, "LONG", "MIXED"))
    return out


def unrealized(holdings: pd.DataFrame) -> Unrealized:
    """Market value, cost basis and their difference over all holdings, USD."""
    return Unrealized(
        float(holdings["market_value"].to_numpy(dtype=float).sum()),
        float(holdings["cost_basis"].to_numpy(dtype=float).sum()),
    )


@dataclass(frozen=True)
class StatementFigures:
    """Every number a statement prints, in one place (USD and fractions)."""

    period: Returns
    ytd: Returns
    since_inception: Returns
    change: ValueChange
    sectors: pd.DataFrame
    top: pd.DataFrame
    appendix: pd.DataFrame
    realized_ytd: RealizedSummary
    realized_period: RealizedSummary
    loss_value: LossValue  # the year to date's losses in tax (IRC 1211(b), 1212(b))
    unrealized: Unrealized
    reasons: pd.DataFrame
    contributions: float
    withdrawals: float


def statement_figures(data: StatementData) -> StatementFigures:
    """All figures of ``data``'s statement."""
    p = data.period
    first = as_dates("values", data.values, "date").iloc[0].date()
    period = returns_over(data.values, data.benchmark_returns, p.label, p.start, p.end)
    ytd = returns_over(data.values, data.benchmark_returns, "Year to date", p.year_start, p.end)
    # "Since inception" only when the valuations reach back to the account's own inception.
    label = (
        "Since inception"
        if data.inception is None or data.inception >= first
        else "Since first valuation"
    )
    since = returns_over(data.values, data.benchmark_returns, label, first, p.end)
    change = value_change(data.values, p.start, p.end)
    ryear = realized_summary(data.realized, p.year_start, p.end)
    rperiod = realized_summary(data.realized, p.start, p.end)
    amounts = data.cash_flows["amount"].to_numpy(dtype=float)
    total = float(data.holdings["market_value"].sum()) + data.cash
    return StatementFigures(
        period=period,
        ytd=ytd,
        since_inception=since,
        change=change,
        sectors=sector_weights(data.holdings, data.cash, data.benchmark_sectors),
        top=top_holdings(data.holdings, total),
        appendix=holdings_appendix(data.holdings, total),
        realized_ytd=ryear,
        realized_period=rperiod,
        loss_value=loss_tax_value(
            ryear.st_gains,
            ryear.st_losses,
            ryear.lt_gains,
            ryear.lt_losses,
            data.st_tax_rate,
            data.lt_tax_rate,
        ),
        unrealized=unrealized(data.holdings),
        reasons=trades_by_reason(data.trades),
        contributions=float(amounts[amounts > 0].sum()),
        withdrawals=float(-amounts[amounts < 0].sum()),
    )
