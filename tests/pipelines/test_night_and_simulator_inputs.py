"""The night and the simulator build the engine's inputs with one function (issue 13).

``pipelines/night/_decide.py::shard_inputs`` and the simulator's day (``sma.simulate.day_shard``)
both go through ``sma.rebalance.day_inputs``: on the same book and day they hand the engine the same
arrays, so a simulated night decides as a real one would.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.night._decide import shard_inputs
from sma.book import BookParams, generate_book
from sma.ledger import (
    identical_groups,
    recent_lot_purchases,
    wash_sale_blocks,
    wash_sale_window_start,
)
from sma.market import SECTOR_COUNTS, UniverseParams
from sma.rebalance import ShardInputs, account_arrays
from sma.simulate import market_from_frames
from sma.simulate._book import SimBook
from sma.simulate._loop import day_shard

AS_OF = date(2026, 11, 24)
SMALL = UniverseParams(
    sector_counts=tuple((s, 4) for s in SECTOR_COUNTS), n_share_class_pairs=2, n_outside=2
)


@pytest.fixture(scope="module")
def book():
    return generate_book(8, 3, AS_OF, BookParams(price_days=120, universe=SMALL))


def night_side(book) -> ShardInputs:
    """What the night's prepare and decide steps hand ``shard_inputs`` for this book (no store
    history)."""
    sec = book["securities"].sort_values("symbol").reset_index(drop=True)
    prices = book["prices"]
    close = prices[pd.to_datetime(prices["date"]).dt.date == AS_OF].set_index("symbol")["close"]
    market = sec[["symbol", "sector", "identical_group", "esg_tags"]].assign(
        close=close.reindex(sec["symbol"]).to_numpy()
    )
    accounts = book["accounts"].sort_values(["household_id", "account_id"]).reset_index(drop=True)
    flows = book["cash_flows"][
        pd.to_datetime(book["cash_flows"]["requested_date"]).dt.date <= AS_OF
    ]
    accounts = accounts.assign(
        cash=accounts["account_id"].map(book["cash"].set_index("account_id")["amount"]).fillna(0.0),
        cash_flow=accounts["account_id"]
        .map(flows.groupby("account_id")["amount"].sum())
        .fillna(0.0),
        realized_ytd=0.0,
        benchmark_changed=False,
        restriction_changed=False,
    )
    household = accounts.set_index("account_id")["household_id"]
    t = book["transactions"]
    t = t[pd.to_datetime(t["trade_date"]) >= pd.Timestamp(wash_sale_window_start(AS_OF))]
    recent = pd.concat(
        [
            t.assign(household_id=t["account_id"].map(household)),
            recent_lot_purchases(book["lots"], household, AS_OF),
        ],
        ignore_index=True,
    )
    groups = pd.Series(
        identical_groups(sec["symbol"], sec.set_index("symbol")["identical_group"]),
        index=sec["symbol"].to_numpy(),
    )
    blocks = wash_sale_blocks(recent, groups, np.datetime64(AS_OF))
    inputs, _ = shard_inputs(
        accounts,
        book["lots"],
        book["restrictions"],
        book["tilts"],
        market,
        book["benchmarks"],
        blocks,
        AS_OF,
    )
    return inputs


def simulator_side(book, cash_flow: pd.Series) -> ShardInputs:
    """The simulator's day on the book's own date: its ledger, cash and recent trades."""
    path = market_from_frames(book["securities"], book["prices"], book["benchmarks"])
    accounts = book["accounts"].sort_values(["household_id", "account_id"]).reset_index(drop=True)
    acc = account_arrays(
        accounts, book["restrictions"], book["tilts"], path.securities, path.benchmark_ids
    )
    cash = (
        accounts["account_id"]
        .map(book["cash"].set_index("account_id")["amount"])
        .fillna(0.0)
        .to_numpy(float)
    )
    sim = SimBook(acc, book["lots"], cash, book["transactions"], 0.0, np.datetime64(AS_OF))
    sim.start_day(np.datetime64(AS_OF))
    shard, _ = day_shard(sim, path, path.dates.size - 1, cash_flow.reindex(acc.ids).to_numpy(float))
    return shard


def test_the_night_and_the_simulator_hand_the_engine_the_same_arrays(book):
    """PRODUCT.md ("The per-account decision"; wash sales per IRS Publication 550 and Rev. Rul.
    2008-5):
    one rule, one builder. Every ShardInputs array is the same, lots compared in (account, lot)
    order;
    money and weights to 1e-9 (the simulator's ledger keeps basis in cents, its index weights drift
    from the book's by float rounding only)."""
    night = night_side(book)
    sim = simulator_side(book, pd.Series(night.cash_flow, index=night.account_ids))
    assert (night.account_ids == sim.account_ids).all() and (night.symbols == sim.symbols).all()
    assert night.buy_blocked.any() and night.loss_sale_blocked.any(), (
        "the book has wash-sale blocks to compare"
    )
    on, os_ = (
        np.lexsort((night.lot_ids, night.lot_account)),
        np.lexsort((sim.lot_ids, sim.lot_account)),
    )
    for f in fields(ShardInputs):
        if not f.init:
            continue
        a, b = getattr(night, f.name), getattr(sim, f.name)
        if f.name.startswith("lot_"):
            a, b = a[on], b[os_]
        if np.asarray(a).dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=f.name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=f.name)
