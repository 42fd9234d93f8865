"""The one boundary between USD amounts and the ledger's exact integer cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

_CENT = Decimal("0.01")


def usd_to_cents(amount: str | float | Decimal) -> int:
    """USD to integer cents, half away from zero, exactly (text is read as written, not as a
    float)."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount in USD: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount in USD: {amount!r}")
    return int((value / _CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_to_usd_text(cents: np.ndarray) -> np.ndarray:
    """Integer cents as exact USD text with two decimals ("-12.05"), shape unchanged."""
    cents = np.asarray(cents, dtype=np.int64)
    if cents.size == 0:
        return np.array([], dtype=object).reshape(cents.shape)
    sign = np.where(cents < 0, "-", "")
    whole = np.abs(cents)
    return np.char.add(
        np.char.add(sign.astype(str), (whole // 100).astype(str)),
        np.char.add(".", np.char.zfill((whole % 100).astype(str), 2)),
    ).astype(object)


def cents_to_usd(cents: np.ndarray) -> np.ndarray:
    """Integer cents as float USD, for optimisers and charts (not for booking)."""
    return np.asarray(cents, dtype=np.int64) / 100.0


def share_of_cents(
    total: np.ndarray | int, part: np.ndarray | float, whole: np.ndarray | float
) -> np.ndarray:
    """``total * part / whole`` rounded half away from zero to whole cents (a pro-rata share)."""
    exact = np.asarray(total, dtype=np.float64) * (
        np.asarray(part, dtype=np.float64) / np.asarray(whole, dtype=np.float64)
    )
    return (np.sign(exact) * np.floor(np.abs(exact) + 0.5)).astype(np.int64)
