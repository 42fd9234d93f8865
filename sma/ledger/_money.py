"""The one boundary between USD amounts and the ledger's exact integer cents, and its one rounding
rule.

The rule: an amount is rounded to the nearest cent, **half a cent away from zero** ("half up":
$0.125 -> 13 cents, -$0.125 -> -13 cents), on the amount as written -- text as it reads, a float as
the shortest decimal that reads back as the same float (its ``repr``), a trade's value as the
exact product of its shares and price. This is the commercial convention for dollars and cents
that brokers' confirmations and statements follow, and the one the IRS prescribes where it lets
amounts be rounded (Form 1040 instructions, "Rounding Off to Whole Dollars": drop amounts under 50
cents, increase amounts from 50 to 99 cents to the next dollar -- half up, applied here at the
cent). Half-to-even (banker's rounding, NumPy's ``round``) is not used anywhere money is booked.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
from numpy.typing import ArrayLike

_CENT = Decimal("0.01")
#: Within this share of a cent (relative to the amount) of a half cent, a float's value in cents
#: is too close to call in binary: the amount is rounded through its decimal text instead.
_TIE_ZONE = 1e-9
#: Cents beyond int64 (about $92 quadrillion) cannot be booked.
_MAX_CENTS = 2.0**63


def usd_to_cents(amount: str | float | Decimal) -> int:
    """An amount in USD as integer cents, rounded half away from zero (the module's rule).

    Parameters
    ----------
    amount : str, float or Decimal
        USD. Text is read as written (``"0.125"``), a float as its ``repr``, a Decimal exactly.

    Returns
    -------
    int
        Cents.

    Raises
    ------
    ValueError
        ``amount`` is not a number, or not finite.
    """
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount in USD: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount in USD: {amount!r}")
    return int((value / _CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _cents_half_up(cents: np.ndarray, *amounts: np.ndarray) -> np.ndarray:
    """``cents`` (float amounts in cents, the product of ``amounts`` times 100) rounded by the
    rule; one that falls near a half cent is rounded from the exact product of the ``amounts``'
    decimal texts instead, as :func:`usd_to_cents` rounds it."""
    shape = np.shape(cents)
    cents = np.atleast_1d(np.asarray(cents, dtype=np.float64)).ravel()
    amounts = tuple(np.atleast_1d(a).ravel() for a in amounts)
    if not np.isfinite(cents).all():
        raise ValueError("not a finite amount in USD")
    size = np.abs(cents)
    if (size >= _MAX_CENTS).any():
        raise ValueError("an amount in USD too large to book in cents")
    out = (np.sign(cents) * np.floor(size + 0.5)).astype(np.int64)
    near = np.abs(size - np.floor(size) - 0.5) <= _TIE_ZONE * np.maximum(1.0, size)
    for i in np.flatnonzero(near).tolist():
        product = Decimal(1)
        for a in amounts:
            product *= Decimal(repr(float(a[i])))
        out[i] = usd_to_cents(product)
    return out.reshape(shape)


def usd_array_to_cents(amounts: ArrayLike) -> np.ndarray:
    """Float USD amounts as integer cents, each rounded as :func:`usd_to_cents` rounds it.

    Parameters
    ----------
    amounts : array_like of float, any shape
        USD, finite.

    Returns
    -------
    ndarray of int64, same shape
        Cents.
    """
    usd = np.asarray(amounts, dtype=np.float64)
    return _cents_half_up(usd * 100.0, usd)


def notional_cents(quantity: ArrayLike, price: ArrayLike) -> np.ndarray:
    """The value of trades, shares times price, in integer cents by the rule: the exact product of
    the two as written, rounded half away from zero (a fractional share's sub-cent value too).

    Parameters
    ----------
    quantity : array_like of float, shares
    price : array_like of float, USD per share (broadcast against ``quantity``)

    Returns
    -------
    ndarray of int64
        Cents, of the broadcast shape.
    """
    q, p = np.broadcast_arrays(
        np.asarray(quantity, dtype=np.float64), np.asarray(price, dtype=np.float64)
    )
    return _cents_half_up(q * p * 100.0, q, p)


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


def share_of_cents_one(total: int, part: float, whole: float) -> int:
    """``share_of_cents`` of one lot, in Python numbers (what a sale of one lot pays for instead
    of a dozen array calls): the same float64 operations, so the same cents to the bit. ``whole``
    must not be 0 (the array form's nan or inf has no Python int)."""
    exact = float(total) * (float(part) / float(whole))
    cents = math.floor(abs(exact) + 0.5)
    return cents if exact > 0 else -cents if exact < 0 else 0


def money(x: float, cents: bool = True) -> str:
    """An amount as it reads in words: ``$1,234.56`` (``$1,235`` without ``cents``); negatives as
    ``-$1,234.56``; an amount that shows as zero has no sign (never ``-$0`` or ``$-0``). Every
    report, reason and message that states dollars writes them so."""
    text = f"${abs(x):,.2f}" if cents else f"${abs(x):,.0f}"
    shows_zero = not any(c in "123456789" for c in text)
    return ("-" + text) if x < 0 and not shows_zero else text
