"""End to end from inbox files to checked trades: per step the wall seconds, the CPU seconds of
every process of the night (this one and the decide step's workers) and the peak of their summed
resident memory, for books of several sizes; deciding on 2 worker processes against 1 in the same
run (the ratio is the speed-up from the process pool).

    .venv/bin/python -m benchmarks.bench_night --accounts 1000 10000

CPU seconds are ``getrusage`` deltas of this process and of its reaped children, plus what psutil
reads of children still alive when a step ends (none today: the pool is joined at the end of the
decide step). Memory is the sum of resident set sizes over the whole process tree, sampled every
0.2 s in a thread (the 8 GB goal of issue 23 is a sum; pages shared between processes, e.g. numpy's
libraries, are counted once per process, so the sum is an upper bound). The machine's load average
is printed beside each night: on a shared machine read the ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil

from pipelines.book import write_book
from pipelines.night._check import check_step
from pipelines.night._nightly import decide_all, ingest_night
from pipelines.night._prepare import prepare_step
from pipelines.night._record import blotter_step, record_step
from pipelines.night._review import review_step
from pipelines.night._run import Night
from pipelines.settings import Settings

AS_OF = date(2026, 11, 24)
#: Seconds between two samples of the process tree's resident memory.
SAMPLE_SECONDS = 0.2


class ProcessTree:
    """CPU seconds and summed resident memory of this process and every process under it.

    A thread samples the tree's resident memory every ``SAMPLE_SECONDS`` while the meter runs
    (``with ProcessTree() as tree``); :meth:`step` measures one callable: wall seconds, CPU
    seconds, and the peak memory sum seen while it ran.
    """

    def __init__(self, interval: float = SAMPLE_SECONDS):
        self.interval = interval
        self.me = psutil.Process()
        self.peak = 0  # bytes, since the meter started
        self.step_peak = 0  # bytes, since the current step started
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def __enter__(self) -> ProcessTree:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._record(self.rss_sum())

    def _record(self, rss: int) -> None:
        self.peak = max(self.peak, rss)
        self.step_peak = max(self.step_peak, rss)

    def _processes(self) -> list[psutil.Process]:
        try:
            return [self.me, *self.me.children(recursive=True)]
        except psutil.Error:
            return [self.me]

    def rss_sum(self) -> int:
        """Resident bytes summed over the tree now."""
        total = 0
        for p in self._processes():
            try:
                total += p.memory_info().rss
            except psutil.Error:  # it ended between the listing and the read
                pass
        return total

    def live_children_cpu(self) -> dict[int, float]:
        """pid -> CPU seconds so far of each descendant still alive (not in RUSAGE_CHILDREN yet)."""
        found = {}
        for p in self._processes()[1:]:
            try:
                t = p.cpu_times()
                found[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        return found

    @staticmethod
    def reaped_cpu() -> float:
        """CPU seconds of this process and of its children already waited for."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def step(self, run: Callable[[], object]) -> Lap:
        """Run ``run`` and measure it."""
        self.step_peak = 0
        self._record(self.rss_sum())
        live0, cpu0, wall0 = self.live_children_cpu(), self.reaped_cpu(), time.perf_counter()
        run()
        wall = time.perf_counter() - wall0
        cpu, live1 = self.reaped_cpu() - cpu0, self.live_children_cpu()
        self._record(self.rss_sum())
        # A child alive at the start and reaped since is whole in RUSAGE_CHILDREN: take off what
        # it had spent before the step, as for one still alive.
        cpu += sum(live1.values()) - sum(live0.values())
        return Lap(wall, cpu, self.step_peak)


@dataclass(frozen=True)
class Lap:
    """One step: wall seconds, CPU seconds of the process tree, peak summed resident bytes."""

    wall: float
    cpu: float
    peak_rss: int


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def one_night(
    inbox: Path,
    root: Path,
    workers: int,
    max_file_gb: float | None = None,
    until_check: bool = False,
    until_ingest: bool = False,
) -> dict[str, Lap]:
    """Run the night's steps on ``inbox`` in ``root``, printing each step as it ends."""
    validation = {"max_file_bytes": int(max_file_gb * 2**30)} if max_file_gb else {}
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": workers},
        validation=validation,
    )
    night = Night(AS_OF, inbox, settings)
    laps: dict[str, Lap] = {}
    print(f"  workers={workers}, {load()} at the start", flush=True)
    with ProcessTree() as tree:
        wall0 = time.perf_counter()
        for name, step in (
            ("read+validate+load", lambda: ingest_night(night)),
            ("prepare (risk, targets, shards)", lambda: prepare_step(night)),
            (
                "screen+solve (shards)",
                lambda: decide_all(
                    night, night.done_info("prepare")["shards"], workers, lambda: None
                ),
            ),
            ("check", lambda: check_step(night)),
            (
                "write (blotter, store, review)",
                lambda: (blotter_step(night), record_step(night), review_step(night)),
            ),
        ):
            if (until_check and name.startswith("write")) or (
                until_ingest and not name.startswith("read")
            ):
                continue
            laps[name] = lap = tree.step(step)
            print(
                f"    {name:<32} wall {lap.wall:7.1f} s  CPU {lap.cpu:7.1f} s "
                f"({lap.cpu / max(lap.wall, 1e-9):.2f} cores)  peak RSS sum "
                f"{lap.peak_rss / 2**20:,.0f} MB   [{load()}]",
                flush=True,
            )
            if name == "check":
                laps["to checked trades"] = _so_far(laps, wall0, tree.peak)
        laps.setdefault("to checked trades", Lap(0.0, 0.0, 0))  # a kept night already checked
        laps["total"] = _so_far(laps, wall0, tree.peak)
    if not night.is_done("prepare"):
        return laps
    shard_laps: dict[str, float] = {}
    for k in night.done_info("prepare")["shards"]:
        for part, seconds in night.done_info("decide", k).get("seconds", {}).items():
            shard_laps[part] = shard_laps.get(part, 0.0) + seconds
    busy = sum(shard_laps.values()) or 1.0
    print(
        "    inside the shard tasks (wall seconds summed over shards, not CPU): "
        + ", ".join(f"{part} {sec:,.0f} s ({sec / busy:.0%})" for part, sec in shard_laps.items())
        + "   [read = shard files, splits, reconciliation, engine arrays]",
        flush=True,
    )
    return laps


def _so_far(laps: dict[str, Lap], wall0: float, peak: int) -> Lap:
    steps = [lap for name, lap in laps.items() if name not in ("to checked trades", "total")]
    return Lap(time.perf_counter() - wall0, sum(lap.cpu for lap in steps), peak)


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
        "--until-ingest",
        action="store_true",
        help="stop once the inbox is validated and loaded into the store (ingest alone)",
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
                results[w] = one_night(
                    inbox, folder, w, args.max_file_gb, args.until_check, args.until_ingest
                )
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            for w, laps in results.items():
                total, checked = laps["total"], laps["to checked trades"]
                shares = ", ".join(
                    f"{k} {v.wall / total.wall:.0%}"
                    for k, v in laps.items()
                    if k not in ("total", "to checked trades")
                )
                to_check = (
                    f"inbox files to checked trades {checked.wall:.1f} s wall, "
                    f"{checked.cpu:.1f} s CPU ({n / checked.wall:.1f} accounts/s); "
                    if checked.wall
                    else ""
                )
                print(
                    f"  workers={w}: {to_check}whole run {total.wall:.1f} s wall, "
                    f"{total.cpu:.1f} s CPU, peak RSS sum {total.peak_rss / 2**20:,.0f} MB   "
                    f"[{shares} of wall]"
                )
            if {1, 2} <= set(results):
                print(
                    "  ratio 1 worker / 2 workers (wall): "
                    f"{results[1]['total'].wall / results[2]['total'].wall:.2f}x"
                )
            print(f"  {load()} at the end")


if __name__ == "__main__":
    main()
