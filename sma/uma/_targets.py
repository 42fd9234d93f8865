"""What the engine decides a UMA account against: its sleeves' blended target as a benchmark of
its own.

Issue 19, "The overlay decision": "One tax-aware decision per UMA account across its sleeves";
"restrictions, ESG screens and tilts apply account-wide on top of every model". The engine decides
an account against ``benchmark_id`` and ``cash_target`` and applies restrictions, screens and tilts
on top; so a UMA account gets a benchmark of its own, ``UMA:<account_id>``, carrying its sleeves'
blended weights (:func:`sma.uma.blended_target`), and its cash sleeves as its cash target. One
decision per account means trades are netted across its sleeves by construction. A sleeve whose
model has no version in force cannot be placed: the account is held out (MODEL_MISSING), never
traded against a partial target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from sma.inbox import Implementation
from sma.rebalance import ExceptionKind
from sma.uma._blend import blended_target
from sma.uma._models import models_in_force

#: A UMA account's own benchmark id: ``UMA:<account_id>`` (a ':' no inbox id may carry).
UMA_BENCHMARK_PREFIX = "UMA:"


def uma_benchmark_id(account_id: str) -> str:
    """The benchmark id carrying a UMA account's blended sleeve target."""
    return f"{UMA_BENCHMARK_PREFIX}{account_id}"


def is_uma(accounts: pd.DataFrame) -> pd.Series:
    """Whether each account's ``implementation`` is UMA (blank or absent: manager-traded).

    Parameters
    ----------
    accounts : inbox ``accounts`` rows.

    Returns
    -------
    Series of bool, aligned to ``accounts``.
    """
    if "implementation" not in accounts.columns:
        return pd.Series(False, index=accounts.index)
    kind = accounts["implementation"].fillna("").astype(str).str.upper()
    return kind == Implementation.UMA


@dataclass(frozen=True)
class UmaTargets:
    """The engine's view of tonight's UMA accounts.

    Attributes
    ----------
    accounts : the accounts given, UMA rows with ``benchmark_id`` set to their own
        (:func:`uma_benchmark_id`) and ``cash_target`` to their cash sleeves' target weight.
    benchmarks : benchmark_id, symbol, weight -- one benchmark per placed UMA account, its
        sleeves' blended weights over invested symbols, normalised to sum to 1 (the engine scales
        them to ``1 - cash_target``).
    held : account_id, kind (MODEL_MISSING), reason -- UMA accounts that cannot be placed tonight.
    """

    accounts: pd.DataFrame
    benchmarks: pd.DataFrame
    held: pd.DataFrame


def uma_targets(
    accounts: pd.DataFrame, sleeves: pd.DataFrame, models: pd.DataFrame, as_of: date
) -> UmaTargets:
    """Give every UMA account its sleeves' blended target as a benchmark and cash target.

    Parameters
    ----------
    accounts : inbox ``accounts`` (``implementation`` optional).
    sleeves : inbox ``sleeves``: account_id, sleeve_id, model_id, target_weight, drift_band.
    models : every stored model version (provider_id, model_id, effective_date, symbol, weight).
    as_of : tonight: each sleeve follows its model's version in force (:func:`models_in_force`).

    Returns
    -------
    UmaTargets
    """
    uma = is_uma(accounts)
    ids = accounts.loc[uma, "account_id"].astype(str)
    mine = sleeves[sleeves["account_id"].astype(str).isin(ids)]
    in_force = models_in_force(models, as_of) if len(models) else models
    blend = blended_target(mine, in_force if len(in_force) else _no_models())
    why = {
        a: f"UMA sleeve {s} follows model {m}, which has no version in force on {as_of}"
        for a, s, m in blend.unplaced.itertuples(index=False)
    }
    # each distinct id once: iterating ~470,000 weights' ids took most of the step (issue 23)
    invested = set(blend.weights["account_id"].unique())
    with_sleeves = set(mine["account_id"])
    for a in ids:
        if a not in why and a not in invested:
            why[a] = (
                "UMA account has no sleeve following a model tonight"
                if a in with_sleeves
                else "UMA account has no sleeves tonight"
            )
    placed = ids[~ids.isin(list(why))]
    weights = blend.weights[blend.weights["account_id"].isin(placed)]
    total = weights.groupby("account_id")["weight"].transform("sum")
    followed = weights["account_id"].astype(str)
    benchmarks = pd.DataFrame(
        {
            # uma_benchmark_id of each, as one Arrow text column ([] keeps an empty one's type)
            "benchmark_id": (UMA_BENCHMARK_PREFIX + followed).array if len(followed) else [],
            "symbol": weights["symbol"].to_numpy(),
            "weight": (weights["weight"] / total).to_numpy(float),
        }
    )
    out = accounts.copy()
    rows = uma & out["account_id"].astype(str).isin(placed)
    out.loc[rows, "benchmark_id"] = [uma_benchmark_id(a) for a in out.loc[rows, "account_id"]]
    cash = blend.cash.reindex(out.loc[rows, "account_id"].astype(str)).fillna(0.0)
    out.loc[rows, "cash_target"] = cash.to_numpy(float)
    held = pd.DataFrame(
        {
            "account_id": list(why),
            "kind": str(ExceptionKind.MODEL_MISSING),
            "reason": list(why.values()),
        }
    )
    return UmaTargets(accounts=out, benchmarks=benchmarks, held=held)


def _no_models() -> pd.DataFrame:
    return pd.DataFrame(
        {"model_id": pd.Series(dtype=object), "symbol": pd.Series(dtype=object), "weight": []}
    )
