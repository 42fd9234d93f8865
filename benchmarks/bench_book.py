"""How fast a book is generated and written: accounts per second for 1,000 and 10,000 accounts.

Baseline, in the same process: the same frames written with pandas' ``DataFrame.to_csv`` (the
obvious first approach) instead of Arrow's CSV writer that ``pipelines.book.write_inbox`` uses.
Prints medians over ``--repeats`` runs and the ratio of the two writers, and the time of
``write_book``, which generates and writes part by part (what ``sma book generate`` runs).

    .venv/bin/python benchmarks/bench_book.py [--sizes 1000 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

from pipelines.book import write_book, write_inbox
from sma.book import generate_book

AS_OF = date(2026, 11, 24)


def _pandas_to_csv(frames, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")


def _median_seconds(run, repeats: int) -> tuple[float, object]:
    """Median wall time of ``run()`` over ``repeats`` runs, and the last run's result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(n_accounts: int, seed: int, repeats: int) -> dict[str, float]:
    """Median seconds to generate ``n_accounts`` and to write them with each writer."""
    gen, frames = _median_seconds(partial(generate_book, n_accounts, seed, AS_OF), repeats)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        arrow, _ = _median_seconds(partial(write_inbox, frames, root / "a", AS_OF, "csv"), repeats)
        parquet, _ = _median_seconds(
            partial(write_inbox, frames, root / "p", AS_OF, "parquet"), repeats
        )
        pandas, _ = _median_seconds(
            partial(_pandas_to_csv, frames, root / "b" / str(AS_OF)), repeats
        )
        streamed, _ = _median_seconds(
            partial(write_book, n_accounts, seed, AS_OF, root / "s"), repeats
        )
    return {
        "lots": len(frames["lots"]),
        "generate": gen,
        "arrow": arrow,
        "parquet": parquet,
        "pandas": pandas,
        "streamed": streamed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(
        f"{'accounts':>9} {'lots':>11} {'generate s':>11} {'arrow csv s':>12} "
        f"{'pandas csv s':>13} {'parquet s':>10} {'ratio':>6} {'accounts/s':>11} "
        f"{'streamed s':>11} {'streamed acc/s':>15}"
    )
    for n in args.sizes:
        m = measure(n, args.seed, args.repeats)
        print(
            f"{n:>9,} {m['lots']:>11,} {m['generate']:>11.2f} {m['arrow']:>12.2f} "
            f"{m['pandas']:>13.2f} {m['parquet']:>10.2f} {m['pandas'] / m['arrow']:>5.1f}x "
            f"{n / (m['generate'] + m['arrow']):>11,.0f} {m['streamed']:>11.2f} "
            f"{n / m['streamed']:>15,.0f}"
        )
    print("accounts/s = accounts / (median generate + median Arrow CSV write)")
    print(
        "streamed = write_book: generate and write CSV part by part (what `sma book generate` runs)"
    )
    print("ratio = median pandas to_csv write / median Arrow CSV write (same frames, same process)")


if __name__ == "__main__":
    main()
