"""What would unlock a locked-up account, as the engine itself would trade it.

Each remedy changes one input of the account and reruns the night's own per-account decision
(``sma.rebalance.screen_accounts`` and ``decide_account``, the same entry ``decide`` calls), so its
tracking error and gains are the ones the engine would produce, never an estimate of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.ledger import choose_gift_lots
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

#: The securities' arrays, the same for every account; every other array is per account (its
#: rows) or per lot (``lot_*``).
_PER_SECURITY = ("symbols", "sectors", "identical_group", "prices")
_PER_LOT = ("lot_security", "lot_ids", "lot_qty", "lot_basis", "lot_long_term")


class Remedy(StrEnum):
    """The remedies the engine quantifies, one input changed each."""

    ADD_CASH = "ADD_CASH"  # a contribution of a fraction of value, invested by the engine
    GIFT_LOTS = "GIFT_LOTS"  # the most appreciated long-term lots given to charity, then refilled
    WIDEN_BUDGET = "WIDEN_BUDGET"  # the year's gain budget raised by a fraction of itself
    NO_BUDGET = "NO_BUDGET"  # no gain budget at all: the drift's full tax cost, for scale
    NO_TILTS = "NO_TILTS"  # the personalised target without the client's tilts


def one_account(inputs: ShardInputs, a: int) -> ShardInputs:
    """Account ``a`` of ``inputs`` alone, as a shard of one (its lots, masks and target)."""
    lots = inputs.lots_of(a)
    fields: dict[str, np.ndarray | None] = {}
    for f in dataclasses.fields(inputs):
        column = getattr(inputs, f.name)
        if not f.init or f.name in _PER_SECURITY or f.name == "lot_account" or column is None:
            continue
        fields[f.name] = column[lots] if f.name in _PER_LOT else column[a : a + 1]
    return replace(inputs, lot_account=np.zeros(lots.size, dtype=np.int64), **fields)


def _keep_lots(alone: ShardInputs, keep: np.ndarray, qty: np.ndarray, basis: np.ndarray):
    """``alone`` with only the lots ``keep`` (bool), their shares and basis set to ``qty``,
    ``basis``."""
    fields = {name: getattr(alone, name)[keep] for name in _PER_LOT}
    fields |= {"lot_qty": qty[keep], "lot_basis": basis[keep]}
    return replace(alone, lot_account=alone.lot_account[keep], **fields)


def _gifted(
    alone: ShardInputs, lots: pd.DataFrame, as_of, amount: float
) -> tuple[str, ShardInputs] | None:
    """``alone`` after a gift of ``amount`` USD of its most appreciated long-term lots
    (``sma.ledger.choose_gift_lots``: never short-term, never a loss, never NO_SELL), and the
    words for it; None when no lot may be given."""
    account_id = str(alone.account_ids[0])
    prices = pd.Series(alone.prices, index=alone.symbols)
    barred = pd.DataFrame(
        {"account_id": account_id, "symbol": alone.symbols[alone.no_sell[0]].astype(str)}
    )
    request = pd.DataFrame(
        {"request_id": ["lockup"], "account_id": [account_id], "amount": [amount], "charity": [""]}
    )
    decimals = pd.Series({account_id: 3 if alone.fractional(0) else 0})
    given = choose_gift_lots(
        request, lots, prices, as_of, sell_barred=barred, share_decimals=decimals
    ).lots
    if given.empty:
        return None
    # A lot is (symbol, lot_id): a spin-off's or a merger's new lot keeps its parent's id.
    per_lot = given.astype({"symbol": str, "lot_id": str}).groupby(["symbol", "lot_id"])
    per_lot = per_lot[["quantity", "cost_basis"]].sum()
    ids = pd.MultiIndex.from_arrays(
        [alone.symbols[alone.lot_security].astype(str), alone.lot_ids.astype(str)]
    )
    qty, basis = alone.lot_qty.astype(float).copy(), alone.lot_basis.astype(float).copy()
    at = ids.get_indexer(per_lot.index)
    qty[at] -= per_lot["quantity"].to_numpy(float)
    basis[at] -= per_lot["cost_basis"].to_numpy(float)
    words = (
        f"gift ${given['market_value'].sum():,.0f} of the most appreciated long-term lots "
        f"({len(per_lot)} lot(s), ${given['unrealized_gain'].sum():,.0f} of gains never realized)"
    )
    return words, _keep_lots(alone, qty > 1e-9, qty, basis)


def _variants(
    alone: ShardInputs,
    annual_budget: float,
    untilted: np.ndarray | None,
    cash_added: float,
    budget_widening: float,
    gift: tuple[pd.DataFrame, object, float] | None,
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
    if gift is not None:
        lots, as_of, share = gift
        mine = lots[lots["account_id"].astype(str) == str(alone.account_ids[0])]
        gifted = _gifted(alone, mine, as_of, share * value) if len(mine) else None
        if gifted is not None:
            out.append((Remedy.GIFT_LOTS, *gifted))
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
    gift: tuple[pd.DataFrame, object, float] | None = None,
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
    gift : (DataFrame, date, float) or None
        For GIFT_LOTS: the shard's open lots as the engine saw them (``account_id, lot_id, symbol,
        quantity, cost_basis, adjusted_acquired_date``), tonight's date, and the gift as a
        fraction of account value; None: no GIFT_LOTS remedy.

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
            gift,
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
