"""How fast a book is generated and written: accounts per second for 1,000 and 10,000 accounts.

Baseline, in the same process: the same frames written with pandas' ``DataFrame.to_csv`` (the
obvious first approach) instead of Arrow's CSV writer that ``pipelines.book.write_inbox`` uses.
Prints medians over ``--repeats`` runs and the ratio of the two writers.

    .venv/bin/python benchmarks/bench_book.py [--sizes 1000 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from pipelines.book import write_inbox
from sma.book import generate_book

AS_OF = date(2026, 11, 24)


def _pandas_to_csv(frames, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")


def _median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"{'accounts':>9} {'lots':>11} {'generate s':>11} {'arrow csv s':>12} {'pandas csv s':>13} "
          f"{'parquet s':>10} {'ratio':>6} {'accounts/s':>11}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            holder = {}

            def generate():
                holder["frames"] = generate_book(n, args.seed, AS_OF)

            gen = _median_seconds(generate, args.repeats)
            frames = holder["frames"]
            arrow = _median_seconds(lambda: write_inbox(frames, Path(tmp) / "arrow", AS_OF, "csv"), args.repeats)
            parquet = _median_seconds(lambda: write_inbox(frames, Path(tmp) / "pq", AS_OF, "parquet"), args.repeats)
            pandas = _median_seconds(lambda: _pandas_to_csv(frames, Path(tmp) / "pandas" / AS_OF.isoformat()), args.repeats)
        print(f"{n:>9,} {len(frames['lots']):>11,} {gen:>11.2f} {arrow:>12.2f} {pandas:>13.2f} {parquet:>10.2f} "
              f"{pandas / arrow:>5.1f}x {n / (gen + arrow):>11,.0f}")
    print("accounts/s = accounts / (median generate + median Arrow CSV write); ratio = pandas / Arrow CSV write")


if __name__ == "__main__":
    main()
