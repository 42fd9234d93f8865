"""``simulate``: every vintage and strategy on one market path, and the figures of the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sma.simulate._accounts import SimAccounts, simulated_accounts
from sma.simulate._inputs import account_arrays
from sma.simulate._loop import LoopSettings, run_path
from sma.simulate._market import MarketPath, generated_market
from sma.simulate._metrics import run_metrics
from sma.simulate._params import SimulationParams


@dataclass(frozen=True)
class SimulationResult:
    """Per-year rows (``YEAR_COLUMNS``), whole-run rows (``SUMMARY_COLUMNS``) and the run's facts."""

    years: pd.DataFrame
    summary: pd.DataFrame
    params: SimulationParams
    market_return: float  # the first benchmark's annualised return over the simulated span
    decisions: int  # decision days, summed over runs
    account_days: int  # accounts x business days, summed over runs


def _calendar_span(params: SimulationParams) -> tuple[date, int]:
    start = date(params.first_year - 1, 1, 1)
    end = date(params.first_year + params.vintages - 1 + params.years, 1, 1)
    return start, int(np.busday_count(start, end))


def vintage_window(market: MarketPath, params: SimulationParams, vintage: int) -> tuple[int, int]:
    """Day indices [first, last) of a vintage: ``params.years`` calendar years from its January."""
    first = int(np.searchsorted(market.dates, np.datetime64(f"{params.first_year + vintage}-01-01")))
    last = int(np.searchsorted(market.dates, np.datetime64(f"{params.first_year + vintage + params.years}-01-01")))
    return first, last


def simulate(params: SimulationParams, market: MarketPath | None = None) -> SimulationResult:
    """Run every strategy of ``params`` on every vintage's accounts over the same path.

    Parameters
    ----------
    params : SimulationParams
    market : MarketPath, optional
        The path (from price files, say); default: the market model for ``params.seed``, with a
        year of closes before the first vintage for the risk model.
    """
    if market is None:
        start, n_days = _calendar_span(params)
        market = generated_market(params.seed, start, n_days)
    years, summary, decisions, account_days = [], [], 0, 0
    levels = market.index_levels()
    for v in range(params.vintages):
        first, last = vintage_window(market, params, v)
        if first < 60 or last - first < 2:
            raise ValueError(f"vintage {v}: the path needs 60 days before and a year after {params.first_year + v}-01-01")
        sim = simulated_accounts(market, first, last, v, params)
        acc = account_arrays(sim.accounts, SimAccounts.empty("restrictions"), SimAccounts.empty("tilts"),
                             market.securities, market.benchmark_ids)
        index = levels[first:last][:, acc.benchmark_row]
        for strategy in params.strategies:
            settings = LoopSettings(strategy, params.harvest_frequency, params.engine, params.harvest_threshold,
                                    params.drift_tolerance, params.fill_cost_bps, params.risk_history_days)
            run = run_path(market, first, last, acc, sim.lots, sim.cash, sim.cash_flows,
                           SimAccounts.empty("transactions"), settings)
            y, s = run_metrics(run, v, sim.accounts, sim.profile, index, market.closes[last - 1], market.symbols,
                               params.held_away, np.full(acc.m, params.initial_value))
            years.append(y), summary.append(s)
            decisions += run.decisions
            account_days += acc.m * (last - first)
    first, last = vintage_window(market, params, 0)
    span = levels[last - 1, 0] / levels[first, 0]
    return SimulationResult(pd.concat(years, ignore_index=True), pd.concat(summary, ignore_index=True), params,
                            float(span ** (252 / (last - first)) - 1), decisions, account_days)
