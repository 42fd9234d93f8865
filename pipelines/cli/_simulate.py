"""``sma simulate``: years of nights on a simulated path, the engine beside simpler strategies."""

from __future__ import annotations

import time
from pathlib import Path

import typer


def simulate(
    years: int = typer.Option(10, "--years", min=1, help="Calendar years each vintage runs."),
    vintages: int = typer.Option(1, "--vintages", min=1, help="Start dates, one year apart."),
    first_year: int = typer.Option(
        2015, "--first-year", help="The first vintage starts in January of this year."
    ),
    seed: int = typer.Option(7, "--seed", help="Same seed, same path, same report."),
    accounts: int = typer.Option(
        1,
        "--accounts-per-profile",
        min=1,
        help="Accounts of each profile (lump sum, monthly, withdrawals, transition).",
    ),
    frequency: str = typer.Option(
        "WEEKLY", "--harvest-frequency", help="DAILY, WEEKLY or MONTHLY."
    ),
    held_away: str = typer.Option(
        "UNLIMITED", "--held-away", help="UNLIMITED, LONG_TERM_ONLY or NONE."
    ),
    st_rate: float = typer.Option(0.408, "--st-rate", help="Short-term tax rate."),
    lt_rate: float = typer.Option(0.238, "--lt-rate", help="Long-term tax rate."),
    tracking_error: float = typer.Option(
        0.01, "--max-tracking-error", help="Tracking-error budget (annual)."
    ),
    initial: float = typer.Option(1_000_000.0, "--initial-value", help="USD funded per account."),
    contribution: float = typer.Option(
        10_000.0, "--monthly-contribution", help="USD a month (MONTHLY accounts)."
    ),
    withdrawal: float = typer.Option(
        4_000.0, "--monthly-withdrawal", help="USD a month (WITHDRAWALS accounts)."
    ),
    threshold: float = typer.Option(
        0.10, "--harvest-threshold", help="THRESHOLD strategy: harvest lots down more."
    ),
    fractional: bool = typer.Option(
        False,
        "--fractional",
        help="The accounts allow fractional shares: the ENGINE strategy trades to the custodian's "
        "decimals ([engine] fractional_decimals); the baselines keep whole shares. Without it, "
        "whole shares.",
    ),
    strategies: str = typer.Option(
        "TRACKING_ONLY,THRESHOLD,ENGINE",
        "--strategies",
        show_default=False,
        help="Comma-separated, of TRACKING_ONLY, THRESHOLD and ENGINE. [default: all three]",
    ),
    out: Path = typer.Option(
        Path("simulation"), "--out", help="Folder for report.html and the CSVs."
    ),
    prices_from: Path | None = typer.Option(
        None,
        "--prices-from",
        help="An inbox date folder (securities, prices, benchmarks): run on its closes, "
        "extended by the factor model past its last day. Default: the market model.",
    ),
    corporate_action_rate: float = typer.Option(
        1.0,
        "--corporate-action-rate",
        metavar="TIMES",
        min=0.0,
        help="Corporate actions on the path, times the realistic yearly rates (mergers, "
        "spin-offs, ticker changes, returns of capital); 0 = none.",
    ),
    workers: int = typer.Option(
        2, "--workers", min=1, help="Processes (results do not depend on it)."
    ),
    uma: bool = typer.Option(
        False,
        "--uma",
        help="Instead of the strategies: model-delivered UMA accounts (2-4 sleeves following "
        "outside managers' models, each profile but TRANSITION) run as one overlay and as "
        "sleeves traded independently over the first vintage, with the engine; writes uma.csv "
        "and uma_overview.csv and prints the comparison.",
    ),
) -> None:
    """Run the engine and ledger day by day over a simulated path and write the report.

    The ENGINE strategy trades with the firm's [engine] and [risk] settings, as the night does.
    """
    from pipelines.errors import PipelineError
    from pipelines.settings import load_settings
    from pipelines.simulate import read_market, write_report
    from sma.simulate import HarvestFrequency, HeldAwayGains, SimulationParams, Strategy
    from sma.simulate import simulate as run

    settings = load_settings()
    try:
        params = SimulationParams(
            years=years,
            vintages=vintages,
            first_year=first_year,
            seed=seed,
            accounts_per_profile=accounts,
            harvest_frequency=HarvestFrequency(frequency.upper()),
            held_away=HeldAwayGains(held_away.upper()),
            st_tax_rate=st_rate,
            lt_tax_rate=lt_rate,
            max_tracking_error=tracking_error,
            initial_value=initial,
            monthly_contribution=contribution,
            monthly_withdrawal=withdrawal,
            harvest_threshold=threshold,
            fractional_shares=fractional,
            corporate_action_rate=corporate_action_rate,
            strategies=tuple(
                Strategy(s.strip().upper()) for s in strategies.split(",") if s.strip()
            ),
            engine=settings.engine_params(),
            risk=settings.risk_model_params(),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    started = time.perf_counter()
    try:
        market = read_market(prices_from, params, seed) if prices_from is not None else None
    except PipelineError as exc:
        typer.echo(f"error: {prices_from}:\n{exc}", err=True)
        raise typer.Exit(1) from None
    if uma:
        _uma(params, market, out, started)
        return
    try:
        result = run(params, market, workers=workers)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    files = write_report(result, out)
    seconds = time.perf_counter() - started
    typer.echo(
        f"Simulated {result.account_days:,} account-days in {seconds:.1f} s "
        f"({result.account_days / max(seconds, 1e-9):,.0f} per second); report: {files['report']}"
    )
    s = result.summary.groupby("strategy")[
        ["tax_alpha", "tax_alpha_liquidated", "tracking_error"]
    ].mean()
    for strategy, row in s.iterrows():
        typer.echo(
            f"  {strategy:<14} tax alpha {row['tax_alpha']:+.2%}/yr "
            f"(liquidated {row['tax_alpha_liquidated']:+.2%}), tracking error "
            f"{row['tracking_error']:.2%}"
        )


def _uma(params, market, out: Path, started: float) -> None:
    """``--uma``: the overlay beside independent sleeves, as a table."""
    from pipelines.simulate import write_uma_report
    from sma.simulate import simulate_uma, uma_overview

    try:
        table = simulate_uma(params, market)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    files = write_uma_report(table, out)
    typer.echo(
        f"Simulated {table['account_id'].nunique()} UMA accounts both ways in "
        f"{time.perf_counter() - started:.1f} s; table: {files['uma']}"
    )
    typer.echo(uma_overview(table).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the ``sma`` app."""
    app.command("simulate")(simulate)
