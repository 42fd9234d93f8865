"""The quality gates of `make test` (.ci/gates, issue 18) fail on what they guard, shown on a
throwaway project that carries this repository's gate script and pyproject.toml, never on main."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

CLEAN = '''"""A tidy module."""


def double(x: int) -> int:
    """Twice ``x``."""
    if x < 0:
        return -2 * -x
    return 2 * x
'''


def project(tmp_path: Path, module: str = CLEAN) -> Path:
    """A copy of the gates and their settings around a one-module ``sma`` package."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "gates", tmp_path / ".ci" / "gates")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ("sma", "pipelines"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f'"""The {package} package."""\n')
    (tmp_path / "sma" / "doubling.py").write_text(module)
    return tmp_path


def gate(root: Path, name: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PY": sys.executable, "COVERAGE_FILE": str(root / ".coverage")}
    return subprocess.run(
        [str(root / ".ci" / "gates"), name],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # pyright in a process of its own
def test_a_tidy_project_passes_lint_format_and_types(tmp_path):
    done = gate(project(tmp_path), "static")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("failing", "module"),
    [
        ("lint", CLEAN + "\n\nimport os\n"),  # F401, an unused import (and E402)
        # D103: a public function of sma/ without a docstring
        ("lint", CLEAN.replace('    """Twice ``x``."""\n', "")),
        ("format", CLEAN.replace("return 2 * x", "return 2*x")),
        pytest.param(  # str is not int; pyright in a process of its own
            "types", CLEAN.replace("return 2 * x", 'return "2" * x'), marks=pytest.mark.slow
        ),
    ],
)
def test_each_static_gate_fails_on_what_it_guards(tmp_path, failing, module):
    done = gate(project(tmp_path, module), failing)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"FAILED gates: {failing}" in done.stderr


def _measure(root: Path, call: str) -> None:
    (root / "calls.py").write_text(f"import sma.doubling as m\n\n{call}\n")
    env = {**os.environ, "COVERAGE_FILE": str(root / ".coverage"), "PYTHONPATH": str(root)}
    measure = [sys.executable, "-m", "coverage", "run", "calls.py"]
    subprocess.run(measure, cwd=root, env=env, check=True)


def test_the_coverage_gate_fails_below_the_floor_in_pyproject(tmp_path):
    root = project(tmp_path)
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace(_floor_line(text), "fail_under = 99", 1))
    _measure(root, "m.double(2)")  # the negative branch is never taken
    below = gate(root, "coverage")
    assert below.returncode == 1 and "FAILED gates: coverage" in below.stderr, below.stdout
    _measure(root, "m.double(2); m.double(-2)")  # every line and branch
    assert gate(root, "coverage").returncode == 0


def _floor_line(pyproject: str) -> str:
    return next(line for line in pyproject.splitlines() if line.startswith("fail_under = "))
