"""Yearly tax on realized gains: netting, held-away gains and loss carryforward (IRS Schedule D).

Per account and calendar year, short- and long-term gains are netted within their term, with the
carryforward of earlier years added to the term it came from; a net loss in one term then offsets
a net gain in the other (IRS Schedule D instructions, Part III). What is left positive is taxed at
the account's rate for its term; what is left negative saves tax as ``HeldAwayGains`` says.
"""

from __future__ import annotations

import numpy as np

from sma.simulate._params import HeldAwayGains

#: Net capital losses deductible against ordinary income per year (IRC section 1211(b)).
ORDINARY_INCOME_OFFSET = 3_000.0


def _cross_net(st: np.ndarray, lt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A net loss in one term offsets a net gain in the other."""
    x = np.minimum(np.clip(-st, 0, None), np.clip(lt, 0, None))
    st, lt = st + x, lt - x
    y = np.minimum(np.clip(-lt, 0, None), np.clip(st, 0, None))
    return st - y, lt + y


def year_tax(
    st_gain: np.ndarray,
    lt_gain: np.ndarray,
    carry_st: np.ndarray,
    carry_lt: np.ndarray,
    st_rate: np.ndarray,
    lt_rate: np.ndarray,
    held_away: HeldAwayGains,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tax of one year per account, and the carryforward into the next.

    Parameters
    ----------
    st_gain, lt_gain : ndarray of shape (m,) -- USD realized this year (after wash-sale add-backs)
    carry_st, carry_lt : ndarray of shape (m,) -- USD carried in, <= 0
    st_rate, lt_rate : ndarray of shape (m,) -- fractions
    held_away : HeldAwayGains

    Returns
    -------
    tax : ndarray of shape (m,) -- USD owed (negative = tax saved on other income or gains)
    carry_st, carry_lt : ndarray of shape (m,) -- USD carried out, <= 0
    """
    st, lt = _cross_net(st_gain + carry_st, lt_gain + carry_lt)
    tax = st_rate * np.clip(st, 0, None) + lt_rate * np.clip(lt, 0, None)
    st_loss, lt_loss = np.clip(st, None, 0), np.clip(lt, None, 0)
    zero = np.zeros_like(tax)
    if held_away == HeldAwayGains.UNLIMITED:
        return tax + st_rate * st_loss + lt_rate * lt_loss, zero, zero
    if held_away == HeldAwayGains.LONG_TERM_ONLY:
        return tax + lt_rate * (st_loss + lt_loss), zero, zero
    used_st = np.minimum(-st_loss, ORDINARY_INCOME_OFFSET)
    used_lt = np.minimum(-lt_loss, ORDINARY_INCOME_OFFSET - used_st)
    return tax - st_rate * (used_st + used_lt), st_loss + used_st, lt_loss + used_lt
