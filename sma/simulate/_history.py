"""``simulate_history``: a generated book's nights from its as-of date on, traded by the engine.

For ``make demo`` and client statements: the book's accounts, lots and cash on ``start`` are run
forward to ``end`` on closes that continue the book's price history (``extend_market``), deciding
on each harvest day, every fill at the close booked through the ledger. The result carries the
daily values, trades and realized rows of the period, and the inbox files of ``end``.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context

import numpy as np
import pandas as pd

from sma.inbox import INBOX_FILES
from sma.ledger import apply_corporate_actions, wash_sale_window_start
from sma.rebalance import EngineParams, account_arrays
from sma.risk import RiskModelParams
from sma.simulate._corporate import with_corporate_actions
from sma.simulate._loop import LoopSettings, PathRun, run_path
from sma.simulate._market import extend_market, market_from_frames
from sma.simulate._params import HarvestFrequency, Strategy

VALUE_COLUMNS = ["account_id", "date", "market_value", "cash", "cash_flow"]
HISTORY_TRADE_COLUMNS = [
    "account_id",
    "trade_date",
    "symbol",
    "side",
    "quantity",
    "price",
    "reason",
]


@dataclass(frozen=True)
class HistoryParams:
    """How the book's history is simulated. Weekly decisions keep two years of 200 accounts quick.

    ``engine`` and ``risk``: pass the night's own (``pipelines`` reads them from the settings), so
    the history is traded as the night trades.
    """

    frequency: HarvestFrequency = HarvestFrequency.WEEKLY
    engine: EngineParams = field(default_factory=EngineParams)
    risk: RiskModelParams = field(default_factory=RiskModelParams)
    fill_cost_bps: float = 5.0
    annual_drift: float = 0.07  # of the closes drawn after the book's last close
    # Times the realistic yearly rates of corporate actions on the simulated days
    # (``sma.simulate.with_corporate_actions``; 0 = none): statements then show some.
    corporate_action_rate: float = 1.0


@dataclass(frozen=True)
class History:
    """The simulated period and where the book stands after it.

    values : ``VALUE_COLUMNS`` -- one row per account and business day after ``start``: market_value
        (USD, the securities held at the close), cash (USD), cash_flow (USD that day, + in / - out)
    trades : ``HISTORY_TRADE_COLUMNS`` -- every fill, at the close, with the engine's reason
    realized : the ledger's Form 8949 rows (``Ledger.realized()``; money in cents), the rows the
        simulated days' corporate actions booked included
    inbox : the inbox frames of ``end`` (``sma.inbox.INBOX_FILES``): lots, cash, positions, the last
        31 days of transactions and the prices up to ``end``; the securities the corporate actions
        handed out beside the book's, and ``corporate_actions`` lists the actions that went ex on
        the simulated days before ``end`` (already in the lots: the night applies only those going
        ex on its own date); other files as the book had them.
    snapshots : the inbox frames of each date asked for between ``start`` and ``end``, likewise
        (statement period ends: one run of the whole period instead of one run per period).
    """

    values: pd.DataFrame
    trades: pd.DataFrame
    realized: pd.DataFrame
    inbox: dict[str, pd.DataFrame]
    snapshots: dict[date, dict[str, pd.DataFrame]] = field(default_factory=dict)


def _lots_frame(open_lots: pd.DataFrame) -> pd.DataFrame:
    acquired = open_lots["acquired_date"].to_numpy().astype("datetime64[D]")
    adjusted = open_lots["adjusted_acquired_date"].to_numpy().astype("datetime64[D]")
    return pd.DataFrame(
        {
            "account_id": open_lots["account_id"].astype(str).to_numpy(),
            "lot_id": open_lots["lot_id"].astype(str).to_numpy(),
            "symbol": open_lots["symbol"].astype(str).to_numpy(),
            "quantity": open_lots["quantity"].to_numpy(float),
            "cost_basis": open_lots["cost_basis_cents"].to_numpy(np.int64) / 100.0,
            "acquired_date": pd.to_datetime(acquired),
            "adjusted_acquired_date": pd.to_datetime(
                np.where(adjusted == acquired, np.datetime64("NaT"), adjusted)
            ),
        }
    )[list(INBOX_FILES["lots"].column_names)]


def simulate_history(
    frames: dict[str, pd.DataFrame],
    start: date,
    end: date,
    seed: int,
    params: HistoryParams = HistoryParams(),
    workers: int = 1,
    snapshots: tuple[date, ...] = (),
) -> History:
    """Trade the book ``frames`` (its inbox on ``start``) with the engine from the next business day
    to ``end``.

    Parameters
    ----------
    frames : dict of str -> DataFrame -- ``sma.book.generate_book(n, seed, start)`` or an inbox read
    back
    start, end : date -- the book's as-of date and the last simulated day (``end > start``)
    seed : int -- the closes after ``start`` are drawn with it: same inputs, same history
    params : HistoryParams
    workers : int -- processes; households are split among them, results do not depend on it
    snapshots : business days strictly between ``start`` and ``end`` whose inbox is kept too
        (``History.snapshots``)
    """
    frames = _after_corporate_actions(frames, start)
    path = market_from_frames(frames["securities"], frames["prices"], frames["benchmarks"])
    last_known = path.dates[-1]
    if last_known != np.datetime64(start, "D"):
        raise ValueError(f"prices end on {last_known}, not on the book's date {start}")
    n_new = int(np.busday_count(np.datetime64(start, "D") + 1, np.datetime64(end, "D") + 1))
    if n_new < 1:
        raise ValueError(f"end {end} must be a business day after start {start}")
    market = with_corporate_actions(
        extend_market(path, n_new, seed, params.annual_drift),
        path.dates.size,
        params.corporate_action_rate,
        seed,
    )
    snap_days = _snapshot_days(market, path.dates.size, snapshots)
    accounts = frames["accounts"].sort_values("account_id", kind="stable").reset_index(drop=True)
    households = pd.factorize(accounts["household_id"].astype(str), sort=True)[0]
    n_shards = max(1, min(workers, int(households.max(initial=0)) + 1))
    jobs = [
        (
            frames,
            market,
            path.dates.size,
            accounts[households % n_shards == k].reset_index(drop=True),
            params,
            snap_days,
        )
        for k in range(n_shards)
    ]
    if n_shards > 1:
        with ProcessPoolExecutor(max_workers=n_shards, mp_context=get_context("fork")) as pool:
            runs = list(pool.map(_shard_run, jobs))
    else:
        runs = [_shard_run(job) for job in jobs]
    values = pd.concat([_values(ids, run) for ids, run in runs], ignore_index=True)
    values = values.sort_values(["date", "account_id"], kind="stable").reset_index(drop=True)
    trades = pd.concat([run.trades for _, run in runs], ignore_index=True)
    trades = trades.assign(trade_date=pd.to_datetime(trades["trade_date"]))
    trades = trades.sort_values(["trade_date", "account_id"], kind="stable").reset_index(drop=True)
    realized = pd.concat([run.realized for _, run in runs], ignore_index=True)
    realized = realized.sort_values(["sale_date", "account_id"], kind="stable").reset_index(
        drop=True
    )
    ids, first = accounts["account_id"].to_numpy(str), path.dates.size
    last = market.dates.size - 1
    inbox = _inbox_on(
        frames,
        market,
        last,
        [run.open_lots for _, run in runs],
        [pd.Series(run.cash[-1], index=shard) for shard, run in runs],
        trades,
        ids,
        end,
    )
    kept = {
        market.dates[t].astype(object): _inbox_on(
            frames,
            market,
            t,
            [run.snapshot_lots[t] for _, run in runs],
            [pd.Series(run.cash[t - first], index=shard) for shard, run in runs],
            trades,
            ids,
        )
        for t in snap_days
    }
    return History(values, trades[HISTORY_TRADE_COLUMNS], realized, inbox, kept)


def _after_corporate_actions(frames: dict[str, pd.DataFrame], start: date):
    """The book with the corporate actions going ex on ``start`` applied to its lots (its
    positions and cash already show them, as a custodian's do), so the history starts from the
    lots the night would hold."""
    actions = frames["corporate_actions"]
    if actions.empty:
        return frames
    accounts = frames["accounts"][["account_id", "household_id", "account_type"]]
    lots, _ = apply_corporate_actions(frames["lots"], actions, start, accounts)
    return frames | {"lots": lots}


def _actions_before(frames, market, day: pd.Timestamp) -> pd.DataFrame:
    """The simulated corporate actions that went ex before ``day``, as inbox rows: a record of
    what happened to the holdings (statements list them), never applied again."""
    columns = list(INBOX_FILES["corporate_actions"].column_names)
    if market.actions is None:
        return frames["corporate_actions"].iloc[0:0]
    past = market.actions[pd.to_datetime(market.actions["ex_date"]) < day]
    return past.reindex(columns=columns).reset_index(drop=True)


def _snapshot_days(market, first: int, snapshots) -> tuple[int, ...]:
    """Indices in ``market.dates`` of the snapshot dates, each a simulated business day before the
    last."""
    days = np.array(sorted(set(snapshots)), dtype="datetime64[D]")
    t = np.searchsorted(market.dates, days)
    bad = (t < first) | (t >= market.dates.size - 1)
    bad[~bad] = market.dates[t[~bad]] != days[~bad]
    if bad.any():
        raise ValueError(
            f"snapshot {days[bad][0]} is not a business day strictly between the history's "
            "start and end"
        )
    return tuple(int(x) for x in t)


def _shard_run(job) -> tuple[np.ndarray, PathRun]:
    """The engine over one shard of whole households (households never trade across shards)."""
    frames, market, first, accounts, params, snapshots = job
    acc = account_arrays(
        accounts, frames["restrictions"], frames["tilts"], market.securities, market.benchmark_ids
    )
    ids = acc.ids
    cash = (
        accounts["account_id"]
        .map(frames["cash"].set_index("account_id")["amount"])
        .fillna(0.0)
        .to_numpy(float)
    )
    settings = LoopSettings(
        Strategy.ENGINE,
        params.frequency,
        params.engine,
        fill_cost_bps=params.fill_cost_bps,
        risk=params.risk,
    )
    mine = {
        name: frames[name][frames[name]["account_id"].isin(ids)]
        for name in ("lots", "cash_flows", "transactions")
    }
    run = run_path(
        market,
        first,
        market.dates.size,
        acc,
        mine["lots"],
        cash,
        mine["cash_flows"],
        mine["transactions"],
        settings,
        snapshots,
    )
    return ids, run


def _values(ids: np.ndarray, run: PathRun) -> pd.DataFrame:
    T, m = run.value.shape
    return pd.DataFrame(
        {
            "account_id": np.tile(ids, T),
            "date": pd.to_datetime(np.repeat(run.dates, m)),
            "market_value": (run.value - run.cash).ravel().round(2),
            "cash": run.cash.ravel().round(2),
            "cash_flow": run.flow.ravel().round(2),
        }
    )


def _inbox_on(
    frames,
    market,
    t: int,
    shard_lots: list[pd.DataFrame],
    shard_cash: list[pd.Series],
    trades: pd.DataFrame,
    ids: np.ndarray,
    day: date | None = None,
) -> dict[str, pd.DataFrame]:
    """The inbox of day ``t`` of ``market`` (dated ``day``, default that day): each shard's open
    lots
    and cash after that day's trades."""
    day = pd.Timestamp(market.dates[t] if day is None else day)
    lots = _lots_frame(pd.concat(shard_lots, ignore_index=True))
    lots = lots.sort_values("account_id", kind="stable").reset_index(drop=True)
    positions = lots.groupby(["account_id", "symbol"], as_index=False, sort=True)["quantity"].sum()
    window_start = pd.Timestamp(wash_sale_window_start(day))  # pyright: ignore[reportArgumentType]
    recent = trades[(trades["trade_date"] >= window_start) & (trades["trade_date"] <= day)]
    cash = pd.concat(shard_cash).reindex(ids)
    n_sec = market.symbols.size
    # The prices file keeps as many days as the book's had.
    dates = market.dates[max(0, t + 1 - frames["prices"]["date"].nunique()) : t + 1]
    prices = pd.DataFrame(
        {
            "date": pd.to_datetime(np.repeat(dates, n_sec)),
            "symbol": np.tile(market.symbols, dates.size),
            "close": market.closes[t + 1 - dates.size : t + 1].ravel(),
        }
    )
    if "volume" in frames["prices"]:
        # Simulated days trade what each security traded on the book's last day.
        old = frames["prices"].assign(date=pd.to_datetime(frames["prices"]["date"]))
        known = old.set_index(["date", "symbol"])["volume"]
        last = old[old["date"] == old["date"].max()].set_index("symbol")["volume"]
        volume = known.reindex(
            pd.MultiIndex.from_arrays([prices["date"], prices["symbol"]])
        ).to_numpy(float)
        prices["volume"] = np.where(
            np.isnan(volume), last.reindex(prices["symbol"]).to_numpy(float), volume
        )
    out = dict(frames)
    out.update(
        lots=lots,
        cash=pd.DataFrame({"account_id": ids, "amount": cash.to_numpy(float).round(2)}),
        positions=positions[list(INBOX_FILES["positions"].column_names)],
        transactions=recent.assign(realized_gain=recent["realized_gain"].round(2))[
            list(INBOX_FILES["transactions"].column_names)
        ].reset_index(drop=True),
        prices=prices,
        # Index weights drift with prices: the day's are the caps at its close.
        benchmarks=market.benchmarks_frame(t)[list(INBOX_FILES["benchmarks"].column_names)],
        cash_flows=frames["cash_flows"].iloc[0:0],
        corporate_actions=_actions_before(frames, market, day),
    )
    if market.actions is not None:  # the names corporate actions handed out, beside the book's
        out["securities"] = market.securities[list(INBOX_FILES["securities"].column_names)]
    return {name: out[name] for name in INBOX_FILES}
