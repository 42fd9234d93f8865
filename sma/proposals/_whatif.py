"""What-if: what each restriction, ESG screen and tilt costs, alone and all together.

Each preference is a scenario: the account as it stands with that one preference (or all of them,
or none: the plain benchmark). For each, the personalised target the night would build
(``sma.accounts.personalised_targets`` through ``sma.rebalance.day_inputs``), its ex-ante tracking
error against the plain benchmark on the risk model, and the first year's tax cost: the gains the
engine (``sma.rebalance.decide``) realizes tonight moving the account toward that target within
the year's gain budget, and the tax on them at the account's rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.rebalance import EngineParams, LotArrays, account_arrays, day_inputs, decide
from sma.risk import RiskModel, tracking_error

#: Columns of ``WhatIf.table``: one row per scenario.
WHATIF_COLUMNS = [
    "scenario",
    "tracking_error",
    "st_gain",
    "lt_gain",
    "tax",
    "tax_vs_plain",
    "sold",
    "status",
]
#: The scenario with no preference at all.
PLAIN = "plain benchmark"
#: The scenario with every preference asked for.
ALL_TOGETHER = "all together"


@dataclass(frozen=True)
class WhatIf:
    """``table`` (``WHATIF_COLUMNS``; ``status`` the engine's: TRADED, NO_TRADE, or why it would
    need the PM) and each scenario's target, ``targets`` (k, n) weights over
    ``symbols`` (n,), in the table's row order; ``plain`` the plain benchmark's weights (n,)."""

    table: pd.DataFrame
    targets: np.ndarray
    symbols: np.ndarray
    plain: np.ndarray


def _describe(row: pd.Series, what: str) -> str:
    for column in ("symbol", "sector", "esg_tag"):
        value = row.get(column)
        if isinstance(value, str) and value:
            if what == "tilt":
                return f"tilt {column} {value} x{float(row['multiplier']):g}"
            label = "ESG screen" if column == "esg_tag" else str(row["kind"])
            return f"{label} {value}" if column == "esg_tag" else f"{label} {column} {value}"
    return what


def scenarios(restrictions: pd.DataFrame, tilts: pd.DataFrame) -> list[tuple[str, list, list]]:
    """(name, restriction rows, tilt rows) of each scenario: the plain benchmark, each preference
    alone, then all together (only when there are two or more)."""
    out: list[tuple[str, list, list]] = [(PLAIN, [], [])]
    out += [(_describe(r, "restriction"), [i], []) for i, r in restrictions.iterrows()]
    out += [(_describe(t, "tilt"), [], [i]) for i, t in tilts.iterrows()]
    if len(restrictions) + len(tilts) > 1:
        out.append((ALL_TOGETHER, list(restrictions.index), list(tilts.index)))
    return out


def whatif(
    account: pd.DataFrame,
    lots: pd.DataFrame,
    cash: float,
    restrictions: pd.DataFrame,
    tilts: pd.DataFrame,
    securities: pd.DataFrame,
    day: np.datetime64,
    prices: np.ndarray,
    index_weights: np.ndarray,
    benchmark_ids: np.ndarray,
    model: RiskModel,
    engine: EngineParams,
) -> WhatIf:
    """Each preference's tracking error and first-year tax cost, alone and together.

    Parameters
    ----------
    account : DataFrame -- one inbox ``accounts`` row
    lots : DataFrame -- its inbox ``lots`` rows (cost_basis USD)
    cash : float -- USD held
    restrictions, tilts : DataFrame -- the preferences asked for (inbox formats; account_id is
        ignored)
    securities : DataFrame -- the inbox ``securities``, in the order of ``prices`` and the model
    day : datetime64[D] -- the day decided
    prices : ndarray of shape (n,), USD per share
    index_weights : ndarray of shape (B, n) -- rows as ``benchmark_ids``
    model : RiskModel -- over the same securities
    engine : EngineParams

    Returns
    -------
    WhatIf
    """
    restrictions = restrictions.reset_index(drop=True)
    tilts = tilts.reset_index(drop=True)
    cases = scenarios(restrictions, tilts)
    ids = np.array([f"WHATIF-{i}" for i in range(len(cases))])
    accounts = pd.concat([account.iloc[[0]]] * ids.size, ignore_index=True).assign(
        account_id=ids, household_id=[f"H-{a}" for a in ids]
    )
    restr = pd.concat(
        [restrictions.loc[r].assign(account_id=a) for a, (_, r, _) in zip(ids, cases)],
        ignore_index=True,
    )
    tilt = pd.concat(
        [tilts.loc[t].assign(account_id=a) for a, (_, _, t) in zip(ids, cases)],
        ignore_index=True,
    )
    acc = account_arrays(accounts, restr, tilt, securities, benchmark_ids)
    copies = pd.concat([lots.assign(account_id=a) for a in ids], ignore_index=True)
    shard = day_inputs(
        acc,
        day,
        prices,
        index_weights,
        LotArrays.from_frame(copies, ids, acc.universe.symbols),
        np.full(ids.size, float(cash)),
        np.zeros(ids.size),
        np.zeros(ids.size),
        None,
    )
    plain = shard.target[0]
    te = tracking_error(model, shard.target - plain)
    decided = decide(shard, model, engine)
    sells, records = decided.lot_sells, decided.records
    gain = sells["realized_gain"].to_numpy(float)
    long = sells["term"].astype(str).to_numpy() == "LONG"
    a = pd.Index(ids).get_indexer(sells["account_id"].astype(str))
    st, lt, sold = np.zeros(ids.size), np.zeros(ids.size), np.zeros(ids.size)
    np.add.at(st, a[~long], gain[~long])
    np.add.at(lt, a[long], gain[long])
    np.add.at(sold, a, sells["proceeds"].to_numpy(float))
    rec = records.set_index("account_id").reindex(ids)
    why = rec["exception"].fillna("").astype(str).to_numpy()
    status = np.where(why != "", why, rec["status"].astype(str).to_numpy())
    tax = shard.st_rate * st + shard.lt_rate * lt
    table = pd.DataFrame(
        {
            "scenario": [c[0] for c in cases],
            "tracking_error": te,
            "st_gain": st,
            "lt_gain": lt,
            "tax": tax,
            "tax_vs_plain": tax - tax[0],
            "sold": sold,
            "status": status,
        }
    )
    return WhatIf(table[WHATIF_COLUMNS], shard.target, acc.universe.symbols, plain)
