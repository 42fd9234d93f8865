"""``sma propose transition`` and ``sma propose whatif`` end to end: files in, PDF and CSVs out,
figures checked against independent computations (issue 21)."""

import shutil
import subprocess
from datetime import date

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from pipelines.book import write_inbox
from pipelines.cli import _propose
from sma.book import OUTSIDE_FUND, BookParams, generate_book, generate_prospect
from sma.proposals import with_outside_holdings
from sma.risk import RiskModelParams, estimate_risk_model, returns_from_prices
from sma.simulate import SimulationParams, market_from_frames
from tests.simulate.small_universe import SMALL_UNIVERSE

AS_OF = date(2025, 12, 31)


def app() -> typer.Typer:
    cli = typer.Typer()
    _propose.register(cli)
    cli.command("noop")(lambda: None)
    return cli


@pytest.fixture(scope="module")
def prospect(tmp_path_factory):
    """An inbox folder of a small universe's closes, and a generated prospect's files on it."""
    root = tmp_path_factory.mktemp("prospect")
    frames = generate_book(0, 4, AS_OF, BookParams(price_days=300, universe=SMALL_UNIVERSE))
    folder = write_inbox(frames, root / "inbox", AS_OF, "csv")
    path = market_from_frames(
        pd.read_csv(folder / "securities.csv"),
        pd.read_csv(folder / "prices.csv"),
        pd.read_csv(folder / "benchmarks.csv"),
    )
    t = path.dates.size - 1
    drawn = generate_prospect(
        4, path.symbols, path.closes[t], path.index_weights(t)[0], path.dates[t]
    )
    drawn.lots.to_csv(root / "lots.csv", index=False)
    drawn.holdings.to_csv(root / "holdings.csv", index=False)
    return root, folder, drawn, path


@pytest.mark.slow
def test_transition_writes_the_proposal_and_its_tax_is_the_gains_at_the_stated_rates(
    prospect, tmp_path
):
    root, folder, drawn, _ = prospect
    out = tmp_path / "proposal"
    result = CliRunner().invoke(
        app(),
        [
            "propose",
            "transition",
            "--lots",
            str(root / "lots.csv"),
            "--holdings",
            str(root / "holdings.csv"),
            "--cash",
            str(drawn.cash),
            "--budgets",
            "0,none",
            "--years",
            "1",
            "--prices-from",
            str(folder),
            "--client",
            "Ada Prospect",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "MANAGER_TRADED" in result.output and "no limit" in result.output
    plan = pd.read_csv(out / "plan.csv")
    params = SimulationParams()
    # Gains of one sign in both terms are taxed each at its rate (no netting across terms).
    same_sign = (np.sign(plan["st_gain"]) * np.sign(plan["lt_gain"])) >= 0
    assert same_sign.any()
    expected = params.st_tax_rate * plan["st_gain"] + params.lt_tax_rate * plan["lt_gain"]
    np.testing.assert_allclose(plan.loc[same_sign, "tax_paid"], expected[same_sign], atol=0.01)
    sold = pd.read_csv(out / "lots_sold.csv")
    assert (sold.loc[sold["budget"] == 0, "gain"] <= 0).all()
    assert ((sold["budget"] == np.inf) & (sold["symbol"] == drawn.lots["symbol"].iloc[0])).any()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "transition.pdf"), "-"], capture_output=True, check=True
        ).stdout.decode()
        for phrase in (
            "Portfolio size",
            "Number of accounts",
            "Manager-traded SMA",
            "Ada Prospect",
        ):
            assert phrase in text
        assert "OUTFX" in text and "40.0%" in text


@pytest.mark.slow
def test_whatif_of_a_prospect_prints_each_preference_and_its_tracking_error_from_the_model(
    prospect, tmp_path
):
    root, folder, drawn, path = prospect
    sector = "Energy"
    (tmp_path / "restrictions.csv").write_text(f"account_id,kind,sector\nP,EXCLUDE,{sector}\n")
    out = tmp_path / "whatif"
    result = CliRunner().invoke(
        app(),
        [
            "propose",
            "whatif",
            "--lots",
            str(root / "lots.csv"),
            "--holdings",
            str(root / "holdings.csv"),
            "--cash",
            str(drawn.cash),
            "--prices-from",
            str(folder),
            "--restrictions",
            str(tmp_path / "restrictions.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "plain benchmark" in result.output and f"EXCLUDE sector {sector}" in result.output
    table = pd.read_csv(out / "whatif.csv")
    assert table["tracking_error"].iloc[0] == 0.0
    # Independently: the benchmark without the sector, renormalised, the cash target set aside,
    # against the plain benchmark, on a model estimated from the same year of closes (the outside
    # fund among them, as the command puts it on the path with its default seed).
    t = path.dates.size - 1
    outside = drawn.holdings[drawn.holdings["symbol"] == OUTSIDE_FUND[0]]
    path = with_outside_holdings(path, t, outside, 7)
    model = estimate_risk_model(
        returns_from_prices(path.closes[t - 252 : t + 1]),
        path.symbols,
        path.securities["sector"].to_numpy(str),
        RiskModelParams(),
    )
    w = path.index_weights(t)[0]
    invested = 1.0 - SimulationParams().cash_target
    kept = np.where(path.securities["sector"].to_numpy(str) == sector, 0.0, w)
    active = (kept / kept.sum() - w) * invested
    sigma = model.exposures @ model.factor_cov @ model.exposures.T + np.diag(model.specific_var)
    assert table["tracking_error"].iloc[1] == pytest.approx(
        np.sqrt(active @ sigma @ active), rel=1e-6
    )
    assert (out / "whatif.pdf").stat().st_size > 1000


def test_whatif_needs_an_account_or_a_prospect(tmp_path):
    result = CliRunner().invoke(app(), ["propose", "whatif", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--account" in result.output


def test_a_lot_outside_the_universe_without_a_price_is_refused(prospect, tmp_path):
    root, folder, drawn, _ = prospect
    result = CliRunner().invoke(
        app(),
        [
            "propose",
            "transition",
            "--lots",
            str(root / "lots.csv"),
            "--prices-from",
            str(folder),
            "--years",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "OUTFX" in result.output and "holdings" in result.output


@pytest.mark.slow
def test_whatif_of_an_account_in_the_store_reads_its_lots_and_cash_of_that_night(tmp_path):
    """--account/--date: the account's lots, cash and rates from the store's snapshot; no
    preference asked is the plain benchmark (tracking error 0)."""
    from pipelines.ingest import ingest
    from pipelines.proposals import WhatIfRequest, run_whatif
    from pipelines.settings import Settings

    day = date(2026, 3, 31)
    frames = generate_book(4, 6, day, BookParams(price_days=300, universe=SMALL_UNIVERSE))
    write_inbox(frames, tmp_path / "inbox", day, "csv")
    settings = Settings(store={"path": tmp_path / "store.duckdb"}, runs={"dir": tmp_path / "runs"})
    ingest(tmp_path / "inbox", day, settings)
    accounts = frames["accounts"]
    taxable = accounts[accounts["account_type"] == "TAXABLE"]["account_id"].astype(str)
    account = taxable.iloc[0]
    (tmp_path / "tilts.csv").write_text("account_id,sector,multiplier\nX,Health Care,1.5\n")
    done = run_whatif(
        WhatIfRequest(None, tmp_path / "tilts.csv", tmp_path / "out", account, day), settings
    )
    table = done.result.table
    assert list(table["scenario"]) == ["plain benchmark", "tilt sector Health Care x1.5"]
    assert table["tracking_error"].iloc[0] == 0.0 and table["tracking_error"].iloc[1] > 0
    lots = frames["lots"][frames["lots"]["account_id"].astype(str) == account]
    assert done.profile.lots == len(lots)
    cash = frames["cash"]
    held = float(cash.loc[cash["account_id"].astype(str) == account, "amount"].sum())
    assert done.profile.cash == pytest.approx(held)
    assert (tmp_path / "out" / "whatif.pdf").exists()


def test_an_unknown_benchmark_is_refused_before_any_simulation(prospect, tmp_path):
    root, folder, _, _ = prospect
    result = CliRunner().invoke(
        app(),
        ["propose", "transition", "--lots", str(root / "lots.csv")]
        + ["--holdings", str(root / "holdings.csv"), "--prices-from", str(folder)]
        + ["--benchmark", "NOPE", "--out", str(tmp_path)],
    )
    assert result.exit_code == 1 and "NOPE" in result.output


@pytest.mark.slow
def test_a_transition_for_a_client_without_gains_elsewhere_saves_tax_on_3000_dollars_a_year(
    prospect, tmp_path
):
    """``--held-away NONE``: a net loss offsets at most $3,000 of ordinary income a year (IRC
    section 1211(b)) and the rest carries forward (section 1212(b)); the proposal says so among its
    assumptions. The $0 budget realizes only losses, so no year saves more than $3,000 at the
    short-term rate."""
    root, folder, drawn, _ = prospect
    out = tmp_path / "proposal"
    result = CliRunner().invoke(
        app(),
        ["propose", "transition", "--lots", str(root / "lots.csv")]
        + ["--holdings", str(root / "holdings.csv"), "--cash", str(drawn.cash)]
        + ["--budgets", "0", "--years", "1", "--prices-from", str(folder)]
        + ["--held-away", "none", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(out / "plan.csv")
    assert (plan["st_gain"] + plan["lt_gain"] < -3_000.0).any()  # the limit binds
    assert (plan["tax_paid"] >= -SimulationParams().st_tax_rate * 3_000.0 - 0.01).all()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "transition.pdf"), "-"], capture_output=True, check=True
        ).stdout.decode()
        assert "no gains held elsewhere" in " ".join(text.split())
        assert "Carryforward" in text  # the loss beyond $3,000, into the next year


def test_an_unknown_held_away_assumption_is_refused_before_any_simulation(prospect, tmp_path):
    root, folder, _, _ = prospect
    result = CliRunner().invoke(
        app(),
        ["propose", "transition", "--lots", str(root / "lots.csv")]
        + ["--holdings", str(root / "holdings.csv"), "--prices-from", str(folder)]
        + ["--held-away", "SOME", "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "--held-away 'SOME': one of UNLIMITED, LONG_TERM_ONLY, NONE" in result.output


def test_whatif_of_an_account_needs_its_date(tmp_path):
    result = CliRunner().invoke(app(), ["propose", "whatif", "--account", "A1"])
    assert result.exit_code == 2 and "--date" in result.output


@pytest.mark.slow
def test_the_demo_writes_a_transition_proposal_for_its_generated_prospect(prospect, tmp_path):
    """``make demo``'s last step (issue 21, "Done when"): a prospect with a concentrated
    position, and its proposal on tonight's closes."""
    from pipelines.demo import _demo_proposal

    _, folder, _, _ = prospect
    _demo_proposal(tmp_path, folder, 4)
    proposal = tmp_path / "prospect" / "proposal"
    assert (proposal / "transition.pdf").stat().st_size > 10_000
    plan = pd.read_csv(proposal / "plan.csv")
    assert sorted(plan["budget"].unique()) == [0.0, 100_000.0, np.inf]
    lots = pd.read_csv(tmp_path / "prospect" / "lots.csv")
    assert OUTSIDE_FUND[0] in set(lots["symbol"])
