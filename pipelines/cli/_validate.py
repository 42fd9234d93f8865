"""``sma validate --inbox DIR --date D``: check a night's inbox against ``data_contracts/``.

Prints the readable report and exits 1 when anything is wrong, 0 when the inbox is clean. Bad
input never shows a traceback: every problem is a line of the report (the first
``max_errors_reported``; the summary counts them all). The inbox is streamed through a staging
database in a temporary folder, so a book larger than memory validates.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def validate(
    inbox: Path = typer.Option(
        ..., "--inbox", help="The inbox folder; the night's files are in `DIR/<date>/`."
    ),
    as_of: str = typer.Option(..., "--date", help="The as-of date of the night, YYYY-MM-DD."),
) -> None:
    """Check every inbox file and the rules between files; exit 1 on any error."""
    from pipelines.settings import load_settings
    from pipelines.validate import render_report, validate_inbox

    day = _parse_date(as_of)
    settings = load_settings().validation
    result = validate_inbox(inbox, day, settings)
    typer.echo(render_report(result, max_issues=settings.max_errors_reported))
    raise typer.Exit(code=0 if result.ok else 1)


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate)
