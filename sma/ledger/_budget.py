"""The gain budget: net gains an account may still realize this calendar year.

A client's gain budget caps the net capital gains realized in a calendar year (PRODUCT.md, "The
per-account decision": realized net gains this year <= gain budget). Gains are reported per tax
year on Form 8949 / Schedule D by sale (trade) date (IRS Publication 550, "Reporting Capital
Gains and Losses"), so the year-to-date figure is the ledger's realized rows whose sale date falls
in the calendar year of the night, summed exactly in cents. IRA and ROTH accounts pay no tax on
sales and have no budget to keep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The ledger's realized rows as ``realized_this_year`` reads them (one row per lot relieved, or
#: pre-aggregated per account, run and sale date): ``as_of_date`` is the night whose released
#: orders the fills belong to (for simulated history, the sale date); ``simulated`` marks history
#: built by the simulator; ``gain_cents`` is the gain after wash-sale adjustments, integer cents.
REALIZED_YTD_COLUMNS = ["account_id", "as_of_date", "sale_date", "simulated", "gain_cents"]


def tax_year_start(as_of: np.datetime64 | str) -> np.datetime64:
    """January 1st of the calendar (tax) year of ``as_of``, datetime64[D]."""
    return np.datetime64(np.datetime64(as_of, "D").astype("datetime64[Y]"), "D")  # pyright: ignore[reportArgumentType, reportCallIssue]


def realized_this_year(realized: pd.DataFrame, as_of: np.datetime64 | str) -> pd.Series:
    """Net gains realized so far this calendar year per account, integer cents
    (``REALIZED_YTD_COLUMNS`` in).

    A row counts when its sale date is in the calendar year of ``as_of`` and on or before it, and
    it is not tonight's own trading: fills booked for the night of ``as_of`` itself (a night
    forced to run again after its fills were loaded) are the trades the night is deciding, not
    gains already realized before it, so only fills of earlier nights (``as_of_date < as_of``)
    count. Simulated history counts up to and including ``as_of``: it is the past the night's
    book was built from. Sums are exact in cents and do not depend on row order.

    Returns
    -------
    Series of int64 cents indexed by account_id (sorted), accounts with a counted row only.
    """
    day = np.datetime64(as_of, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]
    sale = pd.to_datetime(realized["sale_date"]).to_numpy().astype("datetime64[D]")
    booked_for = pd.to_datetime(realized["as_of_date"]).to_numpy().astype("datetime64[D]")
    earlier_night = realized["simulated"].to_numpy(bool) | (booked_for < day)
    counts = (sale >= tax_year_start(day)) & (sale <= day) & earlier_night
    rows = realized[counts]
    gain = rows["gain_cents"].to_numpy(np.int64)
    return (
        pd.Series(gain, index=rows["account_id"].astype(str).to_numpy())
        .groupby(level=0, sort=True)
        .sum()
    )


def gain_budget_remaining(
    gain_budget: np.ndarray, realized_ytd: np.ndarray, taxable: np.ndarray
) -> np.ndarray:
    """USD of net gains each account may still realize this calendar year.

    Parameters
    ----------
    gain_budget : ndarray of shape (m,), USD per calendar year; NaN (blank in the inbox) = no budget
    realized_ytd : ndarray of shape (m,), USD of net gains already realized this year
    (``realized_this_year``)
    taxable : ndarray of shape (m,), bool -- IRA and ROTH accounts have no budget

    Returns
    -------
    ndarray of shape (m,), USD: ``gain_budget - realized_ytd`` (negative when overspent), ``inf``
    where there is no budget or the account is not taxable.
    """
    budget = np.asarray(gain_budget, dtype=float)
    limited = np.isfinite(budget) & np.asarray(taxable, dtype=bool)
    return np.where(limited, budget - np.asarray(realized_ytd, dtype=float), np.inf)
