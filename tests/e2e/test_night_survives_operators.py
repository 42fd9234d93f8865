"""A night survives what operators do to it (issue 16): a stale worker of a killed run never
injects its trades, a dead worker is reported with its shard and the command to resume, what
dead runs leave behind is swept, and ``sma status`` says where a night stands and what to do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.test_kill_and_rerun import _start, _wait_for, gone_within, isolated, leftovers
from tests.e2e.test_nightly_cli import outputs, store_results
from tests.nightly_env import AS_OF, sma

DATE = AS_OF.isoformat()


def _nightly(inbox: Path, *extra: str) -> list[str]:
    return ["nightly", "--inbox", str(inbox), "--date", DATE, *extra]


def _attempt(root: Path) -> str:
    return json.loads((root / "storage" / DATE / "attempt.json").read_text())["token"]


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(child.stdout)


def _files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_decide_workers_die_with_a_killed_night_and_write_nothing_after_it(tiny_inbox, tmp_path):
    """Issue 16, point 1: ``kill -9`` of ``sma nightly`` while its two workers decide. The
    workers die with it (``PR_SET_PDEATHSIG``, and a watch on the parent's pid): not one file
    or marker appears after the kill. An unguarded worker finishes its shard and writes it."""
    env = isolated(tmp_path, workers=2)
    night = _start(_nightly(tiny_inbox), env, tmp_path)
    _wait_for(f"storage/{DATE}/*/_started/decide-*.json", tmp_path, night)
    night.kill()
    night.wait()
    at_kill = _files_under(tmp_path / "storage")
    assert gone_within(tmp_path, 30.0) == []
    assert _files_under(tmp_path / "storage") == at_kill
    assert not list((tmp_path / "storage").rglob("_done/decide-*.json"))


@pytest.mark.slow
def test_a_stale_workers_shard_written_after_a_forced_rerun_started_is_never_adopted(
    tiny_inbox, tmp_path, monkeypatch
):
    """Issue 16, point 1 (fencing): a worker of the killed run finishes its shard after the
    operator's ``--force`` run has prepared tonight's shards. Its marker and trades land in the
    killed attempt's folder, which the forced attempt never reads."""
    from pipelines.night import Night, _files
    from pipelines.settings import load_settings

    env = isolated(tmp_path)
    assert sma(_nightly(tiny_inbox), env, tmp_path).returncode == 0
    clean, clean_store, killed_attempt = (
        outputs(tmp_path),
        store_results(tmp_path),
        _attempt(tmp_path),
    )

    stopped = sma(
        _nightly(tiny_inbox, "--force"), {**env, "SMA_CRASH_AT": "after-prepare"}, tmp_path
    )
    assert stopped.returncode == 137 and _attempt(tmp_path) != killed_attempt

    monkeypatch.setenv("SMA_CONFIG", env["SMA_CONFIG"])
    stale = Night(AS_OF, tiny_inbox, load_settings(), killed_attempt)
    injected = pd.DataFrame(
        {
            "account_id": ["X"],
            "symbol": ["STALE"],
            "side": ["BUY"],
            "quantity": [1.0],
            "price": [1.0],
            "notional": [1.0],
            "reason": ["stale worker"],
        }
    )
    for shard in (0, 1):  # what a stale worker writes, then its "done" marker
        _files.write_parquet(stale.uri("decisions", f"{shard:04d}", "trades.parquet"), injected)
        stale.mark_done("decide", shard, {"accounts": 1, "trades": 1})

    resumed = sma(_nightly(tiny_inbox), env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        "STALE"
        not in pd.read_parquet(tmp_path / "runs" / DATE / "proposal" / "trades.parquet")[
            "symbol"
        ].tolist()
    )
    assert (outputs(tmp_path), store_results(tmp_path)) == (clean, clean_store)
    assert not (tmp_path / "storage" / DATE / killed_attempt).exists(), (
        "the stale attempt's folder is swept"
    )


@pytest.mark.slow
def test_a_worker_that_dies_is_reported_with_its_shard_and_the_command_to_resume(
    tiny_inbox, tmp_path
):
    """Issue 16, point 4: a decide worker dies mid-shard (as the out-of-memory killer does). The
    night says which shard, that a worker died and the command to resume -- no traceback -- and
    ``sma status`` shows the same; the resumed night gives an uninterrupted night's outputs."""
    clean_root = tmp_path / "clean"
    assert sma(_nightly(tiny_inbox), isolated(clean_root), clean_root).returncode == 0

    env = isolated(tmp_path / "night", workers=2)
    root = tmp_path / "night"
    died = sma(_nightly(tiny_inbox), {**env, "SMA_CRASH_AT": "decide-0001:records:mid-write"}, root)
    assert died.returncode == 1
    assert "Traceback" not in died.stderr and "BrokenProcessPool" not in died.stderr
    assert (
        "worker process deciding shard 0001" in died.stderr
        and "died (exit status 137)" in died.stderr
    )
    resume = f"sma nightly --inbox {tiny_inbox} --date {DATE}"
    assert resume in died.stderr

    status = sma(["status", "--date", DATE], env, root)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert any(line.split()[:2] == ["ingest", "done"] for line in lines)
    assert any(line.split()[:2] == ["decide", "failed"] and "worker died" in line for line in lines)
    assert any(line.split()[:3] == ["check", "not", "started"] for line in lines)
    assert "SAFE to resume" in status.stdout and resume in status.stdout
    failure = json.loads((root / "runs" / DATE / "failure.json").read_text())
    assert (failure["step"], failure["shard"], failure["kind"]) == ("decide", 1, "worker died")

    assert sma(_nightly(tiny_inbox), env, root).returncode == 0
    assert (outputs(root), store_results(root)) == (outputs(clean_root), store_results(clean_root))
    assert leftovers(root) == []
    done = sma(["status", "--date", DATE], env, root).stdout
    assert "Complete" in done and "FAILED" not in done and f"{resume} --force" in done


@pytest.mark.slow
def test_a_worker_killed_as_the_out_of_memory_killer_does_is_named_with_its_shard(
    tiny_inbox, tmp_path
):
    """The kernel's out-of-memory killer sends SIGKILL to the biggest process: a decide worker.
    The night names the shard that worker had started and says how it died. The worker is held
    in the middle of writing shard 0001 so that it is killed there, not between two shards."""
    env = {**isolated(tmp_path, workers=2), "SMA_HOLD_AT": "decide-0001:records:mid-write"}
    night = _start(_nightly(tiny_inbox), env, tmp_path)
    try:
        _wait_for(f"storage/{DATE}/*/_started/decide-0001.json", tmp_path, night)
        marker = next((tmp_path / "storage").rglob("_started/decide-0001.json"))
        started = json.loads(marker.read_text())
        assert started["shard"] == 1
        subprocess.run(["kill", "-KILL", str(started["pid"])], check=True)
        night.wait(timeout=120)
    finally:
        night.kill()  # a held night must not outlive a failed test
    stderr = night.stderr.read().decode()
    assert night.returncode == 1, stderr
    assert f"deciding shard {started['shard']:04d}" in stderr and "killed by SIGKILL" in stderr, (
        stderr
    )
    assert "out-of-memory killer" in stderr and "Traceback" not in stderr
    assert gone_within(tmp_path, 10.0) == []


@pytest.mark.slow
def test_leftovers_of_dead_runs_are_swept_at_the_next_run_and_a_live_processs_are_kept(
    tiny_inbox, tmp_path
):
    """Issue 16, point 7: ``.tmp-<pid>-*`` files and ``sma-night-<pid>-*`` scratch folders of a
    dead process are removed by the next night; those of a live process are not. The leftovers
    assertion of the kill suite sees every one of them (it can fail)."""
    env = isolated(tmp_path)
    dead, live = (
        _dead_pid(),
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]),
    )
    try:
        run, storage, tmp = tmp_path / "runs" / DATE, tmp_path / "storage" / DATE, tmp_path / "tmp"
        planted = [  # (file written, what a sweep removes, owner)
            (run / "proposal" / f".tmp-{dead}-1a2b-trades.parquet", None, "dead"),
            (storage / "prepared" / f".tmp-{dead}-3c4d-market.parquet", None, "dead"),
            (
                tmp / f"sma-night-{dead}-x1y2" / "lots" / "part0.parquet",
                tmp / f"sma-night-{dead}-x1y2",
                "dead",
            ),
            (run / f".tmp-{live.pid}-5e6f-review.html", None, "live"),
            (
                tmp / f"sma-night-{live.pid}-z3w4" / "scratch",
                tmp / f"sma-night-{live.pid}-z3w4",
                "live",
            ),
        ]
        for path, _, _ in planted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"half a file")
        assert len(leftovers(tmp_path)) == 5, (
            "the kill suite's assertion sees each planted leftover"
        )
        status = sma(["status", "--date", DATE], env, tmp_path).stdout
        assert "3 file(s) of dead runs" in status

        assert sma(_nightly(tiny_inbox), env, tmp_path).returncode == 0
        for path, top, owner in planted:
            assert (top or path).exists() == (owner == "live"), (
                f"{top or path} of a {owner} process"
            )
    finally:
        live.kill()
        live.wait()
    assert sorted(leftovers(tmp_path)) == sorted(
        [f"runs/{DATE}/.tmp-{live.pid}-5e6f-review.html", f"tmp/sma-night-{live.pid}-z3w4"]
    )


def test_a_night_refused_for_bad_data_is_reported_by_status_with_what_to_do(tmp_path):
    """README "When a night fails", bad data: the inbox is refused, nothing is loaded; status
    names the step and the kind, and says to fix the inbox and run the same command again."""
    env = isolated(tmp_path)
    inbox = tmp_path / "inbox"
    (inbox / DATE).mkdir(parents=True)
    refused = sma(_nightly(inbox), env, tmp_path)
    assert refused.returncode == 1 and "nothing was run" in refused.stderr
    status = sma(["status", "--date", DATE], env, tmp_path).stdout
    assert any(
        line.split()[:2] == ["ingest", "failed"] and "bad data" in line
        for line in status.splitlines()
    )
    assert "Fix the inbox" in status and f"sma nightly --inbox {inbox} --date {DATE}" in status


def test_status_says_a_rerun_is_not_safe_while_a_night_holds_its_lock(tmp_path):
    """``sma status`` while a run of the date is in progress (it holds the night's lock): not safe,
    no command to run."""
    import fcntl
    import os

    env = isolated(tmp_path)
    lock = tmp_path / "runs" / DATE / ".lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a running night holds
    try:
        status = sma(["status", "--date", DATE], env, tmp_path)
    finally:
        os.close(fd)
    assert status.returncode == 0, status.stderr
    assert "NOT SAFE: a run of this night is in progress" in status.stdout
    assert "sma nightly" not in status.stdout
    assert "NOT SAFE" not in sma(["status", "--date", DATE], env, tmp_path).stdout


def test_a_forced_rerun_cancels_its_proposed_blotter_first_and_refuses_an_approved_one(
    tiny_inbox, tmp_path
):
    """Issue 16, point 2: ``nightly --force`` of a night whose blotter is PROPOSED cancels it in the
    audit log (the night's login) before proposing again, so a PM answering meanwhile is refused;
    one whose blotter a PM approved is refused up front with what to do, no traceback, nothing
    changed; every run afterwards still works."""
    from pipelines.blotter import approve, load_users, read_trail
    from pipelines.identity import os_login
    from tests.nightly_env import workplace
    from tests.os_users import write_night_users

    users_file = write_night_users(tmp_path)
    users_file.write_text(
        users_file.read_text().replace('["NIGHT", "OPERATIONS"]', '["NIGHT", "OPERATIONS", "PM"]')
    )
    env = workplace(tmp_path, users_file=users_file)
    assert sma(_nightly(tiny_inbox), env, tmp_path).returncode == 0
    forced = sma(_nightly(tiny_inbox, "--force"), env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    run_dir = tmp_path / "runs" / DATE
    trail = read_trail(run_dir)
    assert [(r["action"], r["user"]) for r in trail] == [
        ("PROPOSE", os_login()),
        ("CANCEL", os_login()),
        ("PROPOSE", os_login()),
    ]
    assert all(r.get("signature") for r in trail), (
        "the night's login signs its cancel and proposals"
    )

    approve(run_dir, os_login(), load_users(users_file))
    before = (run_dir / "blotter" / "audit.jsonl").read_bytes()
    refused = sma(_nightly(tiny_inbox, "--force"), env, tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "APPROVED" in refused.stderr and "sma blotter cancel" in refused.stderr
    assert (run_dir / "blotter" / "audit.jsonl").read_bytes() == before
    assert sma(_nightly(tiny_inbox), env, tmp_path).returncode == 0, (
        "the completed night still answers"
    )
