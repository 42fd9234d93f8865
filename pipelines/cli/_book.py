"""``sma book generate``: write a realistic, fictional inbox for one as-of date."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import typer

from sma.inbox import INBOX_FORMATS


def _parse_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD") from exc


def generate(
    accounts: int = typer.Option(..., "--accounts", min=0, help="How many accounts to generate."),
    seed: int = typer.Option(..., "--seed", help="Same seed, same files, byte for byte."),
    as_of: str = typer.Option(..., "--date", help="As-of date YYYY-MM-DD (a weekday)."),
    inbox: Path = typer.Option(..., "--inbox", help="Inbox folder; files go to `INBOX/<date>/`."),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
) -> None:
    """Generate a book of ACCOUNTS accounts and write it as the inbox for DATE."""
    from pipelines.book import write_book
    from sma.book import BookError

    if fmt not in INBOX_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(INBOX_FORMATS)}, not {fmt!r}")
    day = _parse_date(as_of)
    started = time.perf_counter()
    try:
        written = write_book(accounts, seed, day, inbox, fmt)
    except BookError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    seconds = time.perf_counter() - started
    rows = written.rows
    typer.echo(f"Wrote the inbox for {day} to {written.folder} ({fmt}) in {seconds:.1f} s:")
    typer.echo(
        f"  {rows['accounts']:,} accounts, {rows['securities']:,} securities, "
        f"{rows['prices']:,} daily closes, {rows['benchmarks']:,} benchmark weights"
    )
    typer.echo(
        f"  {rows['lots']:,} lots in {rows['positions']:,} positions, "
        f"{rows['transactions']:,} transactions, {rows['restrictions']:,} restrictions, "
        f"{rows['cash_flows']:,} cash flows"
    )


def register(app: typer.Typer) -> None:
    """Add the ``book`` command group to the ``sma`` app."""
    book = typer.Typer(
        help="Generate realistic fictional books.",
        no_args_is_help=True,
        rich_markup_mode="markdown",
    )
    book.command("generate")(generate)
    app.add_typer(book, name="book")
