"""The interior point (``sma.rebalance._interior_point.solve_from``, issues 17 and 23) on the solves
of a real night: CPU time of the current kernel against the kernel at a baseline git ref, run in the
same process on the same recorded solves, and whether every solve's outputs (trades, row
multipliers, reduced costs, status, iterations, the iterate it stopped at, its bound) are the
recorded ones to the bit; for a kernel that is not, how far its answers moved (iterations,
statuses, the objective of each optimal answer, tight and loose solves apart).

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


def _pass(solve_from, calls) -> tuple[float, bool, list]:
    """CPU seconds of one pass over the calls; whether every result is the recorded one; the
    results."""
    total, same, results = 0.0, True, []
    for args, want in calls:
        start = time.process_time()
        got = solve_from(*args)
        total += time.process_time() - start
        same &= _same(got, want)
        results.append(got)
    return total, same, results


def _objective(args: list, v: np.ndarray) -> float:
    """The solve's objective at ``v`` with its constant (``_interior_point``'s module docstring),
    in plain numpy: a second reading, not the kernel's."""
    asset, sign, _, cost, d, B, p = args[:7]
    z = np.bincount(asset, sign * v, minlength=d.size)
    bz = B.T @ z
    return float(0.5 * (z @ (d * z) + bz @ bz) + p @ z + cost @ v + args[11])


def _moved(calls: list, results: list) -> str:
    """How a kernel that is not the recorded one to the bit moved the answers: iterations against
    the recorded ones, statuses changed, and the objective of each optimal answer against the
    recorded answer's, relative (``+``: worse), split by tolerance (the engine's loose solves
    stop at a 3 % gap, its tight ones at 1e-6)."""
    steps = status = 0
    rel: dict[bool, list[float]] = {False: [], True: []}  # by loose
    for (args, want), got in zip(calls, results, strict=True):
        steps += int(got[4]) - int(want[4])
        status += got[3] != want[3]
        if want[3] == got[3] == 0:
            before = _objective(args, want[0])
            rel[args[9] >= 1e-3].append(
                (_objective(args, got[0]) - before) / max(abs(before), 1e-3)
            )
    parts = [f"iterations {steps:+d}, statuses changed {status}"]
    for name, loose in (("tight", False), ("loose", True)):
        if rel[loose]:
            parts.append(
                f"{name} objective relative p1 / p50 / p99 {np.percentile(rel[loose], 1):+.1e} / "
                f"{np.median(rel[loose]):+.1e} / {np.percentile(rel[loose], 99):+.1e}"
            )
    return "; ".join(parts)


def replay(path: Path, ref: str, passes: int) -> None:
    import sma.rebalance._interior_point as current

    with open(path, "rb") as f:
        calls = pickle.load(f)
    runs = {"baseline " + ref: _baseline(ref).solve_from, "current": current.solve_from}
    for solve_from in runs.values():  # compile outside the timing
        solve_from(*calls[0][0])
    times: dict[str, list[float]] = {name: [] for name in runs}
    identical = dict.fromkeys(runs, True)
    results = {}
    for _ in range(passes):  # alternate, so a change of load falls on both
        for name, solve_from in runs.items():
            cpu, same, results[name] = _pass(solve_from, calls)
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
    for name in runs:
        if not identical[name]:
            print(f"{name} against the recorded answers: {_moved(calls, results[name])}")


def main() -> None:
    parser, _ = record_replay_parser(__doc__.splitlines()[0], "00d88bd")
    run(parser.parse_args(), record, replay)


if __name__ == "__main__":
    main()
