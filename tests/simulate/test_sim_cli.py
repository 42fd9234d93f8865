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


def test_simulate_runs_on_price_files_extended_past_their_last_day(tmp_path):
    """--prices-from: an inbox's closes; the vintage's year beyond them is drawn from a factor model."""
    from datetime import date

    from pipelines.book import write_inbox
    from sma.book import BookParams, generate_book

    as_of = date(2024, 6, 28)
    folder = write_inbox(generate_book(0, 4, as_of, BookParams(price_days=300)), tmp_path / "inbox", as_of, "csv")
    app = typer.Typer()
    _simulate.register(app)
    app.command("noop")(lambda: None)
    out = tmp_path / "sim"
    result = CliRunner().invoke(app, ["simulate", "--years", "1", "--first-year", "2024", "--harvest-frequency",
                                      "MONTHLY", "--strategies", "ENGINE", "--accounts-per-profile", "1",
                                      "--prices-from", str(folder), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
