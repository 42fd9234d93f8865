"""Tonight's trades of one account block wash sales in the others of its household.

A loss sale is washed by a purchase of substantially identical stock within 30 days before or
after it in any account of the same household, an IRA or ROTH included (IRS Publication 550,
"Wash Sales"; Rev. Rul. 2008-5). The nightly masks cover the household's past trades; these
functions extend them, account by account, to the trades decided earlier the same night.
"""

from __future__ import annotations

import numpy as np

from sma.inbox import AccountType


def household_order(household_ids: np.ndarray, account_type: np.ndarray) -> np.ndarray:
    """The order to decide accounts in: by household, taxable accounts first.

    Taxable accounts harvest; deciding them first means a loss they take blocks the household's
    IRA and ROTH purchases of it, instead of an IRA purchase blocking the harvest — a loss washed
    by an IRA purchase is lost for good (Rev. Rul. 2008-5).
    """
    return np.lexsort((account_type != AccountType.TAXABLE, household_ids))


def block_household_after(
    a: int,
    sold_at_loss: np.ndarray,
    bought: np.ndarray,
    household_ids: np.ndarray,
    identical_group: np.ndarray,
    buy_blocked: np.ndarray,
    loss_sale_blocked: np.ndarray,
) -> None:
    """Update the (m, n) masks, in place, for the other accounts of account ``a``'s household.

    ``sold_at_loss`` are the securities (indices into the n securities) of ``a``'s lot sales at a
    loss tonight, ``bought`` those it buys. Securities identical to one ``a`` sells at a loss
    tonight may not be bought by the others; securities identical to one ``a`` buys tonight may
    not be sold by them at a loss.
    """
    others = np.flatnonzero(household_ids == household_ids[a])
    others = others[others != a]
    if others.size == 0:
        return
    for traded, mask in ((sold_at_loss, buy_blocked), (bought, loss_sale_blocked)):
        if len(traded):
            groups = identical_group[traded]
            mask[np.ix_(others, np.isin(identical_group, groups))] = True
