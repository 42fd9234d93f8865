"""`sma blotter show|approve|release|reject|verify --run RUN` (issues 5 and 14): the acting user is
the OS login running the command, mapped to roles by the users file the settings name — never a
name the caller types, never a roles file the caller chooses. Each command runs as a throwaway OS
login (see ``tests.os_users``); the run folder is hand-made as the night would write it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from test_blotter_run import RUN, write_run

from pipelines.blotter import propose
from pipelines.identity import os_login, signer_of
from tests.nightly_env import workplace
from tests.os_users import shared, sma_as, write_users

# The `sma` command run as OS logins, one process per step: minutes in all.
pytestmark = [pytest.mark.usefixtures("os_users"), pytest.mark.slow]


@pytest.fixture
def run(tmp_path):
    """A proposed blotter under ``tmp_path``, which every test login may act on; the env to use
    it."""
    env = workplace(tmp_path, users_file=write_users(tmp_path))
    night = os_login()  # the night's login signs what it proposes
    propose(
        write_run(tmp_path / "runs"), night, signer=signer_of(tmp_path / ".config" / "sma", night)
    )
    shared(tmp_path)
    return env, tmp_path


def as_(login: str, run, *args: str):
    env, root = run
    return sma_as(login, ["blotter", *args, "--run", RUN], env, root)


def test_the_whole_flow_from_the_command_line(run):
    shown = as_("sma-test-ops", run, "show")
    assert "PROPOSED" in shown.stdout and f"{RUN}-BUY-AAPL" in shown.stdout
    approved = as_("sma-test-pm", run, "approve", "--hold", "A2")
    assert approved.returncode == 0, approved.stderr
    assert "APPROVED by sma-test-pm" in approved.stdout
    released = as_("sma-test-trader", run, "release")
    assert released.returncode == 0 and "RELEASED by sma-test-trader" in released.stdout, (
        released.stderr
    )
    again = as_("sma-test-trader2", run, "release")
    assert again.returncode == 1 and "already released" in again.stderr
    assert as_("sma-test-ops", run, "verify").returncode == 0


def test_one_login_cannot_approve_and_release_the_same_blotter(run):
    """Four-eyes holds even for a login that is both PM and trader in the users file."""
    assert as_("sma-test-both", run, "approve").returncode == 0
    refused = as_("sma-test-both", run, "release")
    assert refused.returncode == 1 and "four-eyes" in refused.stderr


def test_the_approver_is_refused_at_release_with_exit_status_1(run):
    as_("sma-test-pm", run, "approve")
    refused = as_("sma-test-pm", run, "release")
    assert refused.returncode == 1 and "needs TRADER" in refused.stderr


def test_a_name_typed_on_the_command_line_is_not_accepted(run):
    """`--user` and `--users` are gone: a trader cannot approve by typing a PM's name or a roles
    file."""
    for option in (["--user", "sma-test-pm"], ["--users", "/tmp/anyone-is-pm.toml"]):
        typed = as_("sma-test-trader", run, "approve", *option)
        assert typed.returncode == 2 and "No such option" in typed.stderr
    assert as_("sma-test-trader", run, "show").stdout.startswith(f"run {RUN}: PROPOSED")


def test_a_login_not_in_the_users_file_may_not_act(run):
    env, root = run
    users = (root / "users.toml").read_text()
    (root / "fewer-users.toml").write_text(
        users.replace("[users.sma-test-pm2]", "[users.someone-else]")
    )
    shared(root)
    refused = sma_as(
        "sma-test-pm2",
        ["blotter", "approve", "--run", RUN],
        {**env, "SMA_BLOTTER__USERS_FILE": str(root / "fewer-users.toml")},
        root,
    )
    assert (
        refused.returncode == 1
        and "'sma-test-pm2'" in refused.stderr
        and "not in the roles source" in refused.stderr
    )


def test_the_users_file_is_the_one_the_settings_name_wherever_the_command_runs(run, tmp_path):
    env, root = run
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shared(elsewhere)
    assert (
        sma_as("sma-test-pm", ["blotter", "approve", "--run", RUN], env, elsewhere).returncode == 0
    )
    missing = sma_as(
        "sma-test-trader",
        ["blotter", "release", "--run", RUN],
        {**env, "SMA_BLOTTER__USERS_FILE": str(root / "no-such-users.toml")},
        root,
    )
    assert missing.returncode == 1 and "users_file" in missing.stderr


def test_reject_by_a_trader_is_refused_and_by_a_pm_recorded(run):
    assert as_("sma-test-trader", run, "reject").returncode == 1
    done = as_("sma-test-pm2", run, "reject", "--note", "=stale prices")
    assert done.returncode == 0 and "REJECTED" in done.stdout, done.stderr


def test_verify_exits_1_naming_the_altered_audit_line(run):
    env, root = run
    as_("sma-test-pm", run, "approve")
    log = root / "runs" / RUN / "blotter" / "audit.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[0]["at"] = "2026-11-24T00:00:00.000+00:00"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = as_("sma-test-ops", run, "verify")
    assert result.returncode == 1 and "audit line 1" in result.stderr


def test_a_run_id_that_would_leave_the_runs_folder_is_refused(run):
    env, root = run
    result = sma_as("sma-test-ops", ["blotter", "show", "--run", "../etc"], env, root)
    assert result.returncode == 1 and "not a run id" in result.stderr


def rewritten(log: Path, line: int, **changes) -> None:
    """Change a record as a forger with write access would: the fields, then every hash
    re-sealed."""
    from sma.trading._audit import canonical

    rows = [json.loads(text) for text in log.read_text().splitlines()]
    rows[line - 1].update(changes)
    for i, row in enumerate(rows):
        row["prev"] = rows[i - 1]["hash"] if i else row["prev"]
        row["hash"] = hashlib.sha256(canonical(row)).hexdigest()
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_every_decision_is_signed_by_its_login_and_verifies(run):
    env, root = run
    as_("sma-test-pm", run, "approve")
    as_("sma-test-trader", run, "release")
    rows = [
        json.loads(text)
        for text in (root / "runs" / RUN / "blotter" / "audit.jsonl").read_text().splitlines()
    ]
    assert [(r["user"], bool(r.get("signature"))) for r in rows[1:]] == [
        ("sma-test-pm", True),
        ("sma-test-trader", True),
    ]
    assert as_("sma-test-ops", run, "verify").returncode == 0


def test_an_approver_renamed_in_a_resealed_trail_fails_verify(run):
    env, root = run
    as_("sma-test-pm", run, "approve")
    rewritten(root / "runs" / RUN / "blotter" / "audit.jsonl", 2, user="sma-test-pm2")
    result = as_("sma-test-ops", run, "verify")
    assert (
        result.returncode == 1 and "audit line 2" in result.stderr and "signature" in result.stderr
    )


def test_a_quantity_edited_after_approval_fails_verify_even_with_the_hashes_recomputed(run):
    import pandas as pd

    from pipelines.blotter import _folder

    env, root = run
    as_("sma-test-pm", run, "approve")
    approved = root / "runs" / RUN / "blotter" / "approved"
    for part in approved.rglob("orders*.parquet"):
        orders = pd.read_parquet(part)
        pd.DataFrame(orders.assign(quantity=orders["quantity"] * 10)).to_parquet(part)
    rewritten(
        root / "runs" / RUN / "blotter" / "audit.jsonl",
        2,
        content_sha256=_folder.content_digest(approved),
    )
    result = as_("sma-test-ops", run, "verify")
    assert (
        result.returncode == 1 and "audit line 2" in result.stderr and "signature" in result.stderr
    )


def test_a_release_record_cut_from_the_trail_fails_verify(run):
    env, root = run
    as_("sma-test-pm", run, "approve")
    as_("sma-test-trader", run, "release")
    log = root / "runs" / RUN / "blotter" / "audit.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    result = as_("sma-test-ops", run, "verify")
    assert result.returncode == 1 and "no release was recorded" in result.stderr


def test_the_nights_proposal_is_signed_by_its_login_and_an_unsigned_one_is_not_approved(run):
    """A PM signs only on top of a history signed throughout: a proposal without the night's
    signature (written by anyone with file access) is refused at approval and by verify (issue
    14)."""
    env, root = run
    log = root / "runs" / RUN / "blotter" / "audit.jsonl"
    first = json.loads(log.read_text().splitlines()[0])
    assert first["action"] == "PROPOSE" and first["user"] == os_login() and first["signature"]
    first.pop("signature")  # outside the hash: the chain itself stays intact
    log.write_text(json.dumps(first) + "\n")
    refused = as_("sma-test-pm", run, "approve")
    assert (
        refused.returncode == 1
        and "audit log line 1" in refused.stderr
        and "not signed" in refused.stderr
    )
    assert "not signed" in as_("sma-test-ops", run, "verify").stderr


def test_a_release_cut_from_the_log_with_its_exports_fails_verify_on_the_stores_chain_head(run):
    """Deleting the release record and the exports together leaves a shorter log that is well
    chained and well signed; the store's chain head still names the release (issue 14)."""
    import shutil

    env, root = run
    as_("sma-test-pm", run, "approve")
    as_("sma-test-trader", run, "release")
    log = root / "runs" / RUN / "blotter" / "audit.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    shutil.rmtree(root / "runs" / RUN / "blotter" / "exports")
    result = as_("sma-test-ops", run, "verify")
    assert (
        result.returncode == 1 and "cut off the log" in result.stderr and "RELEASE" in result.stderr
    )
    again = as_("sma-test-trader2", run, "release")
    assert again.returncode == 1 and "cut off the log" in again.stderr, (
        "nobody releases a second time"
    )


def test_a_login_without_its_private_key_cannot_act(run):
    env, root = run
    (root / ".config" / "sma" / "sma-test-pm.ed25519").unlink()
    refused = as_("sma-test-pm", run, "approve")
    assert refused.returncode == 1 and "no signing key for login 'sma-test-pm'" in refused.stderr
