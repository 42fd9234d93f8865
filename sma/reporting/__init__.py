"""Reports people read, rendered from data handed to them (no store, no files, no network).

The run review page (portfolio managers)
    ``render_review_page(ReviewData) -> str``: one self-contained HTML page per run.
    ``trades_by_reason(trades)``, or ``ReasonTally`` part by part for a night read in batches:
    the same table however the trades are split (notionals summed exactly, rounded once).
    ``lot_gain_sums(lot_sells)`` and ``tax_figures(accounts, sums)``: tonight's tax cost (lots sold
    at a gain x rate, TAXABLE accounts only) and each account's gain budget used and left;
    ``sector_sums(holdings)``: sector weights over every holding.

Client statements
    ``render_statement_pdf(StatementData) -> bytes``: one PDF per account and period, with
    figures from ``statement_figures``. Returns are time-weighted, **chained daily** (cash flows
    at the start of their day: ``r_t = V_t / (V_{t-1} + CF_t) - 1``; GIPS 2020; Bacon ch. 2).
    The benchmark is chained daily from drifting weights, rebalanced on its weights' dates
    (``benchmark_daily_returns``); the money-weighted return (IRR) is printed beside the TWR.
    The year's losses are valued after netting, the $3,000 ordinary offset and the carryforward
    (``loss_tax_value``; IRC 1211(b), 1212(b)). The period's corporate actions on what the
    account held are listed under activity (``corporate_action_activity(actions, symbols, start,
    end)``, ``describe_corporate_action(row)``).

Form 8949
    ``form_8949_rows(realized) -> DataFrame``, ``form_8949_csv(rows) -> str``,
    ``render_form_8949_pdf(rows, ...) -> bytes``: Part I short-term, Part II long-term,
    columns (a)-(h), code W for wash sales; CSV cells cannot start a formula.

Safety
    ``safe_file_name(id, suffix)`` refuses any id not matching ``sma.inbox.ID_PATTERN``;
    ``escape_markup`` escapes text for reportlab markup (CVE-2023-33733).
"""

from sma.reporting._benchmark import benchmark_daily_returns
from sma.reporting._corporate_actions import (
    CORPORATE_ACTION_COLUMNS,
    corporate_action_activity,
    describe_corporate_action,
)
from sma.reporting._figures import (
    RealizedSummary,
    StatementFigures,
    Unrealized,
    holdings_appendix,
    realized_summary,
    sector_weights,
    statement_figures,
    unrealized,
)
from sma.reporting._form8949 import (
    FORM_8949_COLUMNS,
    form_8949_csv,
    form_8949_rows,
    render_form_8949_pdf,
)
from sma.reporting._format import money
from sma.reporting._frames import ReportDataError
from sma.reporting._performance import (
    Returns,
    ValueChange,
    daily_growth,
    money_weighted_return,
    returns_over,
    value_change,
)
from sma.reporting._reasons import TRADE_REASONS, ReasonTally, trades_by_reason
from sma.reporting._review_data import ReviewData, sector_sums
from sma.reporting._review_page import BLOTTER_MARK, blotter_card, render_review_page
from sma.reporting._review_sleeves import (
    FIT_COLUMNS,
    SAVINGS_COLUMNS,
    SLEEVE_COLUMNS,
    fit_section,
    savings_section,
    sleeves_section,
)
from sma.reporting._review_tax import TAX_COLUMNS, lot_gain_sums, tax_figures, tax_totals
from sma.reporting._safe import (
    UnsafeIdError,
    escape_markup,
    neutralise_cell,
    neutralise_frame,
    safe_file_name,
)
from sma.reporting._sleeve_table import SLEEVE_TABLE_COLUMNS, sleeve_performance
from sma.reporting._statement_data import DISCLOSURES, Firm, Period, StatementData
from sma.reporting._statement_pdf import SECTIONS, render_statement_pdf
from sma.reporting._tax_view import LossValue, loss_tax_value

__all__ = [
    "SLEEVE_COLUMNS",
    "sleeves_section",
    "FIT_COLUMNS",
    "fit_section",
    "SLEEVE_TABLE_COLUMNS",
    "sleeve_performance",
    "savings_section",
    "SAVINGS_COLUMNS",
    "CORPORATE_ACTION_COLUMNS",
    "corporate_action_activity",
    "describe_corporate_action",
    "BLOTTER_MARK",
    "DISCLOSURES",
    "FORM_8949_COLUMNS",
    "SECTIONS",
    "TAX_COLUMNS",
    "TRADE_REASONS",
    "Firm",
    "LossValue",
    "Period",
    "RealizedSummary",
    "ReasonTally",
    "ReportDataError",
    "Returns",
    "ReviewData",
    "StatementData",
    "StatementFigures",
    "Unrealized",
    "UnsafeIdError",
    "ValueChange",
    "benchmark_daily_returns",
    "blotter_card",
    "daily_growth",
    "escape_markup",
    "form_8949_csv",
    "form_8949_rows",
    "holdings_appendix",
    "loss_tax_value",
    "lot_gain_sums",
    "money",
    "money_weighted_return",
    "neutralise_cell",
    "neutralise_frame",
    "realized_summary",
    "render_form_8949_pdf",
    "render_review_page",
    "render_statement_pdf",
    "returns_over",
    "safe_file_name",
    "sector_sums",
    "sector_weights",
    "statement_figures",
    "tax_figures",
    "tax_totals",
    "trades_by_reason",
    "unrealized",
    "value_change",
]
