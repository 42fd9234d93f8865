"""The blotter's audit trail: append-only records, each sealed with the hash of the one before.

A record says who did what, when, to which content (SHA-256 of the blotter), and the state it
left. ``hash = SHA-256(canonical JSON of the record without its hash)``, and every record carries
the previous record's hash in ``prev`` (the first carries 64 zeros). Changing any field of any
record, reordering or removing records in the middle breaks the chain; ``verify_trail`` also
replays the state machine, so a forged but well-chained history (a release by the approver, a
second release) is reported too. Cutting records off the end is detected only against a hash
kept elsewhere: the release exports carry the release record's hash.

A person's record is also signed with their Ed25519 key (``signature``, outside the hash; see
``sma.trading._signing``): the chain says a record was changed, the signature says who wrote it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sma.trading._approval import Action, BlotterRefused, Role, State, Users, authorize
from sma.trading._signing import Signer, signature_problem, signature_text

GENESIS = "0" * 64
RECORD_FIELDS = ("seq", "run_id", "action", "state", "user", "at", "content_sha256", "held", "note", "prev")


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps({k: record[k] for k in RECORD_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(
    trail: Sequence[dict[str, Any]],
    *,
    run_id: str,
    action: Action,
    state: State,
    user: str,
    at: str,
    content_sha256: str,
    held: Sequence[str] = (),
    note: str = "",
    signer: Signer | None = None,
) -> dict[str, Any]:
    """The next record of ``trail``, chained to its last record, sealed with its own hash and,
    given the acting user's ``signer``, signed over the same bytes."""
    record = {
        "seq": len(trail) + 1,
        "run_id": run_id,
        "action": str(action),
        "state": str(state),
        "user": user,
        "at": at,
        "content_sha256": content_sha256,
        "held": sorted(held),
        "note": note,
        "prev": trail[-1]["hash"] if trail else GENESIS,
    }
    record["hash"] = hashlib.sha256(canonical(record)).hexdigest()
    if signer is not None:
        record["signature"] = signature_text(signer, canonical(record))
    return record


@dataclass(frozen=True)
class TrailProblem:
    line: int  # 1-based line of the audit log
    why: str


def current(trail: Sequence[dict[str, Any]]) -> tuple[State | None, str | None, dict[str, Any] | None]:
    """(state, approver, last APPROVE/PROPOSE record whose content is authoritative) after ``trail``."""
    state: State | None = None
    approver: str | None = None
    content: dict[str, Any] | None = None
    for r in trail:
        state = State(r["state"])
        if r["action"] == Action.APPROVE:
            approver, content = r["user"], r
        elif r["action"] == Action.PROPOSE:
            approver, content = None, r
    return state, approver, content


def verify_trail(trail: Sequence[dict[str, Any]], users: Users | None = None, signed: bool = False) -> list[TrailProblem]:
    """Every problem with a trail: broken seals or links, gaps, illegal transitions, bad signatures.

    With ``users`` the roles are checked as well (as they stand now), and every signature against
    the user's public key; with ``signed`` too, every person's record must be signed (the night's
    PROPOSE records are covered by the signature of the PM who approves after them). Without
    ``users``, only the shape of the history: who may act is then judged by the state machine and
    four-eyes alone.
    """
    problems: list[TrailProblem] = []
    prev, state, approver = GENESIS, None, None
    for line, r in enumerate(trail, start=1):
        missing = [k for k in (*RECORD_FIELDS, "hash") if k not in r]
        if missing:
            problems.append(TrailProblem(line, f"missing fields {missing}"))
            continue
        if hashlib.sha256(canonical(r)).hexdigest() != r["hash"]:
            problems.append(TrailProblem(line, "the record's content does not match its hash (altered)"))
        if r["prev"] != prev:
            problems.append(TrailProblem(line, "does not chain to the record before (removed, inserted or reordered)"))
        if r["seq"] != line:
            problems.append(TrailProblem(line, f"seq {r['seq']} where {line} was expected"))
        if users is not None and r["action"] != Action.PROPOSE and (signed or "signature" in r):
            why = signature_problem(r, canonical(r), users.public_keys.get(r["user"]))
            if why:
                problems.append(TrailProblem(line, why))
        try:
            action = Action(r["action"])
            checker = users if users is not None and action != Action.PROPOSE else _anyone(r["user"], action)
            after = authorize(action, r["user"], checker, state, approver, r["run_id"])
            if after != State(r["state"]):
                problems.append(TrailProblem(line, f"{action} leads to {after}, the record says {r['state']}"))
        except (BlotterRefused, ValueError) as e:
            problems.append(TrailProblem(line, f"illegal transition: {e}"))
        state = State(r["state"]) if r["state"] in State.__members__ else state
        if r["action"] == Action.APPROVE:
            approver = r["user"]
        elif r["action"] == Action.PROPOSE:
            approver = None
        prev = r["hash"]
    return problems


def _anyone(user: str, action: Action) -> Users:
    """A roles source in which ``user`` holds every role: checks the history's shape only."""
    return Users({user: frozenset(Role)})
