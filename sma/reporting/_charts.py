"""Charts for the PDF statement, drawn with matplotlib's object API (no pyplot global state).

Each function returns PNG bytes; the same input gives the same bytes (no timestamp, no
software tag in the PNG).
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sma.reporting._frames import as_dates
from sma.reporting._pdf_style import CHART_ACCENT, CHART_ACCOUNT, CHART_BENCHMARK
from sma.reporting._performance import daily_growth

_DPI = 200


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _frame(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#c3cad3")
    ax.spines["bottom"].set_color("#c3cad3")
    ax.tick_params(colors="#5f6b7a", labelsize=7, length=2)
    ax.grid(axis="y", color="#e6eaef", linewidth=0.6)
    ax.set_axisbelow(True)


def growth_chart(
    values: pd.DataFrame, benchmark: pd.DataFrame, period_start: date, period_end: date
) -> bytes:
    """Growth of 100 since inception, account vs benchmark, with the period shaded.

    Both lines are the chained daily growth of ``sma.reporting`` (the account's TWR, so
    contributions and withdrawals do not move the line).
    """
    days, growth = daily_growth(values)
    account = 100.0 * np.cumprod(growth)
    bdays = as_dates("benchmark_returns", benchmark, "date").to_numpy().astype("datetime64[D]")
    bgrowth = 1.0 + benchmark["return"].to_numpy(dtype=float)
    counted = bdays > days[0]
    bcum = np.cumprod(np.where(counted, bgrowth, 1.0))
    at = np.searchsorted(bdays, days, side="right") - 1
    bench = 100.0 * np.where(at >= 0, bcum[np.clip(at, 0, None)], 1.0)

    fig = Figure(figsize=(6.8, 2.4))
    ax = fig.add_axes((0.08, 0.14, 0.9, 0.78))
    x = days.astype("datetime64[D]").astype(object)
    ax.axvspan(
        np.datetime64(period_start, "D").astype(object),
        np.datetime64(period_end, "D").astype(object),
        color="#eef3f7",
        linewidth=0,
    )
    ax.plot(x, bench, color=CHART_BENCHMARK, linewidth=1.2, label="Benchmark")
    ax.plot(x, account, color=CHART_ACCOUNT, linewidth=1.6, label="Account")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _frame(ax)
    ax.legend(loc="upper left", fontsize=7, frameon=False, ncols=2)
    fig.autofmt_xdate(rotation=0, ha="center")
    return _png(fig)


def sector_chart(sectors: pd.DataFrame) -> bytes:
    """Horizontal bars: account vs benchmark weight per sector (``sector_weights`` output)."""
    rows = sectors.iloc[::-1]
    y = np.arange(len(rows))
    fig = Figure(figsize=(6.8, 0.24 * len(rows) + 0.7))
    ax = fig.add_axes((0.27, 0.06, 0.66, 0.8))
    ax.barh(y + 0.19, rows["account_weight"], height=0.36, color=CHART_ACCOUNT, label="Account")
    ax.barh(
        y - 0.19, rows["benchmark_weight"], height=0.36, color=CHART_BENCHMARK, label="Benchmark"
    )
    ax.set_yticks(y, rows["sector"].astype(str))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _frame(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e6eaef", linewidth=0.6)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=7, frameon=False, ncols=2)
    for bar_y, value in zip(y + 0.19, rows["account_weight"], strict=True):
        ax.text(value, bar_y, f" {value:.1%}", va="center", fontsize=6, color=CHART_ACCENT)
    return _png(fig)
