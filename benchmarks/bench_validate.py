"""How fast the inbox is validated: lots rows per second, the night's executor against GX itself.

1. The lots suite (``data_contracts/suites/lots.json``) on ``--rows`` lots of a generated book,
   one in a thousand made bad (so per-row reporting is exercised): the night's vectorised executor
   (cells typed from text, then every expectation) against the same suite run through Great
   Expectations (COMPLETE result format, per-row indexes), in the same process. Medians over
   ``--repeats`` runs and the ratio.
2. The whole night end to end, ``validate_inbox`` on the generated book written as CSV and as
   Parquet (read in batches, type, suites, staging, cross-file rules): median seconds and rows
   per second.
3. Ingest (validate + load into a fresh store) of big books streamed to disk by
   ``pipelines.book.write_book`` (``--ingest-accounts``, ``--format``): wall seconds, rows per
   second and the peak resident memory of the process that ingests (a fresh process per run, so
   the peak is the ingest's own). The whole-file validator this replaced is not importable any
   more; its figures were 3.3-6.5 s for 1,000 accounts (2.0M rows) and several GB peak at 10,000.
   ``--max-file-bytes`` raises the file size limit (a 100,000-account lots file exceeds 1.5 GiB).

    .venv/bin/python benchmarks/bench_validate.py [--accounts 1000] [--rows 200000] [--repeats 3]
    .venv/bin/python benchmarks/bench_validate.py --only-ingest --ingest-accounts 10000 --format
    parquet
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.book import write_book, write_inbox
from pipelines.settings import Settings, ValidationSettings
from pipelines.validate import load_suite, parse_table, run_suite, run_suite_with_gx, validate_inbox
from sma.book import generate_book
from sma.inbox import INBOX_FILES

AS_OF = date(2026, 11, 24)


def _median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _lots_sample(lots: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``rows`` lots (the book's, repeated with fresh lot ids if it has fewer), 0.1% bad."""
    repeats = -(-rows // len(lots))
    sample = pd.concat([lots] * repeats, ignore_index=True).iloc[:rows].copy()
    sample["lot_id"] = [f"L{i}" for i in range(rows)]
    sample.loc[sample.index % 1000 == 999, "quantity"] = -1.0
    return sample


def _as_text(frame: pd.DataFrame) -> pa.Table:
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d").fillna("")
        else:
            text = values.astype(object).where(values.notna(), "").astype(str)
        columns[name] = pa.array(text.tolist(), pa.string())
    return pa.table(columns)


def _executor(text: pa.Table, suite) -> int:
    check = parse_table(INBOX_FILES["lots"], text)
    run_suite(check, suite, {"as_of": AS_OF})
    return int(check.bad.sum())


def _ingest_in_child(inbox: Path, store: Path, validation: dict, out) -> None:
    from pipelines.ingest import ingest

    logging.basicConfig(level=logging.INFO, format="      %(message)s")

    started = time.perf_counter()
    result = ingest(inbox, AS_OF, Settings(store={"path": store}, validation=validation))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((seconds, sum(result.rows_loaded.values()), result.issue_count, peak))


def _ingest_once(inbox: Path, store: Path, validation: dict) -> tuple[float, int, int, float]:
    """One ingest in a fresh process: seconds, rows loaded, issues, peak RSS in MB."""
    store.unlink(missing_ok=True)
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_ingest_in_child, args=(inbox, store, validation, theirs)
    )
    child.start()
    child.join()
    if not ours.poll():
        raise SystemExit(f"the ingest process failed (exit code {child.exitcode})")
    return ours.recv()


def bench_ingest(
    accounts: list[int],
    fmt: str,
    seed: int,
    repeats: int,
    validation: dict,
    inbox: Path | None = None,
) -> None:
    print(
        f"ingest (validate + load a fresh store), {fmt}, settings {validation or 'default'}, "
        f"median of {repeats}:"
    )
    for n in accounts:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            tmp = Path(tmp)
            started = time.perf_counter()
            if inbox is None:
                write_book(n, seed, AS_OF, tmp / "inbox", fmt)
            book = inbox or tmp / "inbox"
            size = sum(p.stat().st_size for p in book.rglob("*") if p.is_file())
            print(
                f"  {n:,} accounts: book written in {time.perf_counter() - started:.0f} s, "
                f"{size / 2**20:,.0f} MiB"
            )
            runs = [_ingest_once(book, tmp / "store.duckdb", validation) for _ in range(repeats)]
        seconds = statistics.median(r[0] for r in runs)
        rows, issues, peak = runs[0][1], runs[0][2], max(r[3] for r in runs)
        print(
            f"    {seconds:8.1f} s  {rows:>13,} rows loaded  {rows / seconds:>10,.0f} rows/s  "
            f"peak RSS {peak:,.0f} MB  ({issues} issues)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ingest-accounts", type=int, nargs="*", default=[1_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="parquet")
    parser.add_argument("--ingest-repeats", type=int, default=1)
    parser.add_argument(
        "--batch-rows", type=int, default=None, help="ValidationSettings.batch_rows for ingest"
    )
    parser.add_argument(
        "--max-file-bytes",
        type=int,
        default=None,
        help="ValidationSettings.max_file_bytes for ingest",
    )
    parser.add_argument("--only-ingest", action="store_true", help="skip parts 1 and 2")
    parser.add_argument(
        "--inbox",
        type=Path,
        default=None,
        help="ingest this inbox (a book written before, for --ingest-accounts N) instead of "
        "writing one",
    )
    args = parser.parse_args(argv)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    validation = {
        k: v
        for k, v in (("batch_rows", args.batch_rows), ("max_file_bytes", args.max_file_bytes))
        if v
    }
    if not args.only_ingest:
        _executor_and_night(args)
    if args.ingest_accounts:
        bench_ingest(
            args.ingest_accounts,
            args.format,
            args.seed,
            args.ingest_repeats,
            validation,
            args.inbox,
        )


def _executor_and_night(args) -> None:
    frames = generate_book(args.accounts, args.seed, AS_OF)
    sample = _lots_sample(frames["lots"], args.rows)
    text, suite = _as_text(sample), load_suite("lots")
    bad = _executor(text, suite)
    ours = _median_seconds(lambda: _executor(text, suite), args.repeats)
    found = run_suite_with_gx(suite, sample, {"as_of": AS_OF})
    assert set(found["row"].dropna()) == set(np.flatnonzero(sample.index % 1000 == 999) + 1), (
        "GX disagrees"
    )
    gx = _median_seconds(lambda: run_suite_with_gx(suite, sample, {"as_of": AS_OF}), args.repeats)
    print(f"lots suite, {args.rows:,} rows ({bad:,} bad), median of {args.repeats}:")
    print(
        f"  executor (text -> typed -> {len(suite.expectations)} expectations) {ours:8.3f} s  "
        f"{args.rows / ours:>12,.0f} rows/s"
    )
    print(
        f"  GX {__import__('great_expectations').__version__} (typed frame, COMPLETE)        "
        f"{gx:8.3f} s  {args.rows / gx:>12,.0f} rows/s"
    )
    print(f"  ratio GX / executor: {gx / ours:.1f}x")

    total = sum(len(f) for f in frames.values())
    print(f"whole night, {args.accounts:,} accounts, {len(frames['lots']):,} lots, {total:,} rows:")
    for fmt in ("csv", "parquet"):
        with tempfile.TemporaryDirectory() as tmp:
            write_inbox(frames, Path(tmp), AS_OF, fmt)
            result = validate_inbox(Path(tmp), AS_OF, ValidationSettings())
            assert result.ok, result.issues.head()
            seconds = _median_seconds(
                lambda: validate_inbox(Path(tmp), AS_OF, ValidationSettings()), args.repeats
            )
        print(f"  validate_inbox ({fmt:7}) {seconds:8.3f} s  {total / seconds:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
