"""``pipelines.firm`` (issue 21, "Firm view"): a store that cannot answer for the date is a clear
refusal naming the store and the date, never an empty page or a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.firm import QUERIES, FirmViewError, write_firm_view
from pipelines.settings import Settings
from pipelines.store import open_store


def settings(tmp_path) -> Settings:
    return Settings(store={"path": tmp_path / "store.duckdb"}, runs={"dir": tmp_path / "runs"})


def test_no_store_is_refused_with_where_it_was_looked_for(tmp_path):
    with pytest.raises(FirmViewError, match=r"no store at .*store\.duckdb"):
        write_firm_view(settings(tmp_path), date(2026, 11, 3))


def test_a_store_without_a_night_on_or_before_the_date_is_refused(tmp_path):
    with open_store(tmp_path / "store.duckdb"):
        pass  # created and migrated, no night loaded
    with pytest.raises(FirmViewError, match="holds no night on or before 2026-11-03"):
        write_firm_view(settings(tmp_path), date(2026, 11, 3))
    assert not (tmp_path / "runs").exists()


def test_every_query_runs_on_an_empty_store(tmp_path):
    # The SQL is valid against the current schema even where no rows answer it.
    with open_store(tmp_path / "store.duckdb") as con:
        for name, sql in QUERIES.items():
            if "$lockup" in sql or "$holdings" in sql:
                continue
            params = {k: date(2026, 11, 3) for k in ("d", "run") if f"${k}" in sql}
            assert len(con.execute(sql, params).df().columns) > 0, name


def command():
    import typer

    from pipelines.cli import _firm

    app = typer.Typer()
    _firm.register(app)
    return app


def test_the_command_refuses_a_date_that_is_not_one(tmp_path):
    from typer.testing import CliRunner

    result = CliRunner().invoke(command(), ["--date", "03/11/2026"])
    assert result.exit_code == 2 and "is not a date (YYYY-MM-DD)" in result.output


def test_the_command_says_where_there_is_no_store_and_exits_1(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    (tmp_path / "sma.toml").write_text(f'[store]\npath = "{tmp_path / "none.duckdb"}"\n')
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "sma.toml"))
    result = CliRunner().invoke(command(), ["--date", "2026-11-03"])
    assert result.exit_code == 1 and "no store at" in result.output
