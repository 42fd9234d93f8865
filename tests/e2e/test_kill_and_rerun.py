"""A night killed at any point (as by kill -9) and run again finishes with byte-identical trades,
decision records and blotter, and the same store (PRODUCT.md, "Non-functional": nothing is lost;
a run killed at any point can be run again and gives the same outputs). Killed at each named
crash point, at seeded random moments with two decide workers, and killed then forced at once
(issue 16): no worker outlives the night, and nothing temporary is left once it is rerun."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sma.trading import FixSession, State
from tests.e2e.test_nightly_cli import outputs, store_results
from tests.nightly_env import AS_OF, SMA, sma, workplace
from tests.os_users import shared, sma_as, write_users

#: Every step boundary, inside each store commit, and mid-write of each output file.
CRASH_POINTS = [
    "store-load:inside-transaction:securities",
    "store-load:inside-transaction:lots",
    "store-load:before-commit",
    "ingest:after-load",
    "after-ingest",
    "prepare:market:mid-write",
    "prepare:after-common-files",
    "after-prepare",
    "decide-0000:trades:mid-write",
    "decide:between-files",
    "decide-0001:records:mid-write",
    "after-decide",
    "check:trades:mid-write",
    "check:after-trades",
    "check:lot_sells:mid-write",
    "check:after-lot_sells",
    "check:exceptions:mid-write",
    "check:records:mid-write",
    "check:after-records",
    "check:blocks:mid-write",
    "check:sleeve_trades:mid-write",
    "check:after-lot_sleeves",
    "check:summary:mid-write",
    "after-check",
    "blotter:mid-write",
    "blotter:files-in-place",
    "blotter:after-propose",
    "after-blotter",
    "record:inside-transaction:run_trades",
    "record:inside-transaction:run_decisions",
    "record:before-commit",
    "record:after-commit",
    "after-record",
    "after-review",
]


def isolated(root: Path, workers: int = 1) -> dict[str, str]:
    """``workplace`` with a temp dir of its own, so what a killed run leaves there can be seen."""
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    return {**workplace(root, workers=workers), "TMPDIR": str(root / "tmp")}


def leftovers(root: Path) -> list[str]:
    """Everything a night must not leave behind once it is complete (issue 16, point 7):
    ``.tmp-*`` files in the run and exchange folders, anything in the night's temp dir, and the
    folders of attempts other than the current one."""
    found = [
        p
        for folder in (root / "runs", root / "storage")
        if folder.is_dir()
        for p in folder.rglob(".tmp-*")
    ]
    if (root / "tmp").is_dir():
        found += list((root / "tmp").iterdir())
    date_folder = root / "storage" / AS_OF.isoformat()
    if (date_folder / "attempt.json").exists():
        current = json.loads((date_folder / "attempt.json").read_text())["token"]
        found += [p for p in date_folder.iterdir() if p.is_dir() and p.name != current]
    return sorted(str(p.relative_to(root)) for p in found)


def night_processes(root: Path) -> list[int]:
    """Live processes (the night and its workers) started for the workplace ``root``: their
    environment names its sma.toml."""
    mark = f"SMA_CONFIG={root / 'sma.toml'}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (
                proc.name.isdigit()
                and mark in (proc / "environ").read_bytes().split(b"\0")
                and (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def gone_within(root: Path, seconds: float) -> list[int]:
    """The night's processes still alive after waiting up to ``seconds`` for them to die."""
    deadline = time.monotonic() + seconds
    while (alive := night_processes(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


@pytest.fixture(scope="module")
def uninterrupted(tiny_inbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    started = time.monotonic()
    done = sma(
        ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], isolated(root), root
    )
    assert done.returncode == 0, done.stderr
    assert leftovers(root) == []
    return outputs(root), store_results(root), time.monotonic() - started


def test_there_are_at_least_25_named_crash_points():
    assert len(set(CRASH_POINTS)) >= 25


#: The crash points are tested in three files (this one: ingest to decide; ``..._check``: the
#: check step; ``..._record``: blotter, record, review), so pytest-xdist's ``--dist loadfile``
#: spreads the night's ~35 kills over both workers instead of one (each file builds its own
#: uninterrupted night).
POINTS_HERE = CRASH_POINTS[: CRASH_POINTS.index("check:trades:mid-write")]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS_HERE)
def test_a_night_killed_at_a_point_and_run_again_gives_identical_outputs(
    point, tiny_inbox, uninterrupted, tmp_path
):
    killed_and_run_again(point, tiny_inbox, uninterrupted, tmp_path)


def killed_and_run_again(point: str, tiny_inbox: Path, uninterrupted, tmp_path: Path) -> None:
    """The night killed at ``point`` (``SMA_CRASH_AT``), then run again: byte-identical outputs
    and store, nothing temporary left."""
    env = isolated(tmp_path)
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    killed = sma(args, {**env, "SMA_CRASH_AT": point}, tmp_path)
    assert killed.returncode == 137, f"the night did not reach {point}: {killed.stderr[-2000:]}"
    run = tmp_path / "runs" / AS_OF.isoformat()
    rerun = sma(args, env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert not [p for p in (run / "blotter").rglob(".*") if p.name != ".lock"], (
        "a dead run's temporary files stay"
    )
    assert leftovers(tmp_path) == [], "a dead run's temporary files stay"
    assert (outputs(tmp_path), store_results(tmp_path)) == uninterrupted[:2]


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*SMA, *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


#: Seeds of the random-moment kills: few, each costs two nights of the tiny book.
KILL_SEEDS = [11, 12, 13]


@pytest.mark.slow
@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_a_night_killed_at_a_random_moment_leaves_no_worker_and_run_again_gives_identical_outputs(
    seed, tiny_inbox, uninterrupted, tmp_path
):
    """``kill -9`` of ``sma nightly`` (two decide workers) at a seeded moment within an
    uninterrupted night's duration, not only at a named point: its workers die with it, and the
    rerun gives the uninterrupted night's outputs and leaves nothing behind."""
    env = isolated(tmp_path, workers=2)
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    moment = np.random.default_rng(seed).uniform(0.0, uninterrupted[2])
    night = _start(args, env, tmp_path)
    try:
        night.wait(
            timeout=moment
        )  # finished before the moment: nothing to kill, the rerun has nothing to do
    except subprocess.TimeoutExpired:
        night.send_signal(signal.SIGKILL)
        night.wait()
    assert gone_within(tmp_path, 10.0) == [], "decide workers outlived the killed night"
    rerun = sma(args, env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert leftovers(tmp_path) == []
    assert (outputs(tmp_path), store_results(tmp_path)) == uninterrupted[:2]


def _wait_for(
    path_glob: str, root: Path, process: subprocess.Popen, seconds: float = 120.0
) -> None:
    deadline = time.monotonic() + seconds
    while not list(root.glob(path_glob)):
        assert process.poll() is None, (
            f"the night ended before {path_glob}: {process.stderr.read()[-2000:]}"
        )
        assert time.monotonic() < deadline, f"no {path_glob} after {seconds}s"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_night_killed_while_deciding_then_forced_at_once_gives_the_forced_nights_outputs(
    tiny_inbox, uninterrupted, tmp_path
):
    """Issue 16, point 1: kill -9 while workers decide, then ``--force`` at once. The forced
    night's outputs are an uninterrupted night's: nothing of the killed attempt is adopted."""
    env = isolated(tmp_path, workers=2)
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    night = _start(args, env, tmp_path)
    _wait_for(f"storage/{AS_OF.isoformat()}/*/_started/decide-*.json", tmp_path, night)
    night.send_signal(signal.SIGKILL)
    night.wait()
    forced = sma([*args, "--force"], env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert night_processes(tmp_path) == []
    assert leftovers(tmp_path) == []
    assert (outputs(tmp_path), store_results(tmp_path)) == uninterrupted[:2]


#: Every step of `sma blotter release` (issue 14, defect 3): before and after its record, between
#: export files, with the export set staged, and once it is in place.
RELEASE_CRASH_POINTS = [
    "release:before-record",
    "release:recorded",
    "release:mid-exports",
    "release:staged",
    "release:exports-in-place",
]


def _approved_run(root: Path) -> Path:
    from pipelines.blotter import approve, load_users, propose
    from pipelines.identity import os_login, signer_of
    from tests.pipelines.test_blotter_run import write_run

    run_dir = write_run(root)
    users, keys = load_users(write_users(root)), root / ".config" / "sma"
    propose(run_dir, os_login(), signer=signer_of(keys, os_login()))  # as the night does
    approve(run_dir, "sma-test-pm", users, signer=signer_of(keys, "sma-test-pm"))
    shared(root)
    return run_dir


def _release(root: Path, login: str, env: dict[str, str]):
    """``sma blotter release`` run by the OS login ``login``."""
    from tests.pipelines.test_blotter_run import RUN

    return sma_as(login, ["blotter", "release", "--run", RUN, "--runs-dir", str(root)], env, root)


def _no_exports_unless_released(run_dir: Path) -> None:
    """What any reader may see: exports only beside the release record their manifest names."""
    from pipelines.blotter import home, show, verify

    exports = home(run_dir) / "exports"
    trail = show(run_dir).trail
    if exports.exists():
        assert show(run_dir).state == State.RELEASED
        manifest = json.loads((exports / "manifest.json").read_text())
        assert manifest["release_record_sha256"] == trail[-1]["hash"]
    assert not [p for p in verify(run_dir) if "no release was recorded" in p.why]


@pytest.mark.slow
@pytest.mark.parametrize("point", RELEASE_CRASH_POINTS)
def test_a_release_killed_at_a_point_and_run_again_gives_one_release_and_byte_identical_exports(
    point, tmp_path, os_users
):
    from pipelines.blotter import export_files, home, read_blotter, show, verify

    run_dir = _approved_run(tmp_path)
    env = workplace(tmp_path, users_file=tmp_path / "users.toml")
    killed = _release(tmp_path, "sma-test-trader", {**env, "SMA_CRASH_AT": point})
    assert killed.returncode == 137, f"the release did not reach {point}: {killed.stderr[-2000:]}"
    _no_exports_unless_released(run_dir)
    recorded = show(run_dir).trail[-1] if show(run_dir).state == State.RELEASED else None

    rerun = _release(tmp_path, "sma-test-trader2", env)
    assert rerun.returncode == 0 or "already released" in rerun.stderr, rerun.stderr
    _no_exports_unless_released(run_dir)
    trail = show(run_dir).trail
    assert [r["action"] for r in trail].count("RELEASE") == 1
    record = trail[-1]
    if recorded is not None:  # the killed release is finished, not redone: its record, its time
        assert record == recorded
    if recorded is not None and rerun.returncode == 0:
        assert "RELEASED by sma-test-trader" in rerun.stdout
    expected = export_files(
        read_blotter(home(run_dir) / "approved"),
        record,
        datetime.fromisoformat(record["at"]),
        FixSession(),
    )
    exports = home(run_dir) / "exports"
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == expected
    assert verify(run_dir, None) == []
    assert not [p for p in home(run_dir).rglob(".*") if p.name != ".lock"], (
        "a dead release's staging stays"
    )


def test_the_three_files_test_every_crash_point_once():
    from tests.e2e import test_kill_and_rerun_check, test_kill_and_rerun_record

    tested = [*POINTS_HERE, *test_kill_and_rerun_check.POINTS_HERE]
    tested += test_kill_and_rerun_record.POINTS_HERE
    assert tested == CRASH_POINTS
