"""Small accounts (issue 17): realised tracking error and idle cash by account size, in whole
shares and in fractional shares (``--shares whole,fractional``: the accounts' ``fractional_shares``
flag, the engine trading to 0.001 share).

The engine strategy of the simulator, one account of each profile (lump sum, monthly, withdrawals,
transition), weekly decisions, for each ``--values`` initial value; per size: the mean realised
tracking error (annualised, daily returns against the benchmark, as ``sma simulate`` reports it),
the worst account's, and the mean and worst cash above target over the run's days (idle cash).
``--months`` cuts the path short of the year (the machine is shared: say so beside the figures).

    .venv/bin/python benchmarks/bench_small_accounts.py [--months 12] [--values 25000,50000,1000000]
        [--shares whole,fractional] [--profiles LUMP_SUM,MONTHLY,WITHDRAWALS,TRANSITION]
        [--min-trade-value 100] [--max-tracking-error 0.01]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sma.simulate import HarvestFrequency, SimulationParams, Strategy, generated_market  # noqa: E402
from sma.simulate._metrics import TRADING_DAYS  # noqa: E402
from sma.simulate._params import Profile  # noqa: E402
from sma.simulate._run import _calendar_span, run_vintage, vintage_window  # noqa: E402


def one_size(
    value: float,
    months: int,
    market,
    fractional: bool = False,
    profiles=tuple(Profile),
    min_trade_value: float = 100.0,
    max_tracking_error: float = 0.01,
) -> dict:
    # Flows scale with the account (1 % in, 0.4 % out a month, the defaults' share of $1M): a fixed
    # $4,000 a month would empty a $25k account in six months and its returns would mean nothing.
    params = SimulationParams(
        years=1,
        initial_value=value,
        harvest_frequency=HarvestFrequency.WEEKLY,
        strategies=(Strategy.ENGINE,),
        monthly_contribution=0.01 * value,
        monthly_withdrawal=0.004 * value,
        transition_gain_budget=0.05 * value,
        fractional_shares=fractional,
        profiles=profiles,
        min_trade_value=min_trade_value,
        max_tracking_error=max_tracking_error,
    )
    first, last = vintage_window(market, params, 0)
    last = min(last, first + 21 * months)
    started = time.perf_counter()
    done = run_vintage(market, params, Strategy.ENGINE, first, last)
    acc, run = done.arrays, done.run
    seconds = time.perf_counter() - started
    levels = market.index_levels()[first:last][:, acc.benchmark_row]
    prev = np.vstack([np.full(acc.m, value), run.value[:-1]])
    r = (run.value - run.flow) / np.maximum(prev, 1.0) - 1.0
    b = np.vstack([np.zeros((1, acc.m)), levels[1:] / levels[:-1] - 1.0])
    te = np.std(r[1:] - b[1:], axis=0, ddof=1) * np.sqrt(TRADING_DAYS)
    idle = run.cash / np.maximum(run.value, 1.0) - params.cash_target
    # Idle cash from the second week: the first night's fills settle the funding.
    idle = np.clip(idle[5:], 0.0, None)
    lump = int(np.flatnonzero(done.profile == params.profiles[0])[0])
    by_profile = {str(p): float(te[done.profile == p].mean()) for p in params.profiles}
    return dict(
        value=value,
        te=by_profile,
        idle_mean=idle.mean(),
        idle_max=idle.max(),
        idle_first=max(run.cash[0, lump] / run.value[0, lump] - params.cash_target, 0.0),
        days=last - first,
        seconds=seconds,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--values", default="25000,50000,100000,250000,1000000")
    ap.add_argument("--shares", default="whole,fractional")
    ap.add_argument("--profiles", default=",".join(Profile))
    ap.add_argument("--min-trade-value", type=float, default=100.0, help="USD, every account")
    ap.add_argument(
        "--max-tracking-error",
        type=float,
        default=0.01,
        help="every account's; the engine trades when TE passes 80 %% of it",
    )
    args = ap.parse_args()
    profiles = tuple(Profile(p.strip().upper()) for p in args.profiles.split(","))
    params = SimulationParams(years=1)
    start, n_days = _calendar_span(params)
    market = generated_market(params.seed, start, n_days, params.market, params.universe)
    load = os.getloadavg()[0]
    print(
        f"engine, weekly, {len(profiles)} accounts (one per profile), {args.months} months, "
        f"min_trade_value ${args.min_trade_value:,.0f}, max_tracking_error "
        f"{args.max_tracking_error:.2%}; load "
        f"average {load:.2f} on {os.cpu_count()} cores (shared machine)"
    )
    print(
        "realised TE by profile (TRANSITION: a concentrated legacy stock sold within a gain "
        "budget); idle cash: cash above target, mean and worst over accounts and days from the "
        "second week"
    )
    names = "".join(f"{p.value[:9]:>10}" for p in profiles)
    print(
        f"{'initial $':>10} {'shares':>10}{names} {'idle mean':>9} {'idle max':>9} "
        f"{'first idle':>10} {'days':>5} {'sec':>6}"
    )
    for v in (float(x) for x in args.values.split(",")):
        for kind in (k.strip() for k in args.shares.split(",")):
            row = one_size(
                v,
                args.months,
                market,
                kind == "fractional",
                profiles,
                args.min_trade_value,
                args.max_tracking_error,
            )
            te = "".join(f"{t:>10.2%}" for t in row["te"].values())
            print(
                f"{row['value']:>10,.0f} {kind:>10}{te} {row['idle_mean']:>9.2%} "
                f"{row['idle_max']:>9.2%} {row['idle_first']:>10.2%} {row['days']:>5} "
                f"{row['seconds']:>6.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
