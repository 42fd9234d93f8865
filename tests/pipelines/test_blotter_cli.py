"""`sma blotter show|approve|release|reject|verify --run RUN --user NAME` (issue 5), on the repo's
roles file `config/users.toml`, through a typer app built in the test."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from test_blotter_run import RUN, write_run
from typer.testing import CliRunner

from pipelines.cli import _blotter

USERS = Path(__file__).resolve().parents[2] / "config" / "users.toml"


def cli() -> typer.Typer:
    app = typer.Typer()
    _blotter.register(app)
    return app


def sma(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli(), [*args, "--runs-dir", str(tmp_path), *(("--users", str(USERS)) if args[1] != "propose" else ())])


def test_the_whole_flow_from_the_command_line(tmp_path):
    write_run(tmp_path)
    assert sma(tmp_path, "blotter", "propose", "--run", RUN).exit_code == 0
    shown = sma(tmp_path, "blotter", "show", "--run", RUN)
    assert "PROPOSED" in shown.output and f"{RUN}-BUY-AAPL" in shown.output
    approved = sma(tmp_path, "blotter", "approve", "--run", RUN, "--user", "pm-alice", "--hold", "A2")
    assert approved.exit_code == 0, approved.output
    released = sma(tmp_path, "blotter", "release", "--run", RUN, "--user", "trader-tom")
    assert released.exit_code == 0 and "RELEASED by trader-tom" in released.output
    again = sma(tmp_path, "blotter", "release", "--run", RUN, "--user", "trader-tina")
    assert again.exit_code == 1 and "already released" in again.output
    assert sma(tmp_path, "blotter", "verify", "--run", RUN).exit_code == 0


def test_the_approver_is_refused_at_release_with_exit_status_1(tmp_path):
    write_run(tmp_path)
    sma(tmp_path, "blotter", "propose", "--run", RUN)
    sma(tmp_path, "blotter", "approve", "--run", RUN, "--user", "pm-alice")
    refused = sma(tmp_path, "blotter", "release", "--run", RUN, "--user", "pm-alice")
    assert refused.exit_code == 1 and "needs TRADER" in refused.output


def test_reject_by_a_trader_is_refused_and_by_a_pm_recorded(tmp_path):
    write_run(tmp_path)
    sma(tmp_path, "blotter", "propose", "--run", RUN)
    assert sma(tmp_path, "blotter", "reject", "--run", RUN, "--user", "trader-tom").exit_code == 1
    done = sma(tmp_path, "blotter", "reject", "--run", RUN, "--user", "pm-paul", "--note", "=stale prices")
    assert done.exit_code == 0 and "REJECTED" in done.output


def test_verify_exits_1_naming_the_altered_audit_line(tmp_path):
    write_run(tmp_path)
    sma(tmp_path, "blotter", "propose", "--run", RUN)
    sma(tmp_path, "blotter", "approve", "--run", RUN, "--user", "pm-alice")
    log = tmp_path / RUN / "blotter" / "audit.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[0]["at"] = "2026-11-24T00:00:00.000+00:00"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = sma(tmp_path, "blotter", "verify", "--run", RUN)
    assert result.exit_code == 1 and "audit line 1" in result.output


def test_a_run_id_that_would_leave_the_runs_folder_is_refused(tmp_path):
    result = sma(tmp_path, "blotter", "show", "--run", "../etc")
    assert result.exit_code == 1 and "not a run id" in result.output


def test_show_and_verify_accept_a_known_user_and_refuse_an_unknown_one(tmp_path):
    write_run(tmp_path)
    sma(tmp_path, "blotter", "propose", "--run", RUN)
    assert sma(tmp_path, "blotter", "show", "--run", RUN, "--user", "ops-olga").exit_code == 0
    assert sma(tmp_path, "blotter", "verify", "--run", RUN, "--user", "ops-olga").exit_code == 0
    refused = sma(tmp_path, "blotter", "show", "--run", RUN, "--user", "mallory")
    assert refused.exit_code == 1 and "not in the roles source" in refused.output
