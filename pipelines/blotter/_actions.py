"""Propose, approve, reject, cancel and release a run's blotter; every change under the lock.

Each action reads the trail inside the lock, lets ``sma.trading.authorize`` decide, writes its
files, and appends its sealed record last: the record is the commit point. An action that dies
before its record leaves the blotter in its previous state and can simply be run again.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.blotter import _folder
from sma.trading import (
    NIGHT_USER,
    Action,
    Blotter,
    BlotterRefused,
    ContentChanged,
    FixSession,
    State,
    Users,
    allocations_csv,
    authorize,
    build_blotter,
    content_hash,
    current,
    desk_csv,
    fix_messages,
    hold_out,
    lot_instructions_csv,
    seal,
    verify_trail,
)

Clock = Callable[[], datetime]


class TrailBroken(BlotterRefused):
    """The audit trail fails verification: nothing more is done to this blotter."""


def load_users(path: Path) -> Users:
    """The roles source, from a TOML file such as ``config/users.toml``."""
    with open(path, "rb") as f:
        return Users.from_toml(tomllib.load(f))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _trail(run_dir: Path, user: str, action: Action) -> list[dict[str, Any]]:
    trail, problems = _folder.read_trail_problems(run_dir)
    problems = problems or verify_trail(trail)
    if problems:
        p = problems[0]
        raise TrailBroken(run_dir.name, user, action, f"audit log line {p.line}: {p.why}; run `sma blotter verify`")
    return trail


def propose(run_dir: Path, *, now: Clock = _utc_now) -> Path:
    """Build the blotter from ``<run_dir>/proposal/`` and record it as PROPOSED.

    Idempotent: the same proposal writes the same bytes and records nothing new. A different
    proposal replaces a PROPOSED, REJECTED or CANCELLED blotter; an APPROVED or RELEASED one is
    never replaced (``WrongState``/``AlreadyReleased``).
    """
    run_dir = Path(run_dir)
    src = run_dir / "proposal"
    blotter = build_blotter(
        pd.read_parquet(src / "trades.parquet"),
        pd.read_parquet(src / "lot_sells.parquet"),
        pd.read_parquet(src / "exceptions.parquet"),
    )
    digest = content_hash(blotter)
    folder = _folder.home(run_dir) / "proposed"
    with _folder.locked(run_dir):
        trail = _trail(run_dir, NIGHT_USER, Action.PROPOSE)
        state, _, last = current(trail)
        same = last is not None and last["action"] == Action.PROPOSE and last["content_sha256"] == digest
        if same or (state in (State.APPROVED, State.RELEASED) and _proposed_hash(trail) == digest):
            _folder.write_blotter(folder, blotter)  # restores the files if they were lost
            return _folder.home(run_dir)
        authorize(Action.PROPOSE, NIGHT_USER, Users({}), state, None, run_dir.name)
        _folder.write_blotter(folder, blotter)
        record = seal(trail, run_id=run_dir.name, action=Action.PROPOSE, state=State.PROPOSED,
                      user=NIGHT_USER, at=_stamp(now()), content_sha256=digest)
        _folder.append_record(run_dir, record)
    return _folder.home(run_dir)


def _proposed_hash(trail: list[dict[str, Any]]) -> str | None:
    proposals = [r for r in trail if r["action"] == Action.PROPOSE]
    return proposals[-1]["content_sha256"] if proposals else None


def _checked(folder: Path, expected: str | None, run: str, user: str, action: Action) -> Blotter:
    blotter = _folder.read_blotter(folder)
    if content_hash(blotter) != expected:
        raise ContentChanged(run, user, action, f"the files in {folder} no longer have the hash that was recorded ({expected})")
    return blotter


def approve(
    run_dir: Path, user: str, users: Users, *, hold: Iterable[str] = (), note: str = "", now: Clock = _utc_now
) -> dict[str, Any]:
    """A PM approves the proposed blotter, optionally holding single accounts out; returns the record."""
    run_dir, hold = Path(run_dir), sorted(set(hold))
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, Action.APPROVE)
        state, approver, _ = current(trail)
        authorize(Action.APPROVE, user, users, state, approver, run_dir.name)
        proposed = _checked(_folder.home(run_dir) / "proposed", _proposed_hash(trail), run_dir.name, user, Action.APPROVE)
        try:
            approved = hold_out(proposed, hold)
        except KeyError as e:
            raise BlotterRefused(run_dir.name, user, Action.APPROVE, str(e.args[0])) from None
        _folder.write_blotter(_folder.home(run_dir) / "approved", approved)
        record = seal(trail, run_id=run_dir.name, action=Action.APPROVE, state=State.APPROVED, user=user,
                      at=_stamp(now()), content_sha256=content_hash(approved), held=hold, note=note)
        _folder.append_record(run_dir, record)
    return record


def _close(run_dir: Path, user: str, users: Users, action: Action, note: str, now: Clock) -> dict[str, Any]:
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, action)
        state, approver, last = current(trail)
        to = authorize(action, user, users, state, approver, run_dir.name)
        record = seal(trail, run_id=run_dir.name, action=action, state=to, user=user, at=_stamp(now()),
                      content_sha256=last["content_sha256"] if last else "", note=note)
        _folder.append_record(run_dir, record)
    return record


def reject(run_dir: Path, user: str, users: Users, *, note: str = "", now: Clock = _utc_now) -> dict[str, Any]:
    """A PM rejects the proposed blotter: it will not trade unless the night proposes again."""
    return _close(Path(run_dir), user, users, Action.REJECT, note, now)


def cancel(run_dir: Path, user: str, users: Users, *, note: str = "", now: Clock = _utc_now) -> dict[str, Any]:
    """A PM or trader cancels a proposed or approved (never a released) blotter."""
    return _close(Path(run_dir), user, users, Action.CANCEL, note, now)


def release(
    run_dir: Path, user: str, users: Users, *, session: FixSession = FixSession(), now: Clock = _utc_now
) -> Path:
    """A trader, not the approver, releases the approved blotter exactly once; returns the exports folder.

    Raises ``AlreadyReleased`` for every attempt after the first, ``ContentChanged`` if the
    approved files no longer hash to what the PM approved, ``FourEyesViolation`` for the approver.
    """
    run_dir = Path(run_dir)
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, Action.RELEASE)
        state, approver, approved_record = current(trail)
        authorize(Action.RELEASE, user, users, state, approver, run_dir.name)
        digest = approved_record["content_sha256"]
        blotter = _checked(_folder.home(run_dir) / "approved", digest, run_dir.name, user, Action.RELEASE)
        at = now()
        record = seal(trail, run_id=run_dir.name, action=Action.RELEASE, state=State.RELEASED, user=user,
                      at=_stamp(at), content_sha256=digest)
        exports = _folder.write_exports(run_dir, export_files(blotter, record, at, session))
        _folder.append_record(run_dir, record)
    return exports


def export_files(blotter: Blotter, record: dict[str, Any], at: datetime, session: FixSession) -> dict[str, bytes]:
    """The release's files by name, with a manifest of their SHA-256 and the release record's hash."""
    files = {
        "desk.csv": desk_csv(blotter).encode(),
        "allocations.csv": allocations_csv(blotter).encode(),
        "lot_instructions.csv": lot_instructions_csv(blotter).encode(),
        "orders.fix": b"".join(fix_messages(blotter, at.astimezone(UTC), session)),
    }
    manifest = {
        "run_id": record["run_id"],
        "release_record_sha256": record["hash"],
        "content_sha256": record["content_sha256"],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files
