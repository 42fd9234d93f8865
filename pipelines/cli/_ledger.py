"""``sma ledger replay``: the tax-lot ledger on its own, for audits (PRODUCT.md, "Interfaces")."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ReplayMethod(StrEnum):
    FIFO = "FIFO"
    LIFO = "LIFO"
    HIFO = "HIFO"
    MINTAX = "MINTAX"


def register(app: typer.Typer) -> None:
    ledger = typer.Typer(
        help="The tax-lot ledger: replay transactions into lots and realized gains.",
        no_args_is_help=True,
        rich_markup_mode="markdown",
    )

    @ledger.command("replay")
    def replay(
        accounts: Annotated[
            Path, typer.Option("--accounts", help="CSV: account_id, household_id, account_type")
        ],
        lots: Annotated[
            Path,
            typer.Option("--lots", help="CSV of opening lots (inbox lots columns; may be empty)"),
        ],
        transactions: Annotated[
            Path,
            typer.Option(
                "--transactions", help="CSV: seq, account_id, trade_date, action, symbol, ..."
            ),
        ],
        method: Annotated[
            ReplayMethod, typer.Option("--method", help="lot relief for sells that name no lots")
        ],
        out: Annotated[
            Path, typer.Option("--out", help="folder for realized.csv and open_lots.csv")
        ],
    ) -> None:
        """Apply transactions in seq order; write realized.csv and open_lots.csv, or nothing on
        error."""
        from pipelines.ledger_replay import replay_files
        from pipelines.validate import ReplayInputError

        try:
            written = replay_files(accounts, lots, transactions, method.value, out)
        except ReplayInputError as error:
            typer.echo(f"sma ledger replay: nothing written\n{error}", err=True)
            raise typer.Exit(1) from None
        for path in written:
            typer.echo(f"wrote {path}")

    app.add_typer(ledger, name="ledger")
