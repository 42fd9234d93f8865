"""Proposals (issue 21): read a prospect's files or an account from the store, run the plan or the
what-if (``sma.proposals``), write the PDF and the CSVs beside it.

Prospect files (CSV or Parquet):

- lots: the inbox ``lots`` columns symbol, quantity, cost_basis (total USD), acquired_date;
  optional lot_id and account_id (the prospect's own accounts: their count is on page one).
- holdings: symbol, price (USD per share, from the prospect's last statement), optional name and
  quantity. Required for every position outside the firm's universe (a fund, a private stock);
  for the others the market's close is used. Quantities, when given, must match the lots'.

The market: ``--prices-from`` an inbox date folder (securities, prices, benchmarks; its last
close is the plan's start), extended forward by the factor model fitted to its closes
(``sma.simulate.extend_market``); without it, the firm's market model (``generated_market``) for
the seed, the plan starting a year into the path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines._atomic import write_atomically
from pipelines.errors import PipelineError
from pipelines.settings import Settings
from pipelines.validate import InputFileError, read_inbox_file, read_input_file, with_optional
from sma.inbox import INBOX_FILES, Column, ColumnKind, FileSpec
from sma.proposals import (
    OUTSIDE_SECTOR,
    ProposalPage,
    Prospect,
    ProspectProfile,
    TransitionPlan,
    WhatIf,
    plan_accounts,
    prospect_profile,
    render_transition_pdf,
    render_whatif_pdf,
    transition_plan,
    whatif,
    with_outside_holdings,
)
from sma.risk import RiskModel, estimate_risk_model, returns_from_prices
from sma.simulate import (
    HarvestFrequency,
    HeldAwayGains,
    SimulationParams,
    extend_market,
    generated_market,
    market_from_frames,
)
from sma.simulate._market import MarketPath

#: Business days of 2025 the generated market starts with (the risk model's history).
_HISTORY_DAYS = 262
#: Closes behind the what-if's risk model (a year, as the simulator's monthly estimates).
_RISK_HISTORY_DAYS = 252


class ProposalInputError(PipelineError):
    """A prospect file that cannot be used: which file, which column or symbol, why."""


#: A prospect's lots: the inbox's lots, account_id, lot_id and adjusted_acquired_date optional.
PROSPECT_LOTS = with_optional(
    INBOX_FILES["lots"], ("account_id", "lot_id", "adjusted_acquired_date")
)
#: A prospect's holdings: the price of each position (and optional name and quantity).
PROSPECT_HOLDINGS = FileSpec(
    "holdings",
    (
        Column("symbol", ColumnKind.SYMBOL),
        Column("price", ColumnKind.FLOAT, doc="USD per share, > 0"),
        Column("name", ColumnKind.TEXT, nullable=True, required=False),
        Column("quantity", ColumnKind.FLOAT, nullable=True, required=False),
    ),
    key=("symbol",),
)
#: A what-if's restrictions and tilts: the inbox's; account_id (ignored) and the columns a
#: row leaves blank may be left out.
WHATIF_RESTRICTIONS = with_optional(
    INBOX_FILES["restrictions"], ("account_id", "symbol", "sector", "esg_tag")
)
WHATIF_TILTS = with_optional(INBOX_FILES["tilts"], ("account_id", "sector", "symbol"))


def _read(path: Path, spec: FileSpec, suite: str | None) -> pd.DataFrame:
    """``path`` read and checked as the inbox reads its files (pipelines.validate)."""
    try:
        return read_input_file(path, spec, suite=suite)
    except InputFileError as error:
        raise ProposalInputError(str(error)) from None


def _read_inbox(folder: Path, name: str) -> pd.DataFrame:
    try:
        return read_inbox_file(folder, name)
    except InputFileError as error:
        raise ProposalInputError(str(error)) from None


def read_prospect(lots_path: Path, holdings_path: Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The prospect's lots and holdings (``holdings`` empty when no file is given), each file
    checked as the inbox's: a problem names its file, row, column and rule."""
    lots = _read(lots_path, PROSPECT_LOTS, "lots")
    if holdings_path is None:
        return lots, pd.DataFrame(columns=["symbol", "name", "price"])
    holdings = _read(holdings_path, PROSPECT_HOLDINGS, None)
    unpriced = holdings[~(holdings["price"] > 0)]
    if len(unpriced):
        raise ProposalInputError(
            f"{holdings_path}: price of {unpriced['symbol'].iloc[0]} must be > 0 "
            f"(row {unpriced.index[0] + 1})"
        )
    if "quantity" in holdings:
        held = lots.groupby("symbol")["quantity"].sum()
        said = holdings.dropna(subset=["quantity"]).set_index("symbol")["quantity"]
        off = said[(said - held.reindex(said.index).fillna(0)).abs() > 1e-6]
        if len(off):
            raise ProposalInputError(
                f"{holdings_path}: quantity of {off.index[0]} is {off.iloc[0]:g}, the lots hold "
                f"{held.get(off.index[0], 0):g}"
            )
    return lots, holdings


def proposal_market(prices_from: Path | None, seed: int, years: int) -> tuple[MarketPath, int]:
    """The path a proposal runs on and the index of its start day."""
    ahead = int(years * 252 + 30)
    if prices_from is None:
        # A year of closes for the risk model, then the plan from the first business day of 2026:
        # its first tax year is a whole one.
        path = generated_market(seed, date(2025, 1, 1), _HISTORY_DAYS + ahead)
        return path, int(np.searchsorted(path.dates, np.datetime64("2026-01-01")))
    path = market_from_frames(
        _read_inbox(prices_from, "securities"),
        _read_inbox(prices_from, "prices"),
        _read_inbox(prices_from, "benchmarks"),
    )
    first = path.dates.size - 1
    return extend_market(path, ahead, seed), first


def _outside(lots: pd.DataFrame, holdings: pd.DataFrame, path: MarketPath) -> pd.DataFrame:
    """The holdings not on the path, each with its price; a lot without one is an error."""
    unknown = sorted(set(lots["symbol"].astype(str)) - set(path.symbols))
    priced = holdings.assign(symbol=holdings["symbol"].astype(str)).set_index("symbol")
    lacking = [s for s in unknown if s not in priced.index]
    if lacking:
        raise ProposalInputError(
            f"lots: {lacking[:5]} are outside the firm's universe and the holdings file gives no "
            "price for them"
        )
    out = priced.loc[unknown].reset_index()
    if "name" not in out:
        out["name"] = out["symbol"]
    return out[["symbol", "name", "price"]]


@dataclass(frozen=True)
class TransitionRequest:
    """What ``sma propose transition`` was asked."""

    lots: Path
    holdings: Path | None
    cash: float
    benchmark_id: str | None
    budgets: tuple[float, ...]
    years: int
    out: Path
    prices_from: Path | None = None
    seed: int = 7
    client: str = "Prospective client"
    frequency: HarvestFrequency = HarvestFrequency.MONTHLY
    held_away: HeldAwayGains = HeldAwayGains.UNLIMITED


def parse_budgets(text: str) -> tuple[float, ...]:
    """``"0,25000,none"`` -> (0.0, 25000.0, inf); ``none``/``inf``/``unlimited`` = no limit."""
    out = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if part in ("none", "inf", "unlimited", "no limit"):
            out.append(float("inf"))
        else:
            try:
                value = float(part.replace("_", ""))
            except ValueError as exc:
                raise ProposalInputError(f"--budgets: {part!r} is not USD or 'none'") from exc
            if value < 0:
                raise ProposalInputError(f"--budgets: {part!r} is negative")
            out.append(value)
    if not out:
        raise ProposalInputError("--budgets: give at least one budget")
    return tuple(out)


def plan_params(
    settings: Settings,
    years: int,
    frequency: HarvestFrequency,
    held_away: HeldAwayGains = HeldAwayGains.UNLIMITED,
) -> SimulationParams:
    """The simulator's parameters for a proposal: the firm's engine and risk settings, the
    simulator's tax rates and defaults, and what the client's gains held elsewhere let net losses
    offset (``held_away``)."""
    return SimulationParams(
        years=years,
        harvest_frequency=frequency,
        held_away=held_away,
        corporate_action_rate=0.0,
        engine=settings.engine_params(),
        risk=settings.risk_model_params(),
    )


#: What a proposal's "Tax paid" assumes of the client's gains held elsewhere, in its words.
HELD_AWAY_WORDS = {
    HeldAwayGains.UNLIMITED: "net losses save tax at their rate against gains held elsewhere.",
    HeldAwayGains.LONG_TERM_ONLY: "net losses offset long-term gains held elsewhere, saving tax at "
    "the long-term rate.",
    HeldAwayGains.NONE: "no gains held elsewhere: net losses offset $3,000 of ordinary income a "
    "year (IRC section 1211(b)) and the rest carries forward to later years' gains (section "
    "1212(b)).",
}


def _assumptions(params: SimulationParams, seed: int, prices_from: Path | None) -> tuple[str, ...]:
    market = (
        f"the closes in {prices_from.name} extended by a factor model fitted to their last year "
        f"(7 % a year drift), seed {seed}"
        if prices_from is not None
        else f"the firm's market model (US large caps, market volatility about 16 %), seed {seed}"
    )
    return (
        f"Tax rates: {params.st_tax_rate:.1%} short-term, {params.lt_tax_rate:.1%} long-term "
        "(top federal bracket plus 3.8 % net investment income tax); gains netted per calendar "
        f"year (Schedule D); {HELD_AWAY_WORDS[params.held_away]}",
        f"Market: {market}. One path, not a forecast: returns will differ.",
        f"Horizon: {params.years} year(s) from the start; decisions "
        f"{str(params.harvest_frequency).lower()} by the same engine, ledger and risk model that "
        "trade funded accounts; trades at the close, "
        f"{params.fill_cost_bps:g} bp a side.",
        f"Tracking-error budget {params.max_tracking_error:.2%} a year, cash target "
        f"{params.cash_target:.0%}. A budget of $0 sells no lot at a gain; a harvested loss is "
        "banked, not spent on a gain.",
        "Holdings outside our universe are modelled as funds that follow the index, with 2 % a "
        "year of their own noise.",
    )


@dataclass(frozen=True)
class TransitionDone:
    """A transition proposal written: the plan, page one, the page's facts and the files."""

    plan: TransitionPlan
    profile: ProspectProfile
    page: ProposalPage
    files: dict[str, Path]


@dataclass(frozen=True)
class WhatIfDone:
    """A what-if written: the result, page one, the risk model and path used, the files."""

    result: WhatIf
    profile: ProspectProfile
    model: RiskModel
    path: MarketPath
    files: dict[str, Path]


def run_transition(request: TransitionRequest, settings: Settings) -> TransitionDone:
    """Plan, profile and PDF of ``request``; writes ``transition.pdf``, ``plan.csv`` and
    ``lots_sold.csv`` into ``request.out``. Returns the plan, the profile and the files."""
    lots, holdings = read_prospect(request.lots, request.holdings)
    path, first = proposal_market(request.prices_from, request.seed, request.years)
    outside = _outside(lots, holdings, path)
    path = with_outside_holdings(path, first, outside, request.seed)
    benchmark = request.benchmark_id or str(path.benchmark_ids[0])
    if benchmark not in set(path.benchmark_ids):
        raise ProposalInputError(
            f"--benchmark {benchmark!r}: not among {sorted(path.benchmark_ids)}"
        )
    params = plan_params(settings, request.years, request.frequency, request.held_away)
    prospect = Prospect(lots, request.cash, benchmark, outside, request.client)
    plan = transition_plan(path, first, prospect, request.budgets, params)
    profile = _profile(lots, request.cash, path, first, outside, settings)
    page = ProposalPage(
        request.client,
        settings.statements.firm_name,
        path.dates[first],
        benchmark,
        _assumptions(params, request.seed, request.prices_from),
    )
    files = _write_transition(request.out, page, profile, plan)
    return TransitionDone(plan, profile, page, files)


def _profile(lots, cash, path: MarketPath, first: int, outside, settings) -> ProspectProfile:
    prices = pd.Series(path.closes[first], index=path.symbols)
    universe = set(path.symbols) - set(outside["symbol"])
    return prospect_profile(
        lots,
        cash,
        prices,
        universe,
        path.dates[first],
        settings.engine.sma_minimum_usd,
        settings.engine.uma_minimum_usd,
    )


def _write_transition(
    out: Path, page: ProposalPage, profile: ProspectProfile, plan: TransitionPlan
) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "pdf": out / "transition.pdf",
        "plan": out / "plan.csv",
        "lots_sold": out / "lots_sold.csv",
    }
    write_atomically(files["pdf"], render_transition_pdf(page, profile, plan))
    write_atomically(files["plan"], _rounded(plan.years).to_csv(index=False).encode())
    write_atomically(files["lots_sold"], _rounded(plan.lots_sold).to_csv(index=False).encode())
    return files


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Dollars to the cent, as the CSVs carry them (tracking error in full: it is checked)."""
    money = ["st_gain", "lt_gain", "tax_paid", "cumulative_tax", "loss_carryforward"]
    money += ["end_value", "proceeds", "gain"]
    money += ["tax", "tax_vs_plain", "sold"]
    return frame.round({**dict.fromkeys(money, 2), "legacy_overweight": 6})


def render_plan(plan: TransitionPlan) -> str:
    """The plan's table as the command prints it."""
    from sma.proposals import budget_label

    show = plan.years.assign(budget=[budget_label(float(b)) for b in plan.years["budget"]])
    return show.to_string(
        index=False,
        formatters={
            "tracking_error": "{:.2%}".format,
            "legacy_overweight": "{:.1%}".format,
            **{
                c: "{:,.0f}".format
                for c in ("st_gain", "lt_gain", "tax_paid", "cumulative_tax", "loss_carryforward")
            },
            "end_value": "{:,.0f}".format,
        },
    )


@dataclass(frozen=True)
class WhatIfRequest:
    """What ``sma propose whatif`` was asked: an account of the store on a date, or a prospect."""

    restrictions: Path | None
    tilts: Path | None
    out: Path
    account_id: str | None = None
    as_of: date | None = None
    lots: Path | None = None
    holdings: Path | None = None
    cash: float = 0.0
    benchmark_id: str | None = None
    prices_from: Path | None = None
    seed: int = 7
    client: str = "Prospective client"
    gain_budget: float | None = None  # a prospect's, USD a year; None = no limit


def _preferences(path: Path | None, spec: FileSpec, columns: list[str]) -> pd.DataFrame:
    if path is None:
        return pd.DataFrame(columns=columns)
    frame = _read(path, spec, spec.name)
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame


def _store_account(request: WhatIfRequest, settings: Settings):
    """The account's row, lots, cash and the market of ``request.as_of`` from the store."""
    from pipelines.night._prepare import read_snapshot
    from pipelines.store import open_store

    with open_store(settings.store.path, read_only=True) as con:
        snap = read_snapshot(con, request.as_of)
        lots = con.execute(
            "SELECT * EXCLUDE (as_of_date) FROM inbox_lots WHERE as_of_date = ? AND account_id = ?",
            [request.as_of, request.account_id],
        ).df()
        prices = con.execute(
            "SELECT date, symbol, close FROM inbox_prices WHERE date <= ? ORDER BY date",
            [request.as_of],
        ).df()
    accounts = snap["accounts"]
    account = accounts[accounts["account_id"].astype(str) == request.account_id]
    if not len(account):
        raise ProposalInputError(
            f"--account {request.account_id!r}: not in the store's snapshot of {request.as_of}"
        )
    cash = snap["cash"]
    held = float(cash.loc[cash["account_id"].astype(str) == request.account_id, "amount"].sum())
    lots = lots.assign(
        quantity=lots["quantity"].astype(float), cost_basis=lots["cost_basis"].astype(float)
    )
    # A security listed later than others has no early closes: carried back, as prepare does.
    wide = prices.pivot_table(index="date", columns="symbol", values="close", aggfunc="last")
    wide = wide.reindex(columns=snap["securities"]["symbol"].astype(str)).ffill().bfill()
    filled = wide.reset_index().melt(id_vars="date", var_name="symbol", value_name="close")
    path = market_from_frames(snap["securities"], filled, snap["benchmarks"])
    name = str(account["client_name"].iloc[0])
    return account.reset_index(drop=True), lots, held, path, name


def _prospect_account(request: WhatIfRequest, settings: Settings):
    assert request.lots is not None
    lots, holdings = read_prospect(request.lots, request.holdings)
    path, first = proposal_market(request.prices_from, request.seed, 0)
    outside = _outside(lots, holdings, path)
    path = with_outside_holdings(path, first, outside, request.seed)
    path = replace(path, dates=path.dates[: first + 1], closes=path.closes[: first + 1])
    benchmark = request.benchmark_id or str(path.benchmark_ids[0])
    budget = float("inf") if request.gain_budget is None else request.gain_budget
    account = plan_accounts((budget,), benchmark, SimulationParams(), path.dates[-1]).assign(
        account_id="PROSPECT", household_id="H-PROSPECT", client_name=request.client
    )
    ids = Prospect(lots, request.cash, benchmark, outside).lot_ids()
    lots = lots.assign(lot_id=ids, account_id="PROSPECT")
    return account, lots, request.cash, path, request.client


def run_whatif(request: WhatIfRequest, settings: Settings) -> WhatIfDone:
    """The what-if of ``request``: the table, the PDF (``whatif.pdf``) and ``whatif.csv`` in
    ``request.out``."""
    if request.account_id is not None:
        account, lots, cash, path, client = _store_account(request, settings)
    else:
        account, lots, cash, path, client = _prospect_account(request, settings)
    t = path.dates.size - 1
    closes = path.closes[max(0, t - _RISK_HISTORY_DAYS) : t + 1]
    model = estimate_risk_model(
        returns_from_prices(closes),
        path.symbols,
        path.securities["sector"].to_numpy(str),
        settings.risk_model_params(),
    )
    restrictions = _preferences(
        request.restrictions,
        WHATIF_RESTRICTIONS,
        ["account_id", "kind", "symbol", "sector", "esg_tag"],
    )
    tilts = _preferences(
        request.tilts, WHATIF_TILTS, ["account_id", "sector", "symbol", "multiplier"]
    )
    result = whatif(
        account,
        lots,
        cash,
        restrictions,
        tilts,
        path.securities,
        path.dates[t],
        path.closes[t],
        path.index_weights(t),
        path.benchmark_ids,
        model,
        settings.engine_params(),
    )
    prices = pd.Series(path.closes[t], index=path.symbols)
    securities = path.securities
    universe = set(securities.loc[securities["sector"] != OUTSIDE_SECTOR, "symbol"].astype(str))
    profile = prospect_profile(
        lots,
        cash,
        prices,
        universe,
        path.dates[t],
        settings.engine.sma_minimum_usd,
        settings.engine.uma_minimum_usd,
    )
    rates = account.iloc[0]
    page = ProposalPage(
        client,
        settings.statements.firm_name,
        path.dates[t],
        str(rates["benchmark_id"]),
        (
            f"Tax rates: {float(rates['st_tax_rate']):.1%} short-term, "
            f"{float(rates['lt_tax_rate']):.1%} long-term; each term's gains at its rate, a loss "
            "saving tax at its rate against gains held elsewhere.",
            "Tracking error: ex-ante, against the plain benchmark, on the risk model estimated "
            f"from the last {_RISK_HISTORY_DAYS} closes to "
            f"{pd.Timestamp(path.dates[t]).date()}.",
            "First-year tax: what the nightly engine would sell tonight moving the account toward "
            "each portfolio, within the account's gain budget for the year "
            "(none: no limit); later years' trades are not counted.",
        ),
    )
    request.out.mkdir(parents=True, exist_ok=True)
    files = {"pdf": request.out / "whatif.pdf", "table": request.out / "whatif.csv"}
    write_atomically(files["pdf"], render_whatif_pdf(page, result, profile))
    write_atomically(files["table"], _rounded(result.table).to_csv(index=False).encode())
    return WhatIfDone(result, profile, model, path, files)
