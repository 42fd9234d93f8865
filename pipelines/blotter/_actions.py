"""Propose, approve, reject, cancel and release a run's blotter; every change under the lock.

Each action reads the trail inside the lock, lets ``sma.trading.authorize`` decide, writes its
files, and appends its sealed record last: the record is the commit point. An action that dies
before its record leaves the blotter in its previous state and can simply be run again. Release
is the one action whose files come after its record: they leave the system, so they may only
appear once the release is recorded, and are reproduced from the record if it dies before them.

Every record is signed by its writer (``signer``). A signed action first verifies the whole trail
strictly - every record before it signed by a login that may write it, the store's chain head
(``store``) still in the log - so nobody signs on top of a forged or cut history; the record's
hash then becomes the store's chain head (``pipelines.blotter._heads``).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines._faults import crash_point
from pipelines.blotter import _folder
from pipelines.blotter._heads import _with_store, head_problem, save_head, store_head, write_head
from pipelines.blotter._parts import ROWS_PER_PART, proposal_parts, run_of
from pipelines.errors import PipelineError
from pipelines.store import transaction
from sma.trading import (
    ALLOCATION_EXPORT_COLUMNS,
    DELIVERY_COLUMNS,
    DESK_COLUMNS,
    LOT_EXPORT_COLUMNS,
    SORT_KEYS,
    Action,
    Blotter,
    BlotterRefused,
    ContentChanged,
    FixSession,
    Signer,
    State,
    Users,
    authorize,
    build_blotter,
    build_deliveries,
    csv_chunks,
    current,
    fix_message_chunks,
    last_of,
    seal,
    shrink_orders,
    verify_trail,
    without_accounts,
)

Clock = Callable[[], datetime]


class TrailBroken(BlotterRefused, PipelineError):
    """The audit trail fails verification: nothing more is done to this blotter."""


def load_users(path: Path) -> Users:
    """The roles source, from a TOML file such as ``config/users.toml``."""
    with open(path, "rb") as f:
        return Users.from_toml(tomllib.load(f))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _trail(
    run_dir: Path,
    user: str,
    action: Action,
    users: Users | None = None,
    signed: bool = False,
    store: Path | None = None,
) -> list[dict[str, Any]]:
    """The run's trail, verified: its shape always; signed, also every signature and role as
    ``users`` has them; with ``store``, also against the store's chain head."""
    trail, problems = _folder.read_trail_problems(run_dir)
    problems = problems or verify_trail(trail, users if signed else None, signed)
    if problems:
        p = problems[0]
        raise TrailBroken(
            run_dir.name,
            user,
            action,
            f"audit log line {p.line}: {p.why}; run `sma blotter verify`",
        )
    if store is not None and (why := head_problem(trail, store_head(store, run_dir.name))):
        raise TrailBroken(run_dir.name, user, action, f"{why}; run `sma blotter verify`")
    return trail


def _append(run_dir: Path, record: dict[str, Any], store: Path | None) -> None:
    """Append ``record`` (the commit point), then make it the store's chain head."""
    _folder.append_record(run_dir, record)
    if store is not None:
        save_head(store, record)


def propose(
    run_dir: Path,
    user: str,
    *,
    signer: Signer | None = None,
    now: Clock = _utc_now,
    rows_per_part: int = ROWS_PER_PART,
    store: Path | None = None,
) -> Path:
    """Build the blotter from ``<run_dir>/proposal/`` and record it as PROPOSED by the night's
    login ``user``, signed with its key (``signer``).

    Idempotent: the same proposal writes the same bytes and records nothing new. A different
    proposal replaces a PROPOSED, REJECTED or CANCELLED blotter; an APPROVED or RELEASED one is
    never replaced (``WrongState``/``AlreadyReleased``).

    The blotter is built part by part (``rows_per_part`` trades and lot sells of whole block
    orders at a time) into files under temporary names, under the blotter's lock; they are put in
    place, and the proposal recorded, only if the trail allows it.
    """
    run_dir = Path(run_dir)
    src = run_dir / "proposal"
    exceptions = pd.read_parquet(src / "exceptions.parquet")
    run_of(src / "trades.parquet")  # one run, or a clear error before anything is built
    folder = _folder.home(run_dir) / "proposed"
    with _folder.locked(run_dir), _folder.BlotterWriter(folder) as writer:
        for trades, lot_sells in proposal_parts(src, rows_per_part, scratch=_folder.home(run_dir)):
            writer.append_blotter(build_blotter(trades, lot_sells, exceptions))
            crash_point("blotter:mid-write")
        if (src / "deliveries.parquet").exists():  # issue 21: the night's gifts, DELIVER
            delivered = pd.read_parquet(src / "deliveries.parquet")
            writer.append("deliveries", build_deliveries(delivered, run_dir.name))
        digest = writer.close()
        trail = _trail(run_dir, user, Action.PROPOSE)
        state, _, last = current(trail)
        # Nothing new only if it is still PROPOSED with this content: after a rejection or a cancel
        # the same proposal is proposed again.
        same = state == State.PROPOSED and last is not None and last["content_sha256"] == digest
        if same or (state in (State.APPROVED, State.RELEASED) and _proposed_hash(trail) == digest):
            writer.commit()  # restores the files if they were lost
            return _folder.home(run_dir)
        # The night does not judge its own role: the users file is checked when a PM signs on top.
        authorize(Action.PROPOSE, user, Users.anyone(user), state, None, run_dir.name)
        writer.commit()
        crash_point("blotter:files-in-place")
        record = seal(
            trail,
            run_id=run_dir.name,
            action=Action.PROPOSE,
            state=State.PROPOSED,
            user=user,
            at=_stamp(now()),
            content_sha256=digest,
            signer=signer,
        )
        _append(run_dir, record, store)
    return _folder.home(run_dir)


def _proposed_hash(trail: list[dict[str, Any]]) -> str | None:
    proposals = [r for r in trail if r["action"] == Action.PROPOSE]
    return proposals[-1]["content_sha256"] if proposals else None


def _checked(folder: Path, expected: str | None, run: str, user: str, action: Action) -> None:
    """Refuse unless the blotter files in ``folder`` still hash to what was recorded."""
    if not _folder.has_blotter(folder) or _folder.content_digest(folder) != expected:
        raise ContentChanged(
            run,
            user,
            action,
            f"the files in {folder} no longer have the hash that was recorded ({expected})",
        )


def approve(
    run_dir: Path,
    user: str,
    users: Users,
    *,
    hold: Iterable[str] = (),
    note: str = "",
    now: Clock = _utc_now,
    signer: Signer | None = None,
    attested_by: str | None = None,
    store: Path | None = None,
) -> dict[str, Any]:
    """A PM approves the proposed blotter, optionally holding single accounts out; returns the
    record.

    The approved files are the proposed ones less the held accounts, written a batch at a time.
    ``attested_by``: the night's login relaying an answer Airflow authenticated (``signer`` is its
    key).
    """
    run_dir, hold = Path(run_dir), sorted(set(hold))
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, Action.APPROVE, users, signer is not None, store)
        state, approver, _ = current(trail)
        authorize(Action.APPROVE, user, users, state, approver, run_dir.name)
        proposed = _folder.home(run_dir) / "proposed"
        _checked(proposed, _proposed_hash(trail), run_dir.name, user, Action.APPROVE)
        with _folder.BlotterWriter(_folder.home(run_dir) / "approved") as writer:
            _held_out(proposed, hold, writer, run_dir.name, user)
            writer.commit()
            digest = writer.close()
        record = seal(
            trail,
            run_id=run_dir.name,
            action=Action.APPROVE,
            state=State.APPROVED,
            user=user,
            at=_stamp(now()),
            content_sha256=digest,
            held=hold,
            note=note,
            signer=signer,
            attested_by=attested_by,
        )
        _folder.append_record(run_dir, record)
        if store is not None:
            _approval_in_store(store, record, hold)
    return record


def _approval_in_store(store: Path, record: dict[str, Any], hold: list[str]) -> None:
    """The approval as the store's chain head, and, in the same transaction, the gifts of the
    accounts the PM held taken back out of ``gifts_delivered`` (issue 21): a held account gives
    nothing tonight, so its request is due again on the next night."""

    def work(con) -> None:
        with transaction(con):
            write_head(con, record)
            if hold:
                con.execute(
                    "DELETE FROM gifts_delivered WHERE as_of_date = "
                    "(SELECT as_of_date FROM runs WHERE run_id = ?) AND account_id IN "
                    f"({', '.join('?' * len(hold))})",
                    [record["run_id"], *hold],
                )

    _with_store(Path(store), False, work)


def _held_out(
    proposed: Path, hold: list[str], writer: _folder.BlotterWriter, run: str, user: str
) -> None:
    """Write the proposed blotter less the accounts ``hold`` (``sma.trading.hold_out``, batch by
    batch)."""
    columns = ["order_id", "account_id", "quantity"]
    held = pd.concat(
        [pd.DataFrame(columns=columns)]
        + [
            part[part["account_id"].isin(hold)]
            for part in _folder.frame_parts(proposed, "allocations", columns)
        ]
    )
    delivering = (
        list(_folder.frame_parts(proposed, "deliveries"))
        if (proposed / "deliveries.parquet").exists()
        else []
    )
    found = set(held["account_id"]).union(*(set(p["account_id"]) for p in delivering))
    if set(hold) - found:
        raise BlotterRefused(
            run,
            user,
            Action.APPROVE,
            f"cannot hold out accounts not in the blotter: {sorted(set(hold) - found)}",
        )
    orders = shrink_orders(_folder.read_frame(proposed, "orders"), held)
    writer.append("orders", orders)
    for name in ("allocations", "lot_instructions"):
        for part in _folder.frame_parts(proposed, name):
            writer.append(name, without_accounts(part, name, hold, orders))
    for part in delivering:  # a held account gives nothing either (issue 21)
        writer.append("deliveries", without_accounts(part, "deliveries", hold))


def _close(
    run_dir: Path,
    user: str,
    users: Users,
    action: Action,
    note: str,
    now: Clock,
    signer: Signer | None,
    attested_by: str | None = None,
    store: Path | None = None,
) -> dict[str, Any]:
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, action, users, signer is not None, store)
        state, approver, last = current(trail)
        to = authorize(action, user, users, state, approver, run_dir.name)
        record = seal(
            trail,
            run_id=run_dir.name,
            action=action,
            state=to,
            user=user,
            at=_stamp(now()),
            content_sha256=last["content_sha256"] if last else "",
            note=note,
            signer=signer,
            attested_by=attested_by,
        )
        _append(run_dir, record, store)
    return record


def reject(
    run_dir: Path,
    user: str,
    users: Users,
    *,
    note: str = "",
    now: Clock = _utc_now,
    signer: Signer | None = None,
    attested_by: str | None = None,
    store: Path | None = None,
) -> dict[str, Any]:
    """A PM rejects the proposed blotter: it will not trade unless the night proposes again."""
    return _close(Path(run_dir), user, users, Action.REJECT, note, now, signer, attested_by, store)


def cancel(
    run_dir: Path,
    user: str,
    users: Users,
    *,
    note: str = "",
    now: Clock = _utc_now,
    signer: Signer | None = None,
    store: Path | None = None,
) -> dict[str, Any]:
    """A PM or trader cancels a proposed or approved (never a released) blotter."""
    return _close(Path(run_dir), user, users, Action.CANCEL, note, now, signer, None, store)


def release(
    run_dir: Path,
    user: str,
    users: Users,
    *,
    session: FixSession = FixSession(),
    now: Clock = _utc_now,
    signer: Signer | None = None,
    store: Path | None = None,
) -> Path:
    """A trader, not the approver, releases the approved blotter exactly once; returns the exports
    folder.

    The release record, with the release time, is appended first: it is the commit point, and the
    exports are a pure function of it (the approved files it names, its time, the FIX session).
    They are then written to a staging folder named by the record and renamed into ``exports/``
    whole, so they appear only after the record, never beside an APPROVED blotter. A release
    killed after its record is finished by the next ``release`` of any trader but the approver:
    the same time, so the same order ids and timestamps, byte for byte, and one release record.

    Raises ``AlreadyReleased`` for every attempt after the first whose exports are in place,
    ``ContentChanged`` if the approved files no longer hash to what the PM approved,
    ``FourEyesViolation`` for the approver.
    """
    run_dir = Path(run_dir)
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, Action.RELEASE, users, signer is not None, store)
        state, approver, approved_record = current(trail)
        released = _released(trail)
        if released is not None and not _folder.exports_in_place(run_dir, released["hash"]):
            # Finishing sends the orders, so only someone who could have released may do it.
            authorize(Action.RELEASE, user, users, State.APPROVED, approver, run_dir.name)
            return _write_exports(run_dir, released, user, session)
        authorize(Action.RELEASE, user, users, state, approver, run_dir.name)
        digest = approved_record["content_sha256"]
        _checked(_folder.home(run_dir) / "approved", digest, run_dir.name, user, Action.RELEASE)
        record = seal(
            trail,
            run_id=run_dir.name,
            action=Action.RELEASE,
            state=State.RELEASED,
            user=user,
            at=_stamp(now()),
            content_sha256=digest,
            signer=signer,
        )
        crash_point("release:before-record")
        _append(run_dir, record, store)
        crash_point("release:recorded")
        return _write_exports(run_dir, record, user, session)


class RerunRefused(BlotterRefused, PipelineError):
    """A forced rerun would replace a blotter a PM approved (or a trader released)."""


def withdraw_for_rerun(
    run_dir: Path,
    user: str,
    *,
    signer: Signer | None = None,
    store: Path | None = None,
    now: Clock = _utc_now,
) -> dict[str, Any] | None:
    """Before a forced rerun of the night replaces its blotter: refuse if it is APPROVED or RELEASED
    (``RerunRefused``, saying what to do); if it is PROPOSED, the night's login ``user`` cancels it
    in the audit log first, under the run's lock, so that a PM approving at this moment is refused
    (the blotter is CANCELLED) instead of approving trades the rerun is about to replace.

    Returns the CANCEL record, or None when there was nothing to withdraw.
    """
    run_dir = Path(run_dir)
    if not _folder.audit_path(run_dir).exists():
        return None
    with _folder.locked(run_dir):
        trail = _trail(run_dir, user, Action.CANCEL)
        state, approver, last = current(trail)
        if state in (State.APPROVED, State.RELEASED):
            who = f" by {approver}" if approver else ""
            then = (
                "cancel it first (`sma blotter cancel --run "
                + run_dir.name
                + "`, a PM or trader), then rerun"
                if state == State.APPROVED
                else "its orders went to the broker: it can never be replaced"
            )
            raise RerunRefused(
                run_dir.name,
                user,
                "RERUN",
                f"the blotter is {state}{who}; a forced rerun would replace "
                f"what was {state.lower()}: {then}",
            )
        if state != State.PROPOSED:
            return None
        record = seal(
            trail,
            run_id=run_dir.name,
            action=Action.CANCEL,
            state=State.CANCELLED,
            user=user,
            at=_stamp(now()),
            content_sha256=last["content_sha256"] if last else "",
            note="forced rerun: the night replaces this proposal",
            signer=signer,
        )
        _append(run_dir, record, store)
    return record


def sign_fills(
    run_dir: Path,
    user: str,
    users: Users | None,
    digest: str,
    note: str,
    *,
    signer: Signer | None = None,
    store: Path | None = None,
    now: Clock = _utc_now,
) -> dict[str, Any] | None:
    """Record that the run's booked fills are now those hashing to ``digest``: a FILLS record by
    ``user`` (OPERATIONS or TRADER), unless the last FILLS record already says so. The caller holds
    the run's lock and has committed the booking: a load killed before this record is finished
    by loading again, which books nothing new and records what was booked."""
    trail = _trail(run_dir, user, Action.FILLS, users, signer is not None, store)
    last = last_of(trail, Action.FILLS)
    if last is not None and last["content_sha256"] == digest:
        return None
    state, approver, _ = current(trail)
    authorize(
        Action.FILLS,
        user,
        users if users is not None else Users.anyone(user),
        state,
        approver,
        run_dir.name,
    )
    record = seal(
        trail,
        run_id=run_dir.name,
        action=Action.FILLS,
        state=State.RELEASED,
        user=user,
        at=_stamp(now()),
        content_sha256=digest,
        note=note,
        signer=signer,
    )
    _append(run_dir, record, store)
    return record


def _released(trail: list[dict[str, Any]]) -> dict[str, Any] | None:
    releases = [r for r in trail if r["action"] == Action.RELEASE]
    return releases[-1] if releases else None


def _write_exports(run_dir: Path, record: dict[str, Any], user: str, session: FixSession) -> Path:
    """The exports of the release ``record``, from the approved files it names and its recorded
    time."""
    approved = _folder.home(run_dir) / "approved"
    _checked(approved, record["content_sha256"], run_dir.name, user, Action.RELEASE)
    at = datetime.fromisoformat(record["at"])
    streams = export_streams(approved, at, session)
    return _folder.write_exports(run_dir, f"seq{record['seq']}", streams, _manifest(record))


def export_streams(
    folder: Path, at: datetime, session: FixSession
) -> dict[str, Callable[[], Iterable[bytes]]]:
    """The release's files by name, each as a stream of bytes read from the blotter in
    ``folder``."""
    streams = _streams(
        _folder.read_frame(folder, "orders"),
        lambda name: _folder.frame_parts(folder, name),
        at,
        session,
    )
    # Issue 21: the custodian's DELIVER instructions, beside the orders (never sent as FIX).
    if (folder / "deliveries.parquet").exists() and len(_folder.read_frame(folder, "deliveries")):
        streams["deliveries.csv"] = lambda: (
            c.encode()
            for c in csv_chunks(_folder.frame_parts(folder, "deliveries"), list(DELIVERY_COLUMNS))
        )
    return streams


def _streams(
    orders: pd.DataFrame,
    parts: Callable[[str], Iterable[pd.DataFrame]],
    at: datetime,
    session: FixSession,
) -> dict[str, Callable[[], Iterable[bytes]]]:
    """The release's files from the block orders and ``parts(name)``, a frame's rows in the
    blotter's order."""

    def text(chunks: Iterable[str]) -> Iterator[bytes]:
        return (c.encode() for c in chunks)

    return {
        "desk.csv": lambda: text(csv_chunks([orders], DESK_COLUMNS)),
        "allocations.csv": lambda: text(
            csv_chunks(parts("allocations"), ALLOCATION_EXPORT_COLUMNS)
        ),
        "lot_instructions.csv": lambda: text(
            csv_chunks(parts("lot_instructions"), LOT_EXPORT_COLUMNS)
        ),
        "orders.fix": lambda: fix_message_chunks(
            orders, lambda: parts("allocations"), at.astimezone(UTC), session
        ),
    }


def _manifest(record: dict[str, Any]) -> Callable[[dict[str, str]], bytes]:
    """The manifest of a release: its files' SHA-256 (as written) and the release record's hash."""

    def manifest(digests: dict[str, str]) -> bytes:
        return (
            json.dumps(
                {
                    "run_id": record["run_id"],
                    "release_record_sha256": record["hash"],
                    "content_sha256": record["content_sha256"],
                    "files": dict(sorted(digests.items())),
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        ).encode()

    return manifest


def export_files(
    blotter: Blotter, record: dict[str, Any], at: datetime, session: FixSession
) -> dict[str, bytes]:
    """The release's files by name for a blotter in memory, with their manifest (as ``release``
    writes them)."""
    frames = {
        name: frame.sort_values(SORT_KEYS[name], kind="stable")
        for name, frame in blotter.frames().items()
    }
    streams = _streams(frames["orders"], lambda name: [frames[name]], at, session)
    files = {name: b"".join(stream()) for name, stream in streams.items()}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return files | {"manifest.json": _manifest(record)(digests)}
