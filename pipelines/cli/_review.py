"""``sma review --run RUN``: where the run review page is, and the night's headline figures."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review(
        run: str = typer.Option(..., "--run", help="the run id (its as-of date, YYYY-MM-DD)"),
        serve: bool = typer.Option(
            False,
            "--serve",
            help="also serve the page (and its accounts.csv) on http://127.0.0.1 only",
        ),
        port: int = typer.Option(8765, "--port"),
    ) -> None:
        """Print where the run's review page is and its headline figures."""
        import json

        from pipelines.settings import load_settings
        from sma.reporting import UnsafeIdError, safe_file_name

        settings = load_settings()
        try:
            run_dir = Path(settings.runs.dir) / safe_file_name(run)
        except UnsafeIdError as err:
            typer.echo(str(err), err=True)
            raise typer.Exit(2) from None
        page, summary_file = run_dir / "review.html", run_dir / "summary.json"
        if not page.exists() or not summary_file.exists():
            typer.echo(
                f"run {run} has no review page under {run_dir}: has the night of {run} run?",
                err=True,
            )
            raise typer.Exit(1)
        s = json.loads(summary_file.read_text())
        typer.echo(f"Review page: {page.resolve()}")
        typer.echo(
            f"  accounts {s['accounts']:,} · screened {s['accounts_screened']:,} · traded "
            f"{s['accounts_traded']:,}"
            f" · held out {s['accounts_held']:,}"
        )
        typer.echo(f"  orders {s['orders']:,} · notional ${s['notional']:,.0f}")
        if "exceptions" in s:
            kinds = ", ".join(f"{k} {n:,}" for k, n in s["exceptions"].items() if n)
            typer.echo(
                f"  exceptions {sum(s['exceptions'].values()):,}" + (f" ({kinds})" if kinds else "")
            )
        for line in tax_lines(s, run_dir / "accounts.csv"):
            typer.echo(line)
        from pipelines.reports import blotter_state

        typer.echo(f"  blotter {blotter_state(run_dir) or 'none'}")
        for flag in s.get("run_total_flags", []):
            typer.echo(f"  RUN TOTALS: {flag}")
        if serve:
            from pipelines.reports import review_server

            server = review_server(run_dir, port)
            typer.echo(
                f"Serving http://127.0.0.1:{server.server_address[1]}/review.html — Ctrl-C to stop"
            )
            try:
                with suppress(KeyboardInterrupt):  # Ctrl-C is how the PM stops it
                    server.serve_forever()
            finally:
                server.server_close()


def tax_lines(summary: dict, accounts_csv: Path) -> list[str]:
    """The night's tax figures: harvested and saved, then TAXABLE accounts' gains, tax cost and gain
    budgets.

    Gains, tax cost and budgets come from ``accounts.csv`` (every account of the night), summed by
    ``sma.reporting.tax_totals`` as the page sums them: IRA and ROTH sales are not taxable and are
    reported apart. A run written before these columns existed prints the summary's all-account
    gains.
    """
    import pandas as pd

    from sma.ledger import money
    from sma.reporting import TAX_COLUMNS, tax_totals

    def usd(x: float) -> str:
        return money(float(x), cents=False)

    s = summary
    head = (
        f"  losses harvested {usd(s['losses_harvested'])} · est. tax saved "
        f"{usd(s['est_tax_saved'])}"
    )
    accounts = pd.read_csv(accounts_csv) if accounts_csv.exists() else pd.DataFrame()
    if not set(TAX_COLUMNS) <= set(accounts.columns):
        return [
            head + " · gains realized, taxable accounts "
            f"{usd(s['gains_realized_st'] + s['gains_realized_lt'])}"
        ]
    t = tax_totals(accounts)
    net_tax = t["tax_cost"] - float(s["est_tax_saved"])
    return [
        head + f" · est. tax cost {usd(t['tax_cost'])} · net est. tax {usd(net_tax)}",
        f"  gains realized, taxable accounts {usd(t['gains_realized_st'] + t['gains_realized_lt'])}"
        f" (short {usd(t['gains_realized_st'])}, long {usd(t['gains_realized_lt'])});"
        f" IRA/ROTH {usd(t['untaxed_net'])}, not taxable",
        f"  gain budgets {t['budgeted']:,} accounts · used {usd(t['budget_used'])} of "
        f"{usd(t['gain_budget'])}"
        f" · left {usd(t['budget_left'])} · over budget {t['over_budget']:,}",
    ]
