"""``make demo``: generate a realistic book, run the whole night on it, and say where everything is.

Everything goes under one work folder (default ``out/demo``): the inbox, the store, the Parquet
exchange between shards and the run folder (proposal, blotter, review page).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines._atomic import write_atomically
from pipelines.identity import NoSigningKey, make_key, os_login, public_key_of
from pipelines.settings import load_settings


def run_demo(work: Path, as_of: date, accounts: int, seed: int, years: int = 2) -> int:
    from pipelines.history import build_history
    from pipelines.ingest import InboxRejected
    from pipelines.night import Night, render_summary, run_night
    from pipelines.statements import write_statement_slice
    from pipelines.store import book_summary, open_store, render_book_summary
    from sma.book import generate_book

    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    # The demo's own settings file, so the printed `sma` commands act on the demo's store and runs.
    write_atomically(
        work / "sma.toml",
        (
            f'[store]\npath = "{work / "store.duckdb"}"\n[storage]\nuri = "{work / "storage"}"\n'
            f'[runs]\ndir = "{work / "runs"}"\n[blotter]\nusers_file = "{_demo_users(work)}"\n'
        ).encode(),
    )
    os.environ["SMA_CONFIG"] = str(work / "sma.toml")
    settings = load_settings()
    inbox = work / "inbox"
    for stale in ("store.duckdb", "storage", "runs", "statements"):
        path = work / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    quarter = pd.Timestamp(as_of).to_period("Q") - 1  # the last complete quarter: its statements
    # The book is generated as it stood ``years`` before tonight and run forward night by night, so
    # statements have real periods behind them: quarters, the year to date, since inception.
    start = (pd.Timestamp(as_of) - pd.DateOffset(years=years)).date()
    start = np.busday_offset(np.datetime64(start, "D"), 0, roll="backward").astype(object)
    print(f"Generating a book of {accounts} accounts (seed {seed}) as of {start} ...", flush=True)
    frames = generate_book(accounts, seed, start)
    print(
        f"Simulating its {years} years of nights with the engine and the ledger, {start} to "
        f"{as_of}; "
        "each quarter end is loaded as a snapshot ...",
        flush=True,
    )
    build_history(
        frames,
        start,
        as_of,
        inbox,
        settings,
        seed,
        workers=2,
        on_leg=lambda day: print(f"  loaded {day}", flush=True),
    )
    folder = inbox / as_of.isoformat()
    print(
        "Running the night: validate and load, prepare, decide, check, blotter, review ...",
        flush=True,
    )
    try:
        summary = run_night(as_of, inbox, settings, force=True)
    except InboxRejected as rejected:
        print(rejected.report, file=sys.stderr)
        return 1
    night = Night(as_of, inbox, settings)
    with open_store(settings.store.path, read_only=True) as con:
        print()
        print(render_book_summary(book_summary(con, as_of)))
    print()
    print(render_summary(night, summary))
    print()
    print("Where things are:")
    print(f"  inbox        {folder}")
    print(f"  store        {settings.store.path}   (DuckDB; schema in pipelines/store/SCHEMA.md)")
    print(f"  review page  {night.run_dir / 'review.html'}   (open it in a browser)")
    print(f"  blotter      {night.run_dir / 'blotter'}")
    print()
    label = f"{quarter.year}-Q{quarter.quarter}"
    print(f"Writing client statements for {label} ...", flush=True)
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        count = sum(pool.map(write_statement_slice, [label, label], [0, 1], [2, 2]))
    folder = Path(settings.runs.dir).parent / "statements" / label
    print(f"  statements   {folder}   ({count} PDFs, Form 8949 reports in form8949/)")
    print()
    _demo_proposal(work, inbox / as_of.isoformat(), seed)
    print()
    env = f"SMA_CONFIG={work / 'sma.toml'}"
    print(f"Next, as a PM (you: login {os_login()!r} is the demo's PM in {work / 'users.toml'}):")
    print(f"  {env} .venv/bin/sma blotter show --run {night.run_id}")
    print(f"  {env} .venv/bin/sma blotter approve --run {night.run_id}")
    print(
        "Then a trader releases it from another login (four-eyes: the approver's login never "
        "releases);"
    )
    print(
        f"as that login run `sma blotter keygen`, add it as a TRADER in {work / 'users.toml'}, "
        "then:"
    )
    print(f"  {env} .venv/bin/sma blotter release --run {night.run_id}")
    return 0


def _demo_proposal(work: Path, folder: Path, seed: int) -> None:
    """A generated prospect (a concentrated position at 40 % of value and a large gain, a fund
    outside the universe) and its transition proposal on tonight's closes: three budgets, three
    years, monthly decisions."""
    import time

    from pipelines.proposals import TransitionRequest, proposal_market, run_transition
    from sma.book import generate_prospect

    started = time.perf_counter()
    path, t = proposal_market(folder, seed, 0)
    drawn = generate_prospect(
        seed, path.symbols, path.closes[t], path.index_weights(t)[0], path.dates[t]
    )
    prospect = work / "prospect"
    prospect.mkdir(exist_ok=True)
    write_atomically(prospect / "lots.csv", drawn.lots.to_csv(index=False).encode())
    write_atomically(prospect / "holdings.csv", drawn.holdings.to_csv(index=False).encode())
    print("Writing a transition proposal for a generated prospect ...", flush=True)
    done = run_transition(
        TransitionRequest(
            prospect / "lots.csv",
            prospect / "holdings.csv",
            drawn.cash,
            None,
            (0.0, 100_000.0, float("inf")),
            3,
            prospect / "proposal",
            folder,
            seed,
            "Demo prospect",
        ),
        load_settings(),
    )
    print(
        f"  proposal     {done.files['pdf']}   (budgets $0, $100,000 and no limit over 3 years; "
        f"{time.perf_counter() - started:.0f} s)"
    )


def _demo_users(work: Path) -> Path:
    """The demo's users file: the login running the demo runs its night (NIGHT: signs the proposal),
    is its PM and books fills (OPERATIONS), with its signing key (made in the settings' ``keys_dir``
    if it has none); a trader must be another login."""
    keys_dir = load_settings().blotter.keys_dir
    try:
        public = public_key_of(keys_dir, os_login())
    except NoSigningKey:
        public = make_key(keys_dir, os_login())
    return write_atomically(
        work / "users.toml",
        (
            "# Who may act on the demo's blotters, by OS login (see config/users.toml). The login "
            "that ran\n"
            "# the demo runs its night (NIGHT signs the proposal), approves as its PM and books "
            "fills.\n"
            f'[users.{json.dumps(os_login())}]\nroles = ["NIGHT", "PM", "OPERATIONS"]\n'
            f'public_key = "{public}"\n\n'
            "# Four-eyes: release needs a TRADER who is another login than the approver. As that "
            "login\n"
            "# run `sma blotter keygen` and add it here:\n"
            '# [users.your-colleague]\n# roles = ["TRADER"]\n# public_key = "..."\n'
        ).encode(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("out/demo"))
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--years", type=int, default=2, help="years of simulated history before --date"
    )
    args = parser.parse_args(argv)
    return run_demo(args.work, args.date, args.accounts, args.seed, args.years)


if __name__ == "__main__":
    sys.exit(main())
