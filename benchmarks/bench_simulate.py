"""Speed of the simulator (issue 7): simulated account-days per second, one core and two.

Runs the engine strategy (the expensive one) on 100 accounts (25 of each profile) for a few months
of weekly decisions, on one process and then on two, in the same run; prints account-days per
second, the two-core speed-up, and what the target -- 10 years x 250 days x 100 accounts in under
10 minutes on 2 cores, i.e. 417 account-days per second -- would take at the measured rate.
``--history`` also times ``simulate_history`` on a generated book (the demo's 200 accounts).

    .venv/bin/python benchmarks/bench_simulate.py [--accounts-per-profile 25] [--months 3] [--history]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core per process

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

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
TARGET_SECONDS = 600.0


def _time(fn, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts-per-profile", type=int, default=25)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--history", action="store_true")
    args = ap.parse_args()
    params = SimulationParams(years=1, accounts_per_profile=args.accounts_per_profile,
                              harvest_frequency=HarvestFrequency.WEEKLY, strategies=(Strategy.ENGINE,))
    start, n_days = _calendar_span(params)
    full = generated_market(params.seed, start, n_days)
    first = int((full.dates < full.dates.astype("datetime64[Y]")[-1]).sum())
    days = min(21 * args.months, n_days - first)
    market = replace(full, dates=full.dates[: first + days], closes=full.closes[: first + days])
    # The path ends before the year does: the vintage runs to the path's last day.
    result = simulate(params, market)
    account_days = result.account_days
    one = _time(lambda: simulate(params, market), args.repeats)
    two = _time(lambda: simulate(params, market, workers=2), args.repeats)
    m = 4 * args.accounts_per_profile
    print(f"engine, weekly decisions, {m} accounts x {days} days = {account_days:,} account-days")
    for label, seconds in (("1 process ", one), ("2 processes", two)):
        rate = account_days / seconds
        print(f"  {label}: median {seconds:7.1f} s  {rate:7.0f} account-days/s  "
              f"target (10 y x 250 d x 100 accounts): {TARGET_ACCOUNT_DAYS / rate / 60:5.1f} min "
              f"({'meets' if TARGET_ACCOUNT_DAYS / rate <= TARGET_SECONDS else 'misses'} 10 min)")
    print(f"  two-process speed-up: {one / two:.2f}x")
    if args.history:
        from sma.book import generate_book

        as_of = date(2024, 1, 2)
        book = generate_book(200, 5, as_of)
        end = date(2024, 1 + args.months, 1) if args.months < 12 else date(2025, 1, 2)
        seconds = _time(lambda: simulate_history(book, as_of, end, 5, HistoryParams(), workers=2), 1)
        n = int(np_busdays(as_of, end))
        print(f"simulate_history, 200 accounts x {n} days, weekly, 2 processes: {seconds:.1f} s; "
              f"two years at this rate: {seconds * 504 / n / 60:.1f} min")


def np_busdays(a: date, b: date) -> int:
    import numpy as np

    return int(np.busday_count(np.datetime64(a, "D") + 1, np.datetime64(b, "D") + 1))


if __name__ == "__main__":
    main()
