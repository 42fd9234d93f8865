"""``sma nightly``: the whole night in-process, on the embedded defaults (a DuckDB file, local
folders)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("nightly")
    def nightly(
        inbox: Path = typer.Option(
            ..., "--inbox", help="folder holding `<YYYY-MM-DD>/<file>.csv|parquet`"
        ),
        as_of: str = typer.Option(..., "--date", help="the as-of date, YYYY-MM-DD"),
        force: bool = typer.Option(False, "--force", help="redo a night that is already complete"),
        workers: int = typer.Option(
            0, "--workers", help="processes deciding shards (0 = from settings)"
        ),
    ) -> None:
        """Run the night: validate and load, prepare, screen and decide, check, propose the
        blotter."""
        from pipelines.ingest import InboxRejected
        from pipelines.night import Night, RunInProgress, WorkerDied, render_summary, run_night
        from pipelines.night._nightly import NightLocked
        from pipelines.settings import load_settings
        from pipelines.store import StoreError
        from sma.trading import BlotterRefused

        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"--date {as_of!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from None
        settings = load_settings()
        try:
            summary = run_night(day, inbox, settings, force=force, workers=workers or None)
        except InboxRejected as rejected:
            typer.echo(rejected.report, err=True)
            typer.echo(f"The inbox for {day} cannot be loaded: nothing was run.", err=True)
            raise typer.Exit(1) from None
        except (RunInProgress, StoreError, NightLocked, BlotterRefused) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        except WorkerDied as died:
            typer.echo(f"The night stopped: {died}", err=True)
            typer.echo(f"What was done and what to do: sma status --date {day}", err=True)
            raise typer.Exit(1) from None
        typer.echo(render_summary(Night(day, inbox, settings), summary))
