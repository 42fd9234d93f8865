"""``sma simulate``: runs, prints its headline figures and writes the report."""

import typer
from typer.testing import CliRunner

from pipelines.cli import _simulate


def test_simulate_command_writes_the_report(tmp_path):
    app = typer.Typer()
    _simulate.register(app)
    app.command("noop")(lambda: None)  # a second command keeps typer's subcommand form
    out = tmp_path / "sim"
    result = CliRunner().invoke(app, ["simulate", "--years", "1", "--harvest-frequency", "MONTHLY",
                                      "--strategies", "TRACKING_ONLY,ENGINE", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ENGINE" in result.output and "tax alpha" in result.output
    assert (out / "report.html").exists() and (out / "summary.csv").exists()


def test_an_unknown_frequency_is_a_clear_error(tmp_path):
    app = typer.Typer()
    _simulate.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["simulate", "--harvest-frequency", "HOURLY", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "HOURLY" in result.output
