"""Speed of the simulator (issue 7): simulated account-days per second, one process and two.

The target: 10 years x 250 days x 100 accounts in under 10 minutes on 2 cores, i.e. 417
account-days per second (issue 7); issue 23's goal is 2 minutes (2,083 a second). Three
measures, each with the machine's load average beside it (the machine is shared; a figure taken
under load says so):

Wall time is what counts; beside it, the CPU seconds the simulating processes used (this process
and its workers, ``getrusage``), so a figure taken while other work shares the cores can still be
read: on an otherwise idle machine two balanced processes take about half their CPU seconds.

- quick (always): the engine strategy (the expensive one) on 100 accounts (25 of each profile), a
  few months of weekly decisions, on one process and then on two, in the same run; account-days
  per second and the two-process speed-up. Months from the accounts' first funding flatter a long
  run: accounts gather lots for about a year, and a decision over many lots costs more.
- ``--years N``: the real thing -- N years x 100 accounts, engine, weekly, on ``--workers``
  processes (default 2); prints the wall time, the rate, and whether 10 years would fit in 10
  minutes.
- ``--history``: ``simulate_history`` on the demo book (``--history-accounts``, default 200) for
  ``--history-months`` (default 24) on two processes, as ``make demo`` runs it.

    .venv/bin/python benchmarks/bench_simulate.py [--months 2] [--years 10] [--history]
"""

from __future__ import annotations

import os
import resource

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core per process

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sma.simulate import (  # noqa: E402
    HarvestFrequency,
    HistoryParams,
    SimulationParams,
    Strategy,
    generated_market,
    simulate,
    simulate_history,
)
from sma.simulate._run import _calendar_span  # noqa: E402

TARGET_ACCOUNT_DAYS = 10 * 250 * 100
#: (issue, minutes) for the ten-year run: issue 7's first target, issue 23's (speed) goal.
GOALS_MINUTES = ((7, 10.0), (23, 2.0))


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished worker processes."""
    own, done = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime


def _time(fn, repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of ``fn()``."""
    walls, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _verdict(rate: float) -> str:
    minutes = TARGET_ACCOUNT_DAYS / rate / 60
    goals = ", ".join(
        f"{'meets' if minutes <= goal else 'misses'} issue {issue}'s {goal:g} min"
        for issue, goal in GOALS_MINUTES
    )
    return f"10 y x 250 d x 100 accounts at this rate: {minutes:5.1f} min ({goals})"


def quick(accounts_per_profile: int, months: int, repeats: int) -> None:
    params = SimulationParams(
        years=1,
        accounts_per_profile=accounts_per_profile,
        harvest_frequency=HarvestFrequency.WEEKLY,
        strategies=(Strategy.ENGINE,),
    )
    start, n_days = _calendar_span(params)
    full = generated_market(params.seed, start, n_days)
    first = int((full.dates < full.dates.astype("datetime64[Y]")[-1]).sum())
    days = min(21 * months, n_days - first)
    # The path ends before the year does: the vintage runs to the path's last day.
    market = replace(full, dates=full.dates[: first + days], closes=full.closes[: first + days])
    account_days = simulate(params, market).account_days
    print(
        f"quick: engine, weekly decisions, {4 * accounts_per_profile} accounts x {days} days "
        "from funding "
        f"= {account_days:,} account-days   [{_load()}]"
    )
    one, one_cpu = _time(lambda: simulate(params, market), repeats)
    two, two_cpu = _time(lambda: simulate(params, market, workers=2), repeats)
    for label, seconds, cpu in (("1 process ", one, one_cpu), ("2 processes", two, two_cpu)):
        rate = account_days / seconds
        print(
            f"  {label}: median {seconds:7.1f} s ({cpu:6.1f} CPU s)  {rate:7.0f} account-days/s "
            f" {_verdict(rate)}"
        )
    print(
        f"  two-process speed-up: {one / two:.2f}x wall, {one_cpu / two_cpu:.2f}x CPU (1.00 = "
        "no work added by "
        f"splitting)   [{_load()}]"
    )


def long_run(years: int, accounts_per_profile: int, workers: int) -> None:
    params = SimulationParams(
        years=years,
        accounts_per_profile=accounts_per_profile,
        harvest_frequency=HarvestFrequency.WEEKLY,
        strategies=(Strategy.ENGINE,),
    )
    print(
        f"long run: engine, weekly decisions, {4 * accounts_per_profile} accounts x {years} years "
        f"on {workers} processes (market path included)   [{_load()}]",
        flush=True,
    )
    started, cpu = time.perf_counter(), _cpu()
    result = simulate(params, workers=workers)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    rate = result.account_days / seconds
    print(
        f"  {result.account_days:,} account-days in {seconds / 60:.1f} min ({seconds:.0f} s "
        f"wall, {cpu:.0f} CPU s): "
        f"{rate:.0f} account-days/s; {_verdict(rate)}   [{_load()}]"
    )
    s = result.summary
    print(
        f"  (results: mean tax alpha {s['tax_alpha'].mean():.4%}/year, wash-sale violations "
        f"{int(s['wash_sale_violations'].sum())}, gain budget breaches "
        f"{int(s['gain_budget_breaches'].sum())})"
    )


def history(accounts: int, months: int) -> None:
    from sma.book import generate_book

    as_of = date(2024, 1, 2)
    book = generate_book(accounts, 5, as_of)
    end = (pd.Timestamp(as_of) + pd.DateOffset(months=months)).date()
    end = np.busday_offset(np.datetime64(end, "D"), 0, roll="backward").astype(object)
    n = int(np.busday_count(np.datetime64(as_of, "D") + 1, np.datetime64(end, "D") + 1))
    print(
        f"history: simulate_history, {accounts} accounts x {n} days ({as_of} to {end}), weekly, "
        f"2 processes   [{_load()}]",
        flush=True,
    )
    seconds, cpu = _time(
        lambda: simulate_history(book, as_of, end, 5, HistoryParams(), workers=2), 1
    )
    print(
        f"  {seconds:.1f} s wall ({cpu:.0f} CPU s): {accounts * n / seconds:.0f} account-days/s "
        f"  [{_load()}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts-per-profile", type=int, default=25)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument(
        "--years", type=int, default=0, help="also run this many years in full (10: the target)"
    )
    ap.add_argument("--workers", type=int, default=2, help="processes of the --years run")
    ap.add_argument("--history", action="store_true")
    ap.add_argument("--history-accounts", type=int, default=200)
    ap.add_argument("--history-months", type=int, default=24)
    args = ap.parse_args()
    quick(args.accounts_per_profile, args.months, args.repeats)
    if args.years:
        long_run(args.years, args.accounts_per_profile, args.workers)
    if args.history:
        history(args.history_accounts, args.history_months)


if __name__ == "__main__":
    main()
