"""The head of each run's audit chain, kept in the store.

The audit log lives in the run folder, where anyone who can delete a file can cut its last records
(a release record together with its exports) and leave a well-chained, well-signed shorter log.
The store keeps the last record it has seen of every run (``audit_heads``: seq, hash): a log that
ends before that record, or holds another record at its place, was cut or rewritten.

The log is written first and the head after it, so a crash between the two leaves the head one
record behind - harmless, and made good by the next action on the run. A head ahead of the log,
or naming a record the log does not hold, is never the result of a crash.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.store import StoreError, open_store

#: How long an action waits for a store another process is writing (DuckDB has one writer).
BUSY_WAIT_SECONDS = 30.0


def _with_store(path: Path, read_only: bool, work, wait: float = BUSY_WAIT_SECONDS):
    deadline = time.monotonic() + wait
    while True:
        try:
            with open_store(path, read_only=read_only) as con:
                return work(con)
        except StoreError as e:
            if "in use" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def read_head(con, run_id: str) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT seq, hash, action, state, recorded_at FROM audit_heads WHERE run_id = ?", [run_id]
    ).fetchone()
    return None if row is None else dict(zip(("seq", "hash", "action", "state", "at"), row))


def write_head(con, record: dict[str, Any]) -> None:
    """Make ``record`` the run's head (inside the caller's transaction, if any)."""
    con.execute(
        "INSERT OR REPLACE INTO audit_heads VALUES (?, ?, ?, ?, ?, ?)",
        [
            record["run_id"],
            record["seq"],
            record["hash"],
            record["action"],
            record["state"],
            record["at"],
        ],
    )


def store_head(store: Path, run_id: str) -> dict[str, Any] | None:
    """The run's head in the store at ``store`` (None if the store or the head does not exist)."""
    if not Path(store).exists():
        return None
    return _with_store(Path(store), True, lambda con: read_head(con, run_id))


def save_head(store: Path, record: dict[str, Any]) -> None:
    """Record ``record`` (just appended to its run's log) as the run's head in the store."""
    _with_store(Path(store), False, lambda con: write_head(con, record))


def head_problem(trail: Sequence[dict[str, Any]], head: dict[str, Any] | None) -> str | None:
    """Why ``trail`` is not the log whose head the store recorded, or None if it is (or may be:
    a log longer than the head is one whose last writes the store has not seen yet)."""
    if head is None:
        return None
    seq = int(head["seq"])
    if seq > len(trail):
        return (
            f"the audit log ends at record {len(trail)}, but the store's chain head is record "
            f"{seq} "
            f"({head['action']} at {head['at']}): records were cut off the log"
        )
    if trail[seq - 1].get("hash") != head["hash"]:
        return (
            f"record {seq} of the audit log is not the one the store recorded as its chain "
            "head (rewritten)"
        )
    return None
