"""``sma book generate``: the command writes a dated inbox and says what it wrote."""

import typer
from typer.testing import CliRunner

from pipelines.cli import _book

app = typer.Typer()
_book.register(app)
runner = CliRunner()


def test_book_generate_writes_every_inbox_file(tmp_path):
    result = runner.invoke(
        app,
        [
            "book",
            "generate",
            "--accounts",
            "3",
            "--seed",
            "5",
            "--date",
            "2026-11-24",
            "--inbox",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2026-11-24"
    assert (folder / "lots.csv").exists() and (folder / "prices.csv").exists()
    assert "3 accounts" in result.output
    # The default writes at least two years of closes.
    assert len((folder / "prices.csv").read_text().splitlines()) > 2 * 252 * 500


def test_book_generate_refuses_a_weekend_date(tmp_path):
    result = runner.invoke(
        app,
        [
            "book",
            "generate",
            "--accounts",
            "3",
            "--seed",
            "5",
            "--date",
            "2026-11-28",
            "--inbox",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "not a business day" in result.output


def test_book_generate_refuses_an_unknown_format(tmp_path):
    result = runner.invoke(
        app,
        [
            "book",
            "generate",
            "--accounts",
            "1",
            "--seed",
            "5",
            "--date",
            "2026-11-24",
            "--inbox",
            str(tmp_path),
            "--format",
            "xlsx",
        ],
    )
    assert result.exit_code != 0
