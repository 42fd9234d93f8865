"""What would unlock a locked-up account, as the engine itself would trade it.

Each remedy changes one input of the account and reruns the night's own per-account decision
(``sma.rebalance.screen_accounts`` and ``decide_account``, the same entry ``decide`` calls), so its
tracking error and gains are the ones the engine would produce, never an estimate of them.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.rebalance import EngineParams, ShardInputs, decide_account, screen_accounts
from sma.risk import RiskModel

#: The columns of ``quantify_remedies``: tracking error an annual fraction, money in USD.
REMEDY_COLUMNS = (
    "account_id",
    "remedy",
    "what",
    "te_after",
    "max_tracking_error",
    "realized_st",
    "realized_lt",
    "status",
    "exception",
)

_PER_ACCOUNT = (
    "account_ids",
    "household_ids",
    "account_type",
    "tlh_enabled",
    "st_rate",
    "lt_rate",
    "max_tracking_error",
    "gain_budget_remaining",
    "min_trade_value",
    "cash_target",
    "cash",
    "cash_flow",
    "benchmark_changed",
    "restriction_changed",
    "fractional_shares",
    "uma",
)
_PER_POSITION = ("target", "buy_blocked", "loss_sale_blocked", "no_sell", "exclude")
_PER_LOT = ("lot_security", "lot_ids", "lot_qty", "lot_basis", "lot_long_term")


class Remedy(StrEnum):
    """The remedies the engine quantifies, one input changed each."""

    ADD_CASH = "ADD_CASH"  # a contribution of a fraction of value, invested by the engine
    WIDEN_BUDGET = "WIDEN_BUDGET"  # the year's gain budget raised by a fraction of itself
    NO_BUDGET = "NO_BUDGET"  # no gain budget at all: the drift's full tax cost, for scale
    NO_TILTS = "NO_TILTS"  # the personalised target without the client's tilts


def one_account(inputs: ShardInputs, a: int) -> ShardInputs:
    """Account ``a`` of ``inputs`` alone, as a shard of one (its lots, masks and target)."""
    lots = inputs.lots_of(a)
    fields: dict[str, np.ndarray | None] = {}
    for name in _PER_ACCOUNT:
        column = getattr(inputs, name)
        fields[name] = None if column is None else column[a : a + 1]
    for name in _PER_POSITION:
        fields[name] = getattr(inputs, name)[a : a + 1]
    for name in _PER_LOT:
        fields[name] = getattr(inputs, name)[lots]
    return replace(inputs, lot_account=np.zeros(lots.size, dtype=np.int64), **fields)


def _variants(
    alone: ShardInputs,
    annual_budget: float,
    untilted: np.ndarray | None,
    cash_added: float,
    budget_widening: float,
) -> list[tuple[Remedy, str, ShardInputs]]:
    value = float(alone.account_values()[0])
    added = cash_added * value
    out = [
        (
            Remedy.ADD_CASH,
            f"add ${added:,.0f} of cash ({cash_added:.0%} of value)",
            replace(alone, cash=alone.cash + added),
        )
    ]
    left = float(alone.gain_budget_remaining[0])
    if np.isfinite(left):
        wider = budget_widening * annual_budget
        if wider > 0:  # a zero budget widened by a fraction stays zero: NO_BUDGET says it all
            out.append(
                (
                    Remedy.WIDEN_BUDGET,
                    f"widen the gain budget by {budget_widening:.0%} (${wider:,.0f} more this "
                    "year)",
                    replace(alone, gain_budget_remaining=alone.gain_budget_remaining + wider),
                )
            )
        out += [
            (
                Remedy.NO_BUDGET,
                "no gain budget this year",
                replace(alone, gain_budget_remaining=np.full(1, np.inf)),
            ),
        ]
    if untilted is not None and not np.allclose(untilted, alone.target[0], atol=1e-12):
        out.append(
            (Remedy.NO_TILTS, "remove the tilts", replace(alone, target=untilted[None, :].copy()))
        )
    return out


def quantify_remedies(
    inputs: ShardInputs,
    model: RiskModel,
    params: EngineParams,
    accounts: list[str],
    annual_budget: np.ndarray,
    untilted: dict[str, np.ndarray],
    cash_added: float = 0.05,
    budget_widening: float = 0.5,
) -> pd.DataFrame:
    """Each remedy of each of ``accounts``, decided by the engine.

    Parameters
    ----------
    inputs : ShardInputs
        The shard as decided tonight; securities in ``model.symbols``' order.
    model : RiskModel
    params : EngineParams
        The night's engine parameters.
    accounts : list of str
        The account ids to examine (the locked-up ones, as many as the night allows).
    annual_budget : ndarray of shape (m,), USD
        Each account's gain budget for the year (NaN or inf: none), what ``budget_widening`` is a
        fraction of.
    untilted : dict of str to ndarray of shape (n,)
        Per account with tilts, its personalised target without them (weights); an account not in
        it has no NO_TILTS remedy.
    cash_added : float
        The ADD_CASH contribution, a fraction of account value.
    budget_widening : float
        The WIDEN_BUDGET increase, a fraction of the year's budget.

    Returns
    -------
    DataFrame
        ``REMEDY_COLUMNS``, one row per account and remedy that applies (WIDEN_BUDGET and
        NO_BUDGET only for an account with a budget): ``what`` in a PM's words, the tracking error
        after the engine's trades, the short- and long-term gains they realize, and the decision's
        status and exception.
    """
    index = pd.Index(inputs.account_ids)
    rows = []
    for account_id in accounts:
        a = int(index.get_loc(account_id))
        alone = one_account(inputs, a)
        for remedy, what, variant in _variants(
            alone,
            float(annual_budget[a]),
            untilted.get(account_id),
            cash_added,
            budget_widening,
        ):
            screen = screen_accounts(variant, model, params)
            _, _, record = decide_account(variant, 0, model, params, screen)
            rows.append(
                {
                    "account_id": account_id,
                    "remedy": str(remedy),
                    "what": what,
                    "te_after": float(record["te_after"]),
                    "max_tracking_error": float(record["max_tracking_error"]),
                    "realized_st": float(record["realized_st"]),
                    "realized_lt": float(record["realized_lt"]),
                    "status": str(record["status"]),
                    "exception": str(record["exception"]),
                }
            )
    return pd.DataFrame(rows, columns=list(REMEDY_COLUMNS))
