"""The nightly decision for one shard: screen, then optimise, round and explain each triggered account."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sma.rebalance._household import block_household_after, household_order
from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams
from sma.rebalance._problem import AccountProblem, build_problem
from sma.rebalance._records import (
    LOT_SELL_COLUMNS,
    RECORD_COLUMNS,
    TRADE_COLUMNS,
    DecisionStatus,
    buy_reasons,
    sell_reasons,
)
from sma.rebalance._rounding import WholeShares, cash_after, round_to_whole_shares
from sma.rebalance._screen import Screen, screen_accounts
from sma.rebalance._signs import solve_account
from sma.risk import RiskModel, RiskModelError, tracking_error


@dataclass(frozen=True)
class EngineOutput:
    """The engine's answer for a shard: frames with columns TRADE_COLUMNS, LOT_SELL_COLUMNS, RECORD_COLUMNS."""

    trades: pd.DataFrame
    lot_sells: pd.DataFrame
    records: pd.DataFrame


def _record(shard, a, screen, status, reason, **numbers) -> dict:
    base = dict(
        account_id=shard.account_ids[a], status=str(status), reason=reason, triggers=screen.reasons_of(a),
        te_before=screen.te[a], te_after=screen.te[a], max_tracking_error=float(shard.max_tracking_error[a]),
        realized_st=0.0, realized_lt=0.0, losses_harvested=0.0, est_tax_saved=0.0, turnover=0.0,
        cash_before=float(shard.cash[a] + shard.cash_flow[a]), cash_after=float(shard.cash[a] + shard.cash_flow[a]),
        account_value=float(screen.value[a]), objective=np.nan, solver_status="not_run", iterations=0,
        sign_conflicts=0, risk_aversion=np.nan,
    )
    base.update(numbers)
    return base


def _explain(shard: ShardInputs, problem: AccountProblem, ws: WholeShares, model: RiskModel, params: EngineParams):
    """Trades and lot sells (columns of TRADE_COLUMNS and LOT_SELL_COLUMNS, as arrays) and the numbers
    of the decision record for whole-share trades ``ws``."""
    a, assets, v = problem.account, problem.assets, problem.value
    na, acc_id = assets.size, shard.account_ids[a]
    bought = np.bincount(ws.buy_asset, ws.buy * ws.buy_price, minlength=na)
    sold = np.bincount(ws.sell_asset, ws.sell * ws.sell_price, minlength=na)
    lot_gain = ws.sell * ws.gain_per_share
    realized = np.bincount(ws.sell_asset, lot_gain, minlength=na)
    taxable = bool(shard.taxable[a])
    harvests = taxable and bool(shard.tlh_enabled[a])
    sectors = shard.sectors[assets]
    sell_r = sell_reasons(shard.exclude[a, assets], realized, harvests, problem.target == 0, problem.kappa < 0)
    harvested_sectors = np.unique(sectors[(sold > 0) & (sell_r == "HARVEST")])
    buy_r = buy_reasons(np.isin(sectors, harvested_sectors), problem.kappa > params.cash_tolerance)
    s_idx, b_idx = np.flatnonzero(sold > 0), np.flatnonzero(bought > 0)
    prices = shard.prices[assets]
    sold_qty = np.bincount(ws.sell_asset, ws.sell, minlength=na)
    trades = {
        "account_id": np.full(s_idx.size + b_idx.size, acc_id, dtype=object),
        "symbol": np.concatenate([shard.symbols[assets[s_idx]], shard.symbols[assets[b_idx]]]).astype(object),
        "side": np.array(["SELL"] * s_idx.size + ["BUY"] * b_idx.size, dtype=object),
        "quantity": np.concatenate([sold_qty[s_idx], np.bincount(ws.buy_asset, ws.buy, minlength=na)[b_idx]]),
        "price": np.concatenate([prices[s_idx], prices[b_idx]]),
        "notional": np.concatenate([sold[s_idx], bought[b_idx]]),
        "reason": np.concatenate([sell_r[s_idx], buy_r[b_idx]]).astype(object),
    }
    li = np.flatnonzero(ws.sell > 0)
    lots = problem.lots[li]
    long_term = shard.lot_long_term[lots]
    lot_sells = {
        "account_id": np.full(li.size, acc_id, dtype=object),
        "symbol": shard.symbols[shard.lot_security[lots]].astype(object),
        "lot_id": shard.lot_ids[lots].astype(object),
        "quantity": ws.sell[li], "proceeds": ws.sell[li] * ws.sell_price[li], "realized_gain": lot_gain[li],
        "term": np.where(long_term, "LONG", "SHORT").astype(object), "reason": sell_r[ws.sell_asset[li]].astype(object),
    }
    after = problem.w0 - problem.target + (bought - sold) / v
    te_after = float(tracking_error(problem.risk, after))
    losses = -lot_gain[li][lot_gain[li] < 0].sum() if taxable else 0.0
    rates = np.where(long_term, shard.lt_rate[a], shard.st_rate[a])
    numbers = dict(
        te_after=te_after,
        realized_st=float(lot_gain[li][~long_term].sum()), realized_lt=float(lot_gain[li][long_term].sum()),
        losses_harvested=float(losses),
        est_tax_saved=float(-(lot_gain[li] * rates)[lot_gain[li] < 0].sum()) if taxable else 0.0,
        turnover=float((bought.sum() + sold.sum()) / (2 * v)),
        cash_after=cash_after(ws, float(shard.cash[a] + shard.cash_flow[a]), params.trading_cost),
    )
    return trades, lot_sells, numbers


def _frame(columns: list[dict[str, np.ndarray]], names: list[str]) -> pd.DataFrame:
    """One frame from the column arrays of many accounts (built once: a frame per account is slow)."""
    if not columns:
        return pd.DataFrame(columns=names)
    return pd.DataFrame({name: np.concatenate([c[name] for c in columns]) for name in names}, columns=names)


def _solve_within_tracking_error(shard: ShardInputs, a: int, model: RiskModel, params: EngineParams):
    """Solve; while the answer's tracking error is above the account's max, solve again with the risk
    aversion raised (``params.te_escalations`` times, by ``params.te_escalation_factor``). A penalty
    continuation toward the max_tracking_error limit, which keeps every solve a QP."""
    gamma = params.risk_aversion
    for step in range(params.te_escalations + 1):
        gamma = params.risk_aversion * params.te_escalation_factor**step
        tuned = replace(params, risk_aversion=gamma)
        problem = build_problem(shard, a, model, tuned)
        continuous = solve_account(problem, shard.identical_group, tuned)
        if continuous.status != "optimal":
            break
        net = problem.qp.net_trade(np.concatenate([continuous.buys, continuous.sells]))
        te = float(tracking_error(problem.risk, problem.w0 - problem.target + net))
        if te <= shard.max_tracking_error[a]:
            break
    return problem, continuous, gamma


def _decide_columns(shard: ShardInputs, a: int, model: RiskModel, params: EngineParams, screen: Screen):
    """Optimise one triggered account: trades and lot sells as column arrays (None when there are
    none) and the record; never raises on bad numbers."""
    try:
        problem, continuous, gamma = _solve_within_tracking_error(shard, a, model, params)
    except (np.linalg.LinAlgError, RiskModelError, ValueError, FloatingPointError) as err:
        return None, None, _record(shard, a, screen, DecisionStatus.FAILED,
                                   f"could not be solved ({type(err).__name__}: {err}); no trade, for the PM",
                                   solver_status="error")
    solved = dict(objective=continuous.objective, solver_status=continuous.status,
                  iterations=continuous.iterations, sign_conflicts=continuous.conflicts, risk_aversion=gamma)
    if continuous.status == "infeasible":
        return None, None, _record(
            shard, a, screen, DecisionStatus.FLAGGED,
            "cash cannot be raised to the target: too little may be sold (NO_SELL, wash-sale blocks) within "
            "the gain budget; no trade, for the PM", **solved)
    if continuous.status != "optimal":
        return None, None, _record(shard, a, screen, DecisionStatus.FAILED,
                                   f"solver ended {continuous.status}; no trade, for the PM", **solved)
    ws, ok = round_to_whole_shares(problem, continuous, shard, params)
    if not ok:
        return None, None, _record(
            shard, a, screen, DecisionStatus.FLAGGED,
            "whole-share trades cannot meet the cash target within the gain budget and min_trade_value; "
            "no trade, for the PM", **solved)
    if not (ws.buy.any() or ws.sell.any()):
        return None, None, _record(shard, a, screen, DecisionStatus.NO_TRADE,
                                   "triggered, but no trade is worth its tax and trading cost", **solved)
    trades, lot_sells, numbers = _explain(shard, problem, ws, model, params)
    reasons, counts = np.unique(trades["reason"].astype(str), return_counts=True)
    status, reason = DecisionStatus.TRADED, "traded: " + ", ".join(f"{r} {n}" for r, n in zip(reasons, counts))
    if numbers["te_after"] > shard.max_tracking_error[a]:
        status = DecisionStatus.FLAGGED
        reason += (f"; tracking error stays {numbers['te_after']:.2%} > max {shard.max_tracking_error[a]:.2%} "
                   "after the best allowed trades")
    return trades, lot_sells, _record(shard, a, screen, status, reason, **solved, **numbers)


def decide_account(shard: ShardInputs, a: int, model: RiskModel, params: EngineParams, screen: Screen):
    """Optimise one triggered account. Returns (trades, lot_sells, record); never raises on bad numbers."""
    trades, lot_sells, record = _decide_columns(shard, a, model, params, screen)
    if trades is None:
        return None, None, record
    return _frame([trades], TRADE_COLUMNS), _frame([lot_sells], LOT_SELL_COLUMNS), record


def decide(shard: ShardInputs, model: RiskModel, params: EngineParams = EngineParams()) -> EngineOutput:
    """Screen the shard, optimise each triggered account, and explain every account.

    Parameters
    ----------
    shard : ShardInputs — securities in the same order as ``model.symbols``
    model : RiskModel
    params : EngineParams

    Returns
    -------
    EngineOutput
        One record per account (in shard order); trades and lot sells of TRADED and FLAGGED accounts.
    """
    if not np.array_equal(model.symbols, shard.symbols):
        raise RiskModelError("risk model symbols must be the shard's securities, in the same order")
    screen = screen_accounts(shard, model, params)
    # Each account's trades block wash sales in the rest of its household: decide on copies of
    # the masks that grow as the night's decisions are made.
    shard = replace(shard, buy_blocked=shard.buy_blocked.copy(), loss_sale_blocked=shard.loss_sale_blocked.copy())
    trades, lot_sells, records = [None] * shard.m, [None] * shard.m, [None] * shard.m
    for a in household_order(shard.household_ids, shard.account_type):
        if screen.value[a] <= 0:
            records[a] = _record(shard, a, screen, DecisionStatus.FLAGGED,
                                 "account value after cash flows is not positive; no trade, for the PM")
            continue
        if not screen.triggered[a]:
            records[a] = _record(shard, a, screen, DecisionStatus.NO_TRADE, screen.reasons_of(a))
            continue
        t, ls, records[a] = _decide_columns(shard, a, model, params, screen)
        if t is not None:
            trades[a], lot_sells[a] = t, ls
            block_household_after(a, ls["symbol"][ls["realized_gain"] < 0], t["symbol"][t["side"] == "BUY"],
                                  shard.household_ids, shard.symbols, shard.identical_group,
                                  shard.buy_blocked, shard.loss_sale_blocked)
    return EngineOutput(
        _frame([t for t in trades if t is not None], TRADE_COLUMNS),
        _frame([ls for ls in lot_sells if ls is not None], LOT_SELL_COLUMNS),
        pd.DataFrame(records, columns=RECORD_COLUMNS),
    )
