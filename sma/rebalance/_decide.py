"""The nightly decision for one shard: screen, then optimise, round and explain each triggered
account."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from sma.ledger import money
from sma.rebalance._binding import AfterTrades, binding_constraints, cash_held_back
from sma.rebalance._household import block_household_after, household_order
from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams, SignMethod
from sma.rebalance._problem import AccountProblem, build_problem, scale_risk_aversion
from sma.rebalance._qp import QPResult
from sma.rebalance._records import (
    LOT_SELL_COLUMNS,
    RECORD_COLUMNS,
    TRADE_COLUMNS,
    TRADE_REASONS,
    DecisionStatus,
    ExceptionKind,
    buy_reasons,
    is_harvest,
    sell_reasons,
)
from sma.rebalance._rounding import WholeShares, cash_after, rules_broken
from sma.rebalance._screen import Screen, screen_accounts
from sma.rebalance._sides import lot_buckets
from sma.rebalance._signs import (
    ContinuousDecision,
    forecast_tracking_error,
    max_cash_raise,
    solve_account,
)
from sma.rebalance._tradable import tradable
from sma.risk import RiskModel, RiskModelError, tracking_error

# The dtype pandas infers for a column of Python strings (its default string dtype).
_STRING = pd.StringDtype("pyarrow", na_value=np.nan)
_SIDES = np.array(["SELL", "BUY"], dtype=object)
_TERMS = np.array(["SHORT", "LONG"], dtype=object)
# The reason codes in the order of their labels' strings (the order the record's words list them).
_REASONS_SORTED = np.argsort(TRADE_REASONS.astype(str), kind="stable")


@dataclass(frozen=True)
class Coded:
    """A string column as integer codes into its labels: the frames convert each label to a
    string once, not each row (a frame's strings were most of its cost: ~2-3 ms an account at 20
    lots a position).

    labels : ndarray of shape (k,), str — the distinct strings (may hold unused ones)
    codes : ndarray of shape (rows,), int — the label of each row
    """

    labels: np.ndarray
    codes: np.ndarray

    def values(self) -> np.ndarray:
        """The column's strings, (rows,) object."""
        return self.labels[self.codes].astype(object)


@dataclass(frozen=True)
class EngineOutput:
    """The engine's answer for a shard: frames with columns TRADE_COLUMNS, LOT_SELL_COLUMNS,
    RECORD_COLUMNS."""

    trades: pd.DataFrame
    lot_sells: pd.DataFrame
    records: pd.DataFrame


def _record(shard, a, screen, status, reason, exception="", **numbers) -> dict:
    base = dict(
        account_id=shard.account_ids[a],
        status=str(status),
        exception=str(exception),
        reason=reason,
        triggers=screen.reasons_of(a),
        te_before=screen.te[a],
        te_after=screen.te[a],
        max_tracking_error=float(shard.max_tracking_error[a]),
        realized_st=0.0,
        realized_lt=0.0,
        losses_harvested=0.0,
        est_tax_saved=0.0,
        turnover=0.0,
        cash_before=float(shard.cash[a] + shard.cash_flow[a]),
        cash_after=float(shard.cash[a] + shard.cash_flow[a]),
        account_value=float(screen.value[a]),
        objective=np.nan,
        solver_status="not_run",
        iterations=0,
        sign_conflicts=0,
        risk_aversion=np.nan,
    )
    base.update(numbers)
    return base


def _no_trade(shard, a, screen, status, reason, exception="", **numbers):
    """The decision of an account that does not trade tonight: no trades, no lot sells, its
    record (``_record``)."""
    return None, None, _record(shard, a, screen, status, reason, exception, **numbers)


def _in_sectors(sectors: np.ndarray, harvested: np.ndarray) -> np.ndarray:
    """``np.isin(sectors, harvested)`` for sector names, (na,) bool: by a set of the few harvested
    names, not a sort of every name (the same answer for names that are strings; anything else is
    left to ``np.isin``)."""
    if harvested.size == 0:  # most accounts harvest nothing
        return np.zeros(sectors.size, bool)
    names = set(harvested.tolist())
    if not all(type(name) is str for name in names):
        return np.isin(sectors, np.unique(harvested))
    return np.fromiter((name in names for name in sectors.tolist()), bool, sectors.size)


def _explain(
    shard: ShardInputs,
    problem: AccountProblem,
    ws: WholeShares,
    model: RiskModel,
    params: EngineParams,
):
    """Trades and lot sells (columns of TRADE_COLUMNS and LOT_SELL_COLUMNS, as arrays) and the
    numbers of the decision record for whole-share trades ``ws``."""
    a, assets, v = problem.account, problem.assets, problem.value
    na, acc_id = assets.size, shard.account_ids[a]
    bought = np.bincount(ws.buy_asset, ws.buy * ws.buy_price, minlength=na)
    sold = np.bincount(ws.sell_asset, ws.sell * ws.sell_price, minlength=na)
    lot_gain = ws.sell * ws.gain_per_share
    realized = np.bincount(ws.sell_asset, lot_gain, minlength=na)
    taxable = bool(shard.taxable[a])
    harvests = taxable and bool(shard.tlh_enabled[a])
    sectors = shard.sectors[assets]
    # Cash is being raised for a withdrawal, or for a shortfall that matters; a sliver under the
    # target does not make every sale of the night a CASH_RAISE.
    raising = problem.kappa < 0 and (
        shard.cash_flow[a] < 0 or problem.kappa < -params.cash_tolerance
    )
    sell_r = sell_reasons(
        shard.exclude[a][assets], realized, harvests, problem.target == 0, raising
    )
    replaces = _in_sectors(sectors, sectors[(sold > 0) & is_harvest(sell_r)])
    buy_r = buy_reasons(replaces, problem.kappa > params.cash_tolerance)
    s_idx, b_idx = np.flatnonzero(sold > 0), np.flatnonzero(bought > 0)
    prices = shard.prices[assets]
    # Lots' shares summed per security, without float noise: 0.4144 + 11.5856 is 12 shares.
    sold_qty = np.round(np.bincount(ws.sell_asset, ws.sell, minlength=na), 9)
    account = np.array([acc_id], dtype=object)
    trades = {
        "account_id": Coded(account, np.zeros(s_idx.size + b_idx.size, np.intp)),
        "symbol": Coded(shard.symbols, np.concatenate([assets[s_idx], assets[b_idx]])),
        "side": Coded(_SIDES, np.repeat(np.arange(2), [s_idx.size, b_idx.size])),
        "quantity": np.concatenate(
            [sold_qty[s_idx], np.bincount(ws.buy_asset, ws.buy, minlength=na)[b_idx]]
        ),
        "price": np.concatenate([prices[s_idx], prices[b_idx]]),
        "notional": np.concatenate([sold[s_idx], bought[b_idx]]),
        "reason": Coded(TRADE_REASONS, np.concatenate([sell_r[s_idx], buy_r[b_idx]])),
    }
    li = np.flatnonzero(ws.sell > 0)
    lots = problem.lots[li]
    long_term = shard.lot_long_term[lots]
    lot_sells = {
        "account_id": Coded(account, np.zeros(li.size, np.intp)),
        "symbol": Coded(shard.symbols, shard.lot_security[lots]),
        "lot_id": np.asarray(shard.lot_ids[lots], dtype=object),
        "quantity": ws.sell[li],
        "proceeds": ws.sell[li] * ws.sell_price[li],
        "realized_gain": lot_gain[li],
        "term": Coded(_TERMS, long_term.astype(np.intp)),
        "reason": Coded(TRADE_REASONS, sell_r[ws.sell_asset[li]]),
    }
    w_after = problem.w0 + (bought - sold) / v
    te_after = float(tracking_error(problem.risk, w_after - problem.target))
    losses = -lot_gain[li][lot_gain[li] < 0].sum() if taxable else 0.0
    rates = np.where(long_term, shard.lt_rate[a], shard.st_rate[a])
    numbers = dict(
        te_after=te_after,
        w_after=w_after,
        realized_st=float(lot_gain[li][~long_term].sum()),
        realized_lt=float(lot_gain[li][long_term].sum()),
        losses_harvested=float(losses),
        est_tax_saved=float(-(lot_gain[li] * rates)[lot_gain[li] < 0].sum()) if taxable else 0.0,
        turnover=float((bought.sum() + sold.sum()) / (2 * v)),
        cash_after=cash_after(ws, float(shard.cash[a] + shard.cash_flow[a]), params.trading_cost),
    )
    return trades, lot_sells, numbers


def _frame(columns: list[dict[str, np.ndarray | Coded]], names: list[str]) -> pd.DataFrame:
    """One frame from the column arrays of many accounts (built once: a frame per account is
    slow)."""
    if not columns:
        return pd.DataFrame(columns=names)
    # The dict's order is the columns' (naming them again costs pandas an index lookup a column).
    return pd.DataFrame({name: _column([c[name] for c in columns]) for name in names})


def _column(parts: list) -> np.ndarray | ArrowStringArray:
    """The parts of one column, concatenated: arrays as they are; coded strings as the column of
    strings pandas would infer from them (each label converted once, the rows taken from them).
    No rows: an object column, as pandas infers for an empty one."""
    if not isinstance(parts[0], Coded):
        return np.concatenate(parts)
    if sum(part.codes.size for part in parts) == 0:
        return np.concatenate([part.values() for part in parts])
    labels, codes, size, last, base = [], [], 0, None, 0
    for part in parts:
        if part.labels is not last:  # accounts share the shard's symbols: converted once
            labels.append(part.labels)
            base, size, last = size, size + part.labels.size, part.labels
        codes.append(part.codes + base)
    every_label, rows = np.concatenate(labels).astype(object), np.concatenate(codes)
    # Converting a label costs about what converting a row does, and a take ~15 us more: a few
    # rows (one account's, of a shard's symbols) are converted as they are.
    if rows.size < every_label.size + 256:
        return ArrowStringArray(pa.array(every_label[rows], type=pa.large_string()), dtype=_STRING)
    strings = pa.array(every_label, type=pa.large_string())
    return ArrowStringArray(strings.take(rows), dtype=_STRING)


def _solve_within_tracking_error(
    shard: ShardInputs, a: int, model: RiskModel, params: EngineParams
):
    """Solve; while the answer's tracking error is above the account's max, solve again with the
    risk aversion raised (``params.te_escalations`` times, by ``params.te_escalation_factor``). A
    penalty continuation toward the max_tracking_error limit, which keeps every solve a QP. Before
    the last escalation, an answer whose two-step tracking error is above
    ``params.te_escalation_skip_search`` times the max escalates without the side search (which
    would only improve an answer about to be replaced).

    Whether the first rung is worth its pipeline is forecast from the lot buckets (``_first_rung``):
    one far above the max is skipped. The problem is built once and rescaled for each rung
    (``scale_risk_aversion``)."""
    limit = float(shard.max_tracking_error[a])
    base = build_problem(shard, a, model, params)
    # The lot buckets of every rung are the first's rescaled (the same numbers to the bit).
    base_buckets = lot_buckets(base) if params.sign_method != SignMethod.RELAX_AND_NET else None
    step, relaxed = _first_rung(base, shard.identical_group, limit, params, base_buckets)
    while True:
        factor = params.te_escalation_factor**step
        gamma = params.risk_aversion * factor
        tuned = replace(params, risk_aversion=gamma)
        problem = scale_risk_aversion(base, factor) if step else base
        buckets = (
            scale_risk_aversion(base_buckets, factor)
            if step and base_buckets is not None
            else base_buckets
        )
        last = step == params.te_escalations
        search_below = np.inf if last else params.te_escalation_skip_search * limit
        continuous = solve_account(
            problem, shard.identical_group, tuned, search_below, relaxed, buckets
        )
        relaxed = None
        if continuous.status != "optimal" or last:
            break
        net = problem.qp.net_trade(np.concatenate([continuous.buys, continuous.sells]))
        if float(tracking_error(problem.risk, problem.w0 - problem.target + net)) <= limit:
            break
        step += 1
    return problem, continuous, gamma


def _first_rung(
    base: AccountProblem,
    group_of_asset: np.ndarray,
    limit: float,
    params: EngineParams,
    buckets: AccountProblem | None = None,
) -> tuple[int, QPResult | None]:
    """The rung of risk aversion to start from (0 or 1), and the first rung's relaxation (None:
    not solved yet). Tracking error after trading falls as risk aversion rises; when the first
    rung's two-step tracking error, forecast from the lot buckets (``forecast_tracking_error``,
    which measured within a few percent of the two-step answer on the benchmark's accounts), is
    above ``params.te_escalation_skip_search`` times ``limit``, its answer would be escalated
    without the side search anyway, so the ladder starts at the second rung and climbs on from
    there as before. The margin keeps the forecast's rare misses (on 2 of 395 random shards a
    bucket answer far above the lots' own) from escalating accounts that would have met their max
    at the first rung. Only the first rung is forecast: a forecast costs two small solves, which an
    account that meets its max at the second would pay for nothing. RELAX_AND_NET has no such
    relaxation. ``buckets``: ``lot_buckets(base)`` when the caller has built it already."""
    if params.sign_method == SignMethod.RELAX_AND_NET or params.te_escalations == 0:
        return 0, None
    relaxed, te = forecast_tracking_error(base, group_of_asset, params, buckets)
    # Near or within the max, or not solved (then the pipeline says why): the first rung.
    if not te > params.te_escalation_skip_search * limit:
        return 0, relaxed
    return 1, None


def _rules_broken(
    ws: WholeShares, problem: AccountProblem, shard: ShardInputs, a: int, tc: float
) -> list:
    """The account's rules whole-share trades ``ws`` break (``rules_broken``, with no cash
    shortfall), in a PM's words."""
    left = problem.budget * problem.value
    min_value = float(shard.min_trade_value[a])
    cash_now = float(shard.cash[a] + shard.cash_flow[a])
    words = {
        "cash target": f"the cash target {shard.cash_target[a]:.2%}",
        "gain budget": f"the gain budget (a net gain of {money(ws.net_gain())} with "
        f"{money(max(left, 0.0))} left this year)",
        "lot size": "a lot's size (more shares sold than it holds)",
        "min_trade_value": f"min_trade_value {money(min_value, cents=False)} (an order under it)",
    }
    broken = rules_broken(
        ws,
        cash_now,
        float(shard.cash_target[a] * problem.value),
        left,
        min_value,
        problem.assets.size,
        tc,
    )
    return [words[rule] for rule in broken]


def _cash_short(
    shard: ShardInputs, a: int, problem: AccountProblem, shortfall: float, raisable: float
) -> str:
    need = -problem.kappa * problem.value
    flow = float(shard.cash_flow[a])
    asked = f"a withdrawal of {money(-flow, cents=False)} and " if flow < 0 else ""
    held = cash_held_back(shard, problem, max_cash_raise(problem) * problem.value)
    return (
        f"cash target cannot be met: {asked}a cash target of {shard.cash_target[a]:.2%} need "
        f"{money(need, cents=False)} raised; what may be sold raises "
        f"{money(raisable, cents=False)} in whole orders of at least min_trade_value "
        f"{money(shard.min_trade_value[a], cents=False)}, {money(shortfall, cents=False)} short; "
        f"held back: {'; '.join(held) if held else 'nothing (every lot may be sold)'}; no trade, "
        "for the PM"
    )


def _limits_kept(
    shard, a, problem, ws, after: AfterTrades, params: EngineParams, gamma: float
) -> tuple[ExceptionKind | str, str]:
    """The exception (if any) of an account that trades or not, and the words that say why."""
    limit = float(shard.max_tracking_error[a])
    if after.te > limit:
        why = binding_constraints(shard, problem, ws, after) or [
            "no single rule: the trade-off at the highest risk aversion"
        ]
        return ExceptionKind.TE_LIMIT, (
            f"tracking error stays {after.te:.2%} > max {limit:.2%} after the best allowed "
            f"trades; binding: " + "; ".join(why)
        )
    if after.cash_gap > params.idle_cash_tolerance:
        why = binding_constraints(shard, problem, ws, after, cash=True) or [
            "investing it lowers tracking error by less than it costs to trade (risk aversion "
            f"{gamma:g})"
        ]
        return ExceptionKind.IDLE_CASH, (
            f"cash stays {after.cash_gap:.2%} of value above its target after the best "
            f"allowed trades; binding: " + "; ".join(why)
        )
    return "", ""


def _decide_columns(
    shard: ShardInputs, a: int, model: RiskModel, params: EngineParams, screen: Screen
):
    """Optimise one triggered account: trades and lot sells as column arrays (None when there are
    none) and the record; never raises on bad numbers."""
    try:
        problem, continuous, gamma = _solve_within_tracking_error(shard, a, model, params)
    except (np.linalg.LinAlgError, RiskModelError, ValueError, FloatingPointError) as err:
        return _no_trade(
            shard,
            a,
            screen,
            DecisionStatus.FAILED,
            f"could not be solved ({type(err).__name__}: {err}); no trade, for the PM",
            ExceptionKind.SOLVER,
            solver_status="error",
        )
    solved = dict(
        objective=continuous.objective,
        solver_status=continuous.status,
        iterations=continuous.iterations,
        sign_conflicts=continuous.conflicts,
        risk_aversion=gamma,
    )
    if continuous.status == "infeasible":
        # The optimiser found no way to the cash target (or gave up near it): raise what the rules
        # allow by selling, cheapest first; what is still missing is the shortfall the PM is told.
        nb, nl = problem.n_buys, problem.qp.asset.size - problem.n_buys
        continuous = ContinuousDecision(np.zeros(nb), np.zeros(nl), "infeasible", np.nan, 0, 0)
    elif continuous.status != "optimal":
        return _no_trade(
            shard,
            a,
            screen,
            DecisionStatus.FAILED,
            f"solver ended {continuous.status}; no trade, for the PM",
            ExceptionKind.SOLVER,
            **solved,
        )
    rounded = tradable(problem, continuous, shard, params)
    if rounded.shortfall > 0:
        need = -problem.kappa * problem.value
        return _no_trade(
            shard,
            a,
            screen,
            DecisionStatus.FLAGGED,
            _cash_short(shard, a, problem, rounded.shortfall, need - rounded.shortfall),
            ExceptionKind.CASH,
            **solved,
        )
    if not rounded.ok:
        # Rounding keeps every rule or reports a cash shortfall; trades that break one are never
        # proposed, whatever went wrong on the way (a gain sale past the budget once did).
        return _no_trade(
            shard,
            a,
            screen,
            DecisionStatus.FLAGGED,
            "the whole-share trades found break "
            + "; ".join(_rules_broken(rounded.shares, problem, shard, a, params.trading_cost))
            + "; no trade, for the PM",
            ExceptionKind.SOLVER,
            **solved,
        )
    ws = rounded.shares
    net = problem.qp.net_trade(np.concatenate([continuous.buys, continuous.sells]))
    te_optimal = float(tracking_error(problem.risk, problem.w0 - problem.target + net))
    taxable = bool(shard.taxable[a])
    if not (ws.buy.any() or ws.sell.any()):
        cash_now = float(shard.cash[a] + shard.cash_flow[a])
        after = AfterTrades(
            problem.w0,
            float(screen.te[a]),
            te_optimal,
            cash_now / problem.value - shard.cash_target[a],
        )
        kind, why = _limits_kept(shard, a, problem, ws, after, params, gamma)
        costs = (
            "tax and trading cost"
            if taxable
            else "trading cost (a tax-deferred account weighs no tax)"
        )
        reason = f"triggered, but no trade is worth its {costs}"
        status = DecisionStatus.FLAGGED if kind else DecisionStatus.NO_TRADE
        return _no_trade(
            shard, a, screen, status, f"{why}; {reason}" if kind else reason, kind, **solved
        )
    trades, lot_sells, numbers = _explain(shard, problem, ws, model, params)
    counts = np.bincount(trades["reason"].codes, minlength=TRADE_REASONS.size)
    reason = "traded: " + ", ".join(
        f"{TRADE_REASONS[r]} {counts[r]}" for r in _REASONS_SORTED if counts[r]
    )
    after = AfterTrades(
        np.asarray(numbers.pop("w_after")),
        float(numbers["te_after"]),
        te_optimal,
        numbers["cash_after"] / problem.value - shard.cash_target[a],
    )
    kind, why = _limits_kept(shard, a, problem, ws, after, params, gamma)
    status = DecisionStatus.FLAGGED if kind else DecisionStatus.TRADED
    return (
        trades,
        lot_sells,
        _record(
            shard,
            a,
            screen,
            status,
            f"{why}; {reason}" if kind else reason,
            kind,
            **solved,
            **numbers,
        ),
    )


def _flag_below_minimum(record: dict, minimum: float, what: str = "SMA") -> dict:
    """An account worth less than the firm's minimum for its implementation (a manager-traded SMA,
    or a UMA: issue 19, "Minimums per implementation") is flagged to the PM
    (``ExceptionKind.BELOW_MINIMUM``), not silently traded: its best allowed trades still go, and
    the reason says its value and the minimum. An account already flagged for something more
    pressing keeps that kind; the minimum is added to its reason."""
    value = record["account_value"]
    if not 0 < value < minimum:
        return record  # a value at or below zero is already a CASH exception
    words = f"account value ${value:,.0f} is below the firm's {what} minimum of ${minimum:,.0f}"
    if record["exception"]:
        return {**record, "reason": f"{record['reason']}; {words}"}
    status = (
        DecisionStatus.FLAGGED
        if record["status"] in (DecisionStatus.TRADED, DecisionStatus.NO_TRADE)
        else record["status"]
    )
    return {
        **record,
        "status": str(status),
        "exception": str(ExceptionKind.BELOW_MINIMUM),
        "reason": f"{words}; {record['reason']}",
    }


def _flag_minimum(shard: ShardInputs, a: int, record: dict, params: EngineParams) -> dict:
    """:func:`_flag_below_minimum` with account ``a``'s implementation's minimum."""
    uma = shard.uma is not None and bool(shard.uma[a])
    return _flag_below_minimum(
        record,
        shard.minimum_usd(a, params.sma_minimum_usd, params.uma_minimum_usd),
        "UMA" if uma else "SMA",
    )


def decide_account(
    shard: ShardInputs, a: int, model: RiskModel, params: EngineParams, screen: Screen
):
    """Optimise one triggered account. Returns (trades, lot_sells, record); never raises on bad
    numbers."""
    trades, lot_sells, record = _decide_columns(shard, a, model, params, screen)
    record = _flag_minimum(shard, a, record, params)
    if trades is None or lot_sells is None:
        return None, None, record
    return _frame([trades], TRADE_COLUMNS), _frame([lot_sells], LOT_SELL_COLUMNS), record


def decide(
    shard: ShardInputs, model: RiskModel, params: EngineParams = EngineParams()
) -> EngineOutput:
    """Screen the shard, optimise each triggered account, and explain every account.

    Parameters
    ----------
    shard : ShardInputs — securities in the same order as ``model.symbols``
    model : RiskModel
    params : EngineParams

    Returns
    -------
    EngineOutput
        One record per account (in shard order); trades and lot sells of TRADED and FLAGGED
    accounts.
    """
    if not np.array_equal(model.symbols, shard.symbols):
        raise RiskModelError("risk model symbols must be the shard's securities, in the same order")
    screen = screen_accounts(shard, model, params)
    # Each account's trades block wash sales in the rest of its household: decide on copies of
    # the masks that grow as the night's decisions are made.
    shard = replace(
        shard,
        buy_blocked=shard.buy_blocked.copy(),
        loss_sale_blocked=shard.loss_sale_blocked.copy(),
    )
    trades: list[dict | None] = [None] * shard.m
    lot_sells: list[dict | None] = [None] * shard.m
    records: list[dict | None] = [None] * shard.m
    for a in household_order(shard.household_ids, shard.account_type):
        if screen.value[a] <= 0:
            records[a] = _record(
                shard,
                a,
                screen,
                DecisionStatus.FLAGGED,
                "account value after cash flows is not positive: the withdrawal is more than the "
                f"account holds ({money(float(screen.value[a]))} after it); no trade, for the PM",
                ExceptionKind.CASH,
            )
            continue
        if not screen.triggered[a]:
            records[a] = _flag_minimum(
                shard,
                a,
                _record(shard, a, screen, DecisionStatus.NO_TRADE, screen.reasons_of(a)),
                params,
            )
            continue
        t, ls, records[a] = _decide_columns(shard, a, model, params, screen)
        records[a] = _flag_minimum(shard, a, records[a], params)
        if t is not None and ls is not None:
            trades[a], lot_sells[a] = t, ls
            block_household_after(
                a,
                ls["symbol"].codes[ls["realized_gain"] < 0],  # codes: rows of shard.symbols
                t["symbol"].codes[t["side"].values() == "BUY"],
                shard.household_ids,
                shard.identical_group,
                shard.buy_blocked,
                shard.loss_sale_blocked,
            )
    return EngineOutput(
        _frame([t for t in trades if t is not None], TRADE_COLUMNS),
        _frame([ls for ls in lot_sells if ls is not None], LOT_SELL_COLUMNS),
        pd.DataFrame(records, columns=RECORD_COLUMNS),
    )
