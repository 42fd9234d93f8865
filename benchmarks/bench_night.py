"""End to end from inbox files to checked trades: wall time, accounts per second, peak memory and
the share of time in each step, for books of several sizes; deciding on 2 worker processes
against 1 in the same run (the ratio is the speed-up from the process pool).

    .venv/bin/python -m benchmarks.bench_night --accounts 1000 10000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from pipelines.book import write_book
from pipelines.night._check import check_step
from pipelines.night._nightly import decide_all, ingest_night
from pipelines.night._prepare import prepare_step
from pipelines.night._record import blotter_step, record_step
from pipelines.night._review import review_step
from pipelines.night._run import Night
from pipelines.settings import Settings

AS_OF = date(2026, 11, 24)


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def one_night(inbox: Path, root: Path, workers: int) -> dict[str, float]:
    settings = Settings(
        store={"path": root / "store.duckdb"}, storage={"uri": str(root / "storage")}, runs={"dir": root / "runs"},
        night={"workers": workers},
    )
    night = Night(AS_OF, inbox, settings)
    times: dict[str, float] = {}
    t = time.perf_counter()
    for name, step in (
        ("read+validate+load", lambda: ingest_night(night)),
        ("prepare (risk, targets, shards)", lambda: prepare_step(night)),
        ("screen+solve (shards)", lambda: decide_all(night, night.done_info("prepare")["shards"], workers, lambda: None)),
        ("check", lambda: check_step(night)),
        ("write (blotter, store, review)", lambda: (blotter_step(night), record_step(night), review_step(night))),
    ):
        start = time.perf_counter()
        step()
        times[name] = time.perf_counter() - start
    times["total"] = time.perf_counter() - t
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    args = parser.parse_args()
    for n in args.accounts:
        with tempfile.TemporaryDirectory(prefix="bench-night-") as tmp:
            tmp = Path(tmp)
            start = time.perf_counter()
            write_book(n, args.seed, AS_OF, tmp / "inbox", args.format)
            print(f"\n{n:,} accounts (book generated and written in {time.perf_counter() - start:.1f} s)")
            results = {w: one_night(tmp / "inbox", tmp / f"w{w}", w) for w in args.workers}
            for w, times in results.items():
                total = times["total"]
                shares = ", ".join(f"{k} {v / total:.0%}" for k, v in times.items() if k != "total")
                print(f"  workers={w}: {total:.1f} s wall, {n / total:.1f} accounts/s   [{shares}]")
            if {1, 2} <= set(results):
                print(f"  ratio 1 worker / 2 workers: {results[1]['total'] / results[2]['total']:.2f}x")
            print(f"  peak memory (largest process): {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
