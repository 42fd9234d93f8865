"""What tonight's model versions changed (issue 19: "A model change (a new effective_date) is
picked up by the next night and reported: what changed, which accounts follow it").

Reads the store's history of model versions and tonight's sleeves, compares the version in force
tonight with the one in force on the last night loaded before it (:func:`sma.uma.model_changes`),
and writes ``model_changes.parquet`` to the run folder; the summary counts it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.night import _files
from pipelines.night._run import Night
from sma.uma import model_changes

FILE = "model_changes.parquet"


def read_uma_inbox(con: duckdb.DuckDBPyConnection, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every model version in force on or before ``as_of`` and tonight's sleeves, from the store."""
    models = con.execute(
        "SELECT provider_id, model_id, effective_date, symbol, weight FROM inbox_models "
        "WHERE effective_date <= ?",
        [as_of],
    ).df()
    sleeves = con.execute(
        "SELECT account_id, sleeve_id, model_id, target_weight, drift_band FROM inbox_sleeves "
        "WHERE as_of_date = ? ORDER BY account_id, sleeve_id",
        [as_of],
    ).df()
    return models, sleeves


def followers_of_changes(night: Night) -> set[str]:
    """The accounts following a model whose version changed tonight (``model_changes.parquet``,
    written by :func:`write_model_changes`): a model change is a trigger for them."""
    changes = _files.read_parquet(str(night.run_dir / FILE))
    return {a for joined in changes["accounts"] for a in str(joined).split(";") if a}


def write_model_changes(con: duckdb.DuckDBPyConnection, night: Night) -> dict[str, int]:
    """Write tonight's model changes to the run folder; returns the summary's counts: models
    changed, symbol rows, accounts following a changed model."""
    previous = con.execute(
        "SELECT max(as_of_date) FROM snapshots WHERE as_of_date < ?", [night.as_of]
    ).fetchone()
    models, sleeves = read_uma_inbox(con, night.as_of)
    changes = model_changes(models, sleeves, night.as_of, previous[0] if previous else None)
    _files.write_parquet(str(night.run_dir / FILE), changes, "prepare:model_changes")
    followers = {a for joined in changes["accounts"] for a in joined.split(";") if a}
    return {
        "models": int(len(changes.drop_duplicates(["provider_id", "model_id"]))),
        "symbols": int(len(changes)),
        "accounts": len(followers),
    }
