"""``sma.uma.structure_fits`` as it was written at b6dfc45, one household at a time: the
specification the one-pass version keeps, line for line and value for value. It looked up each
household in the whole frame (``hh in by_stock.index.get_level_values(0)``, ``who["household_id"]
== hh``), so a 100,000-account night's review page spent ~7 minutes here."""

from __future__ import annotations

import pandas as pd

from sma.uma import structure_fit


def loop_structure_fits(accounts, holdings, providers, sma_minimum, uma_minimum) -> pd.DataFrame:
    value = accounts.set_index("account_id")["value"].astype(float).fillna(0.0)
    household = accounts.set_index("account_id")["household_id"]
    held = holdings.assign(
        usd=holdings["weight"].astype(float)
        * holdings["account_id"].map(value).astype(float).fillna(0.0),
        household_id=holdings["account_id"].map(household),
    )
    by_stock = held.groupby(["household_id", "symbol"])["usd"].sum()
    managed = set(providers["account_id"])
    firm = accounts.loc[~accounts["account_id"].isin(managed), ["account_id"]].assign(
        provider_id="\x00firm"
    )
    who = pd.concat([providers[["account_id", "provider_id"]], firm], ignore_index=True)
    who = who.assign(household_id=who["account_id"].map(household))
    rows = []
    for hh, mine in accounts.groupby("household_id", sort=True):
        unknown = int(mine["value"].isna().sum())
        total = float(mine["value"].astype(float).fillna(0.0).sum())
        has = hh in by_stock.index.get_level_values(0)
        stocks = by_stock.xs(hh, level=0) if has else pd.Series(dtype=float)
        top = str(stocks.idxmax()) if len(stocks) else ""
        weight = float(stocks.max()) / total if top and total > 0 else 0.0
        line = structure_fit(
            total,
            weight,
            top,
            len(mine),
            int(who.loc[who["household_id"] == hh, "provider_id"].nunique()),
            int(mine["account_type"].astype(str).str.upper().nunique()),
            sma_minimum,
            uma_minimum,
        )
        if unknown:
            line += f" (value of {unknown} account{'s' if unknown != 1 else ''} unknown tonight)"
        rows.append({"household_id": hh, "value": total, "fit": line})
    return pd.DataFrame(rows, columns=["household_id", "value", "fit"])
