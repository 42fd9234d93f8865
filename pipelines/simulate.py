"""Write a simulation's report (HTML with charts, CSV) and a book's simulated history, atomically.

Every file is written under a temporary name in its folder and renamed into place, so a killed run
leaves either the old file or the new one. CSV cells that would start a spreadsheet formula are
prefixed with a quote (OWASP CSV injection).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from pipelines._atomic import write_atomically  # noqa: E402
from sma.inbox import FORMULA_PREFIXES  # noqa: E402
from sma.simulate import (  # noqa: E402
    CONVENTIONS,
    COUNT_FIGURES,
    SUMMARY_FIGURES,
    WHY_WE_DIFFER,
    SimulationResult,
    beside_published,
)


def _safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype(str)
            out[col] = s.where(~s.str.startswith(FORMULA_PREFIXES), "'" + s)
    return out


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    """``frame`` as CSV at ``target``, atomically, formula-safe."""
    write_atomically(target, _safe_cells(frame).to_csv(index=False, float_format="%.6g").encode())


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _charts(result: SimulationResult) -> list[tuple[str, str]]:
    y, s = result.years, result.summary
    charts = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    profile = y.assign(n=y.groupby(["strategy", "vintage", "account_id"]).cumcount() + 1)
    for strategy, g in profile.groupby("strategy", sort=True):
        ax.plot(
            *zip(*g.groupby("n")["losses_harvested_pct"].mean().items()), marker="o", label=strategy
        )
    (
        ax.set_xlabel("year of the account"),
        ax.set_ylabel("cumulative losses harvested / initial value"),
    )
    ax.legend(), ax.grid(alpha=0.3)
    charts.append(("Loss-harvest profile over the years", _png(fig)))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    by_v = s.groupby(["vintage", "strategy"])["tax_alpha"].mean().unstack()
    by_v.plot.bar(ax=ax)
    ax.set_ylabel("annual tax alpha (no liquidation)"), ax.grid(alpha=0.3)
    charts.append(("Tax alpha by vintage", _png(fig)))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for strategy, g in s.groupby("strategy", sort=True):
        ax.scatter(g["tracking_error"], g["tax_alpha"], label=strategy)
    (
        ax.set_xlabel("realized tracking error (annual)"),
        ax.set_ylabel("annual tax alpha"),
        ax.legend(),
        ax.grid(alpha=0.3),
    )
    charts.append(("Tracking error vs tax alpha", _png(fig)))
    return charts


#: Columns in US dollars: printed to the cent with thousands separated.
MONEY_COLUMNS = ("tax_paid", "loss_carryforward", "end_value")


def _dollars(v: float) -> str:
    return f"{v:,.2f}"


def _table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table: headers spelled with spaces so they wrap, whole numbers (counts)
    as integers, dollars to the cent, other numbers to four places; in a box that scrolls
    sideways if still too wide."""
    shown = frame.rename(columns=lambda c: str(c).replace("_", " "))
    money = {c.replace("_", " "): _dollars for c in MONEY_COLUMNS if c in frame.columns}
    table = shown.to_html(
        index=False,
        float_format=lambda v: f"{v:.4f}",
        formatters=money,
        border=0,
        escape=True,
    )
    return f"<div class='wide'>{table}</div>"


def overview(result: SimulationResult) -> pd.DataFrame:
    """Each strategy's whole-run figures over all its accounts (profile ``ALL``) and by profile:
    ``accounts`` in the row, the counts (``COUNT_FIGURES``) summed, every other figure the mean over
    those accounts."""
    s = result.summary
    means = [c for c in SUMMARY_FIGURES if c not in COUNT_FIGURES]

    def rows(keys: list[str]) -> pd.DataFrame:
        g = s.groupby(keys)
        out = g[means].mean().join(g[COUNT_FIGURES].sum().astype("int64"))
        return out.assign(accounts=g.size().astype("int64")).reset_index()

    total = rows(["strategy"]).assign(profile="ALL")
    table = pd.concat([total, rows(["strategy", "profile"])], ignore_index=True)
    return table[["strategy", "profile", "accounts", *SUMMARY_FIGURES]]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def report_html(result: SimulationResult) -> str:
    p = result.params
    ours = beside_published(result.summary, result.years)[
        ["study", "assumptions", "published", "ours"]
    ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>SMA Nightly simulation</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
        "table{border-collapse:collapse;font-size:0.9em}"
        "td,th{padding:2px 5px;border-bottom:1px solid #ddd;text-align:right}"
        "td{white-space:nowrap}"
        ".wide{overflow-x:auto}</style></head><body>",
        "<h1>Simulation: tax alpha and tracking error</h1>",
        f"<p>{_count(p.years, 'year')}, {_count(p.vintages, 'vintage')} from {p.first_year}, "
        f"seed {p.seed}, "
        f"{html.escape(str(p.harvest_frequency))} decisions, held-away gains "
        f"{html.escape(str(p.held_away))}, "
        f"tax rates {p.st_tax_rate:.1%} short / {p.lt_tax_rate:.1%} long, tracking-error budget "
        f"{p.max_tracking_error:.2%}. Benchmark return over the first vintage: "
        f"{result.market_return:.2%} a year. "
        f"{result.account_days:,} account-days, {result.decisions:,} decision days.</p>",
        "<h2>The market path</h2>",
        "<p>Calibrated to US large caps (market volatility about 16 %, stock-specific 25-35 %); "
        "measured on "
        "this path over the first vintage:</p>",
        _table(pd.DataFrame([result.market])),
        "<h2>Overview</h2>",
        "<p>Each row is a strategy's accounts of one profile, or all of them (ALL). Wash sales "
        "and gain-budget breaches are counts summed over the row's accounts; every other figure "
        "is the mean over them.</p>",
        _table(overview(result)),
    ]
    for title, png in _charts(result):
        parts += [
            f"<h2>{html.escape(title)}</h2>",
            f"<img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>",
        ]
    parts += [
        "<h2>Beside the published results</h2>",
        _table(ours),
        f"<p>{html.escape(WHY_WE_DIFFER)}</p>",
        "<h2>Conventions</h2>",
        f"<pre>{html.escape(CONVENTIONS or '')}</pre>",
        "<h2>By year</h2>",
        _table(result.years),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(result: SimulationResult, out: Path) -> dict[str, Path]:
    """``report.html``, ``years.csv``, ``summary.csv``, ``overview.csv`` and ``published.csv`` in
    ``out``."""
    files = {
        "years": out / "years.csv",
        "summary": out / "summary.csv",
        "overview": out / "overview.csv",
        "published": out / "published.csv",
        "report": out / "report.html",
    }
    write_csv(result.years, files["years"])
    write_csv(result.summary, files["summary"])
    write_csv(overview(result), files["overview"])
    write_csv(beside_published(result.summary, result.years), files["published"])
    write_atomically(files["report"], report_html(result).encode())
    return files


def write_uma_report(table: pd.DataFrame, out: Path) -> dict[str, Path]:
    """The UMA comparison (``sma.simulate.simulate_uma``): ``uma.csv`` per way and account and
    ``uma_overview.csv`` per way, in ``out``."""
    from sma.simulate import uma_overview

    files = {"uma": out / "uma.csv", "uma_overview": out / "uma_overview.csv"}
    write_csv(table, files["uma"])
    write_csv(uma_overview(table), files["uma_overview"])
    return files


def read_market(folder: Path, params, seed: int):
    """A market path from an inbox date folder's ``securities``, ``prices`` and ``benchmarks`` files
    (CSV or Parquet, read and checked as the night reads them), extended with factor-model draws
    when it ends before the last vintage does."""
    import numpy as np

    from pipelines.validate import read_inbox_file
    from sma.simulate import extend_market, market_from_frames

    path = market_from_frames(
        *(read_inbox_file(folder, name) for name in ("securities", "prices", "benchmarks"))
    )
    end = np.datetime64(f"{params.first_year + params.vintages - 1 + params.years}-01-01")
    missing = int(np.busday_count(path.dates[-1] + 1, end)) if path.dates[-1] < end else 0
    return extend_market(path, missing, seed)
