"""Lot relief methods and Form 8949 rows (PRODUCT.md "Tax rules"; Form 8949 instructions, columns
(a)-(h); IRS Publication 550, "Identifying the stock sold" for specific lots and FIFO)."""

from __future__ import annotations

import pandas as pd
import pytest

from sma.ledger import Ledger, ReliefMethod
from sma.ledger._errors import OversellError, UnknownLotError

ONE_TAXABLE = pd.DataFrame(
    {"account_id": ["A"], "household_id": ["H"], "account_type": ["TAXABLE"]}
)


def four_lots() -> Ledger:
    """A holds 10 shares of X in four lots (cost per share, bought):
    L1 $50 2024-01-10 (long-term in 2026), L2 $120 2024-06-03 (long-term),
    L3 $90 2025-12-01 (short-term), L4 $130 2025-12-15 (short-term). X sells at $100."""
    ledger = Ledger(ONE_TAXABLE)
    for lot_id, cost, day in (
        ("L1", 50, "2024-01-10"),
        ("L2", 120, "2024-06-03"),
        ("L3", 90, "2025-12-01"),
        ("L4", 130, "2025-12-15"),
    ):
        ledger.buy("A", "X", lot_id, 10, cost * 10 * 100, day)
    return ledger


def relieved(ledger: Ledger) -> list[str]:
    return ledger.realized()["lot_id"].tolist()


@pytest.mark.parametrize(
    "method, expected",
    [
        (
            ReliefMethod.FIFO,
            ["L1", "L2", "L3", "L4"],
        ),  # Pub. 550: unidentified shares are the first bought
        (ReliefMethod.LIFO, ["L4", "L3", "L2", "L1"]),
        (ReliefMethod.HIFO, ["L4", "L2", "L3", "L1"]),
        # least tax: short-term loss (L4), long-term loss (L2), long-term gain (L1), short-term gain
        # (L3)
        (ReliefMethod.MINTAX, ["L4", "L2", "L1", "L3"]),
    ],
)
def test_relief_method_orders_the_lots_relieved(method, expected):
    """PRODUCT.md "Tax rules": FIFO, LIFO, HIFO and MINTAX (ST losses, LT losses, LT gains, ST
    gains)."""
    ledger = four_lots()
    ledger.sell("A", "X", 40, 40 * 100 * 100, "2026-01-20", method)
    assert relieved(ledger) == expected


def test_mintax_sells_the_biggest_loss_per_share_first_within_a_class():
    """PRODUCT.md: MINTAX orders each class by size -- rate x gain per share ascending."""
    ledger = Ledger(ONE_TAXABLE)
    ledger.buy("A", "X", "small_loss", 5, 105 * 5 * 100, "2026-01-02")
    ledger.buy("A", "X", "big_loss", 5, 140 * 5 * 100, "2026-01-03")
    ledger.sell("A", "X", 5, 500 * 100, "2026-01-20", ReliefMethod.MINTAX)
    assert relieved(ledger) == ["big_loss"]


def test_partial_relief_reports_proceeds_basis_and_gain_per_lot_piece():
    """Form 8949 instructions: one row per lot, (d) proceeds, (e) cost basis, (h) gain; a sale
    across
    lots is split by shares; the remainder keeps its basis per share, to the cent."""
    ledger = four_lots()
    booked = ledger.sell("A", "X", 15, 1500_00, "2026-01-20", ReliefMethod.FIFO)
    rows = ledger.realized_at(booked)
    assert rows[
        ["lot_id", "quantity", "proceeds_cents", "cost_basis_cents", "gain_cents", "term"]
    ].values.tolist() == [
        ["L1", 10.0, 1000_00, 500_00, 500_00, "LONG"],
        ["L2", 5.0, 500_00, 600_00, -100_00, "LONG"],
    ]
    open_l2 = ledger.open_lots().set_index("lot_id").loc["L2"]
    assert (open_l2["quantity"], open_l2["cost_basis_cents"]) == (5.0, 600_00)


def test_proceeds_split_across_pieces_add_up_to_the_sale_to_the_cent():
    """Form 8949: the pieces of one sale report all of its proceeds, nothing lost to rounding."""
    ledger = Ledger(ONE_TAXABLE)
    for i in range(3):
        ledger.buy("A", "X", f"L{i}", 1, 1000, "2026-01-02")
    ledger.sell("A", "X", 3, 1001, "2026-01-05")
    assert ledger.realized()["proceeds_cents"].sum() == 1001


def test_specific_lots_are_relieved_in_the_order_named():
    """Pub. 550 "Identifying the stock sold": adequately identified shares are the ones sold."""
    ledger = four_lots()
    ledger.sell("A", "X", 15, 1500_00, "2026-01-20", ReliefMethod.SPECIFIC, lot_ids=("L3", "L1"))
    rows = ledger.realized()
    assert rows[["lot_id", "quantity"]].values.tolist() == [["L3", 10.0], ["L1", 5.0]]


def test_sale_of_more_than_the_named_lots_hold_is_refused():
    """PRODUCT.md "Tax rules": fills relieve exactly the lots named; no sale of more than held."""
    ledger = four_lots()
    with pytest.raises(OversellError, match="lots L3 hold 10"):
        ledger.sell("A", "X", 11, 1100_00, "2026-01-20", ReliefMethod.SPECIFIC, lot_ids=("L3",))


def test_sale_of_more_than_the_account_holds_is_refused_and_books_nothing():
    """PRODUCT.md "Pre-trade compliance"/"Interfaces": a sale of more than is held is rejected."""
    ledger = four_lots()
    with pytest.raises(OversellError, match="sale of 41 shares but the account holds 40"):
        ledger.sell("A", "X", 41, 4100_00, "2026-01-20")
    assert len(ledger.realized()) == 0
    assert ledger.open_lots()["quantity"].sum() == 40


def test_naming_a_lot_the_account_does_not_hold_is_refused():
    """PRODUCT.md: the engine's sells name their lots; fills relieve exactly those."""
    ledger = four_lots()
    with pytest.raises(UnknownLotError, match="lot L9 is not in the account"):
        ledger.sell("A", "X", 1, 100_00, "2026-01-20", ReliefMethod.SPECIFIC, lot_ids=("L9",))
