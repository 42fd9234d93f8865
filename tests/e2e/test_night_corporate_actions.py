"""A night with a spin-off going ex tonight (issue 22; PRODUCT.md, "The nightly run", step 3):
the night applies it before deciding, reconciles against the custodian's post-action positions,
and the engine sees the spun-off name -- outside the benchmark, a sell candidate with its own tax
cost, not an error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e import small_book
from tests.e2e.test_nights_stateful import FIRST_DAY, _one_night


@pytest.mark.slow
def test_a_spinoff_tonight_is_reconciled_and_the_new_name_is_traded_not_refused(tmp_path: Path):
    frames = small_book.initial_book(7, FIRST_DAY)
    lots = frames["lots"]
    parent = lots.groupby("symbol")["account_id"].nunique().idxmax()
    spun = pd.DataFrame(
        {
            "symbol": ["SPUN"],
            "name": ["Spun Corp"],
            "sector": [frames["securities"].set_index("symbol").loc[parent, "sector"]],
            "industry": ["General"],
            "identical_group": [None],
            "esg_tags": [None],
        }
    )
    frames["securities"] = pd.concat([frames["securities"], spun], ignore_index=True)
    prices = frames["prices"]
    child = prices[prices["symbol"] == parent].assign(
        symbol="SPUN", close=lambda f: (f["close"] * 0.2).round(2)
    )
    frames["prices"] = pd.concat([prices, child], ignore_index=True)
    received = lots[lots["symbol"] == parent].assign(
        symbol="SPUN", quantity=lambda f: (f["quantity"] * 0.5).apply(int).astype(float)
    )
    frames["positions"] = small_book.positions_of(pd.concat([lots, received]))
    action = {"symbol": parent, "ex_date": FIRST_DAY, "kind": "SPINOFF", "ratio": 0.5}
    action |= {"new_symbol": "SPUN", "basis_fraction": 0.2, "cash_in_lieu_price": 5.0}
    frames["corporate_actions"] = pd.DataFrame([action])

    exceptions = _one_night(tmp_path, frames)

    assert exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION"])].empty, (
        exceptions.to_string()
    )
    trades = pd.read_parquet(
        tmp_path / "runs" / FIRST_DAY.isoformat() / "proposal" / "trades.parquet"
    )
    spun_trades = trades[trades["symbol"] == "SPUN"]
    assert (spun_trades["side"] != "BUY").all()  # outside the benchmark: never bought
    assert len(spun_trades) > 0, trades.to_string()


@pytest.mark.slow
def test_a_cash_merger_tonight_closes_the_lots_and_leaves_the_custodians_cash_to_invest(
    tmp_path: Path,
):
    """The contract, MERGER_CASH: every lot of the target is sold; the custodian's positions no
    longer show it and its cash holds the proceeds, which the engine invests."""
    frames = small_book.initial_book(7, FIRST_DAY)
    lots = frames["lots"]
    target = lots.groupby("symbol")["account_id"].nunique().idxmax()
    price = float(frames["prices"].query("symbol == @target")["close"].iloc[-1]) * 1.3
    frames["positions"] = small_book.positions_of(lots[lots["symbol"] != target])
    paid = (lots[lots["symbol"] == target].groupby("account_id")["quantity"].sum() * price).round(2)
    frames["cash"] = frames["cash"].assign(
        amount=frames["cash"]["amount"] + frames["cash"]["account_id"].map(paid).fillna(0.0)
    )
    frames["corporate_actions"] = pd.DataFrame(
        [
            {
                "symbol": target,
                "ex_date": FIRST_DAY,
                "kind": "MERGER_CASH",
                "ratio": None,
                "price": price,
            }
        ]
    )
    index = frames["benchmarks"][frames["benchmarks"]["symbol"] != target]  # the index drops it
    frames["benchmarks"] = index.assign(weight=index["weight"] / index["weight"].sum())

    exceptions = _one_night(tmp_path, frames)

    assert exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION"])].empty, (
        exceptions.to_string()
    )
    run = tmp_path / "runs" / FIRST_DAY.isoformat() / "proposal"
    trades = pd.read_parquet(run / "trades.parquet")
    assert not (trades["symbol"] == target).any()
    buyers = set(trades.loc[trades["side"] == "BUY", "account_id"])
    assert set(paid.index) & buyers, trades.to_string()


@pytest.mark.slow
def test_a_generated_book_with_every_kind_of_action_tonight_runs_a_night_without_a_hold(
    tmp_path: Path,
):
    """Issue 22, part 5: the book generator's actions (every kind, at 250x the yearly rates)
    validate, apply and reconcile: no account is held for bad input or a break."""
    from sma.book import BookParams, CorporateActionRates, generate_book

    busy = BookParams(
        price_days=260, history_years=2, corporate_actions=CorporateActionRates().scaled(250)
    )
    frames = generate_book(12, 11, FIRST_DAY, busy)
    assert frames["corporate_actions"]["kind"].nunique() >= 6

    exceptions = _one_night(tmp_path, frames)

    assert exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION"])].empty, (
        exceptions.to_string()
    )
