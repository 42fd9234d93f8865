"""``sma firm --date D [--out FILE]``: the firm view, one HTML page read from the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("firm")
    def firm(
        as_of: str = typer.Option(..., "--date", help="the as-of date, YYYY-MM-DD"),
        out: Path | None = typer.Option(
            None, "--out", help="the HTML file to write (default: `<runs dir>/firm-<date>.html`)"
        ),
    ) -> None:
        """Gain budget used, lock-up, tracking-error contributors, exceptions and harvests across
        every account, each figure traceable to its SQL."""
        from pipelines.firm import FirmViewError, write_firm_view
        from pipelines.settings import load_settings
        from pipelines.store import StoreError

        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"--date {as_of!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from None
        try:
            path = write_firm_view(load_settings(), day, out)
        except (FirmViewError, StoreError) as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(1) from None
        typer.echo(f"Firm view: {path.resolve()}")
