"""The DAG's approval step (Airflow's Human-in-the-loop task) goes through the same state machine:
the project's own ledger of approvals is the authority, four-eyes included (issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_blotter_run import USERS, clock, write_run

from pipelines.blotter import apply_approval_answer, propose, release, run_dir_for, show
from sma.trading import BlotterRefused, State
from sma.trading._approval import FourEyesViolation, NotPermitted


def answer(option: str, user: str | None, **params) -> dict:
    """The mapping the approval task returns (HITLTriggerEventSuccessPayload)."""
    return {
        "chosen_options": [option],
        "params_input": params,
        "responded_at": datetime(2026, 11, 26, 8, tzinfo=UTC),
        "responded_by_user": None if user is None else {"id": user, "name": user.title()},
    }


def proposed(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    return run_dir


def test_an_approval_in_airflow_by_a_pm_approves_with_held_accounts(tmp_path):
    run_dir = proposed(tmp_path)
    record = apply_approval_answer(
        run_dir, answer("Approve", "pm", hold="A2, A3", note="ok"), USERS
    )
    assert (record["user"], record["held"], record["note"]) == ("pm", ["A2", "A3"], "ok")
    assert show(run_dir).state == State.APPROVED


def test_an_airflow_user_who_is_not_a_pm_cannot_approve(tmp_path):
    run_dir = proposed(tmp_path)
    with pytest.raises(NotPermitted):
        apply_approval_answer(run_dir, answer("Approve", "trader1"), USERS)
    assert show(run_dir).state == State.PROPOSED


def test_the_pm_who_approved_in_airflow_cannot_release(tmp_path):
    run_dir = proposed(tmp_path)
    apply_approval_answer(run_dir, answer("Approve", "both"), USERS)
    with pytest.raises(FourEyesViolation):
        release(run_dir, "both", USERS)


def test_a_reject_in_airflow_rejects(tmp_path):
    run_dir = proposed(tmp_path)
    apply_approval_answer(run_dir, answer("Reject", "pm"), USERS)
    assert show(run_dir).state == State.REJECTED


def test_an_answer_without_a_responding_user_is_no_approval(tmp_path):
    run_dir = proposed(tmp_path)
    with pytest.raises(BlotterRefused, match="no responding user"):
        apply_approval_answer(run_dir, answer("Approve", None), USERS)


def test_the_answer_is_relayed_and_signed_by_the_workers_login_and_releases_signed(tmp_path):
    """The PM answered in Airflow and holds no key on the worker: the worker's login (the night's
    service account) signs the record as its attester; the trader's signed release then verifies
    the whole trail strictly, and so does ``verify`` (issue 14)."""
    from test_blotter_run import signed_workplace

    from pipelines.blotter import load_users, verify
    from pipelines.identity import signer_of

    users_file, keys = signed_workplace(
        tmp_path, {"worker": ["NIGHT"], "pm": ["PM"], "trader1": ["TRADER"]}
    )
    users = load_users(users_file)
    run_dir = write_run(tmp_path / "runs")
    propose(run_dir, "worker", signer=signer_of(keys, "worker"), now=clock(1))
    record = apply_approval_answer(
        run_dir,
        answer("Approve", "pm"),
        users,
        attester="worker",
        signer=signer_of(keys, "worker"),
        store=tmp_path / "store.duckdb",
    )
    assert (record["user"], record["attested_by"], bool(record["signature"])) == (
        "pm",
        "worker",
        True,
    )
    release(
        run_dir,
        "trader1",
        users,
        signer=signer_of(keys, "trader1"),
        store=tmp_path / "store.duckdb",
    )
    assert verify(run_dir, users, signed=True, store=tmp_path / "store.duckdb") == []


def test_a_run_id_cannot_leave_the_runs_folder(tmp_path):
    with pytest.raises(ValueError):
        run_dir_for(tmp_path, "../../etc")
    (tmp_path / "2026-11-25").mkdir()
    assert run_dir_for(tmp_path, "2026-11-25") == tmp_path / "2026-11-25"
