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

from sma.reporting._format import money
from sma.reporting._review_assets import CSS, JS
from sma.reporting._review_data import ReviewData
from sma.reporting._review_drill import drill_json
from sma.reporting._review_figures import exception_rows, status_counts
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
    x = float(x)
    return {"pct": _pct, "usd": _usd, "int": lambda v: f"{v:,.0f}"}[kind](x)


def _cell(x: object, kind: str | None, cls: str = "") -> str:
    if kind is None:
        return f'<td class="{cls}">{_fmt(x, None)}</td>' if cls else f"<td>{_fmt(x, None)}</td>"
    raw = float(x)
    value = repr(raw) if np.isfinite(raw) else ""
    return f'<td class="num" data-value="{value}">{_fmt(raw, kind)}</td>'


def _cards(s: dict) -> str:
    held = int(s["accounts_held"])
    cards = [
        ("Accounts screened", f"{int(s['accounts_screened']):,}", ""),
        ("Triggered", f"{int(s['accounts_triggered']):,}", ""),
        ("Traded", f"{int(s['accounts_traded']):,}", ""),
        ("Held out", f"{held:,}", " alert" if held else ""),
        ("Orders", f"{int(s['orders']):,}", ""),
        ("Notional", _usd(float(s["notional"])), ""),
        ("Losses harvested", _usd(float(s["losses_harvested"])), ""),
        ("Gains realized ST", _usd(float(s["gains_realized_st"])), ""),
        ("Gains realized LT", _usd(float(s["gains_realized_lt"])), ""),
        ("Est. tax saved", _usd(float(s["est_tax_saved"])), ""),
    ]
    return '<section id="headline" class="cards">' + "".join(
        f'<div class="card{cls}" data-figure="{escape(label)}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div></div>'
        for label, value, cls in cards
    ) + "</section>"


def _table(headers: list[tuple[str, bool]], body: list[str], table_id: str) -> str:
    head = "".join(f'<th class="num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>" for h, num in headers)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _exceptions(data: ReviewData) -> str:
    rows = exception_rows(data)
    badge = f'<span class="badge{" ok" if rows.empty else ""}">{len(rows)}</span>'
    if rows.empty:
        return f'<section id="exceptions"><h2>Exceptions {badge}</h2><p>No exceptions tonight.</p></section>'
    body = [
        f'<tr data-account="{escape(str(r.account_id))}"><td>{escape(str(r.account_id))}</td>'
        f"<td>{escape(str(r.client_name))}</td><td class=\"kind\">{escape(str(r.kind))}</td>"
        f'<td class="wrap">{escape(str(r.reason))}</td></tr>'
        for r in rows.itertuples(index=False)
    ]
    table = _table([("Account", False), ("Client", False), ("Kind", False), ("Reason", False)], body,
                   "exception-table")
    return f'<section id="exceptions"><h2>Exceptions {badge}</h2><div class="scroll">{table}</div></section>'


def _reasons(data: ReviewData) -> str:
    rows = data.trades_by_reason()
    body = [
        f"<tr><td>{escape(str(r.reason))}</td>{_cell(r.trades, 'int')}{_cell(r.accounts, 'int')}"
        f"{_cell(r.bought, 'usd')}{_cell(r.sold, 'usd')}</tr>"
        for r in rows.itertuples(index=False)
    ]
    table = _table([("Reason", False), ("Trades", True), ("Accounts", True), ("Bought", True), ("Sold", True)],
                   body, "reason-table")
    chart = bar_chart(rows["reason"].tolist(), (rows["bought"] + rows["sold"]).tolist(), "Notional by trade reason",
                      _usd) if len(rows) else '<p class="muted">No trades tonight.</p>'
    return f'<section id="trades-by-reason"><h2>Trades by reason</h2><div class="grid2"><div>{table}</div>' \
           f"<div>{chart}</div></div></section>"


def _distributions(data: ReviewData) -> str:
    d = data.decisions
    before, after = d["te_before"].to_numpy(dtype=float), d["te_after"].to_numpy(dtype=float)
    turnover = d["turnover"].to_numpy(dtype=float)
    finite = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)], [0.0]])
    te_top = max(float(np.quantile(finite, 0.99)), 0.005)
    te_bins = np.linspace(0.0, te_top, 21)
    limit = float(np.nanmedian(d["max_tracking_error"].to_numpy(dtype=float))) if len(d) else None
    te = histogram({"before": before[np.isfinite(before)], "after": after[np.isfinite(after)]}, te_bins,
                   "Tracking error before and after (accounts)", lambda v: f"{v * 100:.1f}%", marker=limit)
    t = turnover[np.isfinite(turnover)]
    t_bins = np.linspace(0.0, max(float(np.quantile(np.r_[t, 0.0], 0.99)), 0.01), 21)
    tv = histogram({"turnover": t}, t_bins, "Turnover (accounts)", lambda v: f"{v * 100:.0f}%")
    return ('<section id="distributions"><h2>Distributions</h2><div class="grid2">'
            '<div><h3>Tracking error, before and after <span class="muted">(dashed: median limit)</span></h3>'
            f"{te}</div>"
            f"<div><h3>Turnover</h3>{tv}</div></div></section>")


def _accounts(data: ReviewData) -> str:
    counts = data.trades_per_account()
    d = data.decisions.assign(n_trades=data.decisions["account_id"].map(counts).fillna(0).astype(int))
    if data.listed is not None:
        d = d[d["account_id"].isin(data.listed)]
    columns = {key: d[key].to_numpy() for key, *_ in _ACCOUNT_TABLE}
    body = []
    for i in range(len(d)):
        cells = []
        for key, _, _, kind in _ACCOUNT_TABLE:
            x = columns[key][i]
            if key == "status":
                cells.append(f'<td><span class="status {escape(str(x))}">{escape(str(x))}</span></td>')
            else:
                cells.append(_cell(x, kind, "wrap" if key == "reason" else ""))
        body.append(f'<tr data-account="{escape(str(columns["account_id"][i]))}">{"".join(cells)}</tr>')
    head = "".join(
        f'<th data-key="{key}" data-type="{typ}"{" class=num" if typ == "num" else ""}>{escape(label)}</th>'
        for key, label, typ, _ in _ACCOUNT_TABLE
    )
    # "Traded" on the headline counts every account with orders: TRADED ones and the FLAGGED that trade.
    flagged = data.decisions.loc[data.decisions["status"] == "FLAGGED", "account_id"]
    flagged_trading = int(flagged.isin(data.trades_per_account().index).sum())
    statuses = " · ".join(
        f"{escape(k)} {v:,}" + (f" ({flagged_trading:,} of them trade)" if k == "FLAGGED" and flagged_trading else "")
        for k, v in status_counts(data.decisions).items())
    if data.listed is not None and len(d) < len(data.decisions):
        statuses = (f"{len(d):,} of {len(data.decisions):,} accounts listed (every exception, then the largest "
                    f"turnover); all are in {escape(data.listed_elsewhere)} · " + statuses)
    return (f'<section id="accounts"><h2>Accounts</h2><div class="toolbar"><input id="account-filter" type="search" '
            f'placeholder="Filter accounts, clients, status…" aria-label="Filter accounts"><span class="muted">'
            f"{statuses} · click a column to sort, a row to open the account</span></div>"
            f'<div class="scroll"><table id="account-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></section>')


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
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f"<title>Run review {run_id} · {as_of}</title><style>{CSS}</style></head><body>"
        f'<header><h1>SMA Nightly · run review</h1><span class="meta">run <b id="run-id">{run_id}</b> · '
        f'as of <b id="as-of">{as_of}</b></span></header><main>'
        + _cards(s) + _exceptions(data) + _reasons(data) + _distributions(data) + _accounts(data)
        + '<footer>Generated by SMA Nightly from the run\'s decision records. TE = annualised tracking error '
          "against the personalised target.</footer></main>"
        '<aside id="drill" hidden aria-live="polite"><div class="bar"><h2 id="drill-title"></h2>'
        '<button id="drill-close" type="button">Close ✕</button></div><div id="drill-body"></div></aside>'
        f'<script type="application/json" id="drill-data">{drill_json(data)}</script>'
        f"<script>{JS}</script></body></html>"
    )
