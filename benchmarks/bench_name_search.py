"""The whole-share name search (``sma.rebalance._sampling.choose_names``, issues 17 and 23) on the
calls of a real night: CPU time of the current search against the search at a baseline git ref, run
in the same process on the same recorded calls, and whether every call's trades are the same to the
bit.

Inputs come from a night, in two steps (the machine is shared: say so beside the figures):

    # 1. record the choose_names calls of one shard's decide: NIGHT is a prepared night (store,
    #    storage and runs of ``pipelines.night`` after ingest and prepare, e.g. from
    #    ``python -m benchmarks.bench_night --accounts 1000 --format parquet --work DIR --keep``),
    #    copied to SCRATCH before its decide runs again
    python benchmarks/bench_name_search.py record NIGHT INBOX SCRATCH calls.pkl [--as-of 2026-11-24]
    # 2. replay them
    python benchmarks/bench_name_search.py replay calls.pkl [--baseline-ref 5bc959e] [--passes 3]

Without a command it goes the whole way on a 1,000-account night of its own. The replay computes
``hessian(problem)`` once per account problem searched twice, as ``_tradable`` does, and counts that
time in. One BLAS thread, as the night's workers run. Beside the times, the objective each search's
answers reach (the account's objective at the whole-share trades, in dollars) against the recorded
answers', call by call: what judges a change that moves trades on purpose.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recorded_night import decide_again, record_replay_parser, run, source_at  # noqa: E402


def record(night_dir: Path, inbox: Path, scratch: Path, out: Path, as_of: date) -> None:
    """Run the first shard's decide on a copy of a prepared night, keeping each choose_names call's
    arguments (trades before) and result (moves, trades after). Each search is recorded run in
    full: a search from the names held that would give up (``give_up_above``) makes its moves, so
    the replay times the moves themselves."""
    import sma.rebalance._tradable as tradable

    calls = []
    search = tradable.choose_names

    def kept(ws, *args):
        before = replace(ws, buy=ws.buy.copy(), sell=ws.sell.copy())
        made = search(ws, *args[:9])  # without give_up_above
        calls.append((before, args[:8], made, ws.buy.copy(), ws.sell.copy()))
        return made

    tradable.choose_names = kept
    shard = decide_again(night_dir, inbox, scratch, as_of)
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    print(f"recorded {len(calls)} calls of shard {shard}")


def _baseline(ref: str) -> types.ModuleType:
    """``sma.rebalance._sampling`` as it was at ``ref``, with its own compiled steps."""
    steps = types.ModuleType("baseline_sampling_steps")
    exec(
        compile(source_at(ref, "sma/rebalance/_sampling_steps.py"), "baseline_steps", "exec"),
        steps.__dict__,
    )
    sys.modules[steps.__name__] = steps
    sampling = types.ModuleType("baseline_sampling")
    text = source_at(ref, "sma/rebalance/_sampling.py").replace(
        "from sma.rebalance._sampling_steps import", "from baseline_sampling_steps import"
    )
    exec(compile(text, "baseline_sampling", "exec"), sampling.__dict__)
    return sampling


def _dollars(problem, ws) -> float:
    """The search's objective (``AccountProblem.qp``: risk aversion times TE squared, tax and
    trading cost, a fraction of the account) at whole-share trades ``ws``, in dollars."""
    from sma.rebalance._rounding import trade_weights

    return float(problem.qp.objective(trade_weights(ws, problem.value))) * problem.value


def _pass(sampling, calls, searched) -> tuple[float, bool, list[float]]:
    """CPU seconds of one pass over the calls; whether every result is the recorded one; the
    objective each answer reached (dollars, ``_dollars``), timed apart."""
    total, same, terms, reached = 0.0, True, {}, []
    for ws, args, made, buy, sell in calls:
        trades = replace(ws, buy=ws.buy.copy(), sell=ws.sell.copy())
        problem = args[0]
        start = time.process_time()
        if hasattr(sampling, "hessian") and searched[id(problem)] > 1:
            if id(problem) not in terms:
                terms[id(problem)] = sampling.hessian(problem)
            got = sampling.choose_names(trades, *args, terms[id(problem)])
        else:
            got = sampling.choose_names(trades, *args)
        total += time.process_time() - start
        same &= (
            got == made and np.array_equal(trades.buy, buy) and np.array_equal(trades.sell, sell)
        )
        reached.append(_dollars(problem, trades))
    return total, same, reached


def replay(path: Path, ref: str, passes: int) -> None:
    import sma.rebalance._sampling as current

    with open(path, "rb") as f:
        calls = pickle.load(f)
    searched: dict[int, int] = {}
    for _, args, *_ in calls:
        searched[id(args[0])] = searched.get(id(args[0]), 0) + 1
    runs = {"baseline " + ref: _baseline(ref), "current": current}
    for sampling in runs.values():  # compile outside the timing
        ws, args, *_ = calls[0]
        sampling.choose_names(replace(ws, buy=ws.buy.copy(), sell=ws.sell.copy()), *args)
    times: dict[str, list[float]] = {name: [] for name in runs}
    identical = dict.fromkeys(runs, True)
    reached: dict[str, np.ndarray] = {}
    for _ in range(passes):  # alternate, so a change of load falls on both
        for name, sampling in runs.items():
            cpu, same, dollars = _pass(sampling, calls, searched)
            times[name].append(cpu)
            identical[name] &= same
            reached[name] = np.array(dollars)
    moves = sum(c[2] for c in calls)
    base = float(np.median(times["baseline " + ref]))
    print(f"{len(calls)} calls, {moves} moves, {len(searched)} account problems; load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print("| search | CPU s per pass (median) | ms per call | us per move | ratio | same trades |")
    print("|---|---|---|---|---|---|")
    for name in runs:
        med = float(np.median(times[name]))
        print(
            f"| {name} | {med:.2f} | {1e3 * med / len(calls):.1f} | {1e6 * med / moves:.0f} "
            f"| {med / base:.2f} | {'yes' if identical[name] else 'NO'} |"
        )
    # A search that moves trades on purpose is judged by the objective its answers reach: lower is
    # better, call by call against the answers recorded with the night.
    recorded = np.array(
        [_dollars(args[0], replace(ws, buy=buy, sell=sell)) for ws, args, _, buy, sell in calls]
    )
    print(
        "| search | objective below recorded | same (1 cent) | above | sum of changes $ | worst $ |"
    )
    print("|---|---|---|---|---|---|")
    for name, dollars in reached.items():
        change = dollars - recorded
        print(
            f"| {name} | {int((change < -0.01).sum())} | {int((abs(change) <= 0.01).sum())} "
            f"| {int((change > 0.01).sum())} | {change.sum():,.2f} | {change.max():,.2f} |"
        )


def main() -> None:
    parser, _ = record_replay_parser(__doc__.splitlines()[0], "5bc959e")
    run(parser.parse_args(), record, replay)


if __name__ == "__main__":
    main()
