"""The Airflow DAG runs the night end to end on a generated book and gives the same trades,
decision records and blotter as `sma nightly` (the DAG and the CLI call the same steps)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_nightly_cli import outputs, store_results
from tests.nightly_env import AS_OF, sma, workplace

DAGS = Path(__file__).parents[2] / "dags"
AIRFLOW = [sys.executable, "-m", "airflow"]


def airflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([*AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_the_dag_runs_the_night_like_the_cli(tiny_inbox, tmp_path):
    cli_root, dag_root = tmp_path / "cli", tmp_path / "dag"
    assert (
        sma(
            ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()],
            workplace(cli_root),
            tmp_path,
        ).returncode
        == 0
    )

    env = {
        **workplace(dag_root),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    airflow(["db", "migrate"], env)
    airflow(
        ["pools", "set", "sma_store_writer", "1", "the one process that writes the DuckDB store"],
        env,
    )
    airflow(["dags", "reserialize"], env)
    conf = json.dumps({"inbox": str(tiny_inbox), "as_of": AS_OF.isoformat()})
    # The PM's approval waits for a person: in a test it is marked done (ECOSYSTEM.md).
    run = airflow(
        [
            "dags",
            "test",
            "sma_nightly",
            AS_OF.isoformat(),
            "-c",
            conf,
            "--mark-success-pattern",
            "pm_approval|apply_pm_answer",
        ],
        env,
    )
    assert "state=success" in run.stdout + run.stderr
    assert (dag_root / "runs" / AS_OF.isoformat() / "review.html").exists()
    assert outputs(dag_root) == outputs(cli_root)
    assert store_results(dag_root) == store_results(cli_root)
