"""A night killed at any point (as by kill -9) and run again finishes with byte-identical trades,
decision records and blotter, and the same store (PRODUCT.md, "Non-functional": nothing is lost;
a run killed at any point can be run again and gives the same outputs)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from sma.trading import FixSession, State
from tests.nightly_env import AS_OF, sma, workplace
from tests.e2e.test_nightly_cli import outputs, store_results
from tests.os_users import os_users, shared, sma_as, write_users  # noqa: F401 (fixture)

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


@pytest.fixture(scope="module")
def uninterrupted(tiny_inbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    done = sma(["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], workplace(root), root)
    assert done.returncode == 0, done.stderr
    return outputs(root), store_results(root)


def test_there_are_at_least_25_named_crash_points():
    assert len(set(CRASH_POINTS)) >= 25


@pytest.mark.slow
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_night_killed_at_a_point_and_run_again_gives_identical_outputs(point, tiny_inbox, uninterrupted, tmp_path):
    env = workplace(tmp_path)
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    killed = sma(args, {**env, "SMA_CRASH_AT": point}, tmp_path)
    assert killed.returncode == 137, f"the night did not reach {point}: {killed.stderr[-2000:]}"
    run = tmp_path / "runs" / AS_OF.isoformat()
    assert not list(run.rglob(".tmp-*")) or all(p.name.startswith(".tmp-") for p in run.rglob(".tmp-*"))
    rerun = sma(args, env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert not [p for p in (run / "blotter").rglob(".*") if p.name != ".lock"], "a dead run's temporary files stay"
    assert (outputs(tmp_path), store_results(tmp_path)) == uninterrupted


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
def test_a_release_killed_at_a_point_and_run_again_gives_one_release_and_byte_identical_exports(point, tmp_path, os_users):
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
    expected = export_files(read_blotter(home(run_dir) / "approved"), record, datetime.fromisoformat(record["at"]),
                            FixSession())
    exports = home(run_dir) / "exports"
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == expected
    assert verify(run_dir, None) == []
    assert not [p for p in home(run_dir).rglob(".*") if p.name != ".lock"], "a dead release's staging stays"
