"""The interior point (``sma.rebalance._interior_point.solve_from``, issues 17 and 23) on the solves
of a real night: CPU time of the current kernel against the kernel at a baseline git ref, run in the
same process on the same recorded solves, and whether every solve's outputs (trades, row
multipliers, reduced costs, status, iterations, the iterate it stopped at, its bound) are the
recorded ones to the bit.

Inputs come from a night, in two steps (the machine is shared: say so beside the figures):

    # 1. record every solve of one shard's decide: NIGHT is a prepared night (store, storage and
    #    runs of ``pipelines.night`` after ingest and prepare, e.g. from
    #    ``python -m benchmarks.bench_night --accounts 1000 --format parquet --work DIR --keep``),
    #    copied to SCRATCH before its decide runs again
    python benchmarks/bench_interior_point.py record NIGHT INBOX SCRATCH calls.pkl
    # 2. replay them
    python benchmarks/bench_interior_point.py replay calls.pkl [--baseline-ref 00d88bd] [--passes 3]

Without a command it goes the whole way on a 1,000-account night of its own. One BLAS thread, as
the night's workers run.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recorded_night import decide_again, record_replay_parser, run, source_at  # noqa: E402


def record(night_dir: Path, inbox: Path, scratch: Path, out: Path, as_of: date) -> None:
    """Run the first shard's decide on a copy of a prepared night, keeping each solve's arguments
    and outputs."""
    import sma.rebalance._qp as qp

    calls = []
    solve = qp.solve_from

    def kept(*args):
        result = solve(*args)
        calls.append(([a.copy() if isinstance(a, np.ndarray) else a for a in args], result))
        return result

    qp.solve_from = kept
    shard = decide_again(night_dir, inbox, scratch, as_of)
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    print(f"recorded {len(calls)} solves of shard {shard}")


def _baseline(ref: str) -> types.ModuleType:
    """``sma.rebalance._interior_point`` as it was at ``ref``, compiled on its own."""
    text = source_at(ref, "sma/rebalance/_interior_point.py")
    module = types.ModuleType("baseline_interior_point")
    exec(compile(text, "baseline_interior_point", "exec"), module.__dict__)
    return module


def _same(got: tuple, want: tuple) -> bool:
    """Every output equal to the bit (nan where nan)."""
    for a, b in zip(got, want, strict=True):
        if isinstance(b, np.ndarray):
            if a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
                return False
        elif not (a == b or (a != a and b != b)):
            return False
    return True


def _pass(solve_from, calls) -> tuple[float, bool]:
    """CPU seconds of one pass over the calls; whether every result is the recorded one."""
    total, same = 0.0, True
    for args, want in calls:
        start = time.process_time()
        got = solve_from(*args)
        total += time.process_time() - start
        same &= _same(got, want)
    return total, same


def replay(path: Path, ref: str, passes: int) -> None:
    import sma.rebalance._interior_point as current

    with open(path, "rb") as f:
        calls = pickle.load(f)
    runs = {"baseline " + ref: _baseline(ref).solve_from, "current": current.solve_from}
    for solve_from in runs.values():  # compile outside the timing
        solve_from(*calls[0][0])
    times: dict[str, list[float]] = {name: [] for name in runs}
    identical = dict.fromkeys(runs, True)
    for _ in range(passes):  # alternate, so a change of load falls on both
        for name, solve_from in runs.items():
            cpu, same = _pass(solve_from, calls)
            times[name].append(cpu)
            identical[name] &= same
    iterations = sum(int(want[4]) for _, want in calls)
    variables = np.median([args[0].size for args, _ in calls])
    base = float(np.median(times["baseline " + ref]))
    print(f"{len(calls)} solves, {iterations} iterations, median {variables:.0f} variables; load "
          f"average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("| kernel | CPU s per pass (median) | us per solve | us per iteration | ratio | same |")
    print("|---|---|---|---|---|---|")
    for name in runs:
        med = float(np.median(times[name]))
        print(
            f"| {name} | {med:.2f} | {1e6 * med / len(calls):.0f} | {1e6 * med / iterations:.1f} "
            f"| {med / base:.2f} | {'yes' if identical[name] else 'NO'} |"
        )


def main() -> None:
    parser, _ = record_replay_parser(__doc__.splitlines()[0], "00d88bd")
    run(parser.parse_args(), record, replay)


if __name__ == "__main__":
    main()
