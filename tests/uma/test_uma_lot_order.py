"""The sleeves' figures of a night (issue 19: "What the overlay saved" and "The overlay
decision") are the lots', whatever order the night's frames list them in: a lot's holding period
is its own, the lots a sleeve sells on its own leave oldest first and, bought the same day, in
lot_id order; a lot sold in two parts is down by both; a substantially identical security
washes a loss like the same one (PRODUCT.md, "Tax rules"). Worked by hand at $100 a share."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sma.uma import SleeveBooking, overlay_savings, sleeve_records

AS_OF = date(2026, 11, 24)
PRICE = pd.Series({"AAA": 100.0, "BBB": 100.0, "XXX": 100.0, "XXY": 100.0})
SLEEVES = pd.DataFrame(
    {
        "account_id": "U1",
        "sleeve_id": ["A", "B"],
        "model_id": ["MA", "MB"],
        "target_weight": [0.5, 0.5],
        "drift_band": [0.05, 0.05],
    }
)
NO_BLOCKS = pd.DataFrame(
    columns=["household_id", "identical_group", "buy_blocked", "loss_sale_blocked"]
)


def _models(a: dict[str, float], b: dict[str, float]) -> pd.DataFrame:
    rows = [("MA", s, w) for s, w in a.items()] + [("MB", s, w) for s, w in b.items()]
    return pd.DataFrame(rows, columns=["model_id", "symbol", "weight"])


def _lots(rows: list[tuple[str, str, str, float, float, date, date | None]]) -> pd.DataFrame:
    """(lot_id, sleeve, symbol, shares, basis per share, acquired, adjusted acquired)."""
    return pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": [r[0] for r in rows],
            "symbol": [r[2] for r in rows],
            "quantity": [r[3] for r in rows],
            "cost_basis": [r[3] * r[4] for r in rows],
            "sleeve_id": [r[1] for r in rows],
            "acquired_date": [r[5] for r in rows],
            "adjusted_acquired_date": [r[6] for r in rows],
        }
    )


def _saved(lots: pd.DataFrame, models: pd.DataFrame, group_of=None, dated=None) -> pd.Series:
    """What the overlay saved for U1 (taxable, 40 % short term, 20 % long term, $10,000), the
    overlay having sold 1 AAA share of L9 at no gain; ``dated`` the lots as the ledger lists
    them (default: as attributed)."""
    accounts = pd.DataFrame(
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
    trades = pd.DataFrame(
        {"account_id": ["U1"], "symbol": ["AAA"], "side": ["SELL"], "notional": [100.0]}
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": ["U1"],
            "symbol": ["AAA"],
            "lot_id": ["L9"],
            "quantity": [1.0],
            "realized_gain": [0.0],
            "term": ["SHORT"],
        }
    )
    out = overlay_savings(
        lots.drop(columns=["acquired_date", "adjusted_acquired_date"]),
        lots if dated is None else dated,
        SLEEVES,
        models,
        PRICE,
        accounts,
        trades,
        lot_sells,
        pd.DataFrame(columns=["account_id", "lot_id"]),
        NO_BLOCKS,
        AS_OF,
        group_of,
    )
    return out.iloc[0]


def test_lots_a_sleeve_bought_the_same_day_leave_it_in_lot_id_order():
    """A holds L2 (basis $90) and L1 (basis $110) of AAA, both bought 2026-06-01, and its model
    halves AAA: alone it sells 25 of 50 shares, from L1 first (a $250 short-term loss), whatever
    order the lots are listed in."""
    lots = _lots(
        [
            ("L2", "A", "AAA", 25.0, 90.0, date(2026, 6, 1), None),
            ("L1", "A", "AAA", 25.0, 110.0, date(2026, 6, 1), None),
            ("L3", "B", "BBB", 50.0, 100.0, date(2026, 6, 1), None),
        ]
    )
    row = _saved(lots, _models({"AAA": 0.5, "XXX": 0.5}, {"BBB": 1.0}))
    assert row.gain_st_independent == pytest.approx(-250.0)
    assert row.gain_lt_independent == 0.0


def test_a_sleeve_alone_sells_by_each_lots_own_holding_period_however_the_ledger_lists_them():
    """L1 was bought 2026-05-01; L2 on 2026-06-01 carries a wash sale's adjusted date of
    2024-01-02 (sma.ledger): L2 is the older and long term, so A sells it first, a $500
    long-term gain at the 20 % rate, with the ledger's lots in another order than A's."""
    lots = _lots(
        [
            ("L1", "A", "AAA", 25.0, 100.0, date(2026, 5, 1), None),
            ("L2", "A", "AAA", 25.0, 80.0, date(2026, 6, 1), date(2024, 1, 2)),
            ("L3", "B", "BBB", 50.0, 100.0, date(2026, 6, 1), None),
        ]
    )
    models = _models({"AAA": 0.5, "XXX": 0.5}, {"BBB": 1.0})
    row = _saved(lots, models, dated=lots.iloc[::-1])
    assert (row.gain_st_independent, row.gain_lt_independent) == pytest.approx((0.0, 500.0))
    assert row.tax_independent == pytest.approx(100.0)


def test_a_sibling_buying_a_substantially_identical_security_washes_a_loss_sale_alone():
    """A sells its XXX at a $500 loss while B, alone, buys XXY: the two are one identical
    group, so the loss is washed; as different securities they are not."""
    lots = _lots(
        [
            ("L1", "A", "XXX", 50.0, 110.0, date(2026, 6, 1), None),
            ("L2", "B", "BBB", 50.0, 100.0, date(2026, 6, 1), None),
        ]
    )
    models = _models({"AAA": 1.0}, {"BBB": 0.5, "XXY": 0.5})
    same_group = pd.Series({"XXX": "G1", "XXY": "G1"})
    assert _saved(lots, models, group_of=same_group).wash_sales_independent == 1
    assert _saved(lots, models).wash_sales_independent == 0


def _booked() -> tuple[pd.DataFrame, SleeveBooking]:
    """U1's lots (A: 50 AAA in L1, B: 50 BBB in L2) and a night selling 25 AAA from A out of
    L1 in two lot sells, 10 and 15 shares."""
    attribution = pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": ["L1", "L2"],
            "symbol": ["AAA", "BBB"],
            "quantity": 50.0,
            "cost_basis": 4_000.0,
            "sleeve_id": ["A", "B"],
            "attributed": "KEPT",
        }
    )
    booking = SleeveBooking(
        trades=pd.DataFrame(
            {
                "account_id": ["U1"],
                "sleeve_id": ["A"],
                "symbol": ["AAA"],
                "side": ["SELL"],
                "quantity": [25.0],
                "notional": [2_500.0],
            }
        ),
        transfers=pd.DataFrame(
            columns=["account_id", "lot_id", "symbol", "quantity", "value"]
            + ["from_sleeve", "to_sleeve", "kind"]
        ),
        lot_sleeves=attribution[["account_id", "lot_id", "symbol", "sleeve_id"]],
        lot_sells=pd.DataFrame(
            {
                "account_id": "U1",
                "symbol": "AAA",
                "lot_id": "L1",
                "quantity": [10.0, 15.0],
                "realized_gain": [200.0, 300.0],
                "term": "LONG",
                "sleeve_id": "A",
            }
        ),
    )
    return attribution, booking


def _records(attribution: pd.DataFrame, booking: SleeveBooking) -> pd.DataFrame:
    accounts = pd.DataFrame(
        {
            "account_id": ["U1"],
            "account_type": ["TAXABLE"],
            "st_tax_rate": [0.4],
            "lt_tax_rate": [0.2],
            "cash_before": [0.0],
            "cash_after": [2_500.0],
        }
    )
    models = _models({"AAA": 1.0}, {"BBB": 1.0})
    return sleeve_records(attribution, booking, SLEEVES, models, PRICE, accounts)


def test_a_lot_sold_in_two_parts_leaves_its_sleeve_without_both():
    """A's 50 AAA less the 10 and the 15 sold: $2,500 after tonight, a quarter of the account
    (the $2,500 of cash is in no sleeve); the gains of both sells, taxed long term."""
    records = _records(*_booked()).set_index("sleeve_id")
    assert records.loc["A", "value_before"] == 5_000.0
    assert records.loc["A", "value_after"] == 2_500.0
    assert records.loc["A", "weight_after"] == pytest.approx(0.25)
    assert records.loc["A", "sold"] == 2_500.0
    assert records.loc["A", "realized_gain"] == 500.0
    assert records.loc["A", "tax_cost"] == pytest.approx(100.0)
    assert records.loc["B", "value_after"] == 5_000.0


def test_a_sleeves_record_is_the_same_whatever_order_the_lots_and_sells_are_listed_in():
    attribution, booking = _booked()
    shuffled = SleeveBooking(
        trades=booking.trades,
        transfers=booking.transfers,
        lot_sleeves=booking.lot_sleeves.iloc[::-1],
        lot_sells=booking.lot_sells.iloc[::-1],
    )
    assert_frame_equal(_records(attribution.iloc[::-1], shuffled), _records(attribution, booking))
