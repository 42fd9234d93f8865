"""``sma statements --period 2026-Q3``: client PDF statements and Form 8949 reports for a period."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("statements")
    def statements(
        period: str = typer.Option(
            ..., "--period", help="a quarter (2026-Q3) or a month (2026-09)"
        ),
        out: Path = typer.Option(
            None, "--out", help="folder for the PDFs (default: `<runs.dir>/../statements/<period>`)"
        ),
        account: list[str] = typer.Option(
            None, "--account", help="only these accounts (repeatable)"
        ),
    ) -> None:
        """Write one statement PDF per account (and a Form 8949 report per taxable account)."""
        from pipelines.settings import load_settings
        from pipelines.statements import StatementError, write_statements
        from pipelines.store import StoreError
        from sma.reporting import ReportDataError, UnsafeIdError

        try:
            written = write_statements(period, load_settings(), out, account or None)
        except (StatementError, StoreError, ReportDataError, UnsafeIdError) as err:
            typer.echo(f"sma statements: {err}", err=True)
            raise typer.Exit(1) from None
        folder = written[0].parent if written else out
        typer.echo(f"{len(written)} statement(s) for {period} in {folder}")
