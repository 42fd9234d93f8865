"""A night killed at any point (as by kill -9) and run again finishes with byte-identical trades,
decision records and blotter, and the same store (PRODUCT.md, "Non-functional": nothing is lost;
a run killed at any point can be run again and gives the same outputs)."""

from __future__ import annotations

import pytest

from tests.nightly_env import AS_OF, sma, workplace
from tests.e2e.test_nightly_cli import outputs, store_results

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
