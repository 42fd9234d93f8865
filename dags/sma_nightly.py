"""The nightly run as an Airflow 3 DAG: wiring only.

Each task imports and calls one ``pipelines.night`` function and passes dates, shard numbers and
paths — never frames. Shard tasks exchange Parquet under the configured storage URI; only the
tasks in the one-slot ``sma_store_writer`` pool write the DuckDB store, so the DAG runs unchanged
on the Celery or Kubernetes executor. Nothing heavy is imported at parse time: the DAG's own
settings (``[airflow]``: task timeout, deadline, inbox cut-off, queues) are read by
``pipelines.orchestration``, which imports neither the domain nor pandas.

The night waits for its inbox (deferred) until the cut-off; every task that fails sends an alert
(``[alerts]``: webhook, email), and so does a night not finished by its deadline. The PM's answer
in Airflow ends the night APPROVED or REJECTED in the blotter's audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import DeadlineAlert, DeadlineReference, Param, SyncCallback, dag, task

from pipelines.inbox_sensor import InboxSensor
from pipelines.orchestration import AirflowSettings, read_section, task_failed

STORE_WRITER_POOL = "sma_store_writer"
#: ``[airflow]`` of the settings file: cheap to read at parse time (no domain import).
SETTINGS = read_section("airflow", AirflowSettings)
DEFAULT_ARGS = {
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(minutes=SETTINGS.task_timeout_minutes),
    "on_failure_callback": task_failed,
    # Every task but the shards opens the store, which lives on one machine.
    "queue": SETTINGS.store_queue,
}
APPROVE, REJECT = "Approve", "Reject"


@dag(
    dag_id="sma_nightly",
    schedule="30 22 * * 1-5",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "as_of": Param("", type="string", description="YYYY-MM-DD; blank = the run's date"),
        "inbox": Param(
            "",
            type="string",
            description="absolute path of the folder holding <date>/<file>.csv; "
            "blank = [airflow] inbox of the settings file",
        ),
    },
    deadline=None
    if SETTINGS.night_deadline_minutes is None
    else DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=SETTINGS.night_deadline_minutes),
        callback=SyncCallback(
            "pipelines.orchestration.night_late",
            kwargs={"minutes": SETTINGS.night_deadline_minutes},
        ),
    ),
    tags=["sma"],
)
def sma_nightly():
    # Deferred while it waits (no worker slot); past [airflow] inbox_wait_minutes it fails at once
    # and the failure callback alerts, naming the missing files.
    inbox_ready = InboxSensor(task_id="wait_for_inbox", retries=0)

    @task(pool=STORE_WRITER_POOL)
    def ingest(as_of: str) -> str:
        from airflow.sdk import get_current_context

        from pipelines.night import ingest_step
        from pipelines.orchestration import night_inbox

        ingest_step(as_of, str(night_inbox(get_current_context())))
        return as_of

    @task
    def prepare(as_of: str) -> list[int]:
        from pipelines.night import prepare_step

        return prepare_step(as_of)

    @task(map_index_template="shard {{ task.op_kwargs['shard'] }}", queue=SETTINGS.shard_queue)
    def decide(as_of: str, shard: int) -> int:
        from pipelines.night import decide_step

        decide_step(as_of, shard)
        return shard

    @task
    def check(as_of: str, decided: list[int]) -> str:
        from pipelines.night import check_step

        check_step(as_of)
        return as_of

    @task
    def blotter(as_of: str) -> str:
        from pipelines.night import blotter_step

        blotter_step(as_of)
        return as_of

    @task(pool=STORE_WRITER_POOL)
    def record(as_of: str) -> str:
        from pipelines.night import record_step

        record_step(as_of)
        return as_of

    @task
    def review(as_of: str) -> str:
        from pipelines.night import approval_request, review_step

        review_step(as_of)
        return approval_request(as_of)

    # The PM answers in Airflow; the project's own blotter ledger decides whether that answer
    # counts (the responder must be a PM there, and four-eyes is enforced at release). Not
    # ApprovalOperator: on Reject it skips what follows, and the blotter would stay PROPOSED.
    pm_approval = HITLOperator(
        task_id="pm_approval",
        subject="Approve tonight's blotter?",
        body="{{ ti.xcom_pull(task_ids='review') }}",
        options=[APPROVE, REJECT],
        params={
            "hold": Param("", type="string", description="accounts to hold out: A1, A2"),
            "note": Param("", type="string", description="kept in the blotter's audit log"),
        },
        response_timeout=timedelta(hours=10),
        retries=0,
    )

    @task
    def apply_pm_answer(as_of: str, answer: dict) -> str:
        """APPROVED (held accounts held) or REJECTED in the blotter's audit log."""
        from pipelines.night import apply_pm_answer as apply

        return apply(as_of, answer)

    as_of = inbox_ready.output
    shards = prepare(ingest(as_of))
    decided = decide.partial(as_of=as_of).expand(shard=shards)
    reviewed = review(record(blotter(check(as_of, decided))))
    reviewed >> pm_approval
    apply_pm_answer(as_of, pm_approval.output)


sma_nightly()
