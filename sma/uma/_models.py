"""Model versions: the one in force on a night, and what a new version changed.

Issue 19: "a model is a whole set of weights as of its date ... A model change (a new
effective_date) is picked up by the next night and reported: what changed, which accounts follow
it". A version replaces the previous one whole: a symbol absent from the new version is removed.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd

MODEL_KEY = ["provider_id", "model_id"]

#: The columns of :func:`model_changes`' frame, in order.
CHANGE_COLUMNS = [
    "provider_id",
    "model_id",
    "old_effective_date",
    "new_effective_date",
    "symbol",
    "change",
    "old_weight",
    "new_weight",
    "accounts",
]


class ModelChange(StrEnum):
    """What a new model version did to one symbol."""

    ADDED = "ADDED"  # in the new version, not the old one
    REMOVED = "REMOVED"  # in the old version, not the new one
    REWEIGHTED = "REWEIGHTED"  # in both, with another weight


def models_in_force(models: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The version of each (provider, model) in force on ``as_of``: its latest effective_date on
    or before that night.

    Parameters
    ----------
    models : frame of shape (n_rows, 5), every stored version: provider_id, model_id,
        effective_date (date-like), symbol, weight (fraction of the model).
    as_of : the night.

    Returns
    -------
    The rows of the versions in force, same columns, effective_date as ``datetime64``, sorted
    by provider_id, model_id, symbol. A model whose first version is later than ``as_of`` is
    absent.
    """
    frame = models.assign(effective_date=pd.to_datetime(models["effective_date"]))
    frame = frame[frame["effective_date"] <= pd.Timestamp(as_of)]
    latest = frame.groupby(MODEL_KEY)["effective_date"].transform("max")
    current = frame[frame["effective_date"] == latest]
    return current.sort_values([*MODEL_KEY, "symbol"]).reset_index(drop=True)


def model_changes(
    models: pd.DataFrame, sleeves: pd.DataFrame, as_of: date, previous: date | None
) -> pd.DataFrame:
    """Per model whose version in force changed since the last night, each symbol it added,
    removed or reweighted, and the accounts following the model.

    Parameters
    ----------
    models : every stored model version (see :func:`models_in_force`).
    sleeves : the sleeves tonight: account_id, model_id (at least).
    as_of : tonight.
    previous : the last night run before tonight; ``None`` for the first night, which has no
        last night to compare with, so reports no change.

    Returns
    -------
    Frame with :data:`CHANGE_COLUMNS`: one row per changed symbol of a changed model;
    old_effective_date is NaT and every symbol ADDED for a model that was not in force last night;
    old_weight and new_weight are NaN where the symbol is absent from that version; accounts is
    the sorted ';'-separated account_ids whose sleeves follow the model ('' if none). Sorted by
    provider_id, model_id, symbol. A version restating the same weights changes nothing.
    """
    if previous is None or models.empty:
        return pd.DataFrame({c: [] for c in CHANGE_COLUMNS})
    new = models_in_force(models, as_of)
    old = models_in_force(models, previous)
    new_dates = new.groupby(MODEL_KEY)["effective_date"].first().rename("new_effective_date")
    old_dates = old.groupby(MODEL_KEY)["effective_date"].first().rename("old_effective_date")
    dates = pd.concat([new_dates, old_dates], axis=1).reset_index()
    newer = dates["new_effective_date"] > dates["old_effective_date"]
    changed = dates[
        dates["new_effective_date"].notna() & (dates["old_effective_date"].isna() | newer)
    ]
    key = changed[MODEL_KEY]
    both = pd.merge(
        key.merge(old, on=MODEL_KEY)[[*MODEL_KEY, "symbol", "weight"]],
        key.merge(new, on=MODEL_KEY)[[*MODEL_KEY, "symbol", "weight"]],
        on=[*MODEL_KEY, "symbol"],
        how="outer",
        suffixes=("_old", "_new"),
    ).rename(columns={"weight_old": "old_weight", "weight_new": "new_weight"})
    both["change"] = np.select(
        [both["old_weight"].isna(), both["new_weight"].isna()],
        [ModelChange.ADDED.value, ModelChange.REMOVED.value],
        ModelChange.REWEIGHTED.value,
    )
    both = both[~np.isclose(both["old_weight"], both["new_weight"], rtol=0, atol=1e-12)]
    out = both.merge(changed, on=MODEL_KEY).merge(_followers(sleeves), on="model_id", how="left")
    out["accounts"] = out["accounts"].astype(object).fillna("")
    return out[CHANGE_COLUMNS].sort_values([*MODEL_KEY, "symbol"]).reset_index(drop=True)


def _followers(sleeves: pd.DataFrame) -> pd.DataFrame:
    """model_id -> the sorted ';'-separated accounts with a sleeve following it."""
    if sleeves.empty:
        return pd.DataFrame({"model_id": pd.Series(dtype=object), "accounts": []})
    pairs = sleeves[["model_id", "account_id"]].drop_duplicates().sort_values("account_id")
    joined = pairs.groupby("model_id")["account_id"].agg(";".join)
    return joined.rename("accounts").reset_index()
