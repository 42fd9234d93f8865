"""What the run review page is rendered from: one night's figures and frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sma.lockup import LOCKUP_COLUMNS, REMEDY_COLUMNS, LockupThresholds
from sma.rebalance import DecisionStatus, ExceptionKind
from sma.reporting._frames import ReportDataError, require_columns
from sma.reporting._reasons import REASON_TABLE_COLUMNS, trades_by_reason
from sma.reporting._review_sleeves import FIT_COLUMNS, SAVINGS_COLUMNS, SLEEVE_COLUMNS
from sma.reporting._review_tax import TAX_COLUMNS

SUMMARY_KEYS = (
    "run_id",
    "as_of",
    "accounts_screened",
    "accounts_triggered",
    "accounts_traded",
    "accounts_held",
    "orders",
    "notional",
    "losses_harvested",
    "gains_realized_st",
    "gains_realized_lt",
    "est_tax_saved",
)
DECISION_COLUMNS = (
    "account_id",
    "household_id",
    "account_type",
    "client_name",
    "status",
    "reason",
    "te_before",
    "te_after",
    "max_tracking_error",
    "realized_st",
    "realized_lt",
    "losses_harvested",
    "est_tax_saved",
    "turnover",
    "cash_before",
    "cash_after",
    "market_value",
    *TAX_COLUMNS,
)
TRADE_COLUMNS = ("account_id", "symbol", "side", "quantity", "price", "notional", "reason")
LOT_SELL_COLUMNS = (
    "account_id",
    "symbol",
    "lot_id",
    "quantity",
    "cost_basis",
    "proceeds",
    "gain",
    "term",
)
HOLDING_COLUMNS = (
    "account_id",
    "symbol",
    "sector",
    "weight_before",
    "weight_after",
    "target_weight",
)
SECTOR_COLUMNS = (
    "account_id",
    "sector",
    "weight_before",
    "weight_after",
    "target_weight",
    "securities",
)
WASH_BLOCK_COLUMNS = ("account_id", "symbol", "kind", "until", "why")
EXCEPTION_COLUMNS = ("account_id", "kind", "reason")
TRADE_COUNT_COLUMNS = ("account_id", "trades")

#: Decision statuses, worst first: how the page orders accounts that need the PM's eye.
STATUSES = tuple(str(s) for s in DecisionStatus)
#: Exception kinds, those that hold an account out first.
EXCEPTION_KINDS = tuple(str(k) for k in sorted(ExceptionKind, key=lambda k: not k.holds_out))


@dataclass(frozen=True)
class ReviewData:
    """One night, as the PM reviews it.

    Attributes
    ----------
    summary : dict
        ``SUMMARY_KEYS``: run_id, as_of (date or ISO text), account counts, orders, and USD
        figures notional, losses_harvested, gains_realized_st, gains_realized_lt, est_tax_saved.
    decisions : DataFrame
        One row per account screened (``DECISION_COLUMNS``); status one of ``STATUSES``;
        te_before, te_after, max_tracking_error annualised fractions; turnover a fraction of
        market value; money in USD. ``client_name`` and ``reason`` are free text (escaped).
        The tax figures ``TAX_COLUMNS`` (``sma.reporting.tax_figures``): tonight's net gains and
        gains per term, tax cost, and the gain budget, realized YTD, used and left (NaN: no budget).
    trades : DataFrame
        ``account_id, symbol, side, quantity`` (shares) ``, price, notional`` (USD) ``, reason``
        (a ``sma.rebalance.TradeReason``): every trade of the night, or at least the listed
        accounts' trades when ``by_reason`` and ``trade_counts`` cover the whole night.
    lot_sells : DataFrame
        ``account_id, symbol, lot_id, quantity, cost_basis, proceeds, gain, term`` (SHORT/LONG).
    holdings : DataFrame
        ``account_id, symbol, sector, weight_before, weight_after, target_weight`` (fractions).
    wash_blocks : DataFrame
        ``account_id, symbol, kind`` (BUY_BLOCKED or LOSS_SALE_BLOCKED) ``, until`` (date)
        ``, why``.
    exceptions : DataFrame
        ``account_id, kind`` (one of ``EXCEPTION_KINDS``) ``, reason``.
    listed : frozenset of str or None
        The accounts the account table and the drill-down show; None: every account. A big book's
        page lists the accounts that need the PM's eye and the largest trades, not every account;
        the headline figures and distributions always cover every account.
    listed_elsewhere : str
        Where every account is listed when ``listed`` leaves some out (shown on the page).
    by_reason : DataFrame or None
        The whole night's trades summed per reason, as ``trades_by_reason`` gives them
        (``reason, trades, accounts, buys, sells`` counts, ``bought, sold`` USD). Given when
        ``trades`` holds only the listed accounts' trades; None: summed from ``trades``.
    trade_counts : DataFrame or None
        ``account_id, trades``: the number of tonight's trades of each account that trades,
        over the whole night. Given when ``trades`` holds only some accounts; None: counted
        from ``trades``.
    sectors : DataFrame or None
        ``SECTOR_COLUMNS``: per account and sector, the weights summed over every holding and the
        number of securities. Given when ``holdings`` holds only some of an account's securities
        (the drill-down lists the traded ones and the largest gaps); None: summed from ``holdings``.
    blotter_state : str
        The blotter's state when the page was written (PROPOSED, APPROVED, ...; "" if none).
    sleeves : DataFrame or None
        The UMA accounts' sleeve records (``SLEEVE_COLUMNS`` of ``_review_sleeves``, from
        ``sma.uma.sleeve_records``); None or empty: no UMA sleeves tonight.
    overlay_savings : DataFrame or None
        What the overlay saved per UMA account (``sma.reporting.SAVINGS_COLUMNS``, from
        ``sma.uma.overlay_savings``); None or empty: no table.
    structure_fit : DataFrame or None
        Per household of the listed accounts, which structure fits it (``FIT_COLUMNS``, from
        ``sma.uma.structure_fits``); None or empty: no section.
    lockup : DataFrame or None
        Issue 21: the lock-up figures of every account decided tonight
        (``sma.lockup.LOCKUP_COLUMNS``); None: no "Locked-up accounts" section (a run from before
        the monitor).
    lockup_remedies : DataFrame or None
        The remedies the engine reran for the locked-up accounts (``sma.lockup.REMEDY_COLUMNS``).
    lockup_thresholds : LockupThresholds or None
        What "appreciated" and "little left to harvest" meant tonight (None: the defaults).
    """

    summary: dict[str, Any]
    decisions: pd.DataFrame
    trades: pd.DataFrame
    lot_sells: pd.DataFrame
    holdings: pd.DataFrame
    wash_blocks: pd.DataFrame
    exceptions: pd.DataFrame
    listed: frozenset[str] | None = None
    listed_elsewhere: str = ""
    by_reason: pd.DataFrame | None = None
    trade_counts: pd.DataFrame | None = None
    sectors: pd.DataFrame | None = None
    blotter_state: str = ""
    sleeves: pd.DataFrame | None = None
    overlay_savings: pd.DataFrame | None = None
    structure_fit: pd.DataFrame | None = None
    lockup: pd.DataFrame | None = None
    lockup_remedies: pd.DataFrame | None = None
    lockup_thresholds: LockupThresholds | None = None

    def __post_init__(self) -> None:
        for key in SUMMARY_KEYS:
            if key not in self.summary:
                raise ReportDataError("summary", key, "missing figure")
        require_columns("decisions", self.decisions, DECISION_COLUMNS)
        require_columns("trades", self.trades, TRADE_COLUMNS)
        require_columns("lot_sells", self.lot_sells, LOT_SELL_COLUMNS)
        require_columns("holdings", self.holdings, HOLDING_COLUMNS)
        require_columns("wash_blocks", self.wash_blocks, WASH_BLOCK_COLUMNS)
        require_columns("exceptions", self.exceptions, EXCEPTION_COLUMNS)
        if self.by_reason is not None:
            require_columns("by_reason", self.by_reason, REASON_TABLE_COLUMNS)
        if self.trade_counts is not None:
            require_columns("trade_counts", self.trade_counts, TRADE_COUNT_COLUMNS)
        if self.sectors is not None:
            require_columns("sectors", self.sectors, SECTOR_COLUMNS)
        if self.sleeves is not None:
            require_columns("sleeves", self.sleeves, SLEEVE_COLUMNS)
        if self.overlay_savings is not None:
            require_columns("overlay_savings", self.overlay_savings, SAVINGS_COLUMNS)
        if self.structure_fit is not None:
            require_columns("structure_fit", self.structure_fit, FIT_COLUMNS)
        if self.lockup is not None:
            require_columns("lockup", self.lockup, LOCKUP_COLUMNS)
        if self.lockup_remedies is not None:
            require_columns("lockup_remedies", self.lockup_remedies, REMEDY_COLUMNS)
        unknown = ~self.decisions["status"].astype(str).isin(STATUSES)
        if unknown.any():
            first = self.decisions["status"][unknown].iloc[0]
            raise ReportDataError("decisions", "status", f"unknown status {first!r}")

    def trades_by_reason(self) -> pd.DataFrame:
        """The night's trades per reason (``REASON_TABLE_COLUMNS``): ``by_reason``, else summed from
        ``trades``."""
        return trades_by_reason(self.trades) if self.by_reason is None else self.by_reason

    def sector_weights(self) -> pd.DataFrame:
        """``SECTOR_COLUMNS`` per account and sector over every holding: ``sectors``, else summed
        from ``holdings``."""
        return sector_sums(self.holdings) if self.sectors is None else self.sectors

    def trades_per_account(self) -> pd.Series:
        """Number of trades per account id, over the whole night (accounts without trades
        absent)."""
        if self.trade_counts is None:
            return self.trades.groupby("account_id").size()
        return self.trade_counts.set_index("account_id")["trades"]


def sector_sums(holdings: pd.DataFrame) -> pd.DataFrame:
    """Per account and sector: weights before, after and target summed, and the number of
    securities.

    Over every row of ``holdings`` (``HOLDING_COLUMNS``): a sector's weight is the sum of all its
    securities' weights, never of a selection of them.
    """
    require_columns("holdings", holdings, HOLDING_COLUMNS)
    weights = ["weight_before", "weight_after", "target_weight"]
    f = holdings[["account_id", "sector", *weights]].astype({"account_id": str, "sector": str})
    f[weights] = f[weights].astype(float).fillna(0.0)
    out = f.groupby(["account_id", "sector"], sort=True).agg(
        weight_before=("weight_before", "sum"),
        weight_after=("weight_after", "sum"),
        target_weight=("target_weight", "sum"),
        securities=("weight_after", "size"),
    )
    return out.reset_index()
