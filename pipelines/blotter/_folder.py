"""The blotter's home in the run folder, and the one lock that serialises its state changes.

Layout of ``<run_dir>/blotter/``::

    proposed/{orders,allocations,lot_instructions}.parquet   written by propose
    approved/{orders,allocations,lot_instructions}.parquet   written by approve (held accounts out)
    {proposed,approved}/deliveries.parquet   DELIVER instructions of the night's gifts (issue 21),
                     in the content hash when they hold rows
                     rows in the blotter's order (``sma.trading.SORT_KEYS``), written and read
                     part by part: a night's tens of millions of allocations never sit in memory
    audit.jsonl      append-only, hash-chained trail: the authority on the blotter's state
    exports/         written by release: desk.csv, allocations.csv, lot_instructions.csv,
                     orders.fix (FIX 4.4), manifest.json (file hashes + the release record's hash);
                     staged in .exports-seq<N>/ (N: the release record's seq) and renamed in whole
                     only after the release record is appended
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
import hashlib
import json
import os
import shutil
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines._atomic import put_in_place, write_atomically
from pipelines._faults import crash_point
from pipelines._leftovers import tmp_prefix
from pipelines.errors import PipelineError
from sma.trading import FRAMES, OPTIONAL_FRAMES, SCHEMAS, Blotter, ContentDigest, TrailProblem

#: Rows a reader holds at a time when it goes through a blotter's files.
BATCH_ROWS = 1_000_000
#: Appends a blotter writer holds while it writes: a part's three frames and the next one's first.
WRITES_BEHIND = 4


class TrailUnreadable(PipelineError, ValueError):
    """A line of the audit log is not a JSON record."""

    def __init__(self, path: Path, line: int, why: str) -> None:
        super().__init__(f"{path}: line {line}: {why}")
        self.path, self.line, self.why = path, line, why


def home(run_dir: Path) -> Path:
    return Path(run_dir) / "blotter"


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the blotter's exclusive lock; callers queue until it is free.

    Every write under ``blotter/`` happens under this lock, so a temporary file found once it is
    held was left by a process that died: it is removed (a big night's leftovers are gigabytes).
    """
    if not Path(run_dir).is_dir():  # never create a run's folder by looking at it
        raise FileNotFoundError(f"no such run: {Path(run_dir).name} (no folder {run_dir})")
    folder = home(run_dir)
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _sweep(folder)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock


def _sweep(folder: Path) -> None:
    for left in [*folder.glob(".parts-*"), *folder.glob(".exports-*"), *folder.glob("*/.tmp-*")]:
        if left.is_dir():
            shutil.rmtree(left, ignore_errors=True)
        else:
            left.unlink(missing_ok=True)


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def write_frame(path: Path, df: pd.DataFrame) -> None:
    write_atomically(path, _parquet_bytes(df))


class BlotterWriter:
    """A blotter's three files written part by part, under temporary names until :meth:`commit`.

    Parts are appended in the blotter's order; the content hash is taken as the rows go by.
    Used as a context manager, files never committed are removed on the way out, so a failed or
    refused write leaves the folder as it was.

    The hashing and Parquet encoding of the rows run on one thread of their own, in the order the
    rows were appended, while the caller builds the next part (both release the GIL: at 100,000
    accounts they were a third of proposing, on one core while the other was idle). At most
    ``WRITES_BEHIND`` appends wait there: the next waits for the oldest to be written.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex
        self._tmp = {
            name: self.folder / f"{tmp_prefix()}{tag}-{name}.parquet"
            for name in (*FRAMES, *OPTIONAL_FRAMES)
        }
        self._writers = {
            name: pq.ParquetWriter(
                path, SCHEMAS[name], compression="zstd", write_statistics=True, store_schema=False
            )
            for name, path in self._tmp.items()
        }
        self._digest = ContentDigest()
        self._behind = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blotter-writer")
        self._writing: deque[Future[None]] = deque()

    def __enter__(self) -> BlotterWriter:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.close()
        except Exception:
            if exc[0] is None:
                raise  # (else the exception already on its way says what went wrong)
        finally:
            for path in self._tmp.values():
                path.unlink(missing_ok=True)

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Add the next rows of frame ``name``."""
        if not len(frame):
            return
        table = pa.Table.from_pandas(
            frame[SCHEMAS[name].names], schema=SCHEMAS[name], preserve_index=False
        )
        if len(self._writing) >= WRITES_BEHIND:
            self._writing.popleft().result()  # a failed write raises here
        self._writing.append(self._behind.submit(self._write, name, table))

    def _write(self, name: str, table: pa.Table) -> None:
        self._digest.update(name, table)
        self._writers[name].write_table(table.replace_schema_metadata(None))

    def append_blotter(self, part: Blotter) -> None:
        for name, frame in part.frames().items():
            self.append(name, frame)

    def close(self) -> str:
        """Finish the files (still under their temporary names); returns the content hash."""
        try:
            while self._writing:
                self._writing.popleft().result()
        finally:
            self._behind.shutdown(wait=True)
            for writer in self._writers.values():
                if writer.is_open:
                    writer.close()
        return self._digest.hexdigest()

    def commit(self) -> None:
        """Put the finished files in place, one rename each (the audit record is the commit
        point)."""
        self.close()
        for name, path in self._tmp.items():
            put_in_place(path, self.folder / f"{name}.parquet")


def read_frame(folder: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    return pq.read_table(Path(folder) / f"{name}.parquet", columns=columns).to_pandas()


def read_blotter(folder: Path) -> Blotter:
    """The whole blotter in memory: for small nights and tests; big ones go through
    :func:`frame_parts`."""
    return Blotter(**{name: read_frame(folder, name) for name in FRAMES})


def _batches(folder: Path, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    return pq.ParquetFile(Path(folder) / f"{name}.parquet").iter_batches(
        batch_size=BATCH_ROWS, columns=columns
    )


def frame_parts(
    folder: Path, name: str, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """Frame ``name`` of the blotter in ``folder``, ``BATCH_ROWS`` rows at a time, in file order."""
    return (batch.to_pandas() for batch in _batches(folder, name, columns))


def content_digest(folder: Path) -> str:
    """The content hash of the blotter files in ``folder``, read in file order one batch at a time.

    The files are written in the blotter's order, so this equals ``content_hash`` of the blotter
    they hold; files whose rows were reordered or changed give another hash.
    """
    digest = ContentDigest()
    present = [n for n in OPTIONAL_FRAMES if (Path(folder) / f"{n}.parquet").exists()]
    for name in (*FRAMES, *present):
        for batch in _batches(folder, name):
            digest.update(name, pa.Table.from_batches([batch]))
    return digest.hexdigest()


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


def exports_in_place(run_dir: Path, release_hash: str) -> bool:
    """Whether ``exports/`` holds the whole export set of the release record with hash
    ``release_hash``.

    The set is renamed into place whole, manifest included, so its manifest naming the record
    is enough; ``sma blotter verify`` checks every file against it.
    """
    manifest = home(run_dir) / "exports" / "manifest.json"
    try:
        return json.loads(manifest.read_text()).get("release_record_sha256") == release_hash
    except (OSError, ValueError, AttributeError):
        return False


def write_exports(
    run_dir: Path,
    release: str,
    streams: dict[str, Callable[[], Iterable[bytes]]],
    manifest: Callable[[dict[str, str]], bytes],
) -> Path:
    """Write the export set of ``release`` in a staging folder named by it, then rename it in whole.

    Each file is written from its stream of bytes, its SHA-256 taken as it goes;
    ``manifest(digests)`` gives ``manifest.json``, written last. A staging folder left by a killed
    process is swept when the lock is next taken; the set is written again from the record.
    """
    final = home(run_dir) / "exports"
    staging = home(run_dir) / f".exports-{release}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        digests = {}
        for name, stream in streams.items():
            digests[name] = _write_stream(staging / name, stream())
            crash_point("release:mid-exports")
        write_atomically(staging / "manifest.json", manifest(digests))
        crash_point("release:staged")
        if final.exists():  # not this release's (``exports_in_place`` said so): never sent with it
            shutil.rmtree(final)
        os.replace(staging, final)
        _fsync_folder(home(run_dir))
        crash_point("release:exports-in-place")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_stream(path: Path, chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    with open(path, "wb") as out:
        for chunk in chunks:
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()
