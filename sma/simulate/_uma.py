"""The model-delivered UMA on the simulated path: the overlay beside sleeves traded independently.

Issue 19, "Simulation": "``sma simulate`` compares the overlay with sleeves traded independently:
tax alpha, turnover, tracking to each model, over the same years."

- Models: the book generator's outside managers (``sma.book.STANDARD_MODELS``: core, ESG-screened,
  dividend/value, growth), each a new version every quarter (``version_days``): cap-weighted over
  its largest eligible names at that day's closes, so weights move a little and a name is swapped
  when the ranks cross. Between versions a model is held buy-and-hold. Value and growth are told
  apart by sector here (the path's securities carry no style scores).
- Sleeves: ``sma.book.draw_sleeves`` (2-4 model sleeves plus a cash sleeve per account).
- OVERLAY: one engine decision per account against the blended target (each sleeve's model at its
  target weight, renormalised over the model sleeves; the cash sleeve is the cash target), as the
  night decides a UMA account.
- INDEPENDENT: each model sleeve is its own account of the household with its own cash (the
  account's cash and flows split by target weight), decided by the same engine against its own
  model. The household's wash-sale rule spans the sleeves (``sma.ledger.Ledger`` books every
  sleeve, blocks come from every sleeve's trades), so a wash sale one sleeve causes in another
  costs what the ledger says it costs.
Both ways run ``sma.simulate.run_path`` on the same path, flows and decision days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.book._uma import STANDARD_MODELS, ModelDefinition, draw_sleeves
from sma.rebalance import account_arrays
from sma.simulate._accounts import SimAccounts, simulated_accounts
from sma.simulate._loop import LoopSettings, PathRun, run_path
from sma.simulate._market import MarketPath, generated_market
from sma.simulate._metrics import run_metrics
from sma.simulate._params import Profile, SimulationParams, Strategy
from sma.uma import attribute_lots

#: Sectors a dividend/value model holds; a growth model holds the others.
VALUE_SECTORS = frozenset(
    {"Financials", "Energy", "Utilities", "Consumer Staples", "Health Care", "Materials"}
)
#: Business days between model versions (a quarter).
QUARTER_DAYS = 63


class UmaWay(StrEnum):
    """How a UMA account is implemented on the simulated path.

    OVERLAY: one tax-aware decision per account against the blended target. INDEPENDENT: each
    sleeve its own account of the household, decided against its own model.
    """

    OVERLAY = "OVERLAY"
    INDEPENDENT = "INDEPENDENT"


@dataclass(frozen=True)
class ModelPath(MarketPath):
    """A market path whose benchmarks are outside managers' models and blends of them.

    starts : ndarray of shape (K,), int -- the day each model version takes effect (starts[0] = 0)
    versions : ndarray of shape (M, K, n) -- each model's weights as of each version's day
    blends : ndarray of shape (B - M, M) -- each blend's weight on each model (rows sum to 1)

    ``benchmark_ids`` lists the M models, then the blends.
    """

    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    versions: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 0)))
    blends: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def _models_on(self, t: int) -> np.ndarray:
        k = int(np.searchsorted(self.starts, t, side="right")) - 1
        w = self.versions[:, k] * (self.closes[t] / self.closes[self.starts[k]])
        return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)

    def index_weights(self, t: int) -> np.ndarray:
        """The models' weights on day ``t`` (held since their latest version), then the blends'."""
        models = self._models_on(t)
        return np.vstack([models, self.blends @ models])

    def index_levels(self) -> np.ndarray:
        """Each model's level (buy-and-hold between versions) and each blend's (its models' daily
        returns at fixed weights), 1 on day 0: (T, B)."""
        T = self.closes.shape[0]
        growth = np.ones((T, self.versions.shape[0]))
        ends = np.r_[self.starts[1:], T]
        for k, (s, e) in enumerate(zip(self.starts, ends, strict=True)):
            w = self.versions[:, k] / np.maximum(self.versions[:, k].sum(1, keepdims=True), 1e-300)
            seg = (self.closes[s : e + 1] / self.closes[s]) @ w.T
            growth[s + 1 : e + 1] = seg[1:] / seg[:-1]
        daily = np.hstack([growth, growth @ self.blends.T]) - 1.0
        return np.cumprod(1.0 + daily, axis=0)


def _eligible(securities: pd.DataFrame, model: ModelDefinition) -> np.ndarray:
    ok = np.ones(len(securities), bool)
    value = securities["sector"].astype(str).isin(VALUE_SECTORS).to_numpy()
    if model.value_tilt > 0:
        ok &= value
    elif model.value_tilt < 0:
        ok &= ~value
    tags = securities["esg_tags"].fillna("").astype(str)
    for tag in model.screened_tags:
        ok &= ~tags.str.contains(tag, regex=False).to_numpy()
    return ok


def model_versions(
    market: MarketPath,
    models: tuple[ModelDefinition, ...] = STANDARD_MODELS,
    version_days: int = QUARTER_DAYS,
) -> tuple[np.ndarray, np.ndarray]:
    """Every model's version every ``version_days`` from day 0 of ``market``.

    Each version holds the model's largest eligible names by the path's first index weight that
    day (at most ``n_names``, and at most 60 % of the eligible names so a small universe still
    swaps names), cap-weighted.

    Returns
    -------
    starts : ndarray of shape (K,), int
    versions : ndarray of shape (M, K, n)
    """
    T, n = market.closes.shape
    starts = np.arange(0, T, version_days, dtype=np.int64)
    out = np.zeros((len(models), starts.size, n))
    for m, model in enumerate(models):
        eligible = np.flatnonzero(_eligible(market.securities, model))
        keep = min(model.n_names, max(int(np.ceil(0.6 * eligible.size)), 1))
        for k, t in enumerate(starts):
            cap = market.index_weights(int(t))[0, eligible]
            top = eligible[np.argsort(-cap, kind="stable")[:keep]]
            out[m, k, top] = market.index_weights(int(t))[0, top]
            out[m, k] /= max(out[m, k].sum(), 1e-300)
    return starts, out


@dataclass(frozen=True)
class UmaAccounts:
    """Simulated UMA accounts, their sleeves and the path they follow.

    accounts : the inbox ``accounts`` frame, one row per UMA account (benchmark: its blend)
    sleeves : account_id, sleeve_id, model_id, target_weight -- the model sleeves (the cash sleeve
        is each account's ``cash_target``)
    cash : ndarray of shape (m,), USD at the start
    cash_flows : the inbox ``cash_flows`` frame of the accounts
    profile : ndarray of shape (m,)
    """

    accounts: pd.DataFrame
    sleeves: pd.DataFrame
    cash: np.ndarray
    cash_flows: pd.DataFrame
    profile: np.ndarray


def uma_path(market: MarketPath, sleeves: pd.DataFrame, account_ids: np.ndarray) -> ModelPath:
    """``market`` with the standard models (quarterly versions) and each account's blend
    (benchmark ``BLEND-<account_id>``) as its benchmarks."""
    starts, versions = model_versions(market)
    model_ids = [d.model_id for d in STANDARD_MODELS]
    blends = np.zeros((account_ids.size, len(model_ids)))
    a = pd.Index(account_ids).get_indexer(sleeves["account_id"].astype(str))
    col = pd.Index(model_ids).get_indexer(sleeves["model_id"].astype(str))
    np.add.at(blends, (a, col), sleeves["target_weight"].to_numpy(float))
    blends /= blends.sum(axis=1, keepdims=True)
    return with_models(market, starts, versions, model_ids, blends, account_ids)


def with_models(
    market: MarketPath,
    starts: np.ndarray,
    versions: np.ndarray,
    model_ids: list[str],
    blends: np.ndarray,
    account_ids: np.ndarray,
) -> ModelPath:
    """``market`` with the given model versions and blends (``BLEND-<account_id>``) as its
    benchmarks."""
    ids = np.array([*model_ids, *(f"BLEND-{a}" for a in account_ids)])
    path = ModelPath(
        market.dates,
        market.securities,
        market.closes,
        ids,
        np.zeros((ids.size, market.closes.shape[1])),
        market.actions,
        market.moves,
        np.asarray(starts, np.int64),
        np.asarray(versions, float),
        np.asarray(blends, float),
    )
    object.__setattr__(path, "weights0", path.index_weights(0))
    return path


def uma_accounts(
    market: MarketPath, first: int, last: int, params: SimulationParams
) -> UmaAccounts:
    """The UMA accounts of the first vintage: the simulator's accounts (no TRANSITION: a legacy
    stock belongs to no model sleeve), each with sleeves drawn as the book generator draws them."""
    sim = simulated_accounts(market, first, last, 0, params)
    keep = sim.profile != Profile.TRANSITION
    accounts = sim.accounts[keep].reset_index(drop=True)
    ids = accounts["account_id"].to_numpy(str)
    draw = draw_sleeves(
        np.random.default_rng([params.seed, 19]),
        accounts["cash_target"].to_numpy(float),
        len(STANDARD_MODELS),
        1.0,
    )
    model = draw.model >= 0
    sleeves = pd.DataFrame(
        {
            "account_id": ids[draw.account[model]],
            "model_id": np.array([d.model_id for d in STANDARD_MODELS])[draw.model[model]],
            "target_weight": draw.target_weight[model],
        }
    )
    sleeves.insert(1, "sleeve_id", [f"S{i + 1}" for i in sleeves.groupby("account_id").cumcount()])
    return UmaAccounts(
        accounts.assign(benchmark_id=[f"BLEND-{a}" for a in ids]),
        sleeves,
        sim.cash[keep],
        sim.cash_flows[sim.cash_flows["account_id"].isin(ids)].reset_index(drop=True),
        sim.profile[keep],
    )


def sleeve_accounts(uma: UmaAccounts) -> UmaAccounts:
    """Each model sleeve as an account of its account's household (id ``<account>/<sleeve>``),
    benchmark its model, with its share (target weight over the account's model sleeves) of the
    account's cash and flows."""
    s = uma.sleeves
    share = s["target_weight"] / s.groupby("account_id")["target_weight"].transform("sum")
    parent = pd.Index(uma.accounts["account_id"].astype(str)).get_indexer(s["account_id"])
    ids = (s["account_id"] + "/" + s["sleeve_id"]).to_numpy(str)
    accounts = (
        uma.accounts.iloc[parent]
        .reset_index(drop=True)
        .assign(account_id=ids, benchmark_id=s["model_id"].to_numpy(str))
    )
    flows = uma.cash_flows.merge(
        pd.DataFrame({"parent": s["account_id"], "sleeve": ids, "share": share}),
        left_on="account_id",
        right_on="parent",
    )
    flows = flows.assign(account_id=flows["sleeve"], amount=flows["amount"] * flows["share"])
    return UmaAccounts(
        accounts,
        s.assign(account_id=ids),
        uma.cash[parent] * share.to_numpy(float),
        flows[list(uma.cash_flows.columns)],
        uma.profile[parent],
    )


@dataclass(frozen=True)
class UmaRun:
    """One way's run: at the account level (sleeves summed for INDEPENDENT) and, for
    INDEPENDENT, per sleeve (``sleeve_run``, accounts ``sleeve_ids``)."""

    way: UmaWay
    run: PathRun
    sleeve_run: PathRun | None = None
    sleeve_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, str))


def _sum_to_accounts(run: PathRun, parent: np.ndarray, ids: np.ndarray) -> PathRun:
    """The sleeves' run as their accounts': values, flows and cash summed, rows renamed."""
    to = pd.Index(ids).get_indexer(parent)
    total = np.zeros((ids.size, parent.size))
    total[to, np.arange(parent.size)] = 1.0

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(account_id=frame["account_id"].astype(str).str.split("/").str[0])

    return PathRun(
        run.strategy,
        run.dates,
        run.value @ total.T,
        run.flow @ total.T,
        rename(run.trades),
        rename(run.realized),
        rename(run.open_lots),
        run.cash @ total.T,
        run.decisions,
        {},
        run.realized_by_actions,
    )


def run_uma(
    market: ModelPath, first: int, last: int, uma: UmaAccounts, way: UmaWay, settings: LoopSettings
) -> UmaRun:
    """Run ``way`` from day ``first`` to ``last - 1`` of ``market`` (whose benchmarks are the
    models and the accounts' blends)."""
    who = uma if way == UmaWay.OVERLAY else sleeve_accounts(uma)
    acc = account_arrays(
        who.accounts,
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
        SimAccounts.empty("lots"),
        who.cash,
        who.cash_flows,
        SimAccounts.empty("transactions"),
        settings,
    )
    if way == UmaWay.OVERLAY:
        return UmaRun(way, run)
    ids = uma.accounts["account_id"].to_numpy(str)
    parent = uma.sleeves["account_id"].to_numpy(str)
    return UmaRun(way, _sum_to_accounts(run, parent, ids), run, acc.ids)


#: The comparison's columns, one row per way and account (``uma_metrics``).
UMA_COLUMNS = [
    "way",
    "account_id",
    "profile",
    "sleeves",
    "pre_tax_return",
    "after_tax_return",
    "tax_alpha",
    "turnover",
    "st_gains_pct",
    "lt_gains_pct",
    "wash_sales",
    "tracking_error",
    "active_share",
    "sleeve_tracking_error",
    "sleeve_active_share",
    "crossed_trades",
    "trades",
]


def crossed_trades(trades: pd.DataFrame, account_of=lambda ids: ids) -> pd.Series:
    """Per account: (day, security) pairs it both bought and sold -- across its sleeves when
    ``account_of`` maps sleeve ids to account ids."""
    if not len(trades):
        return pd.Series(dtype=int)
    t = trades.assign(account_id=account_of(trades["account_id"].astype(str)))
    sides = t.groupby(["account_id", "trade_date", "symbol"])["side"].nunique()
    return (sides > 1).groupby(level="account_id").sum()


def _sleeve_holdings(done: UmaRun, market: ModelPath, day: int, uma: UmaAccounts) -> pd.DataFrame:
    """account_id, sleeve_id, symbol, quantity on ``day`` (the run's last): INDEPENDENT's sleeves
    hold their own lots; the overlay's lots are attributed to sleeves as the night attributes a new
    UMA account's (``sma.uma.attribute_lots``: each lot to the sleeve most under-held in it)."""
    if done.sleeve_run is not None:
        lots = done.sleeve_run.open_lots
        parts = lots["account_id"].astype(str).str.split("/")
        return pd.DataFrame(
            {
                "account_id": parts.str[0],
                "sleeve_id": parts.str[1],
                "symbol": lots["symbol"].astype(str),
                "quantity": lots["quantity"].to_numpy(float),
            }
        )
    n_models = market.versions.shape[0]
    w = market.index_weights(day)[:n_models]
    m, j = np.nonzero(w)
    models = pd.DataFrame(
        {"model_id": market.benchmark_ids[m], "symbol": market.symbols[j], "weight": w[m, j]}
    )
    lots = done.run.open_lots
    ids = uma.accounts["account_id"].to_numpy(str)
    attributed = attribute_lots(
        lots.assign(cost_basis=lots["cost_basis_cents"].to_numpy(float) / 100),
        pd.DataFrame(columns=["account_id", "lot_id", "sleeve_id"]),
        uma.sleeves,
        models,
        pd.Series(market.closes[day], index=market.symbols),
        pd.Series(done.run.value[-1], index=ids),
    )
    return attributed[["account_id", "sleeve_id", "symbol", "quantity"]]


def sleeve_active_share(done: UmaRun, market: ModelPath, day: int, uma: UmaAccounts) -> np.ndarray:
    """Each account's mean over its model sleeves of half the sum of |the sleeve's weight - its
    model's weight| on ``day``, (m,)."""
    held = _sleeve_holdings(done, market, day, uma)
    price = pd.Series(market.closes[day], index=market.symbols)
    held = held.assign(
        value=held["quantity"].to_numpy(float) * price.reindex(held["symbol"]).to_numpy(float)
    )
    w = held.groupby(["account_id", "sleeve_id", "symbol"])["value"].sum()
    w = w / w.groupby(level=["account_id", "sleeve_id"]).transform("sum")
    n_models = market.versions.shape[0]
    model_w = pd.DataFrame(
        market.index_weights(day)[:n_models],
        index=market.benchmark_ids[:n_models],
        columns=market.symbols,
    )
    key = pd.MultiIndex.from_frame(uma.sleeves[["account_id", "sleeve_id"]].astype(str))
    wide = w.unstack("symbol").reindex(index=key, columns=market.symbols).fillna(0.0)
    target = model_w.loc[uma.sleeves["model_id"].astype(str)].to_numpy(float)
    share = 0.5 * np.abs(wide.to_numpy(float) - target).sum(axis=1)
    means = pd.Series(share).groupby(uma.sleeves["account_id"].astype(str).to_numpy()).mean()
    return means.reindex(uma.accounts["account_id"].astype(str)).to_numpy(float)


def uma_metrics(
    done: UmaRun, market: ModelPath, first: int, last: int, uma: UmaAccounts, params
) -> pd.DataFrame:
    """The account-level figures of one way (``UMA_COLUMNS``): returns, taxes and turnover as
    ``sma.simulate._metrics`` states them, tracking error to the blend, active share to the blend
    on the last day, the sleeves' mean tracking error to their models (INDEPENDENT only: the
    overlay's sleeves are attributed only on the last day) and their mean active share to their
    models on the last day (``sleeve_active_share``)."""
    ids = uma.accounts["account_id"].to_numpy(str)
    levels = market.index_levels()[first:last]
    bench = pd.Index(market.benchmark_ids)
    run = done.run
    _, s = run_metrics(
        run,
        0,
        uma.accounts,
        uma.profile,
        levels[:, bench.get_indexer(uma.accounts["benchmark_id"])],
        market.closes[last - 1],
        market.symbols,
        params.held_away,
        np.maximum(uma.cash, 1.0),
    )
    real = run.realized
    gain = real["gain_cents"].to_numpy(float) / 100
    long = real["term"].astype(str).to_numpy() == "LONG"
    acc_of = real["account_id"].astype(str)
    st = pd.Series(np.where(long, 0.0, gain)).groupby(acc_of.to_numpy()).sum()
    lt = pd.Series(np.where(long, gain, 0.0)).groupby(acc_of.to_numpy()).sum()
    shares = np.zeros((ids.size, market.symbols.size))
    lots = run.open_lots
    np.add.at(
        shares,
        (
            pd.Index(ids).get_indexer(lots["account_id"].astype(str)),
            pd.Index(market.symbols).get_indexer(lots["symbol"].astype(str)),
        ),
        lots["quantity"].to_numpy(float),
    )
    held = shares * market.closes[last - 1]
    w = held / np.maximum(held.sum(axis=1, keepdims=True), 1e-9)
    target = market.index_weights(last - 1)[bench.get_indexer(uma.accounts["benchmark_id"])]
    sleeve_te = np.full(ids.size, np.nan)
    if done.sleeve_run is not None:
        sl = sleeve_accounts(uma)
        _, ss = run_metrics(
            done.sleeve_run,
            0,
            sl.accounts,
            sl.profile,
            levels[:, bench.get_indexer(sl.accounts["benchmark_id"])],
            market.closes[last - 1],
            market.symbols,
            params.held_away,
            np.maximum(sl.cash, 1.0),
        )
        parent = uma.sleeves["account_id"].to_numpy(str)
        sleeve_te = ss["tracking_error"].groupby(parent).mean().reindex(ids).to_numpy(float)
        trades = done.sleeve_run.trades
    else:
        trades = run.trades
    crossed = crossed_trades(trades, lambda a: a.str.split("/").str[0]).reindex(ids, fill_value=0)
    n_trades = run.trades.groupby(run.trades["account_id"].astype(str)).size()
    out = pd.DataFrame(
        {
            "way": str(done.way),
            "account_id": ids,
            "profile": uma.profile.astype(str),
            "sleeves": uma.sleeves.groupby("account_id").size().reindex(ids).to_numpy(int),
            "pre_tax_return": s["pre_tax_return"].to_numpy(),
            "after_tax_return": s["after_tax_return"].to_numpy(),
            "tax_alpha": s["tax_alpha"].to_numpy(),
            "turnover": s["turnover"].to_numpy(),
            "st_gains_pct": st.reindex(ids, fill_value=0.0).to_numpy() / uma.cash,
            "lt_gains_pct": lt.reindex(ids, fill_value=0.0).to_numpy() / uma.cash,
            "wash_sales": s["wash_sale_violations"].to_numpy(),
            "tracking_error": s["tracking_error"].to_numpy(),
            "active_share": 0.5 * np.abs(w - target).sum(axis=1),
            "sleeve_tracking_error": sleeve_te,
            "sleeve_active_share": sleeve_active_share(done, market, last - 1, uma),
            "crossed_trades": crossed.to_numpy(int),
            "trades": n_trades.reindex(ids, fill_value=0).to_numpy(int),
        }
    )
    return out[UMA_COLUMNS]


def simulate_uma(params: SimulationParams, market: MarketPath | None = None) -> pd.DataFrame:
    """The UMA accounts of ``params`` (its profiles but TRANSITION, ``accounts_per_profile`` each)
    run both ways over the first vintage's ``params.years``, no corporate actions (a model would
    have to follow them).

    Parameters
    ----------
    params : SimulationParams -- the engine, tax rates, harvest frequency and accounts
    market : MarketPath, optional -- default: the market model for ``params.seed``

    Returns
    -------
    DataFrame of ``UMA_COLUMNS``, OVERLAY's rows then INDEPENDENT's.
    """
    from sma.simulate._run import _calendar_span, loop_settings, vintage_window

    if market is None:
        start, n_days = _calendar_span(params)
        market = generated_market(params.seed, start, n_days, params.market, params.universe)
    first, last = vintage_window(market, params, 0)
    uma = uma_accounts(market, first, last, params)
    path = uma_path(market, uma.sleeves, uma.accounts["account_id"].to_numpy(str))
    settings = loop_settings(params, Strategy.ENGINE)
    rows = [
        uma_metrics(run_uma(path, first, last, uma, way, settings), path, first, last, uma, params)
        for way in UmaWay
    ]
    return pd.concat(rows, ignore_index=True)


def uma_overview(table: pd.DataFrame) -> pd.DataFrame:
    """Each way's mean over the accounts (wash sales, crossed trades and trades summed)."""
    cols = [c for c in UMA_COLUMNS if c not in ("way", "account_id", "profile", "sleeves")]
    mean = table.groupby("way", sort=False)[cols].mean()
    sums = table.groupby("way", sort=False)[["wash_sales", "crossed_trades", "trades"]].sum()
    mean[sums.columns] = sums
    return mean.reset_index()
