"""Running the nightly DAG under ``airflow dags test`` in a test, and answering its approval as a
PM does: the answer is recorded in Airflow's metadata database exactly as the api-server's
Human-in-the-loop endpoint records it (``PATCH .../hitlDetails``), which resumes the waiting task.

``dag.test()`` never answers an approval itself; it waits for "a response recorded from outside --
the Required Actions UI or the HITL REST API of an api-server sharing this metadata DB"
(``airflow.sdk.definitions.dag``). Here the outside is :data:`ANSWER`, run in a process of its own
with the DAG run's environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).parents[2] / "dags"
AIRFLOW = [sys.executable, "-m", "airflow"]

#: Waits for the DAG's pm_approval task to be awaiting input, prints the request's body (what the
#: PM reads), then records argv's answer (option, user, params as JSON) as the Core API does.
ANSWER = r"""
import json, sys, time
from sqlalchemy import select
from airflow.models.dagrun import DagRun
from airflow.models.hitl import HITLDetail
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.trigger import handle_event_submit
from airflow.triggers.base import TriggerEvent
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.state import TaskInstanceState

option, user, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
deadline, asked, ended = time.monotonic() + 900, None, None
while asked is None and ended is None and time.monotonic() < deadline:
    try:
        with create_session() as session:
            ti = session.scalars(
                select(TI).where(
                    TI.task_id == "pm_approval", TI.state == TaskInstanceState.AWAITING_INPUT
                )
            ).one_or_none()
            if ti is not None:
                detail = session.get(HITLDetail, ti.id)
                detail.responded_by = {"id": user, "name": user}
                detail.responded_at = timezone.utcnow()
                detail.chosen_options = [option]
                detail.params_input = params
                event = TriggerEvent(detail.as_resume_event_payload())
                handle_event_submit(event, task_instance=ti, session=session)
                asked = {"subject": detail.subject, "body": detail.body}
            else:
                ended = session.scalars(
                    select(DagRun.state).where(DagRun.state.in_(("success", "failed")))
                ).first()
        # create_session commits here, on leaving the block normally
    except Exception as error:  # sqlite busy while the DAG run writes: look again
        print("retrying:", error, file=sys.stderr)
        asked = None
    time.sleep(1)
if asked is None:
    sys.exit(f"no approval was asked (the run ended: {ended})")
print(json.dumps(asked))
"""


PM = "pm-alice"


def users_file(root: Path) -> Path:
    """The night runs as this process's login (role NIGHT); ``PM`` answers in Airflow."""
    from pipelines.identity import os_login

    path = root / "users.toml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[users."{os_login()}"]\nroles = ["NIGHT"]\n'
        f'[users.{PM}]\nroles = ["PM"]\n[users.trader-tom]\nroles = ["TRADER"]\n'
    )
    return path


def airflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([*AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def airflow_env(workplace_env: dict[str, str], home: Path, **settings: str) -> dict[str, str]:
    """The night's workplace (its ``SMA_CONFIG``) with an Airflow home of its own, migrated, with
    the writer pool; ``settings`` are extra ``SMA_*`` variables."""
    env = {
        **workplace_env,
        **settings,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    airflow(["db", "migrate"], env)
    airflow(
        ["pools", "set", "sma_store_writer", "1", "the one process that writes the DuckDB store"],
        env,
    )
    airflow(["dags", "reserialize"], env)
    return env


def run_dag(
    env: dict[str, str], day: str, conf: dict, answer: tuple[str, str, dict] | None = None
) -> tuple[subprocess.CompletedProcess, dict | None]:
    """``airflow dags test sma_nightly <day>`` with ``conf``; with ``answer`` (option, Airflow user,
    params), that answer is given to the approval when it is asked. Returns the run and the
    approval request the PM saw (subject, body), or None when none was asked."""
    # Its log goes to a file: a pipe nobody reads while the answer waits would fill and stall it.
    log = Path(env["AIRFLOW_HOME"]) / f"dags-test-{day}.log"
    with log.open("w") as sink:
        test = subprocess.Popen(
            [*AIRFLOW, "dags", "test", "sma_nightly", day, "-c", json.dumps(conf)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    request = None
    try:
        if answer is not None:
            option, user, params = answer
            answered = subprocess.run(
                [sys.executable, "-c", ANSWER, option, user, json.dumps(params)],
                env=env,
                capture_output=True,
                text=True,
                timeout=960,
            )
            assert answered.returncode == 0, answered.stderr[-3000:]
            request = json.loads(answered.stdout.strip().splitlines()[-1])
        test.wait(timeout=900)
    finally:
        if test.poll() is None:
            test.kill()
    return subprocess.CompletedProcess(test.args, test.returncode, log.read_text(), ""), request
