"""Read a run's blotter without changing it: its state and content, and a full verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.blotter import _folder
from pipelines.blotter._heads import head_problem, store_head
from sma.trading import (
    Action,
    Blotter,
    State,
    TrailProblem,
    Users,
    booked_digest,
    current,
    last_of,
    verify_trail,
)


@dataclass(frozen=True)
class BlotterView:
    """What ``sma blotter show`` prints: the state, who approved, the blotter in force, the trail.

    ``folder`` holds the blotter in force: the approved one once approved, else the proposed one
    (None if there is none). Its block orders are read on demand; the whole blotter too, for a
    night small enough to hold in memory.
    """

    run_id: str
    state: State | None
    approver: str | None
    folder: Path | None
    trail: list[dict[str, Any]]

    @property
    def orders(self) -> pd.DataFrame | None:
        return None if self.folder is None else _folder.read_frame(self.folder, "orders")

    @property
    def deliveries(self) -> pd.DataFrame | None:
        """The DELIVER instructions in force (issue 21's gifts), None when the blotter has none."""
        if self.folder is None or not (self.folder / "deliveries.parquet").exists():
            return None
        frame = _folder.read_frame(self.folder, "deliveries")
        return frame if len(frame) else None

    @property
    def blotter(self) -> Blotter | None:
        return None if self.folder is None else _folder.read_blotter(self.folder)


def show(run_dir: Path) -> BlotterView:
    run_dir = Path(run_dir)
    trail = _folder.read_trail(run_dir)
    state, approver, _ = current(trail)
    approved = state in (State.APPROVED, State.RELEASED) or (
        state == State.CANCELLED and approver is not None
    )
    folder = _folder.home(run_dir) / ("approved" if approved else "proposed")
    return BlotterView(
        run_dir.name, state, approver, folder if _folder.has_blotter(folder) else None, trail
    )


def verify(
    run_dir: Path,
    users: Users | None = None,
    signed: bool = False,
    store: Path | None = None,
    booked: pd.DataFrame | None = None,
) -> list[TrailProblem]:
    """Every problem with a run's blotter: the trail's seals, links, transitions and signatures
    (``sma.trading.verify_trail``), the files against the hashes recorded for them, a release's
    exports against their manifest, the booked fills against the last FILLS record, and, with
    ``store``, the trail against the store's chain head (a missing head too, once the night
    recorded the run) and ``booked`` (the store's fills of the run) against the FILLS record.
    Problems not of one record are reported on line 0."""
    run_dir = Path(run_dir)
    trail, problems = _folder.read_trail_problems(run_dir)
    if problems:
        return problems
    problems = verify_trail(trail, users, signed)
    if store is not None:
        head = store_head(store, run_dir.name)
        if head is None and trail:
            problems.append(
                TrailProblem(
                    0,
                    f"the store {store} has no chain head for run {run_dir.name}: "
                    "its audit log cannot be checked for cut-off records",
                )
            )
        elif why := head_problem(trail, head):
            problems.append(TrailProblem(0, why))
        elif head is not None and head["seq"] < len(trail):
            problems.append(
                TrailProblem(
                    0,
                    f"records {head['seq'] + 1}..{len(trail)} are not in the store's chain "
                    "head yet (a crash after writing them): the next action on the run records "
                    "them",
                )
            )
    problems += _check_fills(run_dir, trail, booked)
    for action, stage in ((Action.PROPOSE, "proposed"), (Action.APPROVE, "approved")):
        recorded = [r for r in trail if r.get("action") == action]
        if recorded:
            problems += _check_files(
                _folder.home(run_dir) / stage, recorded[-1].get("content_sha256")
            )
    released = [r for r in trail if r.get("action") == Action.RELEASE]
    exports = _folder.home(run_dir) / "exports"
    if released and not exports.exists():
        problems.append(
            TrailProblem(
                0,
                "the release is recorded but its exports are not in place (it died before "
                "writing them): run `sma blotter release` again to finish it",
            )
        )
    elif released:
        problems += _check_exports(exports, released[-1])
    elif exports.exists():
        problems.append(
            TrailProblem(0, "exports exist but no release was recorded: they were never released")
        )
    return problems


def _check_fills(
    run_dir: Path, trail: list[dict[str, Any]], booked: pd.DataFrame | None
) -> list[TrailProblem]:
    """The fills booked (the run folder's record, and the store's when given) are the ones the
    last FILLS record signed."""
    from pipelines.fills import booked_fills

    record = last_of(trail, Action.FILLS)
    records = {"the run folder's fills record": booked_fills(run_dir)}
    if booked is not None:
        records["the store's fills_booked"] = booked
    problems = []
    for where, frame in records.items():
        if record is None and len(frame):
            problems.append(
                TrailProblem(
                    0,
                    f"{where} holds {len(frame)} fills that no FILLS record of the audit log signs",
                )
            )
        elif record is not None and booked_digest(frame) != record["content_sha256"]:
            problems.append(
                TrailProblem(
                    0,
                    f"{where} is not what FILLS record {record['seq']} signed (altered or "
                    "booked outside it)",
                )
            )
    return problems


def _check_files(folder: Path, expected: str | None) -> list[TrailProblem]:
    if not _folder.has_blotter(folder):
        return [TrailProblem(0, f"{folder} is missing")]
    if _folder.content_digest(folder) != expected:
        return [
            TrailProblem(0, f"{folder} does not match the content hash recorded for it (altered)")
        ]
    return []


def _file_sha256(path: Path) -> str:
    """A file's SHA-256, read 8 MiB at a time (a big night's exports are gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check_exports(folder: Path, record: dict[str, Any]) -> list[TrailProblem]:
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return [TrailProblem(0, f"{manifest_path} is missing")]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    if manifest.get("release_record_sha256") != record.get("hash"):
        problems.append(TrailProblem(0, "the exports' manifest names another release record"))
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists() or _file_sha256(path) != digest:
            problems.append(TrailProblem(0, f"export {name} is missing or altered"))
    return problems
