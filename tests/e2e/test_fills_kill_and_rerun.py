"""`sma fills load FILE` killed at any step (as by kill -9) and run again leaves the store and the
run folder's record byte for byte as an uninterrupted load does: each execution booked once
(issue 14, defect 4; PRODUCT.md "Non-functional": a run killed at any point can be run again and
gives the same outputs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.blotter import read_trail
from tests.e2e.test_fills_cli import fills_from_exports, release_a_night
from tests.nightly_env import AS_OF, sma, workplace

#: Every step of a fills load: after matching, inside the store's transaction after each table,
#: before and after the commit, after the run folder's record.
CRASH_POINTS = [
    "fills:after-match",
    "fills:inside-transaction:ledger_lots",
    "fills:inside-transaction:ledger_cash",
    "fills:inside-transaction:realized_gains",
    "fills:inside-transaction:fills_booked",
    "fills:before-commit",
    "fills:after-commit",
    "fills:after-record",
]
TABLES = ("ledger_lots", "ledger_cash", "realized_gains", "fills_booked")


@pytest.fixture(scope="module")
def released_with_first_fills(tiny_inbox, tmp_path_factory, os_users) -> Path:
    """A released night with half its fills booked; the other half is in fills2.csv."""
    root = tmp_path_factory.mktemp("released")
    env, run = release_a_night(tiny_inbox, root)
    fills = fills_from_exports(run)
    half = len(fills) // 2
    fills.iloc[:half].to_csv(root / "fills1.csv", index=False)
    fills.iloc[half:].to_csv(root / "fills2.csv", index=False)
    assert sma(["fills", "load", str(root / "fills1.csv")], env, root).returncode == 0
    return root


def copy_of(released: Path, root: Path) -> dict[str, str]:
    shutil.copytree(released, root, dirs_exist_ok=True)
    return workplace(root, users_file=root / "users.toml")


def outputs(root: Path) -> tuple[dict[str, list[tuple]], bytes]:
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        tables = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    return tables, (
        root / "runs" / AS_OF.isoformat() / "blotter" / "fills" / "booked.parquet"
    ).read_bytes()


@pytest.fixture(scope="module")
def uninterrupted(released_with_first_fills, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    env = copy_of(released_with_first_fills, root)
    done = sma(["fills", "load", str(root / "fills2.csv")], env, root)
    assert done.returncode == 0, done.stderr
    assert "booked 0 fill(s)" not in done.stdout
    return outputs(root)


def test_every_step_of_a_fills_load_has_a_crash_point():
    assert len(set(CRASH_POINTS)) == len(CRASH_POINTS) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_fills_load_killed_at_a_point_and_run_again_books_each_execution_once(
    point, released_with_first_fills, uninterrupted, tmp_path
):
    env = copy_of(released_with_first_fills, tmp_path)
    args = ["fills", "load", str(tmp_path / "fills2.csv")]
    killed = sma(args, {**env, "SMA_CRASH_AT": point}, tmp_path)
    assert killed.returncode == 137, f"the load did not reach {point}: {killed.stderr[-2000:]}"
    rerun = sma(args, env, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert outputs(tmp_path) == uninterrupted
    again = sma(args, env, tmp_path)
    assert "booked 0 fill(s)" in again.stdout and outputs(tmp_path) == uninterrupted
    # One signed FILLS record per file that booked something, whatever the kill left behind; the
    # store's fills, the run folder's and the store's chain head agree with the audit log.
    trail = read_trail(tmp_path / "runs" / AS_OF.isoformat())
    assert [r["action"] for r in trail].count("FILLS") == 2
    verified = sma(["blotter", "verify", "--run", AS_OF.isoformat()], env, tmp_path)
    assert verified.returncode == 0, verified.stderr
