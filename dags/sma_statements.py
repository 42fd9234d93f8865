"""Client statements after each quarter end, as an Airflow 3 DAG: wiring only.

Each task imports and calls one ``pipelines.statements`` function with the period's label and a
slice of the accounts, so the PDFs are written in parallel on any executor; the store is only read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, get_current_context, task

SLICES = 8  # accounts are split into this many tasks (mapped), each writing its own PDFs


def _period() -> str:
    """The ``period`` param, else the quarter that ended before the run's date."""
    ctx = get_current_context()
    if ctx["params"].get("period"):
        return ctx["params"]["period"]
    when = (ctx.get("logical_date") or ctx["dag_run"].run_after).date()
    quarter = (when.month - 1) // 3  # the previous quarter: 0 means Q4 of last year
    return f"{when.year - 1}-Q4" if quarter == 0 else f"{when.year}-Q{quarter}"


@dag(
    dag_id="sma_statements",
    schedule="0 6 3 1,4,7,10 *",  # the third day of each quarter, for the quarter that ended
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "period": Param(
            "", type="string", description="2026-Q3 or 2026-09; blank = the last quarter"
        )
    },
    tags=["sma"],
)
def sma_statements():
    @task
    def period() -> str:
        return _period()

    @task(map_index_template="slice {{ task.op_kwargs['part'] }}")
    def write(period: str, part: int) -> int:
        from pipelines.statements import write_statement_slice

        return write_statement_slice(period, part, SLICES)

    label = period()
    write.partial(period=label).expand(part=list(range(SLICES)))


sma_statements()
