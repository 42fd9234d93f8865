"""`pip install .` gives `sma` and the in-process night without Airflow, and the packages only the
tests, the benchmarks or the DAGs use are extras (issue 20: "a CLI-only user installs all of
Airflow"; ``piqp``, ``clarabel`` and ``simplefix`` were runtime requirements used only in tests and
benchmarks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.nightly_env import AS_OF, workplace

ROOT = Path(__file__).parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: Not for the runtime: the orchestrator, the tests' and the benchmarks' solvers and FIX parser.
NOT_RUNTIME = {"apache-airflow", "apache-airflow-providers-standard", "piqp", "clarabel",
               "simplefix", "cvxpy"}  # fmt: skip


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def locked(file: str) -> set[str]:
    lines = (ROOT / file).read_text().splitlines()
    return {canonicalize_name(line.split("==")[0]) for line in lines if "==" in line}


def test_the_runtime_requirements_leave_out_airflow_the_solvers_and_the_fix_parser():
    assert names(PROJECT["dependencies"]) & NOT_RUNTIME == set()
    extras = PROJECT["optional-dependencies"]
    assert {"apache-airflow", "apache-airflow-providers-standard"} <= names(extras["airflow"])
    assert {"cvxpy", "clarabel", "simplefix"} <= names(extras["test"]) & names(extras["bench"])


def test_each_way_of_installing_has_its_lock_file_and_only_its_packages():
    runtime = locked("requirements.lock")
    assert runtime & (NOT_RUNTIME | {"apache-airflow-core", "pytest"}) == set()
    assert names(PROJECT["dependencies"]) <= runtime
    assert {"apache-airflow", "apache-airflow-core"} <= locked("requirements-airflow.lock")
    assert {"pytest", "cvxpy", "simplefix"} <= locked("requirements-test.lock")
    assert {"cvxpy", "clarabel", "simplefix"} <= locked("requirements-bench.lock")
    assert "apache-airflow" not in locked("requirements-bench.lock") | locked(
        "requirements-test.lock"
    )


def test_the_lock_files_are_the_tested_versions():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


#: Runs `sma` with the extras' packages unimportable, as after `pip install .`.
WITHOUT_EXTRAS = """
import sys
from importlib.abc import MetaPathFinder

BLOCKED = {"airflow", "cvxpy", "clarabel", "piqp", "simplefix"}


class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed)")
        return None


sys.meta_path.insert(0, NotInstalled())
sys.argv = ["sma", *sys.argv[1:]]
from pipelines.cli import main

main()
"""


REPO = Path(__file__).resolve().parents[2]


def _installed_copy(into: Path) -> Path:
    """The project as ``pip install .`` puts it in site-packages: its wheel, unpacked into
    ``into`` without dependencies (the test venv has those). A checkout finds files beside its
    modules that an installed copy has only if the wheel ships them (the data contracts' suites
    were missing: ``sma nightly`` from ``pip install .`` failed on its first file)."""
    wheels, source = into / "wheels", into / "source"
    # Built from a clean copy: setuptools' build/ folder in a checkout could supply stale files.
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "build", "out", "*.egg-info", "__pycache__", "tests", "benchmarks"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", wheels],
        check=True,
        capture_output=True,
        timeout=600,
    )
    site = into / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            site,
            *wheels.glob("*.whl"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return site


@pytest.mark.slow
def test_the_night_runs_and_is_reviewed_without_airflow_or_the_extras(tiny_inbox, tmp_path):
    """Issue 20, "Done when": `pip install .` without extras does not install Airflow, and
    `sma nightly` works from it: from the installed wheel, outside the checkout, with the extras'
    packages unimportable."""
    site = _installed_copy(tmp_path / "install")
    data = {p.relative_to(REPO) for p in (REPO / "data_contracts").rglob("*") if p.is_file()}
    assert data and all((site / p).is_file() for p in data), "the wheel ships every contract"
    env = {**workplace(tmp_path / "night"), "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import pipelines; print(pipelines.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site)), where.stdout
    day = AS_OF.isoformat()
    for args in (
        ["nightly", "--inbox", str(tiny_inbox), "--date", day],
        ["review", "--run", day],
        ["status", "--date", day],
    ):
        done = subprocess.run(
            [sys.executable, "-c", WITHOUT_EXTRAS, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
    assert (tmp_path / "night" / "runs" / day / "review.html").is_file()
