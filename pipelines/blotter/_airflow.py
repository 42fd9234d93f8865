"""What the DAG's approval step calls: the answer of Airflow's approval task (a ``HITLOperator``
with the options Approve and Reject), applied to the blotter through the same state machine as
``sma blotter approve|reject``.

Airflow records who answered: the authenticated Airflow user (``responded_by_user``), which is the
acting identity here, as the OS login is on the command line (``pipelines.identity``). That person
holds no key on the worker, so the record is signed by the worker's login (the night's service
account, role NIGHT) as its attester (``attested_by``): it vouches that Airflow authenticated the
answer. Airflow does not know who is a PM, and it does not enforce four-eyes. The answer is
therefore replayed here as that user's action, and the project's audit
log stays the authority: an Airflow user who is not a PM in the roles source is refused exactly
as on the command line. No Airflow import: the answer is the operator's returned mapping
(``chosen_options``, ``params_input``, ``responded_by_user``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.blotter._actions import approve, reject
from sma.inbox import ID_PATTERN
from sma.trading import Action, BlotterRefused, Signer, Users

APPROVE, REJECT = "Approve", "Reject"  # the approval task's two options (dags/sma_nightly.py)


def run_dir_for(runs_dir: Path, run_id: str) -> Path:
    """``<runs_dir>/<run_id>`` of a run that exists: a run id that could leave the runs folder, or
    with anything after the pattern (a trailing newline), is refused (``ValueError``); a run with no
    folder is ``FileNotFoundError`` "no such run", and nothing is created for it."""
    if not re.fullmatch(ID_PATTERN, run_id):
        raise ValueError(f"{run_id!r} is not a run id")
    run_dir = Path(runs_dir) / run_id
    if not run_dir.is_dir():
        raise FileNotFoundError(f"no such run: {run_id} (no folder {run_dir})")
    return run_dir


def _held(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):  # a serialised Param: {"value": ..., "schema": ...}
        value = value.get("value")
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return [str(v) for v in value or ()]


def apply_approval_answer(
    run_dir: Path,
    answer: Mapping[str, Any],
    users: Users,
    user_field: str = "id",
    *,
    attester: str | None = None,
    signer: Signer | None = None,
    store: Path | None = None,
) -> dict[str, Any]:
    """Record the ApprovalOperator's answer as the responding user's APPROVE or REJECT, relayed and
    signed by ``attester`` (the worker's login) with ``signer``; the chain head goes to ``store``.

    ``params_input`` may carry ``hold`` (account ids, a list or ``"A1,A2"``) and ``note``.
    Raises ``BlotterRefused`` when nobody answered (a timeout's default is no one's approval),
    and whatever ``approve``/``reject`` raise for that user.
    """
    run_dir = Path(run_dir)
    who = answer.get("responded_by_user") or {}
    user = who.get(user_field) if isinstance(who, Mapping) else None
    if not user:
        raise BlotterRefused(
            run_dir.name, "-", Action.APPROVE, "the approval step has no responding user"
        )
    params = answer.get("params_input") or {}
    note = params.get("note") or ""
    note = note.get("value", "") if isinstance(note, Mapping) else str(note)
    chosen = list(answer.get("chosen_options") or [])
    if chosen == [APPROVE]:
        return approve(
            run_dir,
            user,
            users,
            hold=_held(params.get("hold")),
            note=note,
            signer=signer,
            attested_by=attester,
            store=store,
        )
    if chosen == [REJECT]:
        return reject(
            run_dir, user, users, note=note, signer=signer, attested_by=attester, store=store
        )
    raise BlotterRefused(run_dir.name, user, Action.APPROVE, f"unexpected answer {chosen}")
