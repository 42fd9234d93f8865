"""Bring a simulated history of the book into the store, so statements have real periods.

``make demo`` builds the book's recent past with the simulator (``sma.simulate.simulate_history``)
in one run that keeps the book as it stands at each statement period end: each is loaded as that
date's inbox snapshot (the holdings a statement shows), and the daily values, trades and realized
gains of the whole run go into the history tables. The run ends on tonight's date, whose inbox
the night then runs on. Corporate actions go ex on the simulated days at the book generator's
realistic rates (``HistoryParams.corporate_action_rate``): each snapshot's ``corporate_actions``
file lists those gone ex before its date, so statements list them under activity, and the rows they
realized are in the history's realized gains (Form 8949).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.book import write_inbox
from pipelines.ingest import ingest
from pipelines.settings import Settings
from pipelines.store import open_store, transaction
from sma.book import BookParams
from sma.simulate import History, HistoryParams, simulate_history
from sma.uma import roll_models_forward


def quarter_ends_between(start: date, end: date) -> list[date]:
    """Business-day quarter ends strictly after ``start`` and before ``end``, then ``end``."""
    ends = pd.date_range(start, end, freq="BQE")
    return [d.date() for d in ends if start < d.date() < end] + [end]


def record_history(con, history: History, source: str = "simulated") -> None:
    """Daily values, trades and realized gains of ``history`` into the store, in one transaction."""
    values = history.values.assign(source=source)
    trades = history.trades.assign(source=source)
    r = history.realized
    realized = pd.DataFrame(
        {
            "as_of_date": pd.to_datetime(r["sale_date"]),
            "fill_id": source,
            "account_id": r["account_id"],
            "symbol": r["symbol"],
            "lot_id": r["lot_id"],
            "sale_date": r["sale_date"],
            "quantity": r["quantity"],
            "proceeds": r["proceeds_cents"] / 100,
            "cost_basis": r["cost_basis_cents"] / 100,
            "wash_sale_disallowed": r["wash_sale_disallowed_cents"] / 100,
            "permanently_disallowed": r["permanently_disallowed_cents"] / 100,
            "adjustment_code": r["adjustment_code"],
            "gain": r["gain_cents"] / 100,
            "term": r["term"],
            "acquired_date": r["acquired_date"],
            "adjusted_acquired_date": r["adjusted_acquired_date"],
        }
    )
    with transaction(con):
        for table, frame in (
            ("account_values", values),
            ("history_trades", trades),
            ("realized_gains", realized),
        ):
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")


def _record_start_values(con, frames: dict[str, pd.DataFrame], start: date) -> None:
    """Each account's value on the day history starts: the base its returns are measured from."""
    prices = frames["prices"]
    close = prices[pd.to_datetime(prices["date"]).dt.date == start].set_index("symbol")["close"]
    lots = frames["lots"]
    held = (lots["quantity"] * lots["symbol"].map(close)).groupby(lots["account_id"]).sum()
    cash = frames["cash"].set_index("account_id")["amount"]
    ids = frames["accounts"]["account_id"]
    values = pd.DataFrame(
        {
            "account_id": ids,
            "date": pd.Timestamp(start),
            "market_value": ids.map(held).fillna(0.0).to_numpy(),
            "cash": ids.map(cash).fillna(0.0).to_numpy(),
            "cash_flow": 0.0,
            "source": "simulated",
        }
    )
    con.register("incoming", values)
    con.execute("INSERT INTO account_values BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def with_model_versions(frames: dict[str, pd.DataFrame], through: date) -> dict[str, pd.DataFrame]:
    """The inbox ``frames`` of ``through`` with the versions its models' managers delivered since
    the book was generated (issue 19: "model changes over time so `make demo`'s history shows
    some"): one a quarter (``BookParams.model_version_days``), at the simulated closes."""
    every = BookParams().model_version_days
    return {
        **frames,
        "models": roll_models_forward(frames["models"], frames["prices"], through, every),
    }


def build_history(
    frames: dict[str, pd.DataFrame],
    start: date,
    end: date,
    inbox: Path,
    settings: Settings,
    seed: int,
    workers: int = 2,
    on_leg=lambda leg_end: None,
) -> dict[str, pd.DataFrame]:
    """Simulate the book from ``start`` to ``end``; returns the inbox frames of ``end``.

    The book at every quarter end in between is written to ``inbox`` and loaded as that date's
    snapshot (``on_leg`` is told each date as it is done); tonight's (``end``) is written for the
    night to load.
    """
    with open_store(settings.store.path) as con:
        _record_start_values(con, frames, start)
    period_ends = quarter_ends_between(start, end)[:-1]
    # The history is traded with the night's own engine and risk-model settings.
    params = HistoryParams(engine=settings.engine_params(), risk=settings.risk_model_params())
    history = simulate_history(
        frames, start, end, seed, params, workers=workers, snapshots=tuple(period_ends)
    )
    with open_store(settings.store.path) as con:
        record_history(con, history)
    for period_end in period_ends:
        write_inbox(
            with_model_versions(history.snapshots[period_end], period_end), inbox, period_end, "csv"
        )
        ingest(inbox, period_end, settings)
        on_leg(period_end)
    tonight = with_model_versions(history.inbox, end)
    write_inbox(tonight, inbox, end, "csv")
    on_leg(end)
    return tonight
