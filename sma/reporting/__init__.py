"""Reports people read, rendered from data handed to them (no store, no files, no network).

The run review page (portfolio managers)
    ``render_review_page(ReviewData) -> str``: one self-contained HTML page per run.
    ``ReasonTally``: trades summed by reason part by part for a night read in batches, the same
    table however the trades are split (notionals summed exactly, rounded once).
    ``lot_gain_sums(lot_sells)`` and ``tax_figures(accounts, sums)``: tonight's tax cost (lots sold
    at a gain x rate, TAXABLE accounts only) and each account's gain budget used and left;
    ``sector_sums(holdings)``: sector weights over every holding.

The firm view (issue 21)
    ``render_firm_page(FirmPage) -> str``: the whole book on one page from named queries' results,
    each figure naming its query and the SQL listed in an appendix (``pipelines.firm``).

Client statements
    ``render_statement_pdf(StatementData) -> bytes``: one PDF per account and period, with
    figures from ``_figures``. Returns are time-weighted, **chained daily** (cash flows
    at the start of their day: ``r_t = V_t / (V_{t-1} + CF_t) - 1``; GIPS 2020; Bacon ch. 2).
    The benchmark is chained daily from drifting weights, rebalanced on its weights' dates
    (``benchmark_daily_returns``); the money-weighted return (IRR) is printed beside the TWR.
    The year's losses are valued after netting, the $3,000 ordinary offset and the carryforward
    (``_tax_view``; IRC 1211(b), 1212(b)). The period's corporate actions on what the account
    held are listed under activity (``corporate_action_activity(actions, symbols, start, end)``).

Form 8949
    ``form_8949_rows(realized) -> DataFrame``, ``form_8949_csv(rows) -> str``,
    ``render_form_8949_pdf(rows, ...) -> bytes``: Part I short-term, Part II long-term,
    columns (a)-(h), code W for wash sales; CSV cells cannot start a formula.

Safety
    ``safe_file_name(id, suffix)`` refuses any id not matching ``sma.inbox.ID_PATTERN``; the
    statement escapes client text for reportlab markup (``_safe``; CVE-2023-33733).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sma.reporting._benchmark import benchmark_daily_returns
from sma.reporting._corporate_actions import corporate_action_activity
from sma.reporting._firm_page import FirmPage, render_firm_page
from sma.reporting._format import shares
from sma.reporting._frames import ReportDataError
from sma.reporting._reasons import ReasonTally
from sma.reporting._review_data import ReviewData, sector_sums
from sma.reporting._review_page import BLOTTER_MARK, blotter_card, render_review_page
from sma.reporting._review_tax import TAX_COLUMNS, lot_gain_sums, tax_figures, tax_totals
from sma.reporting._safe import UnsafeIdError, safe_file_name
from sma.reporting._sleeve_table import sleeve_performance
from sma.reporting._statement_data import Firm, Period, StatementData

if TYPE_CHECKING:
    from sma.reporting._form8949 import form_8949_csv, form_8949_rows, render_form_8949_pdf
    from sma.reporting._statement_pdf import render_statement_pdf

# The PDF writers load reportlab, matplotlib and scipy.optimize (~0.7 s): a process that only
# decides, checks or renders the review page (each night's steps, every Airflow task) does not pay
# for them. Each is imported the first time it is asked for (PEP 562).
_PDF_WRITERS = {
    "form_8949_csv": "sma.reporting._form8949",
    "form_8949_rows": "sma.reporting._form8949",
    "render_form_8949_pdf": "sma.reporting._form8949",
    "render_statement_pdf": "sma.reporting._statement_pdf",
}


def __getattr__(name: str) -> Any:
    if name not in _PDF_WRITERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_PDF_WRITERS[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "corporate_action_activity",
    "BLOTTER_MARK",
    "TAX_COLUMNS",
    "Firm",
    "FirmPage",
    "Period",
    "ReasonTally",
    "ReportDataError",
    "ReviewData",
    "StatementData",
    "UnsafeIdError",
    "benchmark_daily_returns",
    "blotter_card",
    "form_8949_csv",
    "form_8949_rows",
    "lot_gain_sums",
    "render_firm_page",
    "render_form_8949_pdf",
    "render_review_page",
    "render_statement_pdf",
    "safe_file_name",
    "sector_sums",
    "shares",
    "sleeve_performance",
    "tax_figures",
    "tax_totals",
]
