"""``sma propose``: proposals before an account is funded (issue 21) -- a transition plan for
legacy holdings, and what each restriction, screen and tilt costs."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

propose_app = typer.Typer(
    help="Proposals for a prospect or an account: transition plans and what-if.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

_PRICES_HELP = (
    "An inbox date folder (securities, prices, benchmarks): the plan starts at its last close "
    "and runs on the factor model fitted to them. Default: the firm's market model for --seed."
)


@propose_app.command("transition")
def transition(
    holdings: Path | None = typer.Option(
        None,
        "--holdings",
        help="CSV/Parquet: symbol, price (USD), optional name, quantity. Needed for positions "
        "outside the firm's universe.",
    ),
    lots: Path = typer.Option(
        ...,
        "--lots",
        help="CSV/Parquet, the inbox lots format: symbol, quantity, cost_basis, "
        "acquired_date (optional lot_id, account_id).",
    ),
    cash: float = typer.Option(0.0, "--cash", min=0.0, help="USD funded with the lots."),
    benchmark: str | None = typer.Option(
        None, "--benchmark", help="Benchmark id (default: the market's first)."
    ),
    budgets: str = typer.Option(
        "0,25000,100000,none",
        "--budgets",
        help="Annual gain budgets in USD, comma-separated; 'none' = no limit.",
    ),
    years: int = typer.Option(5, "--years", min=1, help="Horizon, years."),
    out: Path = typer.Option(Path("proposal"), "--out", help="Folder for the PDF and CSVs."),
    prices_from: Path | None = typer.Option(None, "--prices-from", help=_PRICES_HELP),
    seed: int = typer.Option(7, "--seed", help="Same seed, same path, same proposal."),
    client: str = typer.Option("Prospective client", "--client", help="Name on the proposal."),
    frequency: str = typer.Option(
        "MONTHLY", "--frequency", help="Decision days: DAILY, WEEKLY or MONTHLY."
    ),
    held_away: str = typer.Option(
        "UNLIMITED",
        "--held-away",
        help="What the client's gains held elsewhere let net losses offset: UNLIMITED (save "
        "tax at their rate), LONG_TERM_ONLY, or NONE ($3,000 a year of ordinary income, the rest "
        "carried forward).",
    ),
) -> None:
    """Simulate the prospect's lots year by year under each gain budget; write transition.pdf."""
    from pipelines.proposals import (
        ProposalInputError,
        TransitionRequest,
        parse_budgets,
        render_plan,
        run_transition,
    )
    from pipelines.settings import load_settings
    from sma.simulate import HarvestFrequency, HeldAwayGains

    started = time.perf_counter()
    if held_away.upper() not in {h.value for h in HeldAwayGains}:
        typer.echo(
            f"error: --held-away {held_away!r}: one of {', '.join(h.value for h in HeldAwayGains)}",
            err=True,
        )
        raise typer.Exit(1)
    try:
        request = TransitionRequest(
            lots,
            holdings,
            cash,
            benchmark,
            parse_budgets(budgets),
            years,
            out,
            prices_from,
            seed,
            client,
            HarvestFrequency(frequency.upper()),
            HeldAwayGains(held_away.upper()),
        )
        done = run_transition(request, load_settings())
    except (ProposalInputError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    profile = done.profile
    typer.echo(
        f"{client}: {profile.value:,.0f} USD, {profile.complexity}; suggested: "
        f"{profile.implementation or 'neither SMA nor UMA'}"
    )
    typer.echo(render_plan(done.plan))
    typer.echo(
        f"Proposal: {done.files['pdf']}  (plan.csv, lots_sold.csv beside it; "
        f"{time.perf_counter() - started:.1f} s)"
    )


@propose_app.command("whatif")
def whatif(
    account: str | None = typer.Option(None, "--account", help="An account of the store."),
    as_of: str | None = typer.Option(None, "--date", help="The store's snapshot (YYYY-MM-DD)."),
    holdings: Path | None = typer.Option(None, "--holdings", help="A prospect's holdings."),
    lots: Path | None = typer.Option(
        None, "--lots", help="A prospect's lots (instead of --account)."
    ),
    cash: float = typer.Option(0.0, "--cash", min=0.0, help="A prospect's cash, USD."),
    benchmark: str | None = typer.Option(None, "--benchmark", help="A prospect's benchmark id."),
    gain_budget: float | None = typer.Option(
        None, "--gain-budget", min=0.0, help="A prospect's annual gain budget, USD (default none)."
    ),
    restrictions: Path | None = typer.Option(
        None, "--restrictions", help="Inbox restrictions format: kind, symbol|sector|esg_tag."
    ),
    tilts: Path | None = typer.Option(
        None, "--tilts", help="Inbox tilts format: sector|symbol, multiplier."
    ),
    out: Path = typer.Option(Path("proposal"), "--out", help="Folder for whatif.pdf and the CSV."),
    prices_from: Path | None = typer.Option(None, "--prices-from", help=_PRICES_HELP),
    seed: int = typer.Option(7, "--seed"),
    client: str = typer.Option("Prospective client", "--client"),
) -> None:
    """What each restriction, ESG screen and tilt costs alone and together: tracking error and
    first-year tax; writes whatif.pdf."""
    from pipelines.proposals import ProposalInputError, WhatIfRequest, run_whatif
    from pipelines.settings import load_settings

    if (account is None) == (lots is None):
        typer.echo("error: give --account and --date, or --lots (a prospect)", err=True)
        raise typer.Exit(2)
    if account is not None and as_of is None:
        typer.echo("error: --account needs --date", err=True)
        raise typer.Exit(2)
    request = WhatIfRequest(
        restrictions,
        tilts,
        out,
        account,
        date.fromisoformat(as_of) if as_of else None,
        lots,
        holdings,
        cash,
        benchmark,
        prices_from,
        seed,
        client,
        gain_budget,
    )
    try:
        done = run_whatif(request, load_settings())
    except (ProposalInputError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    table = done.result.table
    typer.echo(
        table.to_string(
            index=False,
            formatters={
                "tracking_error": "{:.2%}".format,
                **{
                    c: "{:,.0f}".format
                    for c in ("st_gain", "lt_gain", "tax", "tax_vs_plain", "sold")
                },
            },
        )
    )
    typer.echo(f"Proposal: {done.files['pdf']}")


def register(app: typer.Typer) -> None:
    """Add the ``propose`` group to the ``sma`` app."""
    app.add_typer(propose_app, name="propose")
