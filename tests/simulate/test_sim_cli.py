"""``sma simulate``: runs, prints its headline figures and writes the report."""

from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from pipelines.book import write_inbox
from pipelines.cli import _simulate
from sma.book import BookParams, generate_book
from tests.simulate.small_universe import SMALL_UNIVERSE


def app() -> typer.Typer:
    cli = typer.Typer()
    _simulate.register(cli)
    cli.command("noop")(lambda: None)  # a second command keeps typer's subcommand form
    return cli


@pytest.fixture(scope="module")
def prices(tmp_path_factory):
    """An inbox folder of a small universe's closes up to mid-2024."""
    as_of = date(2024, 6, 28)
    frames = generate_book(0, 4, as_of, BookParams(price_days=300, universe=SMALL_UNIVERSE))
    return write_inbox(frames, tmp_path_factory.mktemp("inbox"), as_of, "csv")


@pytest.mark.slow
def test_simulate_runs_on_price_files_extended_past_their_last_day_and_writes_the_report(
    prices, tmp_path
):
    """--prices-from: an inbox's closes; the vintage's year beyond them is drawn from a factor
    model."""
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        app(),
        [
            "simulate",
            "--years",
            "1",
            "--first-year",
            "2024",
            "--harvest-frequency",
            "MONTHLY",
            "--strategies",
            "TRACKING_ONLY,ENGINE",
            "--prices-from",
            str(prices),
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ENGINE" in result.output and "tax alpha" in result.output
    assert (out / "report.html").exists() and (out / "summary.csv").exists()


def test_an_unknown_frequency_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        app(), ["simulate", "--harvest-frequency", "HOURLY", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0 and "HOURLY" in result.output


@pytest.mark.slow
def test_a_first_year_outside_the_price_files_is_a_clear_error(prices, tmp_path):
    result = CliRunner().invoke(
        app(),
        [
            "simulate",
            "--years",
            "1",
            "--first-year",
            "2010",
            "--prices-from",
            str(prices),
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1 and "vintage 0" in result.output


def test_the_engine_strategy_is_simulated_with_the_firms_engine_and_risk_settings(
    tmp_path, monkeypatch
):
    import sma.simulate

    asked = {}

    def simulate(params, market=None, workers=1):
        asked["params"] = params
        raise ValueError("stop here")

    monkeypatch.setattr(sma.simulate, "simulate", simulate)
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SMA_ENGINE__RISK_AVERSION", "9")
    monkeypatch.setenv("SMA_RISK__HALFLIFE_DAYS", "30")
    result = CliRunner().invoke(app(), ["simulate", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "stop here" in result.output
    assert (
        asked["params"].engine.risk_aversion == 9.0 and asked["params"].risk.halflife_days == 30.0
    )


@pytest.mark.parametrize(("flag", "fractional"), [([], False), (["--fractional"], True)])
def test_fractional_simulates_accounts_that_allow_fractional_shares(
    tmp_path, monkeypatch, flag, fractional
):
    """Issue 17: ``--fractional`` sets every simulated account's fractional_shares; the custodian's
    decimals are the firm's ``[engine] fractional_decimals``."""
    import sma.simulate

    asked = {}

    def simulate(params, market=None, workers=1):
        asked["params"] = params
        raise ValueError("stop here")

    monkeypatch.setattr(sma.simulate, "simulate", simulate)
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SMA_ENGINE__FRACTIONAL_DECIMALS", "2")
    result = CliRunner().invoke(app(), ["simulate", *flag, "--out", str(tmp_path)])
    assert result.exit_code == 1 and "stop here" in result.output
    assert asked["params"].fractional_shares is fractional
    assert asked["params"].engine.fractional_decimals == 2


@pytest.mark.slow
def test_simulate_uma_prints_the_overlay_beside_independent_sleeves(prices, tmp_path):
    """--uma (issue 19, "Simulation"): UMA accounts run both ways on the path; the table printed
    and written."""
    out = tmp_path / "uma"
    result = CliRunner().invoke(
        app(),
        [
            "simulate",
            "--uma",
            "--years",
            "1",
            "--first-year",
            "2024",
            "--harvest-frequency",
            "MONTHLY",
            "--prices-from",
            str(prices),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "OVERLAY" in result.output and "INDEPENDENT" in result.output
    assert "tax_alpha" in result.output and "sleeve_tracking_error" in result.output
    assert (out / "uma.csv").exists() and (out / "uma_overview.csv").exists()


def test_a_bad_close_in_the_price_files_is_refused_by_file_row_column_and_rule(prices, tmp_path):
    """--prices-from is read by the night's own reader and suites (issue 18: one implementation
    of input reading); a close of 0 breaks prices.json's rule and nothing is simulated."""
    import shutil

    folder = tmp_path / prices.name
    shutil.copytree(prices, folder)
    lines = (folder / "prices.csv").read_text().splitlines()
    header = lines[0].replace('"', "").split(",")
    cells = lines[5].split(",")
    cells[header.index("close")] = "0"
    lines[5] = ",".join(cells)
    (folder / "prices.csv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        app(), ["simulate", "--years", "1", "--prices-from", str(folder), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert any(
        line.split()[:3] == ["prices.csv", "5", "close"] for line in result.output.splitlines()
    ), result.output
    assert not (tmp_path / "summary.csv").exists()
