"""The firm view (issue 21, "Firm view"): the whole book on one page, from named queries.

Rendered from the results of the queries the caller ran (``pipelines.firm.QUERIES``), with the
review page's style. Every figure carries the name of the query it came from (a ``title`` on the
figure and a reference beside it), and the appendix prints each query's SQL under that name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

import pandas as pd

from sma.reporting._format import dollars_or_dash as _usd
from sma.reporting._format import percent_or_dash as _pct
from sma.reporting._review_assets import CSS
from sma.reporting._svg import bar_chart

_FIRM_CSS = (
    CSS
    + """
a.q{font-size:10.5px;color:var(--teal);text-decoration:none;margin-left:4px;font-weight:400}
.card a.q{display:block;margin:2px 0 0}
pre.sql{background:var(--band);border:1px solid var(--rule);padding:8px 10px;font-size:12px;
overflow:auto;white-space:pre}
"""
)


@dataclass(frozen=True)
class FirmPage:
    """What the firm view shows.

    Attributes
    ----------
    as_of : date
        The date the view is drawn for.
    results : dict of str to DataFrame or None
        Each query's result by its name (None: the file it reads is missing, e.g. a night from
        before the lock-up monitor). Names and columns as ``pipelines.firm`` writes them:
        LATEST_RUN, BUDGET_TOTALS, BUDGET_BY_ACCOUNT, LOCKUP_TOTALS, LOCKED_UP, TE_ACCOUNTS,
        TE_SECURITIES, EXCEPTIONS_BY_NIGHT, HELD_BY_NIGHT, HARVEST_BY_MONTH, REALIZED_BY_MONTH.
    queries : dict of str to str
        Each query's SQL by its name, printed in the appendix.
    run_folder : str
        The latest night's run folder, where the Parquet-reading queries looked.
    """

    as_of: date
    results: dict[str, pd.DataFrame | None]
    queries: dict[str, str]
    run_folder: str = ""


def _int(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{int(x):,}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _used(x: Any) -> str:
    """A budget's share used; a zero budget has no share: any gain is over it."""
    return "zero budget" if x is None or pd.isna(x) else _pct(x)


def _text(x: object) -> str:
    return escape(str(x))


def _ref(name: str) -> str:
    return f'<a class="q" href="#q-{name}" title="query {name}">[{name}]</a>'


def _card(label: str, text: str, query: str, sub: str = "", alert: bool = False) -> str:
    return (
        f'<div class="card{" alert" if alert else ""}" title="query {query}" '
        f'data-query="{query}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(text)}</div>'
        + (f'<div class="sub">{escape(sub)}</div>' if sub else "")
        + f"{_ref(query)}</div>"
    )


Column = tuple[str, str, Callable[[object], str]]


def _table(frame: pd.DataFrame | None, columns: Sequence[Column], query: str, empty: str) -> str:
    """``columns``: (column, header, format); numbers right-aligned unless formatted as text."""
    if frame is None:
        return f'<p class="muted">Not available for this night {_ref(query)}.</p>'
    if frame.empty:
        return f'<p class="muted">{escape(empty)} {_ref(query)}</p>'
    align = ["" if fmt is _text else ' class="num"' for _, _, fmt in columns]
    head = "".join(
        f'<th{a} title="query {query}">{escape(h)}</th>' for a, (_, h, _) in zip(align, columns)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{a}>{fmt(row[c])}</td>" for a, (c, _, fmt) in zip(align, columns))
        + "</tr>"
        for _, row in frame.iterrows()
    )
    return (
        f'<div class="scroll" data-query="{query}"><table><thead><tr>{head}</tr></thead>'
        f'<tbody>{body}</tbody></table></div><p class="note">From {_ref(query)}</p>'
    )


def _first(page: FirmPage, name: str) -> pd.Series | None:
    frame = page.results.get(name)
    return None if frame is None or frame.empty else frame.iloc[0]


def _cards(page: FirmPage) -> str:
    run = _first(page, "LATEST_RUN")
    budget = _first(page, "BUDGET_TOTALS")
    lock = _first(page, "LOCKUP_TOTALS")
    exceptions = page.results.get("EXCEPTIONS_BY_NIGHT")
    harvest = page.results.get("HARVEST_BY_MONTH")
    nights = page.results.get("HELD_BY_NIGHT")
    cards = []
    if run is not None:
        cards.append(
            _card(
                "Latest night",
                str(run["as_of_date"])[:10],
                "LATEST_RUN",
                f"{int(run['accounts']):,} accounts · {int(run['accounts_traded']):,} traded",
            )
        )
    if budget is not None:
        total = float(budget["total_budget"])
        share = f" ({float(budget['realized_within_budgets']) / total:.0%})" if total > 0 else ""
        cards.append(
            _card(
                "Gain budget used this year",
                _usd(budget["realized_within_budgets"]),
                "BUDGET_TOTALS",
                f"of {_usd(total)} budgeted{share}, over "
                f"{_count(int(budget['accounts_with_budget']), 'account')} with a budget",
            )
        )
        cards.append(
            _card(
                "Accounts at 90 % of budget or more",
                f"{int(budget['accounts_over_90pct']):,}",
                "BUDGET_TOTALS",
                alert=int(budget["accounts_over_90pct"]) > 0,
            )
        )
    if lock is not None:
        cards.append(
            _card(
                "Locked-up accounts",
                f"{int(lock['locked_up']):,} of {int(lock['accounts']):,}",
                "LOCKUP_TOTALS",
                f"harvest potential left {_usd(lock['harvest_potential'])} "
                f"({_pct(lock['harvest_share'])} of value)",
                alert=int(lock["locked_up"]) > 0,
            )
        )
    if exceptions is not None and nights is not None:
        cards.append(
            _card(
                f"Exceptions, last {_count(len(nights), 'night')}",
                f"{int(exceptions['accounts'].sum()):,}",
                "EXCEPTIONS_BY_NIGHT",
                "account-nights flagged or held",
            )
        )
    if harvest is not None:
        cards.append(
            _card(
                "Losses harvested this year",
                _usd(harvest["losses_harvested"].sum()),
                "HARVEST_BY_MONTH",
                f"est. tax value {_usd(harvest['est_tax_saved'].sum())}",
            )
        )
    return f'<section id="headline" class="cards">{"".join(cards)}</section>'


def _budget(page: FirmPage) -> str:
    frame = page.results.get("BUDGET_BY_ACCOUNT")
    shown = None if frame is None else frame[frame["gain_budget"].notna()]
    return (
        '<section id="budget"><h2>Gain budget used this year</h2><p class="note">Net gains '
        "realized since 1 January (losses offset gains) against each taxable account's budget "
        "for the year; accounts without a budget are left out.</p>"
        + _table(
            shown,
            [
                ("account_id", "Account", _text),
                ("client_name", "Client", _text),
                ("gain_budget", "Budget", _usd),
                ("realized_ytd", "Realized this year", _usd),
                ("used_share", "Used", _used),
            ],
            "BUDGET_BY_ACCOUNT",
            "No taxable account has a gain budget.",
        )
        + "</section>"
    )


def _lockup(page: FirmPage) -> str:
    return (
        '<section id="lockup"><h2>Locked-up accounts (latest night)</h2><p class="note">Little '
        "left to harvest and tracking error the engine could not bring under the max within the "
        "gain budget; the night's review page lists the remedies the engine quantified.</p>"
        + _table(
            page.results.get("LOCKED_UP"),
            [
                ("account_id", "Account", _text),
                ("account_value", "Value", _usd),
                ("appreciated_share", "In appreciated positions", _pct),
                ("harvest_potential", "Harvest potential left", _usd),
                ("te_after", "TE after", _pct),
                ("max_tracking_error", "Max TE", _pct),
                ("gain_budget_left", "Budget left", _usd),
            ],
            "LOCKED_UP",
            "No account is locked up.",
        )
        + "</section>"
    )


def _tracking_error(page: FirmPage) -> str:
    return (
        '<section id="tracking-error"><h2>Largest tracking-error contributors (latest night)'
        '</h2><div class="grid2"><div><h3>Accounts, by tracking error after trading</h3>'
        + _table(
            page.results.get("TE_ACCOUNTS"),
            [
                ("account_id", "Account", _text),
                ("status", "Status", _text),
                ("te_before", "TE before", _pct),
                ("te_after", "TE after", _pct),
                ("max_tracking_error", "Max", _pct),
                ("account_value", "Value", _usd),
            ],
            "TE_ACCOUNTS",
            "No decisions that night.",
        )
        + "</div><div><h3>Securities, by value off target across accounts</h3>"
        + _table(
            page.results.get("TE_SECURITIES"),
            [
                ("symbol", "Security", _text),
                ("sector", "Sector", _text),
                ("accounts", "Accounts", _int),
                ("usd_off_target", "Off target", _usd),
                ("usd_over_target", "Net over / under", _usd),
            ],
            "TE_SECURITIES",
            "No holdings that night.",
        )
        + '</div></div><p class="note">A security\'s "off target" is each account\'s |weight '
        "after trading − target weight| × the account's value, summed over accounts: where the "
        "firm's active risk sits, in dollars; net over / under keeps the sign (+: held above "
        "target).</p></section>"
    )


def _exceptions(page: FirmPage) -> str:
    frame = page.results.get("EXCEPTIONS_BY_NIGHT")
    nights = page.results.get("HELD_BY_NIGHT")
    pivot = None
    if frame is not None and nights is not None:
        counts = frame.pivot_table(
            index="as_of_date", columns="kind", values="accounts", aggfunc="sum", fill_value=0
        )
        pivot = nights.set_index("as_of_date").join(counts).fillna(0).reset_index()
        kinds = [str(k) for k in counts.columns]
    else:
        kinds = []
    columns: list[Column] = [
        ("as_of_date", "Night", lambda d: escape(str(d)[:10])),
        ("accounts", "Accounts", _int),
        ("accounts_held", "Held out", _int),
        ("held_at_load", "Held at load (bad input)", _int),
    ] + [(k, k, _int) for k in kinds]
    return (
        '<section id="exceptions"><h2>Exceptions and held accounts, last '
        f"{_count(0 if nights is None else len(nights), 'night')}</h2>"
        '<p class="note">Per night: accounts held out of trading, those held when the '
        "inbox was loaded, and the accounts per exception kind (held out or flagged to the PM)."
        f" Night, account and held counts from {_ref('HELD_BY_NIGHT')}.</p>"
        + _table(pivot, columns, "EXCEPTIONS_BY_NIGHT", "No nights.")
        + "</section>"
    )


def _harvests(page: FirmPage) -> str:
    harvest = page.results.get("HARVEST_BY_MONTH")
    chart = (
        bar_chart(
            list(harvest["month"]),
            [float(v) for v in harvest["est_tax_saved"]],
            "Estimated tax value of losses harvested, by month",
            _usd,
        )
        if harvest is not None and len(harvest)
        else ""
    )
    return (
        '<section id="harvests"><h2>Harvests and tax value by month (this year)</h2>'
        '<div class="grid2"><div><h3>Proposed by the nights</h3>'
        + _table(
            harvest,
            [
                ("month", "Month", _text),
                ("nights", "Nights", _int),
                ("account_nights_harvesting", "Account-nights harvesting", _int),
                ("losses_harvested", "Losses harvested", _usd),
                ("est_tax_saved", "Est. tax value", _usd),
            ],
            "HARVEST_BY_MONTH",
            "No nights this year.",
        )
        + f"{chart}</div><div><h3>Booked from fills (realized gains)</h3>"
        + _table(
            page.results.get("REALIZED_BY_MONTH"),
            [
                ("month", "Month", _text),
                ("net_st", "Net short-term", _usd),
                ("net_lt", "Net long-term", _usd),
                ("losses_booked", "Losses booked", _usd),
                ("wash_disallowed", "Wash sale disallowed", _usd),
            ],
            "REALIZED_BY_MONTH",
            "No fills booked this year.",
        )
        + '</div></div><p class="note">Proposed figures are the nights\' decisions of accounts '
        "that traded (TRADED or FLAGGED); booked figures are the ledger's realized gains from "
        "loaded fills, by sale date.</p></section>"
    )


def _appendix(page: FirmPage) -> str:
    items = "".join(
        f'<h3 id="q-{name}">{escape(name)}</h3><pre class="sql">{escape(sql.strip())}</pre>'
        for name, sql in page.queries.items()
    )
    return (
        '<section id="queries"><h2>Queries</h2><p class="note">Every figure above names the '
        "query it comes from. Each runs as printed against the store (DuckDB), with $d the as-of "
        "date and $run the latest night on or before it; $lockup and $holdings are that night's "
        f"proposal files under {escape(page.run_folder)}.</p>{items}</section>"
    )


def render_firm_page(page: FirmPage) -> str:
    """The firm view as one self-contained HTML document (inline CSS and SVG, no script).

    Parameters
    ----------
    page : FirmPage
        The query results and their SQL.

    Returns
    -------
    str
        HTML5 text; identical results give identical text.
    """
    as_of = escape(page.as_of.isoformat())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src '
        "'unsafe-inline'; img-src data:\">"
        f"<title>Firm view · {as_of}</title><style>{_FIRM_CSS}</style></head><body>"
        '<header><h1>SMA Nightly · firm view</h1><span class="meta">as of <b id="as-of">'
        f"{as_of}</b></span></header><main>"
        + _cards(page)
        + _budget(page)
        + _lockup(page)
        + _tracking_error(page)
        + _exceptions(page)
        + _harvests(page)
        + _appendix(page)
        + "<footer>Generated by SMA Nightly from the store. TE = annualised tracking error "
        "against the personalised target.</footer></main></body></html>"
    )
