"""The account target a UMA account's sleeves blend to.

Issue 19: sleeves "each following one model", each with a "target_weight of the account"; "cash
sleeve allowed". The account's target in a symbol is the sum over its sleeves of the sleeve's
target weight times the symbol's weight in the sleeve's model; a cash sleeve's target weight is
a cash target.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sma.inbox import CASH_MODEL_ID


@dataclass(frozen=True)
class BlendedTarget:
    """What a set of UMA accounts' sleeves add up to.

    Attributes
    ----------
    weights : frame of shape (n_account_symbols, 3): account_id, symbol, weight (fraction of the
        account), sorted by account_id and symbol; a symbol in several sleeves' models appears
        once, its weights added.
    cash : account_id -> the cash target (fraction of the account): the sum of its cash sleeves'
        target weights, 0.0 for an account without one.
    unplaced : the sleeves (account_id, sleeve_id, model_id) whose model has no version in force:
        their target weight is in neither ``weights`` nor ``cash``.
    """

    weights: pd.DataFrame
    cash: pd.Series
    unplaced: pd.DataFrame


def blended_target(sleeves: pd.DataFrame, models: pd.DataFrame) -> BlendedTarget:
    """Blend each account's sleeves into one target: sum over sleeves of target_weight x model
    weight; cash sleeves become the cash target.

    Parameters
    ----------
    sleeves : account_id, sleeve_id, model_id, target_weight (fraction of the account).
    models : the versions in force (:func:`sma.uma.models_in_force`): model_id, symbol, weight.

    Returns
    -------
    BlendedTarget
    """
    is_cash = sleeves["model_id"] == CASH_MODEL_ID
    accounts = pd.Index(sorted(sleeves["account_id"].unique()), name="account_id")
    cash = (
        sleeves[is_cash]
        .groupby("account_id")["target_weight"]
        .sum()
        .reindex(accounts, fill_value=0.0)
        .astype(float)
        .rename("cash_target")
    )
    invested = sleeves[~is_cash]
    placed = invested.merge(models[["model_id", "symbol", "weight"]], on="model_id")
    placed = placed.assign(weight=placed["target_weight"] * placed["weight"])
    weights = (
        placed.groupby(["account_id", "symbol"], as_index=False)["weight"]
        .sum()
        .sort_values(["account_id", "symbol"])
        .reset_index(drop=True)
    )
    unplaced = invested[~invested["model_id"].isin(models["model_id"])]
    return BlendedTarget(
        weights=weights,
        cash=cash,
        unplaced=unplaced[["account_id", "sleeve_id", "model_id"]].reset_index(drop=True),
    )
