"""``simulate``: every vintage and strategy on one market path, and the figures of the report."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context

import numpy as np
import pandas as pd

from sma.rebalance import AccountArrays, account_arrays
from sma.simulate._accounts import SimAccounts, simulated_accounts
from sma.simulate._corporate import with_corporate_actions
from sma.simulate._loop import LoopSettings, PathRun, run_path
from sma.simulate._market import MarketPath, generated_market, market_facts
from sma.simulate._metrics import run_metrics
from sma.simulate._params import SimulationParams, Strategy


@dataclass(frozen=True)
class SimulationResult:
    """Per-year rows (``YEAR_COLUMNS``), whole-run rows (``SUMMARY_COLUMNS``) and the run's
    facts."""

    years: pd.DataFrame
    summary: pd.DataFrame
    params: SimulationParams
    market_return: float  # the first benchmark's annualised return over the simulated span
    market: dict  # the path's calibration over the first vintage (``market_facts``)
    decisions: int  # decision days, summed over runs
    account_days: int  # accounts x business days, summed over runs


def loop_settings(params: SimulationParams, strategy: Strategy) -> LoopSettings:
    """How the day loop trades ``strategy`` under ``params`` (the simulator's one reading)."""
    return LoopSettings(
        strategy,
        params.harvest_frequency,
        params.engine,
        params.harvest_threshold,
        params.drift_tolerance,
        params.fill_cost_bps,
        params.risk_history_days,
        params.risk,
    )


def _calendar_span(params: SimulationParams) -> tuple[date, int]:
    start = date(params.first_year - 1, 1, 1)
    end = date(params.first_year + params.vintages - 1 + params.years, 1, 1)
    return start, int(np.busday_count(start, end))


def vintage_window(market: MarketPath, params: SimulationParams, vintage: int) -> tuple[int, int]:
    """Day indices [first, last) of a vintage: ``params.years`` calendar years from its January."""
    first = int(
        np.searchsorted(market.dates, np.datetime64(f"{params.first_year + vintage}-01-01"))
    )
    last = int(
        np.searchsorted(
            market.dates, np.datetime64(f"{params.first_year + vintage + params.years}-01-01")
        )
    )
    return first, last


@dataclass(frozen=True)
class VintageRun:
    """One strategy run on (some of) a vintage's accounts: who they are and what happened."""

    accounts: pd.DataFrame  # the accounts run, as ``SimAccounts.accounts``
    profile: np.ndarray  # each one's funding profile
    arrays: AccountArrays  # the engine's view of them
    run: PathRun


def run_vintage(
    market: MarketPath,
    params: SimulationParams,
    strategy: Strategy,
    first: int,
    last: int,
    vintage: int = 0,
    rows: np.ndarray | None = None,
) -> VintageRun:
    """Run ``strategy`` from day ``first`` to ``last - 1`` on the accounts of ``vintage`` (only
    those at positions ``rows``, whole households, when given): no restrictions, no tilts, no
    trades before the start."""
    sim = simulated_accounts(market, first, last, vintage, params)
    rows = np.arange(len(sim.accounts)) if rows is None else rows
    ids = sim.accounts["account_id"].to_numpy(str)[rows]
    accounts = sim.accounts.iloc[rows].reset_index(drop=True)
    acc = account_arrays(
        accounts,
        SimAccounts.empty("restrictions"),
        SimAccounts.empty("tilts"),
        market.securities,
        market.benchmark_ids,
    )
    settings = loop_settings(params, strategy)
    run = run_path(
        market,
        first,
        last,
        acc,
        sim.lots[sim.lots["account_id"].isin(ids)],
        sim.cash[rows],
        sim.cash_flows[sim.cash_flows["account_id"].isin(ids)],
        SimAccounts.empty("transactions"),
        settings,
    )
    return VintageRun(accounts, sim.profile[rows], acc, run)


def _job(job) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """One strategy on one vintage's accounts ``rows`` (a shard of whole households)."""
    market, params, v, strategy, rows = job
    first, last = vintage_window(market, params, v)
    done = run_vintage(market, params, strategy, first, last, v, rows)
    accounts, acc, run = done.accounts, done.arrays, done.run
    index = market.index_levels()[first:last][:, acc.benchmark_row]
    y, s = run_metrics(
        run,
        v,
        accounts,
        done.profile,
        index,
        market.closes[last - 1],
        market.symbols,
        params.held_away,
        np.full(acc.m, params.initial_value),
    )
    return y, s, run.decisions, acc.m * (last - first)


def simulate(
    params: SimulationParams, market: MarketPath | None = None, workers: int = 1
) -> SimulationResult:
    """Run every strategy of ``params`` on every vintage's accounts over the same path.

    Parameters
    ----------
    params : SimulationParams
    market : MarketPath, optional
        The path (from price files, say); default: the market model for ``params.seed``, with a
        year of closes before the first vintage for the risk model.
    workers : int
        Processes to run on: each (vintage, strategy) is split into this many shards of accounts
        (each account is its own household, so shards never interact); results do not depend on it.
    """
    if market is None:
        start, n_days = _calendar_span(params)
        market = generated_market(params.seed, start, n_days, params.market, params.universe)
    market = with_corporate_actions(
        market, vintage_window(market, params, 0)[0], params.corporate_action_rate, params.seed
    )
    jobs = []
    for v in range(params.vintages):
        first, last = vintage_window(market, params, v)
        if first < 60 or last - first < 2:
            raise ValueError(
                f"vintage {v}: the path needs 60 days before and a year after "
                f"{params.first_year + v}-01-01"
            )
        m = len(params.profiles) * params.accounts_per_profile
        # Dealt out like cards: each shard gets its share of every profile. Contiguous halves put
        # the costly TRANSITION accounts (a gain budget to work within) all on one process.
        n_shards = min(max(workers, 1), m)
        shards = [np.arange(k, m, n_shards) for k in range(n_shards)]
        jobs += [
            (market, params, v, strategy, rows) for strategy in params.strategies for rows in shards
        ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            done = list(pool.map(_job, jobs))
    else:
        done = [_job(job) for job in jobs]
    years = pd.concat([d[0] for d in done], ignore_index=True)
    summary = pd.concat([d[1] for d in done], ignore_index=True)
    years = years.assign(
        strategy_rank=years["strategy"].map({s: i for i, s in enumerate(params.strategies)})
    )
    summary = summary.assign(
        strategy_rank=summary["strategy"].map({s: i for i, s in enumerate(params.strategies)})
    )
    years = years.sort_values(
        ["vintage", "strategy_rank", "account_id", "year"], kind="stable"
    ).drop(columns="strategy_rank")
    summary = summary.sort_values(["vintage", "strategy_rank", "account_id"], kind="stable").drop(
        columns="strategy_rank"
    )
    decisions = sum(d[2] for d in done)
    account_days = sum(d[3] for d in done)
    levels = market.index_levels()
    first, last = vintage_window(market, params, 0)
    span = levels[last - 1, 0] / levels[first, 0]
    return SimulationResult(
        years.reset_index(drop=True),
        summary.reset_index(drop=True),
        params,
        float(span ** (252 / (last - first)) - 1),
        market_facts(market, first, last),
        decisions,
        account_days,
    )
