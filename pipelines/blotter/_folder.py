"""The blotter's home in the run folder, and the one lock that serialises its state changes.

Layout of ``<run_dir>/blotter/``::

    proposed/{orders,allocations,lot_instructions}.parquet   written by propose
    approved/{orders,allocations,lot_instructions}.parquet   written by approve (held accounts out)
    audit.jsonl      append-only, hash-chained trail: the authority on the blotter's state
    exports/         written by release: desk.csv, allocations.csv, lot_instructions.csv,
                     orders.fix (FIX 4.4), manifest.json (file hashes + the release record's hash)
    fills/booked.parquet                                      fills booked so far
    .lock            fcntl.flock target

Why this gives exactly-once release across processes on one machine: every state change takes an
exclusive ``flock`` on ``.lock`` (blocking, so racing callers queue rather than fail), then reads
the trail, decides, writes, and appends its record with fsync before unlocking. The state is read
from the trail *inside* the lock, so the second releaser sees RELEASED and is refused. The lock
is released by the kernel when a process dies, so a crash never leaves the blotter stuck. DuckDB
is deliberately not used: it admits one writing process and refuses the others without waiting.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines._atomic import write_atomically
from sma.trading import Blotter, TrailProblem

FRAMES = ("orders", "allocations", "lot_instructions")


class TrailUnreadable(ValueError):
    """A line of the audit log is not a JSON record."""

    def __init__(self, path: Path, line: int, why: str) -> None:
        super().__init__(f"{path}: line {line}: {why}")
        self.path, self.line, self.why = path, line, why


def home(run_dir: Path) -> Path:
    return Path(run_dir) / "blotter"


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the blotter's exclusive lock; callers queue until it is free."""
    folder = home(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock


def _atomic_write(path: Path, data: bytes) -> None:
    write_atomically(path, data)


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def write_frame(path: Path, df: pd.DataFrame) -> None:
    _atomic_write(path, _parquet_bytes(df))


def write_blotter(folder: Path, blotter: Blotter) -> None:
    for name, df in blotter.frames().items():
        write_frame(folder / f"{name}.parquet", df)


def read_blotter(folder: Path) -> Blotter:
    return Blotter(**{name: pd.read_parquet(folder / f"{name}.parquet") for name in FRAMES})


def has_blotter(folder: Path) -> bool:
    return all((folder / f"{name}.parquet").exists() for name in FRAMES)


def audit_path(run_dir: Path) -> Path:
    return home(run_dir) / "audit.jsonl"


def read_trail(run_dir: Path) -> list[dict[str, Any]]:
    """The audit records, oldest first; raises ``TrailUnreadable`` naming the bad line."""
    path = audit_path(run_dir)
    if not path.exists():
        return []
    records = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as e:
            raise TrailUnreadable(path, line, f"not JSON ({e.msg})") from None
        if not isinstance(record, dict):
            raise TrailUnreadable(path, line, "not a JSON object")
        records.append(record)
    return records


def read_trail_problems(run_dir: Path) -> tuple[list[dict[str, Any]], list[TrailProblem]]:
    try:
        return read_trail(run_dir), []
    except TrailUnreadable as e:
        return [], [TrailProblem(e.line, e.why)]


def append_record(run_dir: Path, record: dict[str, Any]) -> None:
    """Append one record and make it durable before the lock is let go."""
    line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    with open(audit_path(run_dir), "a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())


def write_exports(run_dir: Path, files: dict[str, bytes]) -> Path:
    """Write the export set beside its final place, then swap it in whole."""
    final = home(run_dir) / "exports"
    staging = home(run_dir) / f".exports-{uuid.uuid4().hex}"
    for name, data in files.items():
        _atomic_write(staging / name, data)
    if final.exists():  # left by a release that died before its record: never released
        shutil.rmtree(final)
    os.replace(staging, final)
    return final
