"""Small inline SVG charts for the review page: no library, no network, text always escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import numpy as np

PALETTE = ("#1f3b5c", "#9aa5b1", "#2a7f8f", "#c9822b")
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f"{_FONT}>"
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> str:
    """Horizontal bars, one per label, with the value printed at the bar's end."""
    width, row, left = 560, 26, 150
    height = row * max(len(labels), 1) + 12
    top = max([float(v) for v in values] + [0.0]) or 1.0
    scale = (width - left - 90) / top
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 6 + i * row
        w = max(float(value), 0.0) * scale
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12" fill="#33404d">'
            f"{escape(str(label))}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" rx="2" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" font-size="11" fill="#5f6b7a">'
            f"{escape(fmt(float(value)))}</text>"
        )
    return _svg(width, height, body, title)


def histogram(
    series: dict[str, np.ndarray],
    bins: np.ndarray,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    marker: float | None = None,
) -> str:
    """Side-by-side histograms of one or more series over the same ``bins`` (edges).

    ``marker`` draws a dashed vertical line at that x value (e.g. a limit).
    """
    width, height, left, bottom, top_pad = 560, 220, 40, 34, 26
    counts = {
        name: np.histogram(np.clip(v, bins[0], bins[-1]), bins=bins)[0]
        for name, v in series.items()
    }
    peak = max([int(c.max()) for c in counts.values() if c.size] + [1])
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    slot = plot_w / (len(bins) - 1)
    bar = slot * 0.8 / max(len(series), 1)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#c3cad3"/>'
    ]
    for k, (name, c) in enumerate(counts.items()):
        colour = PALETTE[k % len(PALETTE)]
        for i, n in enumerate(c):
            h = plot_h * n / peak
            x = left + i * slot + slot * 0.1 + k * bar
            body.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(name)}: {int(n)}</title></rect>'
            )
        body.append(
            f'<rect x="{left + 6 + 110 * k}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 20 + 110 * k}" y="15" font-size="11" '
            f'fill="#33404d">{escape(name)}</text>'
        )
    for i in range(0, len(bins), max(1, (len(bins) - 1) // 5)):
        x = left + i * slot
        anchor = "end" if i == len(bins) - 1 else "middle"  # the last label stays inside the chart
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" font-size="10" '
            f'fill="#5f6b7a">{escape(fmt(float(bins[i])))}</text>'
        )
    body.append(
        f'<text x="{left - 6}" y="{top_pad + 8}" text-anchor="end" font-size="10" '
        f'fill="#5f6b7a">{peak}</text>'
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="10" '
        'fill="#5f6b7a">0</text>'
    )
    if marker is not None and bins[0] <= marker <= bins[-1]:
        x = left + (marker - bins[0]) / (bins[-1] - bins[0]) * plot_w
        body.append(
            f'<line x1="{x:.1f}" y1="{top_pad - 4}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="{PALETTE[3]}" stroke-dasharray="4 3"/>'
        )
    return _svg(width, height, body, title)
