"""A night's identity and bookkeeping: where its files go, which steps are done, who runs it.

A run is one as-of date; its id is the date. Shard tasks exchange Parquet under
``<storage.uri>/<run_id>/`` (a local folder or any fsspec URI); the files people read (proposal,
blotter, review page) go to ``<runs.dir>/<run_id>/``. A step that finished leaves a marker, so a
night run again skips what is done and redoes only what was interrupted.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.night import _files
from pipelines.settings import Settings


class RunInProgress(Exception):
    """Another process is running the night for this date."""


@dataclass(frozen=True)
class Night:
    as_of: date
    inbox: Path
    settings: Settings

    @property
    def run_id(self) -> str:
        return self.as_of.isoformat()

    @property
    def run_dir(self) -> Path:
        return Path(self.settings.runs.dir) / self.run_id

    @property
    def exchange(self) -> str:
        return _files.join(str(self.settings.storage.uri), self.run_id)

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
