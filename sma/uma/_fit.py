"""Which structure fits a household: the manager-traded SMA or the model-delivered UMA.

Issue 19, "Minimums": "the seed's choice questions become a per-household 'structure fit' line on
the review page: size, legacy concentration, number of accounts and managers, need for household
coordination". The rule, in order:

1. Under the UMA minimum: neither fits yet.
2. Under the SMA minimum (``sma_minimum_usd``): the UMA fits (it reaches smaller accounts).
3. Models from two or more providers: the UMA fits (an overlay coordinates the managers' sleeves).
4. Otherwise the manager-traded SMA fits.

The line then names what else weighs on the choice: several accounts (the household's wash sales
and gains need coordinating; different tax types make asset location matter) and a legacy
position of at least :data:`LEGACY_CONCENTRATION` of the household (a tax-aware transition).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A single stock at least this fraction of the household's value is named as legacy
#: concentration.
LEGACY_CONCENTRATION = 0.10


def compact_usd(x: float) -> str:
    """$180k, $1.2M: a household's size at a glance.

    Parameters
    ----------
    x : USD.

    Returns
    -------
    str
    """
    if abs(x) >= 1e6:
        return f"${x / 1e6:.1f}M"
    if abs(x) >= 1e3:
        return f"${x / 1e3:.0f}k"
    return f"${x:.0f}"


def structure_fit(
    value: float,
    largest_weight: float,
    largest_symbol: str,
    accounts: int,
    providers: int,
    tax_types: int,
    sma_minimum: float,
    uma_minimum: float,
) -> str:
    """The household's structure fit line (the module's rule).

    Parameters
    ----------
    value : the household's accounts' value together, USD.
    largest_weight : the largest single stock's weight of that value, fraction.
    largest_symbol : that stock.
    accounts : the household's number of accounts.
    providers : distinct model providers across its accounts (a manager-traded account's is the
        firm: 1).
    tax_types : distinct tax types of its accounts (TAXABLE, IRA, ROTH).
    sma_minimum, uma_minimum : the firm's minimums, USD (settings ``sma_minimum_usd``,
        ``uma_minimum_usd``).

    Returns
    -------
    str
        e.g. "UMA fits: $180k (under the $250k SMA minimum), 3 managers" or "Manager-traded SMA
        fits: $1.2M, 1 account, legacy AAPL 28 %".
    """
    size = compact_usd(value)
    managers = f"{providers} manager{'s' if providers != 1 else ''}"
    if value < uma_minimum:
        head = f"Neither fits yet: {size} (under the {compact_usd(uma_minimum)} UMA minimum)"
    elif value < sma_minimum:
        head = f"UMA fits: {size} (under the {compact_usd(sma_minimum)} SMA minimum), {managers}"
    elif providers >= 2:
        head = f"UMA fits: {size}, {managers}"
    else:
        head = f"Manager-traded SMA fits: {size}"
    parts = [head, f"{accounts} account{'s' if accounts != 1 else ''}"]
    if accounts > 1:
        parts.append(
            "household coordination" + (f" across {tax_types} tax types" if tax_types > 1 else "")
        )
    if largest_weight >= LEGACY_CONCENTRATION:
        parts.append(f"legacy {largest_symbol} {largest_weight * 100:.0f} %")
    return ", ".join(parts)


def structure_fits(
    accounts: pd.DataFrame,
    holdings: pd.DataFrame,
    providers: pd.DataFrame,
    sma_minimum: float,
    uma_minimum: float,
) -> pd.DataFrame:
    """:func:`structure_fit` for every household of ``accounts``.

    Parameters
    ----------
    accounts : account_id, household_id, account_type, value (USD; NaN: not valued tonight, e.g.
        a held account -- counted as $0 and said in the line).
    holdings : account_id, symbol, weight (fraction of the account).
    providers : account_id, provider_id -- the providers of a UMA account's models; an account
        without a row is manager-traded (the firm, one provider shared by all such accounts).
    sma_minimum, uma_minimum : USD.

    Returns
    -------
    Frame household_id, value, fit, sorted by household_id.
    """
    value = accounts.set_index("account_id")["value"].astype(float).fillna(0.0)
    household = accounts.set_index("account_id")["household_id"]
    held = holdings.assign(
        usd=holdings["weight"].astype(float)
        * holdings["account_id"].map(value).astype(float).fillna(0.0),
        household_id=holdings["account_id"].map(household),
    )
    by_stock = held.groupby(["household_id", "symbol"])["usd"].sum()
    # Each household's largest stock: the first symbol (in sorted order) of the largest sum.
    if len(by_stock):
        largest = by_stock.groupby(level=0, sort=True)
        top_symbol = largest.idxmax().map(lambda key: str(key[1]))
        top_usd = largest.max()
    else:
        top_symbol, top_usd = pd.Series(dtype=object), pd.Series(dtype=float)
    managed = set(providers["account_id"])
    firm = accounts.loc[~accounts["account_id"].isin(managed), ["account_id"]].assign(
        provider_id="\x00firm"
    )
    who = pd.concat([providers[["account_id", "provider_id"]], firm], ignore_index=True)
    who = who.assign(household_id=who["account_id"].map(household))
    managers = who.groupby("household_id", sort=True)["provider_id"].nunique()
    # One pass over the accounts: each household's rows, in the frame's order, as a group's own.
    groups = accounts.groupby("household_id", sort=True)
    code = groups.ngroup().to_numpy(dtype=float)
    kept = ~np.isnan(code)  # a row without a household is in no group (NaN)
    code = code[kept].astype(np.int64)
    order = np.flatnonzero(kept)[np.argsort(code, kind="stable")]
    ends = np.cumsum(np.bincount(code, minlength=groups.ngroups))
    starts = np.concatenate([[0], ends[:-1]])
    usd = accounts["value"].astype(float).fillna(0.0).to_numpy()[order]
    unknown = accounts["value"].isna().to_numpy()[order]
    types = accounts["account_type"].astype(str).str.upper().to_numpy()[order]
    rows = []
    for g, hh in enumerate(groups.size().index):
        mine = slice(starts[g], ends[g])
        n_unknown = int(unknown[mine].sum())
        # np.sum of the group's values in their order: Series.sum's own arithmetic, to the bit.
        total = float(np.sum(usd[mine]))
        top = str(top_symbol[hh]) if hh in top_symbol.index else ""
        weight = float(top_usd[hh]) / total if top and total > 0 else 0.0
        line = structure_fit(
            total,
            weight,
            top,
            mine.stop - mine.start,
            int(managers.get(hh, 0)),
            int(pd.Series(types[mine]).nunique()),
            sma_minimum,
            uma_minimum,
        )
        if n_unknown:
            line += (
                f" (value of {n_unknown} account{'s' if n_unknown != 1 else ''} unknown tonight)"
            )
        rows.append({"household_id": hh, "value": total, "fit": line})
    return pd.DataFrame(rows, columns=["household_id", "value", "fit"])
