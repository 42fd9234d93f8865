"""Step 5, beside each shard's decision: the lock-up monitor (issue 21).

Per account of the shard, the lock-up figures after tonight's decision (``sma.lockup``); for the
locked-up accounts, worst tracking error first and at most the shard's part of
``[lockup] max_accounts_per_night``, the remedies the engine reruns for them. Written beside the
shard's decision as ``lockup.parquet`` and ``lockup_remedies.parquet``; the check step gathers
them into the proposal, where the review page and ``sma firm`` read them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.night import _files
from pipelines.night._run import Night
from sma.lockup import lockup_figures, quantify_remedies
from sma.rebalance import EngineOutput, ShardInputs, shard_from_frames
from sma.risk import RiskModel


def accounts_to_examine(figures: pd.DataFrame, limit: int) -> list[str]:
    """The locked-up accounts of ``figures``, furthest above their max tracking error first, at
    most ``limit``."""
    locked = figures[figures["locked_up"].astype(bool)]
    over = locked["te_after"] / locked["max_tracking_error"]
    order = locked.assign(over=-over).sort_values(["over", "account_id"], kind="stable")
    return list(order["account_id"].head(limit))


def untilted_targets(
    chosen: list[str],
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    restrictions: pd.DataFrame,
    tilts: pd.DataFrame,
    market: pd.DataFrame,
    benchmarks: pd.DataFrame,
    as_of,
) -> dict[str, np.ndarray]:
    """Per chosen account with tilts, its personalised target built without them (same
    benchmark, restrictions and screens: ``sma.rebalance.shard_from_frames``)."""
    tilted = [a for a in chosen if a in set(tilts["account_id"])]
    if not tilted:
        return {}
    mine = accounts[accounts["account_id"].isin(tilted)].reset_index(drop=True)
    inputs = shard_from_frames(
        symbols=market["symbol"].to_numpy(str),
        securities=market,
        closes=market.set_index("symbol")["close"],
        benchmarks=benchmarks,
        accounts=mine,
        lots=lots[lots["account_id"].isin(tilted)],
        cash=pd.DataFrame({"account_id": mine["account_id"], "amount": mine["cash"]}),
        as_of=np.datetime64(as_of, "D"),
        restrictions=restrictions[restrictions["account_id"].isin(tilted)],
        tilts=tilts.iloc[0:0],
    )
    return {str(a): inputs.target[i] for i, a in enumerate(inputs.account_ids)}


def write_lockup(
    night: Night,
    k: str,
    inputs: ShardInputs,
    out: EngineOutput,
    model: RiskModel,
    frames: dict[str, pd.DataFrame],
) -> None:
    """Write the shard's ``lockup.parquet`` and ``lockup_remedies.parquet``.

    ``frames``: the shard's ``accounts``, ``lots``, ``restrictions``, ``tilts`` and the night's
    ``market`` and ``benchmarks`` as the decision read them.
    """
    settings = night.settings.lockup
    figures = lockup_figures(inputs, out.records, settings.thresholds())
    shards = len(night.done_info("prepare")["shards"])
    chosen = accounts_to_examine(figures, math.ceil(settings.max_accounts_per_night / shards))
    accounts = frames["accounts"]
    untilted = (
        untilted_targets(
            chosen,
            accounts,
            frames["lots"],
            frames["restrictions"],
            frames["tilts"],
            frames["market"],
            frames["benchmarks"],
            night.as_of,
        )
        if chosen
        else {}
    )
    budget = (
        accounts.set_index("account_id")["gain_budget"]
        .reindex(inputs.account_ids)
        .astype(float)
        .to_numpy()
    )
    remedies = quantify_remedies(
        inputs,
        model,
        night.settings.engine_params(),
        chosen,
        budget,
        untilted,
        settings.cash_added,
        settings.budget_widening,
        (frames["lots"], night.as_of, settings.gift_share),
    )
    _files.write_parquet(night.uri("decisions", k, "lockup.parquet"), figures.round(10))
    _files.write_parquet(night.uri("decisions", k, "lockup_remedies.parquet"), remedies.round(10))
