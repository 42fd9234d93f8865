"""``sma status``: for the operator, where a night stands and what to do next."""

from __future__ import annotations

from datetime import date

import typer


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(
        as_of: str = typer.Option("", "--date", help="the as-of date, YYYY-MM-DD (default: today)"),
    ) -> None:
        """Each step of the night (done, interrupted, failed and why), whether a rerun is safe, the
        command."""
        from pipelines.night import Night
        from pipelines.night._status import night_status, render_status
        from pipelines.settings import load_settings

        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError:
            typer.echo(f"--date {as_of!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from None
        settings = load_settings()
        typer.echo(render_status(night_status(Night(day, settings.runs.dir, settings))))
