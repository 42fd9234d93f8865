"""A night's identity and bookkeeping: where its files go, which steps are done, who runs it.

A run is one as-of date; its id is the date. Shard tasks exchange Parquet under
``<storage.uri>/<run_id>/<attempt>/`` (a local folder or any fsspec URI); the files people read
(proposal, blotter, review page) go to ``<runs.dir>/<run_id>/``. A step that finished leaves a
marker, so a night run again skips what is done and redoes only what was interrupted.

An *attempt* is one go at the night from its inputs: the first run of the date, or a
``--force`` redo. Its token, written to ``<storage.uri>/<run_id>/attempt.json`` when it starts,
names the folder every output and marker of the attempt goes to, so a later attempt never reads
an earlier one's files: a worker of a killed run that is still writing (issue 16) writes into a
folder nobody reads. A plain rerun after a crash continues the current attempt: same inputs,
so whatever a surviving worker finishes is the same bytes the rerun would write.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pipelines._atomic import write_atomically
from pipelines.errors import PipelineError
from pipelines.night import _files
from pipelines.settings import Settings

#: The steps of a night, in order (``sma nightly``; the DAG's tasks of the same names).
STEPS = ("ingest", "prepare", "decide", "check", "blotter", "record", "review")


class RunInProgress(PipelineError):
    """Another process is running the night for this date."""


@dataclass(frozen=True)
class Night:
    as_of: date
    inbox: Path
    settings: Settings
    #: The attempt's token; None: the date's current attempt (``attempt.json``), read when first
    #: needed; "" = the layout before attempts (the date's folder itself).
    attempt: str | None = None

    @property
    def run_id(self) -> str:
        return self.as_of.isoformat()

    @property
    def run_dir(self) -> Path:
        return Path(self.settings.runs.dir) / self.run_id

    @property
    def date_folder(self) -> str:
        """``<storage.uri>/<run_id>``: the attempt record and one folder per attempt."""
        return _files.join(str(self.settings.storage.uri), self.run_id)

    @cached_property
    def token(self) -> str:
        if self.attempt is not None:
            return self.attempt
        found = current_attempt(self)
        return found["token"] if found else ""

    @property
    def exchange(self) -> str:
        return _files.join(self.date_folder, self.token) if self.token else self.date_folder

    def uri(self, *parts: str) -> str:
        return _files.join(self.exchange, *parts)

    def _marker(self, step: str, shard: int | None) -> str:
        return self.uri("_done", step if shard is None else f"{step}-{shard:04d}") + ".json"

    def is_done(self, step: str, shard: int | None = None) -> bool:
        return _files.exists(self._marker(step, shard))

    def mark_done(self, step: str, shard: int | None = None, info: dict | None = None) -> None:
        _files.write_json(self._marker(step, shard), {"step": step, "shard": shard, **(info or {})})

    def done_info(self, step: str, shard: int | None = None) -> dict:
        return _files.read_json(self._marker(step, shard))

    def _start_marker(self, step: str, shard: int | None) -> str:
        return self.uri("_started", step if shard is None else f"{step}-{shard:04d}") + ".json"

    def mark_started(self, step: str, shard: int | None = None) -> None:
        """Note which process works on a step now: a worker that dies is then named with its
        shard."""
        _files.write_json(
            self._start_marker(step, shard),
            {
                "step": step,
                "shard": shard,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "at": _now(),
            },
        )

    def is_started(self, step: str, shard: int | None = None) -> bool:
        return _files.exists(self._start_marker(step, shard))

    def started_info(self, step: str, shard: int | None = None) -> dict:
        return _files.read_json(self._start_marker(step, shard))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_attempt(night: Night) -> dict | None:
    """The date's current attempt record (token, when and by which process it started), if any.

    A date run before attempts existed (markers right under the date's folder) is the attempt
    with token ``""``, so it is continued, not redone.
    """
    record = _files.join(night.date_folder, "attempt.json")
    if _files.exists(record):
        return _files.read_json(record)
    if _files.exists(_files.join(night.date_folder, "_done")):
        return {"token": "", "started": None, "pid": None, "host": None}
    return None


def start_attempt(night: Night) -> Night:
    """Begin a new attempt at the night: a fresh token and folder; earlier attempts' folders go."""
    token = f"a{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    record = {"token": token, "started": _now(), "pid": os.getpid(), "host": socket.gethostname()}
    _files.write_json(_files.join(night.date_folder, "attempt.json"), record)
    night = Night(night.as_of, night.inbox, night.settings, token)
    drop_other_attempts(night)
    return night


def drop_other_attempts(night: Night) -> list[str]:
    """Remove every folder under the date's folder but the current attempt's; returns them.

    Nothing reads them (a folder is read only through the attempt record), so this is safe
    even while a stale worker of a dead run still writes there: at worst it writes again and
    the next run removes that too.
    """
    fs, root = _files._fs(night.date_folder)
    if not fs.exists(root):
        return []
    gone = []
    for entry in fs.ls(root, detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if night.token and entry["type"] == "directory" and name != night.token:
            fs.rm(entry["name"], recursive=True)
            gone.append(name)
    return gone


def continue_or_start(night: Night) -> Night:
    """The night in its current attempt, starting the first one if there is none."""
    found = current_attempt(night)
    if found is None:
        return start_attempt(night)
    return Night(night.as_of, night.inbox, night.settings, found["token"])


class FailureKind(StrEnum):
    """What stopped a night, as the operator's guide names it (README, "When a night fails")."""

    BAD_DATA = "bad data"
    WORKER_DIED = "worker died"
    BLOTTER_LOCKED = "blotter approved"
    ERROR = "error"


#: What the operator reads about a failed run: ``<runs.dir>/<run_id>/failure.json``.
FAILURE_FILE = "failure.json"
#: Who ran the night last: ``<runs.dir>/<run_id>/last_run.json`` (pid, inbox, attempt, start).
LAST_RUN_FILE = "last_run.json"


def record_failure(
    night: Night, step: str, err: BaseException, kind: FailureKind, shard: int | None = None
) -> dict:
    """Write what failed and why to the run folder, for ``sma status``; returns the record."""
    record = {
        "step": step,
        "shard": shard,
        "kind": str(kind),
        "error": type(err).__name__,
        "message": str(err),
        "at": _now(),
        "attempt": night.token,
        "pid": os.getpid(),
        "traceback": "".join(traceback.format_exception(err)),
    }
    write_atomically(
        night.run_dir / FAILURE_FILE, (json.dumps(record, indent=2, default=str) + "\n").encode()
    )
    return record


def record_start(night: Night, force: bool) -> None:
    """Note who runs the night now (and forget the previous run's failure: this run supersedes
    it)."""
    (night.run_dir / FAILURE_FILE).unlink(missing_ok=True)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": _now(),
        "inbox": str(Path(night.inbox).resolve()),
        "attempt": night.token,
        "force": force,
    }
    write_atomically(night.run_dir / LAST_RUN_FILE, (json.dumps(record, indent=2) + "\n").encode())


def read_run_file(night: Night, name: str) -> dict | None:
    path = night.run_dir / name
    return json.loads(path.read_text()) if path.exists() else None


def lock_is_held(night: Night) -> bool:
    """Whether a process holds the night's lock now (a run of this date is in progress)."""
    path = night.run_dir / ".lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def exclusive_run(night: Night) -> Iterator[None]:
    """Hold the night's lock: a second run for the same date is refused, not queued."""
    night.run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(night.run_dir / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"the night of {night.as_of} is already running (lock {night.run_dir / '.lock'}); "
                "wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)
