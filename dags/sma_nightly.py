"""The nightly run as an Airflow 3 DAG: wiring only.

Each task imports and calls one ``pipelines.night`` function and passes dates, shard numbers and
paths — never frames. Shard tasks exchange Parquet under the configured storage URI; only the
tasks in the one-slot ``sma_store_writer`` pool write the DuckDB store, so the DAG runs unchanged
on the Celery or Kubernetes executor. Nothing heavy is imported at parse time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Param, dag, get_current_context, task

STORE_WRITER_POOL = "sma_store_writer"
DEFAULT_ARGS = {"retries": 2, "retry_delay": timedelta(minutes=2)}


def _as_of() -> str:
    """The night's as-of date: the ``as_of`` param, else the date the run is for."""
    ctx = get_current_context()
    chosen = ctx["params"].get("as_of") or ""
    if chosen:
        return chosen
    when = ctx.get("logical_date") or ctx["dag_run"].run_after
    return when.date().isoformat()


@dag(
    dag_id="sma_nightly",
    schedule="30 22 * * 1-5",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "as_of": Param("", type="string", description="YYYY-MM-DD; blank = the run's date"),
        "inbox": Param("inbox", type="string", description="folder holding <date>/<file>.csv"),
    },
    tags=["sma"],
)
def sma_nightly():
    @task(pool=STORE_WRITER_POOL)
    def ingest() -> str:
        from pipelines.night import ingest_step

        as_of = _as_of()
        ingest_step(as_of, get_current_context()["params"]["inbox"])
        return as_of

    @task
    def prepare(as_of: str) -> list[int]:
        from pipelines.night import prepare_step

        return prepare_step(as_of)

    @task(map_index_template="shard {{ task.op_kwargs['shard'] }}")
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
        from pipelines.night import review_step

        review_step(as_of)
        return as_of

    # The PM answers in Airflow; the project's own blotter ledger decides whether that answer
    # counts (the responder must be a PM there, and four-eyes is enforced at release).
    pm_approval = ApprovalOperator(
        task_id="pm_approval",
        subject="Approve tonight's blotter?",
        body="Review the run page and the blotter (sma review / sma blotter show) before "
        "answering.",
        response_timeout=timedelta(hours=10),
    )

    @task
    def apply_pm_answer(as_of: str, answer: dict) -> str:
        from pipelines.night import apply_pm_answer as apply

        return apply(as_of, answer)

    as_of = ingest()
    shards = prepare(as_of)
    decided = decide.partial(as_of=as_of).expand(shard=shards)
    reviewed = review(record(blotter(check(as_of, decided))))
    reviewed >> pm_approval
    apply_pm_answer(reviewed, pm_approval.output)


sma_nightly()
