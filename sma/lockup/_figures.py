"""Per account: how appreciated it is, what is left to harvest, and whether it is locked up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.rebalance import ExceptionKind, ShardInputs

#: The columns of ``lockup_figures``: money in USD, shares and tracking errors as fractions.
LOCKUP_COLUMNS = (
    "account_id",
    "account_value",
    "appreciated_value",
    "appreciated_share",
    "harvest_potential",
    "harvest_potential_share",
    "wash_blocked_losses",
    "te_before",
    "te_after",
    "max_tracking_error",
    "gain_budget_left",
    "gains_tonight",
    "budget_bound",
    "te_limit",
    "locked_up",
)


@dataclass(frozen=True)
class LockupThresholds:
    """When a position counts as appreciated and an account as locked up.

    Attributes
    ----------
    gain_threshold : float
        A position is appreciated when its unrealized gain is above this fraction of its basis.
        0.5 (up 50 %): selling it realizes gains of a third of what it raises, so the engine trades
        it only for a large cut in tracking error.
    harvest_floor : float
        Harvest potential left under this fraction of account value counts as "little left to
        harvest". 0.005 (0.5 %): at a 37 % rate at most 18 bp of value in tax saved, less than
        one year of a typical drift's cost.
    budget_slack : float
        The gain budget binds when tonight's gains used all but this fraction of what was left of
        it before tonight (0.02: within 2 %, the engine's whole-share rounding), or nothing was
        left.
    """

    gain_threshold: float = 0.5
    harvest_floor: float = 0.005
    budget_slack: float = 0.02


def lockup_figures(
    inputs: ShardInputs, records: pd.DataFrame, thresholds: LockupThresholds
) -> pd.DataFrame:
    """The lock-up figures of every account of a shard, after tonight's decision.

    Parameters
    ----------
    inputs : ShardInputs
        The shard as the engine decided it tonight (lots before tonight's trades).
    records : DataFrame
        The engine's decision records (``sma.rebalance.RECORD_COLUMNS``): ``te_before``,
        ``te_after``, ``exception``, ``realized_st``, ``realized_lt`` per account.
    thresholds : LockupThresholds

    Returns
    -------
    DataFrame
        One row per account of ``inputs`` (``LOCKUP_COLUMNS``): ``account_value`` (securities,
        cash and tonight's cash flow, USD); ``appreciated_value`` (USD) and ``appreciated_share``
        (of account value) in positions whose unrealized gain is above ``gain_threshold`` of their
        basis; ``harvest_potential`` (USD of unrealized losses in loss lots a sale tonight may
        realize: wash-sale blocked lots left out, in ``wash_blocked_losses``; 0 for accounts that
        do not harvest) and its share of value; tracking errors (annual fractions);
        ``gain_budget_left`` (USD of net gains still allowed this year before tonight, NaN: no
        budget); ``gains_tonight`` (USD, net realized by tonight's decision); ``budget_bound``;
        ``te_limit`` (the drift is not fixed: tonight's decision ended TE_LIMIT, or its tracking
        error after trading is above the max while the budget binds) and ``locked_up``
        (a taxable account with ``te_limit`` and harvest potential under ``harvest_floor``).
        Tax-deferred accounts pay no tax on a sale, so nothing locks them up.
    """
    m, n = inputs.m, inputs.n
    value_lot = inputs.lot_values()
    gain_lot = value_lot - inputs.lot_basis
    flat = inputs.lot_account * n + inputs.lot_security
    pos_value = np.bincount(flat, value_lot, minlength=m * n)
    pos_basis = np.bincount(flat, inputs.lot_basis, minlength=m * n)
    appreciated = (pos_value - pos_basis) > thresholds.gain_threshold * pos_basis
    appreciated_value = np.where(appreciated, pos_value, 0.0).reshape(m, n).sum(axis=1)
    blocked = inputs.loss_sale_blocked[inputs.lot_account, inputs.lot_security]
    harvests = (inputs.taxable & inputs.tlh_enabled)[inputs.lot_account]
    loss = np.where(gain_lot < 0, -gain_lot, 0.0) * harvests
    potential = np.bincount(inputs.lot_account, loss * ~blocked, minlength=m)
    washed = np.bincount(inputs.lot_account, loss * blocked, minlength=m)
    value = inputs.account_values()
    rec = records.set_index("account_id").reindex(inputs.account_ids)
    gains = (rec["realized_st"].fillna(0.0) + rec["realized_lt"].fillna(0.0)).to_numpy(float)
    left = inputs.gain_budget_remaining.astype(float)
    budgeted = np.isfinite(left)
    bound = budgeted & ((left <= 0) | (left - gains <= thresholds.budget_slack * np.abs(left)))
    te_after = rec["te_after"].to_numpy(float)
    limit = inputs.max_tracking_error.astype(float)
    te_limit = (rec["exception"].fillna("") == str(ExceptionKind.TE_LIMIT)).to_numpy() | (
        (te_after > limit) & bound
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(value > 0, potential / value, 0.0)
        appreciated_share = np.where(value > 0, appreciated_value / value, 0.0)
    return pd.DataFrame(
        {
            "account_id": inputs.account_ids.astype(str),
            "account_value": value,
            "appreciated_value": appreciated_value,
            "appreciated_share": appreciated_share,
            "harvest_potential": potential,
            "harvest_potential_share": share,
            "wash_blocked_losses": washed,
            "te_before": rec["te_before"].to_numpy(float),
            "te_after": te_after,
            "max_tracking_error": limit,
            "gain_budget_left": np.where(budgeted, left, np.nan),
            "gains_tonight": gains,
            "budget_bound": bound,
            "te_limit": te_limit,
            "locked_up": inputs.taxable & te_limit & (share < thresholds.harvest_floor),
        },
        columns=list(LOCKUP_COLUMNS),
    )
