"""What the replay benchmarks share (``bench_name_search``, ``bench_uma_sleeves``): one shard's
decide run again on a copy of a prepared night, to record the calls it makes, and their
``record`` / ``replay`` command line."""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 24)


def decide_again(night_dir: Path, inbox: Path, scratch: Path, as_of: date, shard: int = 0) -> int:
    """Copy the prepared night ``night_dir`` (store, storage and runs of ``pipelines.night`` after
    ingest and prepare) to ``scratch`` and run the decide step of its ``shard``-th shard there
    again (the caller has put its recorders in place); returns that shard's number."""
    from pipelines.night._decide import decide_step
    from pipelines.night._run import Night
    from pipelines.settings import Settings

    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(night_dir, scratch)
    settings = Settings(
        store={"path": scratch / "store.duckdb"},
        storage={"uri": str(scratch / "storage")},
        runs={"dir": scratch / "runs"},
        night={"workers": 1},
    )
    night = Night(as_of, inbox, settings)
    k = night.done_info("prepare")["shards"][shard]
    Path(night._marker("decide", k)).unlink(missing_ok=True)
    decide_step(night, k)
    return k


def record_replay_parser(
    description: str, baseline_ref: str
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The command line ``record NIGHT INBOX SCRATCH OUT [--as-of]`` and ``replay CALLS
    [--baseline-ref] [--passes]``; returns the parser and its ``record`` subparser (for more
    options)."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    for name in ("night", "inbox", "scratch", "out"):
        rec.add_argument(name, type=Path)
    rec.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    rep = sub.add_parser("replay")
    rep.add_argument("calls", type=Path)
    rep.add_argument("--baseline-ref", default=baseline_ref)
    rep.add_argument("--passes", type=int, default=3)
    return parser, rec
