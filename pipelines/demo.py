"""``make demo``: generate a realistic book, validate and load it, and say where everything is.

Everything goes under one work folder (default ``out/demo``): the inbox, the store and the runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pipelines.settings import load_settings


def run_demo(work: Path, as_of: date, accounts: int, seed: int) -> int:
    from pipelines.book import write_inbox
    from pipelines.ingest import InboxRejected, ingest
    from pipelines.store import book_summary, open_store, render_book_summary
    from sma.book import generate_book

    work = work.resolve()
    settings = load_settings(
        store={"path": work / "store.duckdb"},
        storage={"uri": str(work / "storage")},
        runs={"dir": work / "runs"},
    )
    inbox = work / "inbox"
    print(f"Generating a book of {accounts} accounts (seed {seed}) as of {as_of} ...", flush=True)
    folder = write_inbox(generate_book(accounts, seed, as_of), inbox, as_of, "csv")
    print(f"  inbox written to {folder}")
    print("Validating and loading into the store ...", flush=True)
    try:
        result = ingest(inbox, as_of, settings)
    except InboxRejected as rejected:
        print(rejected.report, file=sys.stderr)
        return 1
    print(f"  {sum(result.rows_loaded.values()):,} rows loaded, {len(result.issues)} quarantined")
    with open_store(settings.store.path, read_only=True) as con:
        print()
        print(render_book_summary(book_summary(con, as_of)))
    print()
    print("Where things are:")
    print(f"  inbox   {folder}")
    print(f"  store   {settings.store.path}   (DuckDB; schema in pipelines/store/SCHEMA.md)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("out/demo"))
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    return run_demo(args.work, args.date, args.accounts, args.seed)


if __name__ == "__main__":
    sys.exit(main())
