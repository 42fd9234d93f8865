"""End to end from inbox files to checked trades: wall time, accounts per second, peak memory and
the share of time in each step, for books of several sizes; deciding on 2 worker processes
against 1 in the same run (the ratio is the speed-up from the process pool).

    .venv/bin/python -m benchmarks.bench_night --accounts 1000 10000
"""

from __future__ import annotations

import argparse
import resource
import shutil
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


def one_night(
    inbox: Path,
    root: Path,
    workers: int,
    max_file_gb: float | None = None,
    until_check: bool = False,
) -> dict[str, float]:
    validation = {"max_file_bytes": int(max_file_gb * 2**30)} if max_file_gb else {}
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": workers},
        validation=validation,
    )
    night = Night(AS_OF, inbox, settings)
    times: dict[str, float] = {}
    memory: dict[str, float] = {}
    t = time.perf_counter()
    for name, step in (
        ("read+validate+load", lambda: ingest_night(night)),
        ("prepare (risk, targets, shards)", lambda: prepare_step(night)),
        (
            "screen+solve (shards)",
            lambda: decide_all(night, night.done_info("prepare")["shards"], workers, lambda: None),
        ),
        ("check", lambda: check_step(night)),
        (
            "write (blotter, store, review)",
            lambda: (blotter_step(night), record_step(night), review_step(night)),
        ),
    ):
        start = time.perf_counter()
        if until_check and name.startswith("write"):
            continue
        step()
        times[name] = time.perf_counter() - start
        memory[name] = peak_mb()
        if name == "check":
            times["to checked trades"] = time.perf_counter() - t
    times.setdefault(
        "to checked trades", 0.0
    )  # a kept night that had already reached its checked trades
    times["total"] = time.perf_counter() - t
    laps: dict[str, float] = {}
    for k in night.done_info("prepare")["shards"]:
        for part, seconds in night.done_info("decide", k).get("seconds", {}).items():
            laps[part] = laps.get(part, 0.0) + seconds
    busy = sum(laps.values()) or 1.0
    print(
        "    inside the shard tasks (worker seconds): "
        + ", ".join(f"{part} {sec:,.0f} s ({sec / busy:.0%})" for part, sec in laps.items())
        + "   [read = shard files, splits, reconciliation, engine arrays]",
        flush=True,
    )
    print(
        "    peak memory so far after each step (MB): "
        + ", ".join(f"{k} {v:,.0f}" for k, v in memory.items()),
        flush=True,
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument(
        "--until-check",
        action="store_true",
        help="stop at checked trades (the issue's measure): no blotter, store record or review "
        "page",
    )
    parser.add_argument(
        "--work",
        default=None,
        help="a folder for the run; a generated inbox there is kept and reused by later runs",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="run in <work>/night-<n>-w<workers> and keep it: a later run finishes the steps "
        "not yet "
        "done (e.g. the write steps after --until-check), timing only those",
    )
    parser.add_argument(
        "--max-file-gb",
        type=float,
        default=None,
        help="raise the inbox's per-file size limit (a 100,000-account lots file is larger)",
    )
    args = parser.parse_args()
    for n in args.accounts:
        if args.keep and not args.work:
            parser.error("--keep needs --work")
        with tempfile.TemporaryDirectory(prefix="bench-night-", dir=args.work) as tmp:
            tmp = Path(args.work) if args.keep else Path(tmp)
            inbox = (
                Path(args.work) / f"inbox-{n}-{args.seed}-{args.format}"
                if args.work
                else tmp / "inbox"
            )
            start = time.perf_counter()
            if (
                not (inbox / AS_OF.isoformat() / "accounts.csv").exists()
                and not (inbox / AS_OF.isoformat() / "accounts.parquet").exists()
            ):
                write_book(n, args.seed, AS_OF, inbox, args.format)
            print(
                f"\n{n:,} accounts (book generated and written in "
                f"{time.perf_counter() - start:.1f} s)"
            )
            results = {}
            for w in args.workers:
                folder = tmp / (f"night-{n}-w{w}" if args.keep else f"w{w}")
                results[w] = one_night(inbox, folder, w, args.max_file_gb, args.until_check)
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            for w, times in results.items():
                total, checked = times["total"], times["to checked trades"]
                shares = ", ".join(
                    f"{k} {v / total:.0%}"
                    for k, v in times.items()
                    if k not in ("total", "to checked trades")
                )
                print(
                    f"  workers={w}: inbox files to checked trades {checked:.1f} s "
                    f"({n / checked:.1f} accounts/s); "
                    f"whole night {total:.1f} s   [{shares}]"
                )
            if {1, 2} <= set(results):
                print(
                    "  ratio 1 worker / 2 workers: "
                    f"{results[1]['total'] / results[2]['total']:.2f}x"
                )
            print(f"  peak memory (largest process): {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
