"""What the replay benchmarks share (``bench_name_search``, ``bench_uma_sleeves``,
``bench_interior_point``, ``bench_check_shard``): one shard's decide run again on a copy of a
prepared night, to record the calls it makes, and their ``record`` / ``replay`` command line.
Without a command (as ``make bench`` runs every benchmark) they go the whole way: a 1,000-account
night prepared in a temporary folder, its first shard recorded and replayed."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 24)


def kept_night(folder: Path, inbox: Path, as_of: date, night_class=None):
    """The night of ``as_of`` kept in ``folder`` (its store, storage and runs, as ``bench_night
    --keep`` leaves them), one worker; ``night_class`` a subclass of ``Night`` to open it as."""
    from pipelines.night._run import Night
    from pipelines.settings import Settings

    settings = Settings(
        store={"path": folder / "store.duckdb"},
        storage={"uri": str(folder / "storage")},
        runs={"dir": folder / "runs"},
        night={"workers": 1},
    )
    return (night_class or Night)(as_of, inbox, settings)


def decide_again(night_dir: Path, inbox: Path, scratch: Path, as_of: date, shard: int = 0) -> int:
    """Copy the prepared night ``night_dir`` (store, storage and runs of ``pipelines.night`` after
    ingest and prepare) to ``scratch`` and run the decide step of its ``shard``-th shard there
    again (the caller has put its recorders in place); returns that shard's number."""
    from pipelines.night._decide import decide_step

    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(night_dir, scratch)
    night = kept_night(scratch, inbox, as_of)
    k = night.done_info("prepare")["shards"][shard]
    Path(night._marker("decide", k)).unlink(missing_ok=True)
    decide_step(night, k)
    return k


def source_at(ref: str, path: str) -> str:
    """The text of the repository's file ``path`` at git ``ref``, with numba's on-disk cache off
    (``cache=True`` would share compiled kernels with the current tree's file of the same name)."""
    return subprocess.run(
        ["git", "-C", str(Path(__file__).resolve().parents[1]), "show", f"{ref}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.replace("cache=True", "cache=False")


def record_replay_parser(
    description: str, baseline_ref: str
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The command line ``[--baseline-ref REF] [--passes N]`` and then ``record NIGHT INBOX
    SCRATCH OUT [--as-of]``, ``replay CALLS [--baseline-ref REF] [--passes N]`` or no command (the
    whole way, ``run``); returns the parser and its ``record`` subparser (for more options)."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command")
    rec = sub.add_parser("record")
    for name in ("night", "inbox", "scratch", "out"):
        rec.add_argument(name, type=Path)
    rec.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    rep = sub.add_parser("replay")
    rep.add_argument("calls", type=Path)
    # before the command (also for the whole way) or after ``replay``: one value either way
    for line, ref, passes in (
        (parser, baseline_ref, 3),
        (rep, argparse.SUPPRESS, argparse.SUPPRESS),
    ):
        line.add_argument("--baseline-ref", default=ref)
        line.add_argument("--passes", type=int, default=passes)
    return parser, rec


def prepared_night(work: Path, accounts: int = 1000) -> tuple[Path, Path]:
    """A generated ``accounts``-account night run to checked trades in ``work`` and kept there
    (``benchmarks.bench_night --keep``, two workers): its folder and its inbox."""
    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_night", "--accounts", str(accounts), "--workers",
         "2", "--format", "parquet", "--work", str(work), "--keep", "--until-check"],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    return work / f"night-{accounts}-w2", work / f"inbox-{accounts}-11-parquet"


def run(
    args: argparse.Namespace,
    record: Callable[[Path, Path, Path, Path, date], None],
    replay: Callable[[Path, str, int], None],
) -> None:
    """The command of ``record_replay_parser``'s line; no command: the whole way on a night of its
    own (``prepared_night``), recorded and replayed against the default baseline."""
    if args.command == "record":
        record(args.night, args.inbox, args.scratch, args.out, args.as_of)
    elif args.command == "replay":
        replay(args.calls, args.baseline_ref, args.passes)
    else:
        with tempfile.TemporaryDirectory(prefix="recorded-night-") as tmp:
            night, inbox = prepared_night(Path(tmp))
            calls = Path(tmp) / "calls.pkl"
            record(night, inbox, Path(tmp) / "scratch", calls, AS_OF)
            replay(calls, args.baseline_ref, args.passes)
