"""What the overlay saved (issue 19): "For each UMA account the night also computes (without
trading it) what implementing each sleeve on its own would have traded, and reports the
difference: trades netted away, gains not realized, wash sales avoided." The rule for the sleeves
on their own is :mod:`sma.uma._savings`'s (each sleeve to its own model from its own lots, FIFO;
no netting; no household wash coordination). The examples are worked by hand at $100 a share."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sma.uma import OVERLAY_SAVINGS_COLUMNS, overlay_savings

AS_OF = date(2026, 11, 24)
PRICE = pd.Series({"AAA": 100.0, "BBB": 100.0, "XXX": 100.0, "XXY": 100.0})
SLEEVES = pd.DataFrame(
    {
        "account_id": "U1",
        "sleeve_id": ["A", "B", "C"],
        "model_id": ["MA", "MB", "CASH"],
        "target_weight": [0.5, 0.5, 0.0],
    }
)
ACCOUNTS = pd.DataFrame(
    {
        "household_id": ["H1"],
        "account_type": ["TAXABLE"],
        "st_tax_rate": [0.40],
        "lt_tax_rate": [0.20],
        "min_trade_value": [10.0],
        "value": [10_000.0],
    },
    index=pd.Index(["U1"], name="account_id"),
)
NO_BLOCKS = pd.DataFrame(
    columns=["household_id", "identical_group", "buy_blocked", "loss_sale_blocked"]
)
NO_TRANSFERS = pd.DataFrame(columns=["account_id", "lot_id"])


def _lots(rows: list[tuple[str, str, str, float, float, date]]) -> pd.DataFrame:
    """(lot_id, sleeve, symbol, shares, basis per share, acquired)."""
    return pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": [r[0] for r in rows],
            "symbol": [r[2] for r in rows],
            "quantity": [r[3] for r in rows],
            "cost_basis": [r[3] * r[4] for r in rows],
            "sleeve_id": [r[1] for r in rows],
            "acquired_date": [r[5] for r in rows],
            "adjusted_acquired_date": None,
        }
    )


def _models(a: dict[str, float], b: dict[str, float]) -> pd.DataFrame:
    rows = [("MA", s, w) for s, w in a.items()] + [("MB", s, w) for s, w in b.items()]
    return pd.DataFrame(rows, columns=["model_id", "symbol", "weight"])


def _trades(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": "U1",
            "symbol": [r[0] for r in rows],
            "side": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
            "notional": [r[2] * 100.0 for r in rows],
        }
    )


def _lot_sells(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    """(symbol, lot_id, shares, realized gain, term)."""
    return pd.DataFrame(
        {
            "account_id": "U1",
            "symbol": [r[0] for r in rows],
            "lot_id": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
            "realized_gain": [r[3] for r in rows],
            "term": [r[4] for r in rows],
        }
    )


def _saved(lots, models, trades, lot_sells, blocks=NO_BLOCKS, transfers=NO_TRANSFERS):
    out = overlay_savings(
        lots.drop(columns=["acquired_date", "adjusted_acquired_date"]),
        lots,
        SLEEVES,
        models,
        PRICE,
        ACCOUNTS,
        trades,
        lot_sells,
        transfers,
        blocks,
        AS_OF,
    )
    assert list(out.columns) == OVERLAY_SAVINGS_COLUMNS
    assert len(out) == 1
    return out.iloc[0]


def test_opposite_trades_in_two_sleeves_are_both_traded_alone_and_netted_by_the_overlay():
    """A holds 50 AAA (basis $80, long term); B holds 25 BBB and 25 XXX (basis $90, short term).
    A's model becomes half AAA, half XXX; B's all BBB. On its own A sells 25 AAA and buys 25 XXX,
    B sells 25 XXX and buys 25 BBB: 4 orders, $10,000, gains $500 LT + $250 ST, tax $100 + $100.
    The account as one (AAA 25 %, XXX 25 %, BBB 50 %) sells 25 AAA and buys 25 BBB: 2 orders,
    $5,000, $500 LT, tax $100. The XXX both sleeves trade is netted away."""
    lots = _lots(
        [
            ("L1", "A", "AAA", 50.0, 80.0, date(2024, 1, 2)),
            ("L2", "B", "BBB", 25.0, 100.0, date(2026, 6, 1)),
            ("L3", "B", "XXX", 25.0, 90.0, date(2026, 6, 1)),
        ]
    )
    row = _saved(
        lots,
        _models({"AAA": 0.5, "XXX": 0.5}, {"BBB": 1.0}),
        _trades([("AAA", "SELL", 25.0), ("BBB", "BUY", 25.0)]),
        _lot_sells([("AAA", "L1", 25.0, 500.0, "LONG")]),
    )
    assert (row.trades_independent, row.trades_overlay) == (4, 2)
    assert row.traded_independent == pytest.approx(10_000.0)
    assert row.traded_overlay == pytest.approx(5_000.0)
    assert row.netted_away == pytest.approx(5_000.0)
    assert row.gain_lt_independent == pytest.approx(500.0)
    assert row.gain_st_independent == pytest.approx(250.0)
    assert (row.gain_st_overlay, row.gain_lt_overlay) == pytest.approx((0.0, 500.0))
    assert (row.tax_independent, row.tax_overlay) == pytest.approx((200.0, 100.0))
    assert row.tax_saved == pytest.approx(100.0)
    assert (row.wash_sales_independent, row.wash_sales_overlay) == (0, 0)


def test_a_loss_harvested_in_one_sleeve_while_a_sibling_buys_it_is_a_wash_sale_alone():
    """A holds 50 XXX bought at $120 (a $1,000 loss on 50 shares... sold FIFO: the older lot
    first), B holds 50 BBB. A's model moves to AAA, B's to half BBB, half XXX. On its own A sells
    all XXX at a $1,000 short-term loss while B buys 25 XXX: a wash sale (PRODUCT.md, "Tax
    rules"). The overlay moves 25 XXX to B without a trade and sells only the other 25 (no XXX
    bought): no wash sale."""
    lots = _lots(
        [
            ("L1", "A", "XXX", 25.0, 120.0, date(2026, 5, 1)),
            ("L2", "A", "XXX", 25.0, 120.0, date(2026, 6, 1)),
            ("L3", "B", "BBB", 50.0, 100.0, date(2026, 6, 1)),
        ]
    )
    row = _saved(
        lots,
        _models({"AAA": 1.0}, {"BBB": 0.5, "XXX": 0.5}),
        _trades([("XXX", "SELL", 25.0), ("AAA", "BUY", 50.0)]),
        _lot_sells([("XXX", "L1", 25.0, -500.0, "SHORT")]),
        transfers=pd.DataFrame({"account_id": ["U1"], "lot_id": ["L2"]}),
    )
    assert row.wash_sales_independent == 1
    assert row.wash_sales_overlay == 0
    assert row.gain_st_independent == pytest.approx(-1_000.0)
    assert (
        row.trades_independent == 4
    )  # A: sell XXX (two lots, one order), buy AAA; B: sell BBB, buy XXX
    assert row.trades_overlay == 2


def test_a_buy_of_what_the_household_sold_at_a_loss_in_the_window_is_a_wash_sale_alone():
    """The household sold XXX at a loss within 30 days (the night's buy block): B buying XXX on
    its own washes it; the overlay, which respects the block, buys none."""
    lots = _lots(
        [
            ("L1", "A", "AAA", 50.0, 100.0, date(2026, 6, 1)),
            ("L2", "B", "BBB", 50.0, 100.0, date(2026, 6, 1)),
        ]
    )
    blocks = pd.DataFrame(
        {
            "household_id": ["H1"],
            "identical_group": ["XXX"],
            "buy_blocked": [True],
            "loss_sale_blocked": [False],
        }
    )
    row = _saved(
        lots,
        _models({"AAA": 1.0}, {"BBB": 0.5, "XXX": 0.5}),
        _trades([("BBB", "SELL", 25.0), ("XXY", "BUY", 25.0)]),
        _lot_sells([("BBB", "L2", 25.0, 0.0, "SHORT")]),
        blocks,
    )
    assert (row.wash_sales_independent, row.wash_sales_overlay) == (1, 0)


def test_an_ira_pays_no_tax_either_way_and_an_account_without_trades_is_not_reported():
    lots = _lots([("L1", "A", "AAA", 50.0, 80.0, date(2024, 1, 2))])
    models = _models({"XXX": 1.0}, {"BBB": 1.0})
    ira = ACCOUNTS.assign(account_type="IRA")
    args = (lots.drop(columns=["acquired_date"]), lots, SLEEVES, models, PRICE, ira)
    out = overlay_savings(
        *args,
        _trades([("AAA", "SELL", 50.0)]),
        _lot_sells([("AAA", "L1", 50.0, 1_000.0, "LONG")]),
        NO_TRANSFERS,
        NO_BLOCKS,
        AS_OF,
        group_of=pd.Series({"XXX": "G1"}),
    )
    assert out["gain_lt_independent"].iloc[0] == pytest.approx(1_000.0)
    assert out["tax_independent"].iloc[0] == 0.0 and out["tax_overlay"].iloc[0] == 0.0
    none = overlay_savings(*args, _trades([]), _lot_sells([]), NO_TRANSFERS, NO_BLOCKS, AS_OF)
    assert none.empty and list(none.columns) == OVERLAY_SAVINGS_COLUMNS
