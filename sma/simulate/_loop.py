"""The day loop: one strategy, one set of accounts, day by day over a stretch of the path.

Each business day: cash flows arrive; on a decision day (the harvest frequency, the first day, any
day with a flow) the strategy trades at the close and every fill is booked through the ledger; the
day ends with each account's value. The risk model is re-estimated on the first decision day of
each month from the closes behind it (``sma.risk.estimate_risk_model``), not daily, for speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sma.ledger import ReliefMethod
from sma.rebalance import AccountArrays, EngineParams, LotArrays, ShardInputs, day_inputs
from sma.risk import RiskModel, RiskModelParams, estimate_risk_model, returns_from_prices
from sma.simulate._book import SimBook
from sma.simulate._market import MarketPath
from sma.simulate._params import HarvestFrequency, Strategy
from sma.simulate._strategies import (
    engine_orders,
    position_basis,
    replacement_choice,
    rules_orders,
    threshold_orders,
    without_gain_sales,
)


@dataclass(frozen=True)
class LoopSettings:
    """How the loop trades: strategy, decision days and the strategies' own parameters."""

    strategy: Strategy = Strategy.ENGINE
    frequency: HarvestFrequency = HarvestFrequency.WEEKLY
    engine: EngineParams = EngineParams()
    harvest_threshold: float = 0.10
    drift_tolerance: float = 0.05
    fill_cost_bps: float = 5.0
    risk_history_days: int = 252
    risk: RiskModelParams = RiskModelParams()  # how each monthly risk model is estimated
    # Accounts (ids) that sell no lot at a gain: a transition plan's zero budget
    # (``sma.simulate._strategies.without_gain_sales``).
    gains_barred: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathRun:
    """What one run leaves behind.

    dates : ndarray of shape (T,), datetime64[D]
    value : ndarray of shape (T, m) -- account value at each close after the day's trades, USD
    flow : ndarray of shape (T, m) -- external cash flow of each day, USD (+ in, - out)
    trades : DataFrame -- ``TRADE_LOG_COLUMNS``, one row per fill
    realized : DataFrame -- the ledger's Form 8949 rows (cents)
    realized_by_actions : ndarray of shape (len(realized),), bool -- the rows corporate actions
        booked rather than the strategy's sales
    open_lots : DataFrame -- ``Ledger.open_lots()`` after the last day (cents)
    cash : ndarray of shape (T, m) -- USD at each close after the day's trades and flows
    decisions : int -- decision days
    snapshot_lots : dict of int -> DataFrame -- ``Ledger.open_lots()`` after each day asked for
        (its index in ``dates``)
    """

    strategy: Strategy
    dates: np.ndarray
    value: np.ndarray
    flow: np.ndarray
    trades: pd.DataFrame
    realized: pd.DataFrame
    open_lots: pd.DataFrame
    cash: np.ndarray
    decisions: int
    snapshot_lots: dict[int, pd.DataFrame] = field(default_factory=dict)
    realized_by_actions: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def decision_days(dates: np.ndarray, frequency: HarvestFrequency) -> np.ndarray:
    """Bool (T,): the first day, and each day that opens a new week or month (or every day)."""
    if frequency == HarvestFrequency.DAILY:
        return np.ones(dates.size, bool)
    if frequency == HarvestFrequency.WEEKLY:
        period = (
            dates.astype("datetime64[D]").astype(np.int64) + 3
        ) // 7  # ISO weeks start on Monday
    else:
        period = dates.astype("datetime64[M]").astype(np.int64)
    return np.r_[True, period[1:] != period[:-1]]


def flow_matrix(flows: pd.DataFrame, dates: np.ndarray, account_ids: np.ndarray) -> np.ndarray:
    """(T, m) cash flows, each on the first path day on or after its requested date; earlier ones
    arrive on day 0 and later ones are dropped."""
    out = np.zeros((dates.size, account_ids.size))
    if not len(flows):
        return out
    day = np.searchsorted(
        dates, pd.to_datetime(flows["requested_date"]).to_numpy().astype("datetime64[D]")
    )
    a = pd.Index(account_ids).get_indexer(flows["account_id"].astype(str))
    keep = (day < dates.size) & (a >= 0)
    np.add.at(out, (day[keep], a[keep]), flows["amount"].to_numpy(float)[keep])
    return out


def _risk(
    closes: np.ndarray, symbols: np.ndarray, sectors: np.ndarray, params: RiskModelParams
) -> tuple[RiskModel, np.ndarray]:
    returns = returns_from_prices(closes)
    model = estimate_risk_model(returns, symbols, sectors, params)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(returns.T), nan=0.0)
    return model, corr


def run_path(
    market: MarketPath,
    first: int,
    last: int,
    acc: AccountArrays,
    lots: pd.DataFrame,
    cash: np.ndarray,
    flows: pd.DataFrame,
    recent: pd.DataFrame,
    settings: LoopSettings,
    snapshots: tuple[int, ...] = (),
) -> PathRun:
    """Run ``settings.strategy`` from day ``first`` to ``last - 1`` of ``market``.

    ``first`` must leave at least 60 days of closes behind it for the risk model. ``snapshots``:
    days (indices into ``market.dates``) after which the open lots are kept
    (``PathRun.snapshot_lots``).
    """
    dates = market.dates[first:last]
    fill_cost = settings.fill_cost_bps * 1e-4
    book = SimBook(acc, lots, cash, recent, fill_cost, dates[0])
    flow = flow_matrix(flows, dates, acc.ids)
    decide_on = decision_days(dates, settings.frequency) | (flow != 0).any(axis=1)
    sectors, symbols = acc.universe.sectors, acc.universe.symbols
    value = np.zeros((dates.size, acc.m))
    cash_held = np.zeros((dates.size, acc.m))
    model, ranked, month = None, None, None
    kept: dict[int, pd.DataFrame] = {}
    for i, day in enumerate(dates):
        t = first + i
        prices = market.closes[t]
        book.start_day(day)
        actions = market.actions_on(t)
        if len(actions):
            book.corporate_actions(actions, day)
        # No one can withdraw more than the account is worth.
        flow[i] = np.maximum(flow[i], -np.maximum(book.value(prices), 0.0))
        if decide_on[i]:
            if day.astype("datetime64[M]") != month:
                month = day.astype("datetime64[M]")
                model, corr = _risk(
                    market.closes[max(0, t - settings.risk_history_days) : t + 1],
                    symbols,
                    sectors,
                    settings.risk,
                )
                if settings.strategy == Strategy.THRESHOLD:
                    ranked = replacement_choice(corr, sectors, acc.group_code)
            _decide(book, acc, market, t, day, flow[i], model, ranked, settings, fill_cost)
        book.cash += flow[i]
        value[i] = book.value(prices)
        cash_held[i] = book.cash
        if t in snapshots:
            kept[t] = book.ledger.open_lots()
    return PathRun(
        settings.strategy,
        dates,
        value,
        flow,
        book.trade_log(),
        book.ledger.realized(),
        book.ledger.open_lots(),
        cash_held,
        int(decide_on.sum()),
        kept,
        book.realized_by_actions(),
    )


def day_shard(
    book: SimBook, market: MarketPath, t: int, flow: np.ndarray
) -> tuple[ShardInputs, LotArrays]:
    """The engine's inputs for every account of ``book`` on day ``t`` of ``market``, and its open
    lots.

    ``sma.rebalance.day_inputs`` -- the builder of the nightly pipeline -- on the book's open lots,
    cash, ``flow`` (shape (m,), USD due today), gains realized this year and wash-sale blocks: a
    simulated night sees what a real one would.
    """
    day = market.dates[t]
    lots = book.lots()
    shard = day_inputs(
        book.acc,
        day,
        market.closes[t],
        market.index_weights(t),
        lots,
        book.cash,
        flow,
        book.realized_ytd,
        book.blocks(day),
    )
    return shard, lots


def _decide(
    book: SimBook,
    acc: AccountArrays,
    market: MarketPath,
    t: int,
    day,
    flow,
    model,
    ranked,
    settings: LoopSettings,
    fill_cost: float,
) -> None:
    closes = market.closes[t]
    shard, lots = day_shard(book, market, t, flow)
    if settings.strategy == Strategy.ENGINE:
        if settings.gains_barred:
            shard = without_gain_sales(shard, np.isin(acc.ids, settings.gains_barred))
        book.fill(engine_orders(shard, model, settings.engine), day, closes)
        return
    method = ReliefMethod.FIFO
    if settings.strategy == Strategy.THRESHOLD:
        method = ReliefMethod.HIFO
        harvest = threshold_orders(shard, lots, ranked, settings.harvest_threshold, fill_cost)
        if len(harvest):
            book.fill(harvest, day, closes)
            shard, lots = day_shard(book, market, t, flow)
    basis = position_basis(lots, acc.m, closes.size)
    book.fill(
        rules_orders(
            shard,
            book.shares,
            basis,
            method,
            settings.drift_tolerance,
            settings.engine.cash_tolerance,
        ),
        day,
        closes,
    )
