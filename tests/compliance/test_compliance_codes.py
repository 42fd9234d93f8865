"""Pre-trade compliance on integer codes (issue 23): ``check_proposal`` numbers a shard's ids once
and joins integers; on any book it finds exactly the violations, in the same order and words, that
the rules joining the ids as text found (``string_key_rules.py``, the rules as first written)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from sma.compliance import ComplianceLimits, ProposalBook, check_proposal
from sma.compliance._book import code_book
from tests.compliance.string_key_rules import check_proposal as check_on_text
from tests.example_counts import property_examples

# Ids whose text order is not their numeric or insertion order, sharing prefixes and case.
ACCOUNTS = ["A10", "A2", "A1", "a1", "Ä3", "B-7"]
SYMBOLS = ["XOM", "BRK.B", "AAPL", "aapl", "AA", "ZZZ", "MSFT"]
LOT_IDS = ["L1", "L10", "L2", "L1-w1", "L1-w1-w1", "9"]
QUANTITIES = [0.5, 1.0, 2.0, 3.0, 10.0, 10.25, 100.0, 0.0, -1.0]
PRICES = [10.0, 99.0, 100.0, 105.0, 111.0, 150.0]


def _rows(draw, n: int, columns: dict) -> pd.DataFrame:
    """``n`` rows of values drawn from ``columns``; typed as the night types them, even empty."""
    return pd.DataFrame(
        {
            c: pd.Series(
                [draw(st.sampled_from(values)) for _ in range(n)],
                dtype=float if isinstance(values[0], float) else str,
            )
            for c, values in columns.items()
        }
    )


@st.composite
def books(draw) -> ProposalBook:
    """A shard's proposal and book: random orders, lot sells and lots over a few accounts,
    securities and lots, with repeats, blocks, holds, fractional accounts and missing closes."""
    n = lambda most: draw(st.integers(0, most))  # noqa: E731
    trades = _rows(
        draw,
        n(25),
        {
            "account_id": ACCOUNTS,
            "symbol": SYMBOLS,
            "side": ["BUY", "SELL"],
            "quantity": QUANTITIES,
            "price": PRICES,
        },
    )
    trades["notional"] = trades["quantity"] * trades["price"]
    trades["reason"] = "REBALANCE"
    lot_sells = _rows(
        draw,
        n(25),
        {"account_id": ACCOUNTS, "symbol": SYMBOLS, "lot_id": LOT_IDS, "quantity": QUANTITIES},
    )
    lots = _rows(
        draw,
        n(30),
        {"account_id": ACCOUNTS, "lot_id": LOT_IDS, "symbol": SYMBOLS, "quantity": QUANTITIES},
    )
    blocked = {"account_id": ACCOUNTS, "symbol": SYMBOLS, "why": ["NO_BUY", "wash sale"]}
    market = pd.DataFrame(
        {"symbol": pd.Series(draw(st.lists(st.sampled_from(SYMBOLS), unique=True)), dtype=str)}
    )
    market["close"] = [draw(st.sampled_from([100.0, 0.0, np.nan])) for _ in range(len(market))]
    market["volume"] = [draw(st.sampled_from([1e6, 100.0, np.nan])) for _ in range(len(market))]
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), unique=True))
    return ProposalBook(
        trades=trades,
        lot_sells=lot_sells,
        lots=lots,
        cash=pd.DataFrame(
            {
                "account_id": pd.Series(accounts, dtype=str),
                "amount": [draw(st.sampled_from([0.0, 1e3, 1e6])) for _ in accounts],
            }
        ),
        held=pd.DataFrame(
            {
                "account_id": pd.Series(
                    draw(st.lists(st.sampled_from(ACCOUNTS), max_size=2)), dtype=str
                )
            }
        ),
        buy_blocked=_rows(draw, n(4), blocked),
        sell_blocked=_rows(draw, n(4), blocked),
        market=market,
        fractional=frozenset(draw(st.lists(st.sampled_from(ACCOUNTS), max_size=3))),
        decimals=draw(st.sampled_from([0, 3])),
    )


@property_examples(8, 300, given(books()), suppress_health_check=[HealthCheck.too_slow])
def test_integer_codes_find_what_the_text_ids_find(book):
    limits = ComplianceLimits(max_share_of_daily_volume=0.01, max_order_notional=5_000.0)
    pd.testing.assert_frame_equal(check_proposal(book, limits), check_on_text(book, limits))


@property_examples(15, 100, given(books()))
def test_codes_number_the_ids_in_their_text_order_and_name_them_back(book):
    coded = code_book(book)
    for column, names in (("account_id", coded.accounts), ("symbol", coded.symbols)):
        assert list(names) == sorted(names)
        assert coded.named(column, coded.trades[column]).tolist() == book.trades[column].tolist()
    assert list(coded.lot_ids) == sorted(set(book.lot_sells["lot_id"]))
    assert coded.named("lot_id", coded.lot_sells["lot_id"]).tolist() == list(
        book.lot_sells["lot_id"]
    )
    # Of the lots, those a lot sell names, in the book's order.
    sold = book.lots[book.lots["lot_id"].isin(book.lot_sells["lot_id"])]
    assert coded.lots.index.tolist() == sold.index.tolist()
    for column in ("account_id", "lot_id", "symbol"):
        assert coded.named(column, coded.lots[column]).tolist() == sold[column].tolist()
    assert coded.lots["quantity"].tolist() == sold["quantity"].tolist()
    # The shares held per position, of all the lots.
    held = book.lots.groupby(["account_id", "symbol"])["quantity"].sum()
    at = coded.positions(coded.shares_held.index)
    assert (
        dict(
            zip(
                zip(
                    coded.named("account_id", at["account_id"]), coded.named("symbol", at["symbol"])
                ),
                coded.shares_held.tolist(),
                strict=True,
            )
        )
        == held.to_dict()
    )
    keys = coded.position(coded.lots)
    assert coded.positions(keys).to_dict("list") == {
        "account_id": coded.lots["account_id"].tolist(),
        "symbol": coded.lots["symbol"].tolist(),
    }
    lots = coded.lots_of(coded.lot(coded.lots))
    assert lots.to_dict("list") == coded.lots[["account_id", "lot_id", "symbol"]].to_dict("list")


def _none(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def test_a_blocked_buy_is_found_once_per_block_on_integer_codes():
    """A buy blocked by both a restriction and a wash sale reads both reasons (PRODUCT.md,
    "Pre-trade compliance": no buy of a restricted or wash-blocked security)."""
    book = ProposalBook(
        trades=pd.DataFrame(
            {
                "account_id": ["A2", "A10"],
                "symbol": ["XOM", "XOM"],
                "side": ["BUY", "BUY"],
                "quantity": [1.0, 1.0],
                "price": [100.0, 100.0],
                "notional": [100.0, 100.0],
            }
        ),
        lot_sells=_none({"account_id": str, "symbol": str, "lot_id": str, "quantity": float}),
        lots=_none({"account_id": str, "lot_id": str, "symbol": str, "quantity": float}),
        cash=pd.DataFrame({"account_id": ["A2", "A10"], "amount": [1e3, 1e3]}),
        held=_none({"account_id": str}),
        buy_blocked=pd.DataFrame(
            {"account_id": ["A2", "A2"], "symbol": ["XOM", "XOM"], "why": ["NO_BUY", "wash sale"]}
        ),
        sell_blocked=_none({"account_id": str, "symbol": str, "why": str}),
        market=pd.DataFrame({"symbol": ["XOM"], "close": [100.0], "volume": [1e6]}),
    )
    found = check_proposal(book)
    assert found[["account_id", "rule", "message"]].values.tolist() == [
        ["A2", "blocked_buy", "buy of a blocked security: NO_BUY"],
        ["A2", "blocked_buy", "buy of a blocked security: wash sale"],
    ]
    pd.testing.assert_frame_equal(found, check_on_text(book, ComplianceLimits()))
