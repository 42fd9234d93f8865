"""Holding periods: when a lot's gain is short-term or long-term (IRS Publication 550, ch. 4).

"To figure if you held property more than 1 year, start counting on the date after the day you
acquired the property. The day you disposed of the property is part of your holding period."
A year is counted in calendar months, so a lot bought on the last day of a month becomes
long-term on the first day of the thirteenth month after (Rev. Rul. 66-7), and a period that
starts on 29 February is more than a year old on 1 March of the next year.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

_DAY = np.timedelta64(1, "D")
_EPOCH = date(1970, 1, 1)


def long_term_from(holding_start: np.ndarray) -> np.ndarray:
    """The first sale date on which a lot counts as held more than one year.

    Parameters
    ----------
    holding_start : ndarray of datetime64[D], shape (n_lots,)
        Each lot's ``adjusted_acquired_date``: the day it was bought, or the earlier day a
        wash-sale carry-over counts it from. The holding period itself starts the next day.

    Returns
    -------
    ndarray of datetime64[D], shape (n_lots,)
        The day after the first anniversary of the holding period's start (calendar months;
        a start on 29 February rolls to 1 March).
    """
    start = np.asarray(holding_start, dtype="datetime64[D]") + _DAY
    month = start.astype("datetime64[M]")
    day_in_month = start - month.astype("datetime64[D]")
    # Adding the day offset to the month a year later rolls 29 February over to 1 March.
    return (month + np.timedelta64(12, "M")).astype("datetime64[D]") + day_in_month


def long_term_day(holding_start: int) -> int:
    """``long_term_from`` of one lot in days since 1970-01-01 (``holding_start`` too), in Python
    dates: the day after the start, twelve calendar months on, the same day of the month counted
    from the month's first (so 29 February rolls to 1 March)."""
    start = _EPOCH + timedelta(days=holding_start + 1)
    months = start.year * 12 + start.month - 1 + 12
    first = date(months // 12, months % 12 + 1, 1)
    return (first - _EPOCH).days + start.day - 1


def is_long_term(holding_start: np.ndarray, sale_date: np.datetime64 | np.ndarray) -> np.ndarray:
    """Whether a sale on ``sale_date`` is long-term for each lot (IRS Publication 550, ch. 4).

    Parameters
    ----------
    holding_start : ndarray of datetime64[D], shape (n_lots,)
        Each lot's ``adjusted_acquired_date`` (the acquisition day; counting starts the day after).
    sale_date : datetime64[D] or ndarray of datetime64[D], shape (n_lots,)
        Trade date of the sale.

    Returns
    -------
    ndarray of bool, shape (n_lots,)
        True when the lot has been held more than one year on the sale date.
    """
    sale = np.asarray(sale_date, dtype="datetime64[D]")
    return sale >= long_term_from(holding_start)


def carried_holding_start(
    replacement_acquired: np.ndarray, sold_holding_start: np.ndarray, sale_date: np.ndarray
) -> np.ndarray:
    """The replacement lot's ``adjusted_acquired_date`` after a wash sale (IRS Pub. 550, "Wash
    Sales").

    "Your holding period for the new stock or securities includes the holding period of the stock
    or securities sold." Convention (PRODUCT.md): the replacement's trade date minus the days the
    sold shares were held, from their own ``adjusted_acquired_date`` to the sale.

    Parameters
    ----------
    replacement_acquired : ndarray of datetime64[D], shape (n,)
        Trade date the replacement shares were bought.
    sold_holding_start : ndarray of datetime64[D], shape (n,)
        ``adjusted_acquired_date`` of the shares sold at a loss.
    sale_date : ndarray of datetime64[D], shape (n,)
        Trade date of the loss sale.
    """
    held = np.asarray(sale_date, dtype="datetime64[D]") - np.asarray(
        sold_holding_start, dtype="datetime64[D]"
    )
    return np.asarray(replacement_acquired, dtype="datetime64[D]") - held
