"""A transition plan: the engine runs the prospect's legacy lots forward under each gain budget.

One simulated account per annual gain budget (each its own household, so they never wash each
other's losses), all funded with the same lots and cash, traded by the nightly engine
(``sma.rebalance.decide``) day by day on one market path, every fill booked through the ledger.
The budget is the engine's: net gains realized per calendar year (``sma.ledger.gain_budget``).
Figures per budget and tax year follow the simulator's conventions (``sma.simulate._metrics``):
tracking error is the realized one, tax is Schedule D netting at the stated rates, paid outside the
account at each year's end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sma.inbox import AccountType
from sma.rebalance import account_arrays
from sma.simulate._accounts import SimAccounts
from sma.simulate._loop import PathRun, run_path
from sma.simulate._market import MarketPath
from sma.simulate._metrics import run_metrics
from sma.simulate._params import SimulationParams, Strategy
from sma.simulate._run import loop_settings

#: Columns of ``TransitionPlan.years``: one row per budget and tax year.
PLAN_COLUMNS = [
    "budget",
    "year",
    "tracking_error",
    "st_gain",
    "lt_gain",
    "tax_paid",
    "cumulative_tax",
    "loss_carryforward",
    "end_value",
    "legacy_overweight",
]
#: Columns of ``TransitionPlan.lots_sold``: the prospect's own lots, as the plan relieves them.
LOTS_SOLD_COLUMNS = [
    "budget",
    "year",
    "lot_id",
    "symbol",
    "quantity",
    "proceeds",
    "gain",
    "term",
]


def budget_label(budget: float) -> str:
    """``"no limit"`` for an infinite budget, else the dollars (``"$25,000"``)."""
    return "no limit" if not np.isfinite(budget) else f"${budget:,.0f}"


@dataclass(frozen=True)
class Prospect:
    """A prospective account's legacy holdings, as the advisor hands them over.

    lots : DataFrame -- the inbox ``lots`` columns symbol, quantity, cost_basis (total USD),
        acquired_date; optional lot_id and account_id (the prospect's own accounts)
    cash : float -- USD funded with the lots
    benchmark_id : str -- the index the account will track
    outside : DataFrame -- symbol, name, price: holdings the firm's universe does not have
    name : str -- the client, as the proposal addresses them
    """

    lots: pd.DataFrame
    cash: float
    benchmark_id: str
    outside: pd.DataFrame
    name: str = "Prospective client"

    def lot_ids(self) -> np.ndarray:
        """Each lot's id: its own (prefixed with its account when two accounts share one), else
        ``LOT-<row>`` (1-based). The plan funds one account with all of them."""
        if "lot_id" not in self.lots or self.lots["lot_id"].isna().any():
            return np.array([f"LOT-{i + 1}" for i in range(len(self.lots))])
        ids = self.lots["lot_id"].astype(str)
        if ids.duplicated().any() and "account_id" in self.lots:
            ids = self.lots["account_id"].astype(str) + "-" + ids
        if ids.duplicated().any():
            return np.array([f"LOT-{i + 1}" for i in range(len(self.lots))])
        return ids.to_numpy()


@dataclass(frozen=True)
class TransitionPlan:
    """What each budget does, year by year (``PLAN_COLUMNS``), and which legacy lots go when
    (``LOTS_SOLD_COLUMNS``, a lot's pieces sold in one year added up); ``realized`` every lot
    piece sold, one row per Form 8949 row, the engine's own lots too (same columns);
    ``start``/``end`` the first and last simulated days; ``initial_value`` USD on the first day."""

    years: pd.DataFrame
    lots_sold: pd.DataFrame
    realized: pd.DataFrame
    start: np.datetime64
    end: np.datetime64
    initial_value: float
    params: SimulationParams


def plan_accounts(
    budgets: tuple[float, ...], benchmark_id: str, params: SimulationParams, start
) -> pd.DataFrame:
    """The inbox ``accounts`` rows of a plan: one taxable account per budget (``BUDGET-<i>``),
    each its own household, at the simulator's rates and limits; ``inf`` = no budget."""
    ids = np.array([f"BUDGET-{i}" for i in range(len(budgets))])
    return pd.DataFrame(
        {
            "account_id": ids,
            "household_id": [f"H-{a}" for a in ids],
            "client_name": [budget_label(b) for b in budgets],
            "account_type": AccountType.TAXABLE.value,
            "benchmark_id": benchmark_id,
            "tlh_enabled": True,
            "st_tax_rate": params.st_tax_rate,
            "lt_tax_rate": params.lt_tax_rate,
            "max_tracking_error": params.max_tracking_error,
            "gain_budget": np.where(np.isfinite(budgets), budgets, np.nan),
            "min_trade_value": params.min_trade_value,
            "cash_target": params.cash_target,
            "inception_date": pd.Timestamp(start),
            "fractional_shares": params.fractional_shares,
        }
    )


def _lots(prospect: Prospect, ids: np.ndarray) -> pd.DataFrame:
    one = pd.DataFrame(
        {
            "lot_id": prospect.lot_ids(),
            "symbol": prospect.lots["symbol"].astype(str).to_numpy(),
            "quantity": prospect.lots["quantity"].to_numpy(float),
            "cost_basis": prospect.lots["cost_basis"].to_numpy(float),
            "acquired_date": pd.to_datetime(prospect.lots["acquired_date"]),
            "adjusted_acquired_date": pd.NaT,
        }
    )
    return pd.concat([one.assign(account_id=a) for a in ids], ignore_index=True)


def plan_window(market: MarketPath, start: int, years: int) -> tuple[int, int]:
    """Days [start, last) of a plan of ``years`` years from day ``start``."""
    end = pd.Timestamp(market.dates[start]) + pd.DateOffset(years=years)
    last = int(np.searchsorted(market.dates, np.datetime64(end.date(), "D")))
    if start < 60 or last - start < 2:
        raise ValueError(
            f"the market path needs 60 days before the plan's start and {years} year(s) after it"
        )
    return start, last


def transition_plan(
    market: MarketPath,
    start: int,
    prospect: Prospect,
    budgets: tuple[float, ...],
    params: SimulationParams,
) -> TransitionPlan:
    """Run the prospect's lots forward for ``params.years`` years under each annual gain budget.

    Parameters
    ----------
    market : MarketPath -- every lot's symbol on it (``with_outside_holdings`` adds the rest)
    start : int -- the day the account is funded (index into ``market.dates``)
    prospect : Prospect
    budgets : tuple of float -- USD of net gains allowed per calendar year; ``inf`` = no limit
    params : SimulationParams -- tax rates, tracking-error budget, cash target, engine and risk
        settings, decision frequency, held-away assumption (``years`` is the horizon)

    Returns
    -------
    TransitionPlan
    """
    first, last = plan_window(market, start, params.years)
    accounts = plan_accounts(budgets, prospect.benchmark_id, params, market.dates[first])
    ids = accounts["account_id"].to_numpy(str)
    lots = _lots(prospect, ids)
    unknown = sorted(set(lots["symbol"]) - set(market.symbols))
    if unknown:
        raise ValueError(f"lots: {unknown[:5]} have no price (give them in the holdings file)")
    acc = account_arrays(
        accounts,
        SimAccounts.empty("restrictions"),
        SimAccounts.empty("tilts"),
        market.securities,
        market.benchmark_ids,
    )
    run = run_path(
        market,
        first,
        last,
        acc,
        lots,
        np.full(ids.size, float(prospect.cash)),
        SimAccounts.empty("cash_flows"),
        SimAccounts.empty("transactions"),
        replace(
            loop_settings(params, Strategy.ENGINE),
            gains_barred=tuple(ids[np.asarray(budgets, float) <= 0]),
        ),
    )
    prices = market.closes[first]
    j = pd.Index(market.symbols).get_indexer(lots["symbol"][lots["account_id"] == ids[0]])
    initial = float(prospect.lots["quantity"].to_numpy(float) @ prices[j] + prospect.cash)
    index = market.index_levels()[first:last][:, acc.benchmark_row]
    metrics, _ = run_metrics(
        run,
        0,
        accounts,
        np.full(ids.size, "TRANSITION"),
        index,
        market.closes[last - 1],
        market.symbols,
        params.held_away,
        np.full(ids.size, initial),
    )
    years = _plan_years(run, metrics, ids, budgets, market, first, prospect)
    realized = _realized(run, ids, budgets)
    legacy = realized["lot_id"].isin(set(prospect.lot_ids().tolist()))
    return TransitionPlan(
        years,
        _by_lot_and_year(realized[legacy]),
        realized,
        market.dates[first],
        market.dates[last - 1],
        initial,
        params,
    )


def _plan_years(
    run: PathRun,
    metrics: pd.DataFrame,
    ids: np.ndarray,
    budgets: tuple[float, ...],
    market: MarketPath,
    first: int,
    prospect: Prospect,
) -> pd.DataFrame:
    real = run.realized
    year = pd.to_datetime(real["sale_date"]).dt.year.to_numpy()
    gain = real["gain_cents"].to_numpy(float) / 100
    long = real["term"].astype(str).to_numpy() == "LONG"
    keyed = pd.DataFrame(
        {
            "account_id": real["account_id"].astype(str).to_numpy(),
            "year": year,
            "st_gain": np.where(long, 0.0, gain),
            "lt_gain": np.where(long, gain, 0.0),
        }
    )
    gains = keyed.groupby(["account_id", "year"], as_index=False)[["st_gain", "lt_gain"]].sum()
    kept = ["account_id", "year", "tracking_error", "tax_paid", "loss_carryforward", "end_value"]
    out = metrics[kept].merge(gains, on=["account_id", "year"], how="left")
    out[["st_gain", "lt_gain"]] = out[["st_gain", "lt_gain"]].fillna(0.0)
    out["cumulative_tax"] = out.groupby("account_id")["tax_paid"].cumsum()
    out["budget"] = out["account_id"].map(dict(zip(ids, budgets)))
    out["legacy_overweight"] = _legacy_overweight(run, ids, market, first, prospect, out)
    return out[PLAN_COLUMNS].reset_index(drop=True)


def _legacy_overweight(run, ids, market, first, prospect, rows: pd.DataFrame) -> np.ndarray:
    """Share of each row's year-end value held in the prospect's symbols beyond their weight in
    the benchmark (what is left to transition)."""
    col = pd.Index(market.symbols)
    held = np.zeros((ids.size, market.symbols.size))
    lots = prospect.lots
    np.add.at(
        held[0], col.get_indexer(lots["symbol"].astype(str)), lots["quantity"].to_numpy(float)
    )
    held[:] = held[0]
    tr = run.trades
    signed = np.where(tr["side"].astype(str) == "BUY", 1.0, -1.0) * tr["quantity"].to_numpy(float)
    t_year = pd.to_datetime(tr["trade_date"]).dt.year.to_numpy()
    t_acc = pd.Index(ids).get_indexer(tr["account_id"].astype(str))
    t_col = col.get_indexer(tr["symbol"].astype(str))
    legacy = np.isin(market.symbols, lots["symbol"].astype(str).unique())
    bench = pd.Index(market.benchmark_ids).get_indexer([prospect.benchmark_id])[0]
    year = run.dates.astype("datetime64[Y]").astype(int) + 1970
    over = {}
    for y in np.unique(year):
        d = t_year == y
        np.add.at(held, (t_acc[d], t_col[d]), signed[d])
        i = int(np.flatnonzero(year == y)[-1])
        t = first + i
        weight = held * market.closes[t] / np.maximum(run.value[i], 1.0)[:, None]
        excess = np.clip(weight - market.index_weights(t)[bench], 0.0, None)
        over[y] = excess[:, legacy].sum(axis=1)
    a = pd.Index(ids).get_indexer(rows["account_id"])
    return np.array([over[y][i] for i, y in zip(a, rows["year"])])


def _realized(run: PathRun, ids: np.ndarray, budgets: tuple[float, ...]) -> pd.DataFrame:
    """Every lot piece the plan sells, one row per Form 8949 row (``LOTS_SOLD_COLUMNS``), the
    engine's own lots included."""
    mine = run.realized
    return pd.DataFrame(
        {
            "budget": mine["account_id"].map(dict(zip(ids, budgets))).to_numpy(float),
            "year": pd.to_datetime(mine["sale_date"]).dt.year.to_numpy(),
            "lot_id": mine["lot_id"].astype(str).to_numpy(),
            "symbol": mine["symbol"].astype(str).to_numpy(),
            "quantity": mine["quantity"].to_numpy(float),
            "proceeds": mine["proceeds_cents"].to_numpy(float) / 100,
            "gain": mine["gain_cents"].to_numpy(float) / 100,
            "term": mine["term"].astype(str).to_numpy(),
        }
    )[LOTS_SOLD_COLUMNS]


def _by_lot_and_year(pieces: pd.DataFrame) -> pd.DataFrame:
    """The pieces of each lot sold in one year, added up."""
    keys = ["budget", "year", "lot_id", "symbol", "term"]
    summed = pieces.groupby(keys, as_index=False, sort=False)[["quantity", "proceeds", "gain"]]
    return summed.sum()[LOTS_SOLD_COLUMNS].reset_index(drop=True)
