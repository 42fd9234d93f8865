"""The run review page: one self-contained HTML file per run, for the portfolio manager.

Order of the page: headline figures; the exceptions first (held-out and failed accounts with
reasons, compliance failures, reconciliation breaks, accounts above their tracking-error limit);
trades by reason; distributions of tracking error and turnover; the sortable account table; and
a drill-down per account (holdings vs target, every trade with its reason and lots, wash-sale
blocks in force), drawn by a little inline script from a JSON data island.

Every client-supplied string is HTML-escaped in the markup, escaped for ``<script>`` in the
JSON, and written by the script through ``textContent`` only.
"""

from __future__ import annotations

from html import escape

import numpy as np

from sma.ledger import money
from sma.reporting._review_assets import CSS, JS
from sma.reporting._review_data import EXCEPTION_KINDS, ReviewData
from sma.reporting._review_drill import drill_json
from sma.reporting._review_figures import exception_rows, status_counts
from sma.reporting._review_lockup import lockup_section
from sma.reporting._review_sleeves import (
    fit_section,
    out_of_band,
    savings_section,
    sleeves_section,
)
from sma.reporting._review_tax import cents_total, tax_totals
from sma.reporting._svg import bar_chart, histogram

_ACCOUNT_TABLE = (  # key, heading, type, format
    ("account_id", "Account", "text", None),
    ("client_name", "Client", "text", None),
    ("account_type", "Type", "text", None),
    ("status", "Status", "text", None),
    ("te_before", "TE before", "num", "pct"),
    ("te_after", "TE after", "num", "pct"),
    ("max_tracking_error", "TE limit", "num", "pct"),
    ("turnover", "Turnover", "num", "pct"),
    ("n_trades", "Trades", "num", "int"),
    ("losses_harvested", "Harvested", "num", "usd"),
    ("est_tax_saved", "Tax saved", "num", "usd"),
    ("tax_cost", "Tax cost", "num", "usd"),
    ("budget_left", "Gain budget left", "num", "usd"),
    ("market_value", "Market value", "num", "usd"),
    ("reason", "Reason", "text", None),
)


def _usd(x: float) -> str:
    return "\u2013" if not np.isfinite(x) else money(x, cents=False)


def _pct(x: float, places: int = 2) -> str:
    return "\u2013" if not np.isfinite(x) else f"{x * 100:.{places}f}%"


def _fmt(x: object, kind: str | None) -> str:
    if kind is None:
        return escape("" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x))
    x = float(x)  # pyright: ignore[reportArgumentType]
    return {"pct": _pct, "usd": _usd, "int": lambda v: f"{v:,.0f}"}[kind](x)


def _cell(x: object, kind: str | None, cls: str = "") -> str:
    if (
        kind is None
    ):  # a wrapping cell holds its text in a div: a cell's min-width does not hold in a table
        return (
            f'<td class="{cls}"><div>{_fmt(x, None)}</div></td>'
            if cls
            else f"<td>{_fmt(x, None)}</td>"
        )
    raw = float(x)  # pyright: ignore[reportArgumentType]
    value = repr(raw) if np.isfinite(raw) else ""
    return f'<td class="num" data-value="{value}">{_fmt(raw, kind)}</td>'


#: Between these comments the page carries the blotter's state; ``sma review --serve`` puts the
#: state at the time of serving in their place (``blotter_card``).
BLOTTER_MARK = ("<!--blotter-->", "<!--/blotter-->")


def blotter_card(state: str, when: str) -> str:
    """The headline card of the blotter's state (PROPOSED, APPROVED, RELEASED, ...), ``when``
    read."""
    shown = state or "none"
    return (
        f'{BLOTTER_MARK[0]}<div class="card blotter" data-figure="Blotter"><div '
        'class="label">Blotter</div>'
        '<div class="value"><span id="blotter-state" class="state '
        f'{escape(shown)}">{escape(shown)}</span></div>'
        f'<div class="sub">{escape(when)}</div></div>{BLOTTER_MARK[1]}'
    )


def _card(label: str, value: float | int, text: str, cls: str = "", sub: str = "") -> str:
    number = float(value)
    data = repr(number) if np.isfinite(number) else ""
    return (
        f'<div class="card{cls}" data-figure="{escape(label)}" data-value="{data}"><div '
        'class="label">'
        f'{escape(label)}</div><div class="value">{escape(text)}</div>'
        + (f'<div class="sub">{escape(sub)}</div>' if sub else "")
        + "</div>"
    )


def _cards(data: ReviewData) -> str:
    s, t = data.summary, tax_totals(data.decisions)
    held = int(s["accounts_held"])
    net_tax = cents_total(np.array([t["tax_cost"], -float(s["est_tax_saved"])]))
    cards = [
        ("Accounts screened", s["accounts_screened"], f"{int(s['accounts_screened']):,}", "", ""),
        ("Triggered", s["accounts_triggered"], f"{int(s['accounts_triggered']):,}", "", ""),
        ("Traded", s["accounts_traded"], f"{int(s['accounts_traded']):,}", "", ""),
        ("Held out", held, f"{held:,}", " alert" if held else "", ""),
        ("Orders", s["orders"], f"{int(s['orders']):,}", "", ""),
        ("Notional", s["notional"], _usd(float(s["notional"])), "", ""),
        ("Losses harvested", s["losses_harvested"], _usd(float(s["losses_harvested"])), "", ""),
        (
            "Gains realized ST",
            t["gains_realized_st"],
            _usd(t["gains_realized_st"]),
            "",
            "taxable accounts, net",
        ),
        (
            "Gains realized LT",
            t["gains_realized_lt"],
            _usd(t["gains_realized_lt"]),
            "",
            "taxable accounts, net",
        ),
        ("Est. tax cost", t["tax_cost"], _usd(t["tax_cost"]), " tax", "lots sold at a gain × rate"),
        (
            "Est. tax saved",
            s["est_tax_saved"],
            _usd(float(s["est_tax_saved"])),
            " tax",
            "lots sold at a loss × rate",
        ),
        ("Est. net tax", net_tax, _usd(net_tax), " tax", "cost − saved"),
        (
            "Gain budget used",
            t["budget_used"],
            _usd(t["budget_used"]),
            "",
            f"of {_usd(t['gain_budget'])} · {_count(t['budgeted'], 'account')} with a budget",
        ),
        (
            "Gain budget left",
            t["budget_left"],
            _usd(t["budget_left"]),
            " alert" if t["over_budget"] else "",
            f"{_count(t['over_budget'], 'account')} over budget",
        ),
    ]
    note = (
        '<p class="note" id="tax-note">Gains realized, tax cost and gain budgets count TAXABLE '
        "accounts only: "
        "sales in IRA and ROTH accounts are not taxable (tonight they net "
        f"{escape(_usd(t['untaxed_net']))}, "
        "left out). Tax cost is each lot sold at a gain times the account's rate for its term; "
        "tax saved, each "
        "lot sold at a loss. Budget used = net gains realized this year before tonight + "
        "tonight's net gains; "
        "left = budget − used.</p>"
    )
    state = blotter_card(data.blotter_state, "when this page was written")
    return (
        '<section id="headline" class="cards">'
        + "".join(_card(*c) for c in cards)
        + state
        + "</section>"
        + note
    )


def _table(headers: list[tuple[str, bool]], body: list[str], table_id: str) -> str:
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>"
        for h, num in headers
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _sleeve_band_note(data: ReviewData) -> str:
    """Issue 19: UMA sleeves still outside their drift band, listed with the sleeve view."""
    n = out_of_band(data.sleeves, data.listed)
    if not n:
        return ""
    return (
        f'<p class="note" id="sleeve-band-note">{n} UMA sleeve(s) end the night outside their '
        'drift band: see <a href="#sleeve-band-exceptions">sleeves out of band</a> (flagged, '
        "not held: the accounts trade as proposed).</p>"
    )


def _exceptions(data: ReviewData) -> str:
    rows = exception_rows(data)
    badge = f'<span class="badge{" ok" if rows.empty else ""}">{len(rows)}</span>'
    if rows.empty:
        return (
            f'<section id="exceptions"><h2>Exceptions {badge}</h2><p>No exceptions '
            f"tonight.</p>{_sleeve_band_note(data)}</section>"
        )
    body = [
        f'<tr data-account="{escape(str(r.account_id))}" data-kinds="{escape(str(r.kind))}">'
        f"<td>{escape(str(r.account_id))}</td>"
        f'<td>{escape(str(r.client_name))}</td><td class="kind">{escape(str(r.kind))}</td>'
        f'<td class="wrap"><div>{escape(str(r.reason))}</div></td></tr>'
        for r in rows.itertuples(index=False)
    ]
    table = _table(
        [("Account", False), ("Client", False), ("Kind", False), ("Reason", False)],
        body,
        "exception-table",
    )
    return (
        f'<section id="exceptions"><h2>Exceptions {badge}</h2><div '
        f'class="scroll">{table}</div>{_sleeve_band_note(data)}</section>'
    )


def _reasons(data: ReviewData) -> str:
    rows = data.trades_by_reason()
    body = [
        f"<tr><td>{escape(str(r.reason))}</td>{_cell(r.trades, 'int')}{_cell(r.accounts, 'int')}"
        f"{_cell(r.bought, 'usd')}{_cell(r.sold, 'usd')}</tr>"
        for r in rows.itertuples(index=False)
    ]
    table = _table(
        [("Reason", False), ("Trades", True), ("Accounts", True), ("Bought", True), ("Sold", True)],
        body,
        "reason-table",
    )
    chart = (
        bar_chart(
            rows["reason"].tolist(),
            (rows["bought"] + rows["sold"]).tolist(),
            "Notional by trade reason",
            _usd,
        )
        if len(rows)
        else '<p class="muted">No trades tonight.</p>'
    )
    return (
        f'<section id="trades-by-reason"><h2>Trades by reason</h2><div class="grid2"><div class="scroll">{table}</div>'
        f"<div>{chart}</div></div></section>"
    )


#: Histogram bins of the distributions, and how many of their edges carry a tick label.
BINS, TICKS = 20, 5


def axis(top: float, ticks: int = TICKS) -> tuple[float, float, int]:
    """A percent axis from 0 covering ``top`` (a fraction): its end, tick step and the decimals
    the tick labels need to differ (``0% 1% 2%``, ``0% 0.5% 1%``, ``0% 0.25% 0.5%``), never
    ``0% 0% 1%``."""
    raw = max(float(top), 1e-6) / ticks
    exponent = 10.0 ** np.floor(np.log10(raw))
    step = next(
        m * exponent for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * exponent >= raw * (1 - 1e-12)
    )
    percent = step * 100
    places = next(
        d for d in range(8) if abs(round(percent, d) - percent) < 1e-9 * max(1.0, percent)
    )
    return step * ticks, step, places


def _distributions(data: ReviewData) -> str:
    d = data.decisions
    before, after = d["te_before"].to_numpy(dtype=float), d["te_after"].to_numpy(dtype=float)
    turnover = d["turnover"].to_numpy(dtype=float)
    finite = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)], [0.0]])
    te_top, _, te_places = axis(max(float(np.quantile(finite, 0.99)), 0.005))
    te_bins = np.linspace(0.0, te_top, BINS + 1)
    limit = float(np.nanmedian(d["max_tracking_error"].to_numpy(dtype=float))) if len(d) else None
    te = histogram(
        {"before": before[np.isfinite(before)], "after": after[np.isfinite(after)]},
        te_bins,
        "Tracking error before and after (accounts)",
        lambda v: f"{v * 100:.{te_places}f}%",
        marker=limit,
    )
    t = turnover[np.isfinite(turnover)]
    t_top, _, t_places = axis(max(float(np.quantile(np.r_[t, 0.0], 0.99)), 0.01))
    t_bins = np.linspace(0.0, t_top, BINS + 1)
    tv = histogram(
        {"turnover": t}, t_bins, "Turnover (accounts)", lambda v: f"{v * 100:.{t_places}f}%"
    )
    return (
        '<section id="distributions"><h2>Distributions</h2><div class="grid2">'
        '<div><h3>Tracking error, before and after <span class="muted">(dashed: median '
        "limit)</span></h3>"
        f"{te}</div>"
        f"<div><h3>Turnover</h3>{tv}</div></div></section>"
    )


def _filters(data: ReviewData) -> str:
    """Status and exception-kind menus (with the night's counts) and a search of account and
    client."""
    statuses = status_counts(data.decisions)
    kinds = data.exceptions["kind"].astype(str).value_counts()
    status_options = "".join(
        f'<option value="{escape(k)}">{escape(k)} ({v:,})</option>'
        for k, v in statuses.items()
        if v
    )
    kind_options = "".join(
        f'<option value="{escape(k)}">{escape(k)} ({int(kinds[k]):,})</option>'
        for k in EXCEPTION_KINDS
        if k in kinds.index
    )
    return (
        '<div class="filters">'
        '<label>Status <select id="status-filter" aria-label="Filter by status"><option '
        'value="">all</option>'
        f"{status_options}</select></label>"
        '<label>Exception <select id="kind-filter" aria-label="Filter by exception kind">'
        f'<option value="">all</option><option value="ANY">any exception</option>{kind_options}'
        '<option value="NONE">no exception</option></select></label>'
        '<input id="account-filter" type="search" placeholder="Account or client…" '
        'aria-label="Find an account or client"></div>'
    )


def _accounts(data: ReviewData) -> str:
    counts = data.trades_per_account()
    d = data.decisions.assign(
        n_trades=data.decisions["account_id"].map(counts).fillna(0).astype(int)
    )
    if data.listed is not None:
        d = d[d["account_id"].isin(data.listed)]
    columns = {key: d[key].to_numpy() for key, *_ in _ACCOUNT_TABLE}
    kinds = (
        data.exceptions.astype({"kind": str})
        .groupby("account_id")["kind"]
        .agg(lambda k: " ".join(sorted(set(k))))
    )
    account_kinds = [kinds.get(a, "") for a in d["account_id"]]
    body = []
    for i in range(len(d)):
        cells = []
        for key, _, _, kind in _ACCOUNT_TABLE:
            x = columns[key][i]
            if key == "status":
                cells.append(
                    f'<td><span class="status {escape(str(x))}">{escape(str(x))}</span></td>'
                )
            else:
                cells.append(_cell(x, kind, "wrap" if key == "reason" else ""))
        body.append(
            f'<tr data-account="{escape(str(columns["account_id"][i]))}" '
            f'data-status="{escape(str(columns["status"][i]))}" '
            f'data-kinds="{escape(account_kinds[i])}">'
            f"{''.join(cells)}</tr>"
        )
    head = "".join(
        f'<th data-key="{key}" '
        f'data-type="{typ}"{" class=num" if typ == "num" else ""}>{escape(label)}</th>'
        for key, label, typ, _ in _ACCOUNT_TABLE
    )
    # "Traded" on the headline counts every account with orders: TRADED ones and the FLAGGED that
    # trade.
    flagged = data.decisions.loc[data.decisions["status"] == "FLAGGED", "account_id"]
    flagged_trading = int(flagged.isin(data.trades_per_account().index).sum())
    statuses = " · ".join(
        f"{escape(k)} {v:,}"
        + (f" ({flagged_trading:,} of them trade)" if k == "FLAGGED" and flagged_trading else "")
        for k, v in status_counts(data.decisions).items()
    )
    if data.listed is not None and len(d) < len(data.decisions):
        statuses = (
            f"{len(d):,} of {len(data.decisions):,} accounts listed (every exception, then the "
            "largest "
            f"turnover); all are in {escape(data.listed_elsewhere)} · " + statuses
        )
    return (
        f'<section id="accounts"><h2>Accounts</h2><div class="toolbar">{_filters(data)}<span '
        'class="muted">'
        f'{statuses} · <span id="filter-count">{len(d):,} shown</span> · click a column to '
        "sort, a row to open "
        "the account</span></div>"
        f'<div class="scroll"><table id="account-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def render_review_page(data: ReviewData) -> str:
    """The run review page as one self-contained HTML document (inline CSS, SVG and script).

    Parameters
    ----------
    data : ReviewData
        The night's summary and frames.

    Returns
    -------
    str
        HTML5 text; opens from disk with no server and no network. Identical data gives
        identical text.
    """
    s = data.summary
    run_id, as_of = escape(str(s["run_id"])), escape(str(s["as_of"]))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src '
        "'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f"<title>Run review {run_id} · {as_of}</title><style>{CSS}</style></head><body>"
        '<header><h1>SMA Nightly · run review</h1><span class="meta">run <b '
        f'id="run-id">{run_id}</b> · '
        f'as of <b id="as-of">{as_of}</b></span></header><main>'
        + _cards(data)
        + _exceptions(data)
        + _reasons(data)
        + _distributions(data)
        + sleeves_section(data.sleeves, data.listed)
        + savings_section(data.overlay_savings, data.listed)
        + fit_section(data.structure_fit)
        + lockup_section(data.lockup, data.lockup_remedies, data.listed, data.lockup_thresholds)
        + _accounts(data)
        + "<footer>Generated by SMA Nightly from the run's decision records. TE = annualised tracking error "
        "against the personalised target.</footer></main>"
        '<aside id="drill" hidden aria-live="polite"><div class="bar"><h2 id="drill-title"></h2>'
        '<button id="drill-close" type="button">Close ✕</button></div><div '
        'id="drill-body"></div></aside>'
        f'<script type="application/json" id="drill-data">{drill_json(data)}</script>'
        f"<script>{JS}</script></body></html>"
    )


def _count(n: float, noun: str) -> str:
    """``1 account``, ``2 accounts``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
