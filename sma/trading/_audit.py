"""The blotter's audit trail: append-only records, each sealed with the hash of the one before.

A record says who did what, when, to which content (SHA-256 of the blotter), and the state it
left. ``hash = SHA-256(canonical JSON of the record without its hash)``, and every record carries
the previous record's hash in ``prev`` (the first carries 64 zeros). Changing any field of any
record, reordering or removing records in the middle breaks the chain; ``verify_trail`` also
replays the state machine, so a forged but well-chained history (a release by the approver, a
second release) is reported too. Cutting records off the end is detected only against a hash
kept elsewhere: the store keeps the chain's head (``pipelines.blotter``), and the release exports
carry the release record's hash.

Every record is also signed with its writer's Ed25519 key (``signature``, outside the hash; see
``sma.trading._signing``): the chain says a record was changed, the signature says who wrote it.
The writer is the record's ``user`` (a person's OS login, or the night's service login for a
PROPOSE), except for an answer a person gave in Airflow: Airflow authenticated that person, who
holds no key on the worker, so the night's service login relays the answer and signs it as
``attested_by``.
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
RECORD_FIELDS = (
    "seq",
    "run_id",
    "action",
    "state",
    "user",
    "at",
    "content_sha256",
    "held",
    "note",
    "prev",
)
#: Fields a record has only when they apply; when present, the hash covers them too.
OPTIONAL_FIELDS = ("attested_by",)


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: sorted keys, no spaces, UTF-8."""
    fields = {k: record[k] for k in RECORD_FIELDS} | {
        k: record[k] for k in OPTIONAL_FIELDS if k in record
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_by(record: dict[str, Any]) -> str:
    """The login whose key signs ``record``: its attester if it relays an Airflow answer, else its
    user."""
    return record.get("attested_by") or record["user"]


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
    attested_by: str | None = None,
) -> dict[str, Any]:
    """The next record of ``trail``, chained to its last record, sealed with its own hash and,
    given the writer's ``signer``, signed over the same bytes. ``attested_by`` names the service
    login that relays ``user``'s answer from Airflow and signs it (``signer`` is then its key)."""
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
    if attested_by:
        record["attested_by"] = attested_by
    record["hash"] = hashlib.sha256(canonical(record)).hexdigest()
    if signer is not None:
        record["signature"] = signature_text(signer, canonical(record))
    return record


@dataclass(frozen=True)
class TrailProblem:
    line: int  # 1-based line of the audit log
    why: str


def current(
    trail: Sequence[dict[str, Any]],
) -> tuple[State | None, str | None, dict[str, Any] | None]:
    """(state, approver, last APPROVE/PROPOSE record whose content is authoritative) after
    ``trail``."""
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


def last_of(trail: Sequence[dict[str, Any]], action: Action) -> dict[str, Any] | None:
    """The last record of ``action`` in ``trail``, or None."""
    return next((r for r in reversed(trail) if r["action"] == action), None)


def verify_trail(
    trail: Sequence[dict[str, Any]], users: Users | None = None, signed: bool = False
) -> list[TrailProblem]:
    """Every problem with a trail: broken seals or links, gaps, illegal transitions, bad signatures.

    With ``users`` the roles are checked as well (as they stand now: the night's login must hold
    NIGHT, a relaying attester too), and every signature against its writer's public key; with
    ``signed`` too, every record must be signed. Without ``users``, only the shape of the history:
    who may act is then judged by the state machine and four-eyes alone.
    """
    problems: list[TrailProblem] = []
    prev, state, approver = GENESIS, None, None
    for line, r in enumerate(trail, start=1):
        missing = [k for k in (*RECORD_FIELDS, "hash") if k not in r]
        if missing:
            problems.append(TrailProblem(line, f"missing fields {missing}"))
            continue
        if hashlib.sha256(canonical(r)).hexdigest() != r["hash"]:
            problems.append(
                TrailProblem(line, "the record's content does not match its hash (altered)")
            )
        if r["prev"] != prev:
            problems.append(
                TrailProblem(
                    line, "does not chain to the record before (removed, inserted or reordered)"
                )
            )
        if r["seq"] != line:
            problems.append(TrailProblem(line, f"seq {r['seq']} where {line} was expected"))
        if users is not None and (signed or "signature" in r):
            writer = signed_by(r)
            why = signature_problem(
                {**r, "user": writer}, canonical(r), users.public_keys.get(writer)
            )
            if why:
                problems.append(TrailProblem(line, why))
            if "attested_by" in r and Role.NIGHT not in users.roles.get(writer, frozenset()):
                problems.append(
                    TrailProblem(
                        line,
                        f"{writer!r} relays an Airflow answer but does not hold the NIGHT role",
                    )
                )
        try:
            action = Action(r["action"])
            checker = users if users is not None else Users.anyone(r["user"])
            after = authorize(action, r["user"], checker, state, approver, r["run_id"])
            if after != State(r["state"]):
                problems.append(
                    TrailProblem(line, f"{action} leads to {after}, the record says {r['state']}")
                )
        except (BlotterRefused, ValueError) as e:
            problems.append(TrailProblem(line, f"illegal transition: {e}"))
        state = State(r["state"]) if r["state"] in State.__members__ else state
        if r["action"] == Action.APPROVE:
            approver = r["user"]
        elif r["action"] == Action.PROPOSE:
            approver = None
        prev = r["hash"]
    return problems
