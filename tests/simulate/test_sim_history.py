"""A generated book's simulated history: shares, cash and lots stay whole; the inbox of the last
day."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.book import BookParams, generate_book
from sma.inbox import INBOX_FILES
from sma.ledger import apply_corporate_actions
from sma.simulate import HarvestFrequency, HistoryParams, simulate_history
from sma.simulate._history import HISTORY_TRADE_COLUMNS, VALUE_COLUMNS
from tests.simulate.small_universe import SMALL_UNIVERSE

# Simulated histories of several months each: more than a minute in all.
pytestmark = pytest.mark.slow

START, END = date(2024, 1, 2), date(2024, 2, 29)


@pytest.fixture(scope="module")
def book():
    return generate_book(6, 21, START, BookParams(price_days=300, universe=SMALL_UNIVERSE))


#: The invariants below are those of fills and flows: shares and cash move only by trades, so the
#: path has no corporate actions (a merger pays cash and removes shares no trade moved). Actions
#: on the path: the last test here; shares and basis through each action: tests/ledger.
QUIET = HistoryParams(frequency=HarvestFrequency.WEEKLY, corporate_action_rate=0.0)


@pytest.fixture(scope="module")
def history(book):
    return simulate_history(book, START, END, seed=21, params=QUIET)


def test_history_has_a_value_row_per_account_and_business_day(book, history):
    days = np.busday_count(np.datetime64(START) + 1, np.datetime64(END) + 1)
    assert list(history.values.columns) == VALUE_COLUMNS and len(history.values) == days * len(
        book["accounts"]
    )
    assert list(history.trades.columns) == HISTORY_TRADE_COLUMNS and len(history.trades) > 0


def test_no_loss_is_washed_in_any_household(history):
    """IRS Pub. 550 and Rev. Rul. 2008-5: the engine, and the same-night household check, avoid wash
    sales."""
    assert (history.realized["wash_sale_disallowed_cents"] == 0).all()
    assert (history.realized["permanently_disallowed_cents"] == 0).all()


def test_shares_are_conserved_from_the_book_through_every_fill_to_the_last_lots(book, history):
    # The history starts from the book's lots after the corporate actions of its first day.
    lots, _ = apply_corporate_actions(
        book["lots"],
        book["corporate_actions"],
        START,
        book["accounts"][["account_id", "household_id", "account_type"]],
    )
    before = lots.groupby(["account_id", "symbol"])["quantity"].sum()
    t = history.trades
    moved = (
        (t["quantity"] * np.where(t["side"] == "BUY", 1, -1))
        .groupby([t["account_id"], t["symbol"]])
        .sum()
    )
    expected = before.add(moved, fill_value=0.0)
    after = history.inbox["lots"].groupby(["account_id", "symbol"])["quantity"].sum()
    expected = expected[expected.abs() > 1e-9]
    pd.testing.assert_series_equal(
        after.sort_index(), expected.sort_index(), check_names=False, atol=1e-6
    )


def test_the_last_day_inbox_follows_the_contract_and_positions_match_lots(history):
    for name, spec in INBOX_FILES.items():
        assert list(history.inbox[name].columns)[: len(spec.column_names)] == list(
            spec.column_names
        ), name
    lots = history.inbox["lots"].groupby(["account_id", "symbol"], as_index=False)["quantity"].sum()
    pos = history.inbox["positions"]
    assert (
        np.allclose(lots["quantity"], pos["quantity"])
        and (history.inbox["cash"]["amount"] >= -0.01).all()
    )
    assert pd.to_datetime(history.inbox["prices"]["date"]).max() == pd.Timestamp(END)


def test_same_seed_same_history(book, history):
    again = simulate_history(book, START, END, seed=21, params=QUIET)
    pd.testing.assert_frame_equal(again.values, history.values)
    pd.testing.assert_frame_equal(again.trades, history.trades)


def test_households_split_over_two_processes_give_the_same_history(book, history):
    split = simulate_history(
        book,
        START,
        END,
        seed=21,
        params=QUIET,
        workers=2,
    )
    pd.testing.assert_frame_equal(split.values, history.values)
    pd.testing.assert_frame_equal(split.trades, history.trades)
    pd.testing.assert_frame_equal(split.inbox["lots"], history.inbox["lots"])


def test_a_history_built_in_two_legs_continues_where_the_first_left_off(book, history):
    """Legs (as ``make demo`` builds quarter by quarter): the second starts from the first's
    inbox."""
    middle = date(2024, 1, 31)
    first = simulate_history(
        book, START, middle, seed=21, params=HistoryParams(frequency=HarvestFrequency.WEEKLY)
    )
    second = simulate_history(
        first.inbox, middle, END, seed=21, params=HistoryParams(frequency=HarvestFrequency.WEEKLY)
    )
    assert second.values["date"].min() > pd.Timestamp(middle)
    w = second.inbox["benchmarks"].groupby("benchmark_id")["weight"].sum()
    assert np.allclose(w, 1.0)
    before = first.inbox["prices"].pivot(index="date", columns="symbol", values="close")
    after = second.inbox["prices"].pivot(index="date", columns="symbol", values="close")
    shared = before.index.intersection(after.index)
    assert np.allclose(before.loc[shared], after.loc[shared])


def test_every_dollar_of_cash_is_accounted_for_by_flows_fills_and_trading_costs(book, history):
    """PRODUCT.md, "Nothing is lost": cash at the end = cash at the start + flows + sales - buys -
    costs."""
    cost = HistoryParams().fill_cost_bps * 1e-4
    t = history.trades
    notional = (t["quantity"] * t["price"]).round(2)
    signed = np.where(t["side"] == "SELL", notional, -notional) - (notional * cost).round(2)
    moved = pd.Series(signed).groupby(t["account_id"].to_numpy()).sum()
    flows = history.values.groupby("account_id")["cash_flow"].sum()
    start = book["cash"].set_index("account_id")["amount"]
    end = history.inbox["cash"].set_index("account_id")["amount"]
    expected = start.add(flows, fill_value=0).add(moved, fill_value=0)
    trades_per_account = t.groupby("account_id").size().reindex(end.index, fill_value=0)
    assert (np.abs(end - expected.reindex(end.index)) <= 0.01 * (trades_per_account + 1)).all()


def test_lots_opened_in_two_legs_never_share_an_id(book):
    """A lot id names one purchase for good (the store and Form 8949 rows key on it)."""
    middle = date(2024, 1, 31)
    first = simulate_history(
        book, START, middle, seed=21, params=HistoryParams(frequency=HarvestFrequency.WEEKLY)
    )
    second = simulate_history(
        first.inbox, middle, END, seed=21, params=HistoryParams(frequency=HarvestFrequency.WEEKLY)
    )
    opened_first = set(zip(first.realized["account_id"], first.realized["lot_id"])) | set(
        zip(first.inbox["lots"]["account_id"], first.inbox["lots"]["lot_id"])
    )
    opened_second = (
        set(zip(second.inbox["lots"]["account_id"], second.inbox["lots"]["lot_id"])) - opened_first
    )
    assert opened_second and all(lot.startswith("SIM2024") for _, lot in opened_second)
    ids = second.inbox["lots"][["account_id", "lot_id"]]
    assert not ids.duplicated().any()


def test_a_snapshot_inside_the_period_is_the_book_as_the_trades_up_to_that_day_left_it(
    book, history
):
    """``make demo`` simulates two years in one run and keeps the inbox of each statement period
    end."""
    middle = date(2024, 1, 31)
    kept = simulate_history(
        book,
        START,
        END,
        seed=21,
        params=QUIET,
        snapshots=(middle,),
    )
    pd.testing.assert_frame_equal(kept.trades, history.trades)
    pd.testing.assert_frame_equal(kept.inbox["lots"], history.inbox["lots"])
    inbox = kept.snapshots[middle]
    t = history.trades[history.trades["trade_date"] <= pd.Timestamp(middle)]
    # The history starts from the book's lots after the corporate actions of its first day.
    lots, _ = apply_corporate_actions(
        book["lots"],
        book["corporate_actions"],
        START,
        book["accounts"][["account_id", "household_id", "account_type"]],
    )
    before = lots.groupby(["account_id", "symbol"])["quantity"].sum()
    moved = (
        (t["quantity"] * np.where(t["side"] == "BUY", 1, -1))
        .groupby([t["account_id"], t["symbol"]])
        .sum()
    )
    expected = before.add(moved, fill_value=0.0)
    after = inbox["lots"].groupby(["account_id", "symbol"])["quantity"].sum()
    pd.testing.assert_series_equal(
        after.sort_index(),
        expected[expected.abs() > 1e-9].sort_index(),
        check_names=False,
        atol=1e-6,
    )
    values = history.values[history.values["date"] == pd.Timestamp(middle)].set_index("account_id")[
        "cash"
    ]
    cash = inbox["cash"].set_index("account_id")["amount"]
    assert np.allclose(cash, values.reindex(cash.index), atol=0.01)
    assert pd.to_datetime(inbox["prices"]["date"]).max() == pd.Timestamp(middle)
    assert pd.to_datetime(inbox["transactions"]["trade_date"]).max() <= pd.Timestamp(middle)


def test_a_snapshot_outside_the_period_is_refused(book):
    with pytest.raises(ValueError, match="snapshot"):
        simulate_history(book, START, END, seed=21, snapshots=(date(2024, 1, 6),))


def test_the_history_estimates_its_risk_models_with_the_risk_parameters_it_is_given(book):
    """The demo's history is traded with the night's [risk] settings, not the code's defaults."""
    from sma.risk import RiskModelError, RiskModelParams

    needs_more_history = HistoryParams(risk=RiskModelParams(min_history_days=10_000))
    with pytest.raises(RiskModelError, match="at least 10000"):
        simulate_history(book, START, END, seed=21, params=needs_more_history)


def test_the_inbox_lists_the_corporate_actions_of_the_simulated_days_with_what_they_handed_out(
    book,
):
    """Issue 22: ``make demo``'s history has corporate actions (here at 20x the realistic rates,
    so two months of a small universe see some). The inbox lists those that went ex before its
    date -- already in its lots, so the night, which applies only those going ex on its own date,
    never applies them again -- and the securities they handed out, so every lot is known."""
    busy = simulate_history(
        book,
        START,
        END,
        seed=21,
        params=HistoryParams(frequency=HarvestFrequency.WEEKLY, corporate_action_rate=20.0),
    )
    actions = busy.inbox["corporate_actions"]
    assert list(actions.columns) == list(INBOX_FILES["corporate_actions"].column_names)
    assert len(actions) > 0 and (pd.to_datetime(actions["ex_date"]) < pd.Timestamp(END)).all()
    known = set(busy.inbox["securities"]["symbol"])
    assert set(actions["symbol"]) | set(actions["new_symbol"].dropna()) <= known
    assert set(busy.inbox["lots"]["symbol"]) <= known
    lots = busy.inbox["lots"].groupby(["account_id", "symbol"], as_index=False)["quantity"].sum()
    np.testing.assert_allclose(lots["quantity"], busy.inbox["positions"]["quantity"])
