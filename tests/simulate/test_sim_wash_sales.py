"""The simulator avoids wash sales as the night does (issue 13, defect 3).

Its blocks come from the same rules and inputs as the night's: starting-book lots bought in the last
30
days are purchases, and a block lasts 30 days from the household's latest trade, whatever order its
accounts' trades are listed in.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.book import BookParams, generate_book
from sma.inbox import INBOX_FILES
from sma.ledger import wash_sale_block_until
from sma.rebalance import account_arrays
from sma.simulate import (
    HarvestFrequency,
    HistoryParams,
    Strategy,
    generated_market,
    simulate_history,
)
from sma.simulate._book import SimBook
from sma.simulate._loop import LoopSettings, run_path
from tests.simulate.small_universe import SMALL_UNIVERSE


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(INBOX_FILES[name].column_names))


def accounts_frame(ids, households) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ids,
            "household_id": households,
            "client_name": "x",
            "account_type": "TAXABLE",
            "benchmark_id": "B",
            "tlh_enabled": True,
            "st_tax_rate": 0.40,
            "lt_tax_rate": 0.20,
            "max_tracking_error": 0.02,
            "gain_budget": np.nan,
            "min_trade_value": 0.0,
            "cash_target": 0.0,
            "inception_date": pd.Timestamp("2020-01-01"),
        }
    )


SECURITIES = pd.DataFrame(
    {
        "symbol": ["AAA", "BBB"],
        "sector": ["Energy", "Energy"],
        "identical_group": [None, None],
        "esg_tags": ["", ""],
    }
)


def test_a_households_block_lasts_30_days_from_its_latest_trade_whatever_the_listing_order():
    """IRS Publication 550, "Wash Sales" (30 days before or after, any account of the household;
    Rev. Rul.
    2008-5). A1 bought AAA on Jan 20, A2 on Jan 5, listed in account order: the block runs to Feb
    19."""
    acc = account_arrays(
        accounts_frame(["A1", "A2"], ["H1", "H1"]), None, None, SECURITIES, np.array(["B"])
    )
    recent = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "trade_date": ["2024-01-20", "2024-01-05"],
            "symbol": ["AAA", "AAA"],
            "side": ["BUY", "BUY"],
            "quantity": [10.0, 10.0],
            "price": [50.0, 50.0],
            "realized_gain": [np.nan, np.nan],
        }
    )
    book = SimBook(acc, empty("lots"), np.zeros(2), recent, 0.0, np.datetime64("2024-02-01"))

    def block(day: str) -> pd.DataFrame:
        blocks = book.blocks(np.datetime64(day))
        return blocks[(blocks["household_id"] == "H1") & (blocks["identical_group"] == "AAA")]

    def loss_sale_blocked(day: str) -> bool:
        return bool(block(day)["loss_sale_blocked"].any())

    on_feb_1 = block(
        "2024-02-01"
    )  # both buys inside the window: the latest one is the one that lasts
    assert pd.Timestamp(on_feb_1["last_buy_date"].iloc[0]) == pd.Timestamp("2024-01-20")
    assert wash_sale_block_until(on_feb_1["last_buy_date"].to_numpy())[0] == np.datetime64(
        "2024-02-20"
    )
    assert loss_sale_blocked("2024-02-10")  # 36 days after Jan 5, 21 after Jan 20
    assert loss_sale_blocked("2024-02-19")  # the 30th day after the latest buy
    assert not loss_sale_blocked("2024-02-20")


def test_a_harvest_before_a_ticker_change_blocks_buying_the_new_ticker():
    """IRS Publication 550, "Wash Sales"; CORPORATE_ACTIONS.md: a SYMBOL_CHANGE is the same
    security. A1 sold AAA at a loss on Jan 20; AAA became AAAN on Jan 25. On Feb 10 the household
    must not buy AAAN (the simulator used to: it bought a harvested name back 21 days later under
    its new ticker, and its ledger washed the loss), and from Feb 20 it may."""
    securities = pd.concat(
        [SECURITIES, SECURITIES.iloc[:1].assign(symbol="AAAN")], ignore_index=True
    )
    acc = account_arrays(
        accounts_frame(["A1", "A2"], ["H1", "H1"]), None, None, securities, np.array(["B"])
    )
    recent = pd.DataFrame(
        {
            "account_id": ["A1"],
            "trade_date": ["2024-01-20"],
            "symbol": ["AAA"],
            "side": ["SELL"],
            "quantity": [10.0],
            "price": [50.0],
            "realized_gain": [-120.0],
        }
    )
    book = SimBook(acc, empty("lots"), np.zeros(2), recent, 0.0, np.datetime64("2024-01-21"))
    change = empty("corporate_actions").astype(object)
    change.loc[0, ["symbol", "ex_date", "kind", "new_symbol"]] = [
        "AAA",
        date(2024, 1, 25),
        "SYMBOL_CHANGE",
        "AAAN",
    ]
    book.corporate_actions(change, np.datetime64("2024-01-25"))

    def buy_blocked(day: str) -> set[str]:
        blocks = book.blocks(np.datetime64(day))
        return set(blocks.loc[blocks["buy_blocked"], "identical_group"])

    assert buy_blocked("2024-02-10") == {"AAAN"}
    assert buy_blocked("2024-02-19") == {"AAAN"}  # the 30th day after the sale
    assert buy_blocked("2024-02-20") == set()


@pytest.fixture(scope="module")
def market():
    return generated_market(11, date(2023, 6, 1), 200, universe_params=SMALL_UNIVERSE)


@pytest.mark.slow
def test_a_starting_lot_bought_10_days_ago_at_a_loss_is_not_sold_in_the_next_20_days(market):
    """IRS Publication 550, "Wash Sales": a loss sale within 30 days after a purchase is washed. The
    night counts recently acquired lots as purchases (``sma.ledger.recent_lot_purchases``); so does
    the
    simulator, even when no transaction lists the buy. The lot, 25 % under water, is the whole
    account:
    harvesting it would be tempting on every day of the window."""
    first = 120
    day0 = market.dates[first]
    j = int(np.argmax(market.weights0[0]))
    close = market.closes[first, j]
    lots = pd.DataFrame(
        {
            "account_id": ["A1"],
            "lot_id": ["L1"],
            "symbol": [market.symbols[j]],
            "quantity": [1000.0],
            "cost_basis": [round(1000 * close / 0.75, 2)],
            "acquired_date": [pd.Timestamp(day0) - pd.Timedelta(days=10)],
            "adjusted_acquired_date": [pd.NaT],
        }
    )
    accounts = accounts_frame(["A1"], ["H1"]).assign(benchmark_id=market.benchmark_ids[0])
    acc = account_arrays(
        accounts, empty("restrictions"), empty("tilts"), market.securities, market.benchmark_ids
    )
    run = run_path(
        market,
        first,
        first + 30,
        acc,
        lots,
        np.zeros(1),
        empty("cash_flows"),
        empty("transactions"),
        LoopSettings(Strategy.ENGINE, HarvestFrequency.DAILY),
    )
    t = run.trades
    sold = t[(t["side"] == "SELL") & (t["symbol"] == market.symbols[j])]
    window_ends = np.datetime64(day0, "D") - 10 + 30
    assert (
        pd.to_datetime(sold["trade_date"]).to_numpy().astype("datetime64[D]") > window_ends
    ).all()
    assert len(sold) > 0, (
        "after the window the loss is harvested: the block, not the price, held it"
    )


@pytest.mark.slow
def test_a_short_simulated_history_makes_no_wash_sale_in_any_household():
    """IRS Publication 550, "Wash Sales" and Rev. Rul. 2008-5; PRODUCT.md: the engine never sells at
    a
    loss what the household bought in the last 30 days, and never buys what it sold at a loss.
    Checked by
    an independent pass over the trades and the ledger's rows, not by the engine's own blocks."""
    start, end = date(2024, 1, 2), date(2024, 2, 29)
    book = generate_book(12, 5, start, BookParams(price_days=300, universe=SMALL_UNIVERSE))
    history = simulate_history(
        book, start, end, seed=5, params=HistoryParams(frequency=HarvestFrequency.WEEKLY)
    )
    r = history.realized
    assert (r["wash_sale_disallowed_cents"] == 0).all() and not (r["adjustment_code"] == "W").any()

    household = book["accounts"].set_index("account_id")["household_id"]
    taxable = book["accounts"].set_index("account_id")["account_type"] == "TAXABLE"
    sec = book["securities"]
    group = pd.Series(
        sec["identical_group"]
        .where(sec["identical_group"].fillna("") != "", sec["symbol"])
        .to_numpy(),
        index=sec["symbol"].to_numpy(),
    )
    # The engine's own sales only: a cash merger realizes a loss nobody chose
    # (CORPORATE_ACTIONS.md), and it takes every share of the symbol, last week's lot too, so
    # nothing replaces it.
    t = history.trades
    sells = t[t["side"] == "SELL"]
    engine_sold = pd.MultiIndex.from_arrays(
        [sells["account_id"], sells["symbol"], pd.to_datetime(sells["trade_date"])]
    )
    by_engine = pd.MultiIndex.from_arrays(
        [r["account_id"], r["symbol"], pd.to_datetime(r["sale_date"])]
    ).isin(engine_sold)
    losses = r[
        (r["proceeds_cents"] < r["cost_basis_cents"]) & r["account_id"].map(taxable) & by_engine
    ]
    losses = pd.DataFrame(
        {
            "household": losses["account_id"].map(household).to_numpy(),
            "group": losses["symbol"].map(group).to_numpy(),
            "sold": pd.to_datetime(losses["sale_date"]).to_numpy(),
        }
    )
    trades, opening = history.trades, book["lots"]
    buys = pd.concat(
        [
            pd.DataFrame(
                {
                    "account_id": trades["account_id"],
                    "symbol": trades["symbol"],
                    "bought": pd.to_datetime(trades["trade_date"]),
                }
            )[trades["side"] == "BUY"],
            pd.DataFrame(
                {
                    "account_id": opening["account_id"],
                    "symbol": opening["symbol"],
                    "bought": pd.to_datetime(opening["acquired_date"]),
                }
            ),
        ]
    )
    buys = pd.DataFrame(
        {
            "household": buys["account_id"].map(household).to_numpy(),
            "group": buys["symbol"].map(group).to_numpy(),
            "bought": buys["bought"].to_numpy(),
        }
    )
    pairs = losses.merge(buys, on=["household", "group"])
    washed = pairs[(pairs["bought"] - pairs["sold"]).abs() <= pd.Timedelta(days=30)]
    assert len(losses) > 0 and washed.empty, washed.head()
