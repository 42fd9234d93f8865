"""How numbers read on every report: dollars, percentages, shares, dates."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sma.ledger import money


def percent(x: float | None, signed: bool = True, places: int = 2) -> str:
    """``+1.23%`` (or ``n/a`` for ``None``); a figure that shows as zero has no sign (``0.00%``,
    never ``-0.00%`` for a difference of -0.004%), as :func:`money` writes a zero amount."""
    if x is None:
        return "n/a"
    text = f"{x * 100:+.{places}f}%" if signed else f"{x * 100:.{places}f}%"
    shows_zero = not any(c in "123456789" for c in text)
    return text.lstrip("+-") if shows_zero else text


def dollars_or_dash(x: Any) -> str:
    """Whole dollars (``$1,235``, as :func:`money` without cents), or ``–`` for a missing value
    (None or NaN)."""
    return "–" if x is None or pd.isna(x) else money(float(x), cents=False)


def percent_or_dash(x: Any) -> str:
    """A fraction as an unsigned percentage with two places (``12.34%``), or ``–`` for a missing
    value (None or NaN)."""
    return "–" if x is None or pd.isna(x) else f"{float(x):.2%}"


def long_date(d) -> str:
    """``Jul 1, 2026``."""
    return f"{d:%b} {d.day}, {d.year}"


def shares(q: float) -> str:
    """Whole shares without decimals, fractional shares with up to four (12.345; a fractional
    account's 0.001 share reads as it was traded). Rounded to four places first, so float noise
    (0.30000000000000004, 5.0000000001) reads 0.3 and 5, never "5."."""
    q = round(float(q), 4) + 0.0  # + 0.0: no "-0"
    return f"{q:,.0f}" if q.is_integer() else f"{q:,.4f}".rstrip("0")
