"""``sma validate --inbox DIR --date D``: the report on stdout, exit 1 on errors and 0 when clean,
never a traceback (issue 2; PRODUCT.md, "Interfaces")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from inbox_builder import AS_OF, clean_inbox, folder_state, night, write_inbox
from typer.testing import CliRunner

from pipelines.cli import _validate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sma() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """sma"""

    _validate.register(app)
    return app


def _run(app, *args):
    return CliRunner().invoke(app, ["validate", *args])


def test_a_clean_inbox_exits_0_with_a_clean_summary(tmp_path, sma):
    write_inbox(clean_inbox(), tmp_path)
    result = _run(sma, "--inbox", str(tmp_path), "--date", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "inbox is clean" in result.output


def test_a_bad_cell_exits_1_naming_file_row_column_rule_and_value(tmp_path, sma):
    frames = clean_inbox()
    frames["lots"].loc[2, "quantity"] = "-Infinity"
    write_inbox(frames, tmp_path)
    before = folder_state(tmp_path)
    result = _run(sma, "--inbox", str(tmp_path), "--date", AS_OF.isoformat())
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("lots "))
    assert line.split()[:5] == ["lots", "3", "quantity", "finite", "-Infinity"]
    assert result.output.splitlines()[-1].startswith(
        "2 issues in 2 files: 1 row quarantined, 1 account held"
    )
    assert folder_state(tmp_path) == before


def test_a_refused_file_exits_1_without_a_traceback(tmp_path, sma):
    write_inbox(clean_inbox(), tmp_path)
    (night(tmp_path) / "securities.csv").write_bytes(b"\xff\xfe\x00garbage")
    result = _run(sma, "--inbox", str(tmp_path), "--date", AS_OF.isoformat())
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "unreadable" in result.output and "FATAL" in result.output


def test_control_characters_in_a_bad_value_are_escaped_in_the_report(tmp_path, sma):
    frames = clean_inbox()
    frames["securities"].loc[0, "name"] = "Apple\x1b[2J"
    write_inbox(frames, tmp_path)
    result = _run(sma, "--inbox", str(tmp_path), "--date", AS_OF.isoformat())
    assert result.exit_code == 1 and "\x1b" not in result.output and "\\x1b[2J" in result.output


def test_a_date_that_is_not_a_date_is_a_usage_error(tmp_path, sma):
    result = _run(sma, "--inbox", str(tmp_path), "--date", "24/11/2026")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


@pytest.mark.slow
def test_the_installed_command_runs_end_to_end(tmp_path):
    """Through ``python -m pipelines`` (the ``sma`` entry point), as operations would run it."""
    frames = clean_inbox()
    frames["accounts"].loc[0, "client_name"] = '=HYPERLINK("http://evil")'
    write_inbox(frames, tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines",
            "validate",
            "--inbox",
            str(tmp_path),
            "--date",
            AS_OF.isoformat(),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "formula_prefix" in done.stdout and "Traceback" not in done.stdout + done.stderr
