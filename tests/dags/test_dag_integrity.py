"""Every DAG imports cleanly, has no cycle, wires only (no business logic, nothing heavy at parse
time) and maps over shards, never over accounts (Airflow best practices; ECOSYSTEM.md)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

DAGS = Path(__file__).parents[2] / "dags"
#: What a DAG file may import at its top: Airflow's SDK and the approval operator, the standard
#: library.
ALLOWED_TOP_IMPORTS = {
    "__future__",
    "datetime",
    "airflow.sdk",
    "airflow.providers.standard.operators.hitl",
}


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
    assert all(t.retries >= 1 for t in dag.tasks if t.task_id != "pm_approval")


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
