"""Every DAG imports cleanly, has no cycle, wires only (no business logic, nothing heavy at parse
time) and maps over shards, never over accounts (Airflow best practices; ECOSYSTEM.md)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

DAGS = Path(__file__).parents[2] / "dags"
#: What a DAG file may import at its top: Airflow's SDK and the approval operator, the standard
#: library, and the project's two Airflow-facing modules, which import neither the domain nor
#: pandas (checked below).
ALLOWED_TOP_IMPORTS = {
    "__future__",
    "datetime",
    "airflow.sdk",
    "airflow.providers.standard.operators.hitl",
    "pipelines.inbox_sensor",
    "pipelines.orchestration",
}
#: What parsing a DAG must not import: each costs seconds at every parse (ECOSYSTEM.md).
HEAVY = ("sma", "pandas", "numpy", "great_expectations", "duckdb", "pyarrow", "scipy", "numba")


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "sma_nightly" in dagbag.dags


def test_the_nightly_dag_has_every_step_in_order_and_no_cycle(dagbag):
    dag = dagbag.dags["sma_nightly"]
    order = [t.task_id for t in dag.topological_sort()]
    steps = [
        "wait_for_inbox",
        "ingest",
        "prepare",
        "decide",
        "check",
        "blotter",
        "record",
        "review",
        "pm_approval",
        "apply_pm_answer",
    ]
    assert set(steps) <= set(order)
    assert [s for s in order if s in steps] == steps


def test_the_nightly_dag_runs_weeknights_one_at_a_time_with_retries(dagbag):
    dag = dagbag.dags["sma_nightly"]
    assert dag.max_active_runs == 1
    assert str(dag.schedule).endswith("* * 1-5")
    # Waiting for a person, or for files past their cut-off, is not retried.
    once = {"pm_approval", "wait_for_inbox"}
    assert all(t.retries >= 1 for t in dag.tasks if t.task_id not in once)
    assert all(dag.get_task(t).retries == 0 for t in once)


def test_every_task_has_a_timeout_and_alerts_when_it_fails(dagbag):
    from pipelines.orchestration import task_failed

    dag = dagbag.dags["sma_nightly"]
    working = [t for t in dag.tasks if t.task_id != "pm_approval"]  # its wait: response_timeout
    assert {t.execution_timeout for t in working} == {timedelta(minutes=180)}
    assert all(t.on_failure_callback in (task_failed, [task_failed]) for t in dag.tasks)


def test_the_inbox_param_is_no_relative_path(dagbag):
    # Blank: [airflow] inbox of the settings file, an absolute path (pipelines.orchestration).
    assert dagbag.dags["sma_nightly"].params["inbox"] == ""


def test_the_pms_answer_is_applied_whichever_it_is(dagbag):
    """Not ApprovalOperator: on Reject it skips what follows, and the blotter stayed PROPOSED."""
    dag = dagbag.dags["sma_nightly"]
    approval = dag.get_task("pm_approval")
    assert type(approval).__name__ == "HITLOperator"
    from pipelines.blotter._airflow import APPROVE, REJECT

    assert approval.options == [APPROVE, REJECT]  # what apply_approval_answer understands
    assert set(approval.params) == {"hold", "note"}
    assert approval.downstream_task_ids == {"apply_pm_answer"}
    assert "xcom_pull(task_ids='review')" in approval.body


def test_the_timeout_and_the_deadline_come_from_the_settings(monkeypatch, tmp_path):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "sma.toml"))
    monkeypatch.setenv("SMA_AIRFLOW__TASK_TIMEOUT_MINUTES", "20")
    monkeypatch.setenv("SMA_AIRFLOW__NIGHT_DEADLINE_MINUTES", "480")
    dag = DagBag(dag_folder=str(DAGS / "sma_nightly.py")).dags["sma_nightly"]
    assert dag.get_task("decide").execution_timeout == timedelta(minutes=20)
    [deadline] = dag.deadline
    assert deadline.interval == timedelta(minutes=480)
    assert deadline.callback.path == "pipelines.orchestration.night_late"


def test_parsing_the_dags_imports_nothing_heavy():
    code = (
        "import sys, runpy\n"
        f"for f in {[str(p) for p in sorted(DAGS.glob('*.py'))]!r}: runpy.run_path(f)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    env = {**os.environ, "PYTHONPATH": str(DAGS.parent)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_only_the_writer_tasks_touch_the_store_and_they_share_a_one_slot_pool(dagbag):
    dag = dagbag.dags["sma_nightly"]
    writers = {t.task_id for t in dag.tasks if t.pool == "sma_store_writer"}
    assert writers == {"ingest", "record"}


@pytest.mark.parametrize("dag_file", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_import_only_airflow_sdk_at_the_top(dag_file):
    tree = ast.parse(dag_file.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            top.add(node.module)
    assert top <= ALLOWED_TOP_IMPORTS, top - ALLOWED_TOP_IMPORTS


def test_statements_run_quarterly_in_parallel_slices(dagbag):
    dag = dagbag.dags["sma_statements"]
    assert str(dag.schedule) == "0 6 3 1,4,7,10 *"
    assert [t.task_id for t in dag.topological_sort()] == ["period", "write"]


def test_only_the_shard_tasks_leave_the_store_machine_queue(monkeypatch, tmp_path):
    """Every task but ``decide`` opens the DuckDB store, which lives on one machine (PRODUCT.md:
    one writer; deploy/README.md, "On several machines"): they go to ``[airflow] store_queue``,
    which only that machine's worker listens to; the shards go to ``shard_queue``."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "sma.toml"))
    monkeypatch.setenv("SMA_AIRFLOW__STORE_QUEUE", "store")
    monkeypatch.setenv("SMA_AIRFLOW__SHARD_QUEUE", "shards")
    dag = DagBag(dag_folder=str(DAGS / "sma_nightly.py")).dags["sma_nightly"]
    queues = {task.task_id: task.queue for task in dag.tasks}
    assert queues.pop("decide") == "shards"
    assert set(queues.values()) == {"store"}, queues
