"""The overlay's booking, account by account (issue 19, "Sleeves in the ledger"): a shard books
all its UMA accounts at once, and each account's booking is its own -- the same as when it is
booked alone; and relief in the selling sleeve goes lot by lot, each relieved lot using up the
excess the next one would have been booked against."""

from __future__ import annotations

import pandas as pd

from sma.uma import book_to_sleeves

PRICE = 100.0
CLOSES = pd.Series(PRICE, index=["FFF", "GGG", "HHH"])
#: MA holds FFF and GGG, MB only FFF.
MODELS = pd.DataFrame(
    {"model_id": ["MA", "MA", "MB"], "symbol": ["FFF", "GGG", "FFF"], "weight": [0.5, 0.5, 1.0]}
)


def _sleeves(account: str, sleeves: dict[str, tuple[str, float]]) -> pd.DataFrame:
    """sleeve_id -> (model_id, target_weight)."""
    return pd.DataFrame(
        {
            "account_id": account,
            "sleeve_id": list(sleeves),
            "model_id": [m for m, _ in sleeves.values()],
            "target_weight": [w for _, w in sleeves.values()],
        }
    )


def _lots(account: str, rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """(lot_id, symbol, shares, sleeve) -> the attribution of the account's lots (text columns
    typed as text even when empty, as the engine's frames are)."""
    return pd.DataFrame(
        {
            "account_id": account,
            "lot_id": [r[0] for r in rows],
            "symbol": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
            "cost_basis": [r[2] * 90.0 for r in rows],
            "sleeve_id": [r[3] for r in rows],
            "attributed": "KEPT",
        }
    ).astype({"lot_id": str, "symbol": str, "sleeve_id": str})


def _trades(account: str, rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """(symbol, side, shares, reason) -> the account's trades at tonight's close."""
    return pd.DataFrame(
        {
            "account_id": account,
            "symbol": [r[0] for r in rows],
            "side": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
            "price": PRICE,
            "notional": [r[2] * PRICE for r in rows],
            "reason": [r[3] for r in rows],
        }
    ).astype({"symbol": str, "side": str, "reason": str})


def _lot_sells(account: str, rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """(lot_id, symbol, shares) -> the account's lot sells at tonight's close."""
    return pd.DataFrame(
        {
            "account_id": account,
            "symbol": [r[1] for r in rows],
            "lot_id": [r[0] for r in rows],
            "quantity": [r[2] for r in rows],
            "proceeds": [r[2] * PRICE for r in rows],
            "realized_gain": [r[2] * 10.0 for r in rows],
            "term": "LONG",
            "reason": "HARVEST",
        }
    ).astype({"symbol": str, "lot_id": str})


#: U1: A wants $1,000 of FFF and holds $2,000 (LA1, LA2); B wants $2,000 and holds it (LB1, LB2).
#: Tonight the account-wide tax choice sells LB1 and LB2 whole.
U1 = (
    _sleeves("U1", {"A": ("MA", 0.5), "B": ("MB", 0.5)}),
    _lots(
        "U1",
        [
            ("LA1", "FFF", 10.0, "A"),
            ("LA2", "FFF", 10.0, "A"),
            ("LB1", "FFF", 10.0, "B"),
            ("LB2", "FFF", 10.0, "B"),
        ],
    ),
    _trades("U1", [("FFF", "SELL", 20.0, "HARVEST")]),
    _lot_sells("U1", [("LB1", "FFF", 10.0), ("LB2", "FFF", 10.0)]),
)
#: U2: new, funded in cash; three sleeves (one of them cash) and two buys to split.
U2 = (
    _sleeves("U2", {"CASH": ("CASH", 0.1), "A": ("MA", 0.6), "B": ("MB", 0.3)}),
    _lots("U2", []),
    _trades("U2", [("FFF", "BUY", 30.0, "CASH_INVEST"), ("GGG", "BUY", 12.5, "CASH_INVEST")]),
    _lot_sells("U2", []),
)
#: U3: lots and no trades tonight; B holds GGG, which only A's model holds.
U3 = (
    _sleeves("U3", {"A": ("MA", 0.5), "B": ("MB", 0.5)}),
    _lots("U3", [("L1", "FFF", 20.0, "A"), ("L2", "GGG", 20.0, "B"), ("L3", "FFF", 5.0, "B")]),
    _trades("U3", []),
    _lot_sells("U3", []),
)
VALUE = pd.Series({"U1": 4_000.0, "U2": 5_000.0, "U3": 4_500.0})
MIN_TRADE = pd.Series({"U1": 0.0, "U2": 0.0, "U3": 50.0})


def _book(*accounts):
    sleeves, lots, trades, lot_sells = (
        pd.concat([a[i] for a in accounts], ignore_index=True) for i in range(4)
    )
    return book_to_sleeves(lots, trades, lot_sells, sleeves, MODELS, CLOSES, VALUE, MIN_TRADE)


def test_relief_in_the_over_sleeve_lasts_only_while_its_excess_does():
    """LB1 is booked as sold by A, over by $1,000 (a RELIEF move), which uses up A's excess: LB2
    is then sold by B itself. Netting then hands one of A's lots to B, left short."""
    booking = _book(U1)
    moves = booking.transfers[["lot_id", "from_sleeve", "to_sleeve", "kind"]].values.tolist()
    assert moves == [["LB1", "B", "A", "RELIEF"], ["LA1", "A", "B", "NETTING"]]
    assert booking.lot_sells[["lot_id", "sleeve_id"]].values.tolist() == [
        ["LB1", "A"],
        ["LB2", "B"],
    ]
    assert booking.trades[["sleeve_id", "side", "quantity"]].values.tolist() == [
        ["A", "SELL", 10.0],
        ["B", "SELL", 10.0],
    ]


def test_each_account_is_booked_as_if_it_were_alone_in_the_shard():
    together = _book(U1, U2, U3)
    for account in (U1, U2, U3):
        alone = _book(account)
        name = account[0]["account_id"].iloc[0]
        for frame in ("trades", "transfers", "lot_sleeves", "lot_sells"):
            got = getattr(together, frame)
            got = got[got["account_id"] == name].reset_index(drop=True)
            # the columns' types follow the shard (an empty column has none of its own)
            pd.testing.assert_frame_equal(
                got, getattr(alone, frame), check_exact=True, check_dtype=False, obj=frame
            )
