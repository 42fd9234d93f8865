"""Wash sales across a household (IRS Publication 550, "Wash Sales"; Treas. Reg. 1.1091-1 and
1.1091-2; Rev. Rul. 2008-5; Form 8949 instructions, code W), with PRODUCT.md's matching
conventions."""

from __future__ import annotations

import pandas as pd

from sma.ledger import Ledger, ReliefMethod

HOUSEHOLD = pd.DataFrame(
    {
        "account_id": ["A", "B", "IRA", "ROTH", "OTHER"],
        "household_id": ["H", "H", "H", "H", "H2"],
        "account_type": ["TAXABLE", "TAXABLE", "IRA", "ROTH", "TAXABLE"],
    }
)


def usd(dollars: float) -> int:
    return round(dollars * 100)


def loss_sale(
    day_bought: str = "2025-09-24", day_sold: str = "2026-02-03", identical_group=None
) -> Ledger:
    """A bought 100 X for $1,000 and sells them for $750: an indicated loss of $250."""
    ledger = Ledger(HOUSEHOLD, identical_group)
    ledger.buy("A", "X", "OLD", 100, usd(1000), day_bought)
    ledger.sell("A", "X", 100, usd(750), day_sold)
    return ledger


def row(ledger: Ledger, i: int = 0) -> pd.Series:
    return ledger.realized().iloc[i]


def lot(ledger: Ledger, lot_id: str) -> pd.Series:
    return ledger.open_lots().set_index("lot_id").loc[lot_id]


def test_loss_is_disallowed_and_added_to_the_basis_of_the_new_stock():
    """Pub. 550 "Wash Sales", example: bought 100 shares for $1,000, sold for $750, bought 100
    within 30 days for $800: the $250 loss is not deductible and the new basis is $1,050."""
    ledger = loss_sale()
    ledger.buy("A", "X", "NEW", 100, usd(800), "2026-02-20")
    sale = row(ledger)
    assert (sale["wash_sale_disallowed_cents"], sale["adjustment_code"], sale["gain_cents"]) == (
        usd(250),
        "W",
        0,
    )
    assert (
        lot(ledger, "NEW")["cost_basis_cents"],
        lot(ledger, "NEW")["wash_sale_adjustment_cents"],
    ) == (usd(1050), usd(250))


def test_replacement_holding_period_includes_the_sold_shares_holding_period():
    """Pub. 550 "Wash Sales": the holding period of the new stock includes that of the old;
    PRODUCT.md convention: new trade date minus the 132 days the old shares were held."""
    ledger = loss_sale()
    ledger.buy("A", "X", "NEW", 100, usd(800), "2026-02-20")
    assert str(lot(ledger, "NEW")["adjusted_acquired_date"].date()) == "2025-10-11"
    assert str(lot(ledger, "NEW")["acquired_date"].date()) == "2026-02-20"


def test_more_stock_bought_than_sold_washes_the_first_shares_bought():
    """Pub. 550, "More or less stock bought than sold": 100 shares sold at a $1,000 loss on
    February 3; 50 bought on each of February 1-4: add $500 to the basis of the February 1 shares
    and $500 to the February 2 shares; the February 3 and 4 shares are not replacements."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "M", "SEP24", 100, usd(10_000), "2025-09-24")
    ledger.buy("A", "M", "FEB01", 50, usd(4_500), "2026-02-01")
    ledger.buy("A", "M", "FEB02", 50, usd(4_500), "2026-02-02")
    ledger.sell("A", "M", 100, usd(9_000), "2026-02-03", ReliefMethod.SPECIFIC, lot_ids=("SEP24",))
    ledger.buy("A", "M", "FEB03", 50, usd(4_500), "2026-02-03")
    ledger.buy("A", "M", "FEB04", 50, usd(4_500), "2026-02-04")
    assert row(ledger)["wash_sale_disallowed_cents"] == usd(1_000)
    adjustments = ledger.open_lots().set_index("lot_id")["wash_sale_adjustment_cents"].to_dict()
    assert adjustments == {"FEB01": usd(500), "FEB02": usd(500), "FEB03": 0, "FEB04": 0}


def test_less_stock_bought_than_sold_washes_only_the_replaced_shares():
    """Pub. 550, "More or less stock bought than sold": 100 shares sold at a $1,000 loss, 75
    bought within 30 days: the loss on 75 shares ($750) is disallowed, $250 is deductible."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "M", "SEP24", 100, usd(10_000), "2025-09-24")
    ledger.sell("A", "M", 100, usd(9_000), "2026-02-03")
    ledger.buy("A", "M", "NEW", 75, usd(6_750), "2026-02-10")
    sale = row(ledger)
    assert (sale["wash_sale_disallowed_cents"], sale["gain_cents"]) == (usd(750), usd(-250))
    assert lot(ledger, "NEW")["cost_basis_cents"] == usd(6_750 + 750)


def test_regulation_example_replacements_bought_before_the_sale_take_the_loss_pro_rata_by_shares():
    """Treas. Reg. 1.1091-1(c) example: 100 shares bought for $5,000, 50 bought December 21 for
    $2,750, 25 bought December 27 for $1,125, the 100 sold January 3 for $4,000: the loss on 75
    shares ($750) is disallowed, $250 allowed; new bases $3,250 (50 shares) and $1,375 (25
    shares)."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "SEP21", 100, usd(5_000), "2025-09-21")
    ledger.buy("A", "X", "DEC21", 50, usd(2_750), "2025-12-21")
    ledger.buy("A", "X", "DEC27", 25, usd(1_125), "2025-12-27")
    ledger.sell("A", "X", 100, usd(4_000), "2026-01-03", ReliefMethod.FIFO)
    sale = row(ledger)
    assert (sale["lot_id"], sale["wash_sale_disallowed_cents"], sale["gain_cents"]) == (
        "SEP21",
        usd(750),
        usd(-250),
    )
    assert lot(ledger, "DEC21")["cost_basis_cents"] == usd(3_250)
    assert lot(ledger, "DEC27")["cost_basis_cents"] == usd(1_375)


def test_regulation_basis_of_new_share_is_old_basis_adjusted_by_price_difference():
    """Treas. Reg. 1.1091-2(a), examples: old share cost $100, sold for $80; a new share bought for
    $90 has basis $110, one bought for $70 has basis $90 (new cost plus the $20 disallowed loss)."""
    for new_cost, new_basis in ((90, 110), (70, 90)):
        ledger = Ledger(HOUSEHOLD)
        ledger.buy("A", "X", "OLD", 1, usd(100), "2025-06-01")
        ledger.sell("A", "X", 1, usd(80), "2026-01-15")
        ledger.buy("A", "X", "NEW", 1, usd(new_cost), "2026-02-01")
        assert lot(ledger, "NEW")["cost_basis_cents"] == usd(new_basis)


def test_purchase_30_days_after_the_loss_sale_washes_it_and_31_days_does_not():
    """Pub. 550 "Wash Sales": within 30 days after the sale (the window is inclusive)."""
    for day, washed in (("2026-03-05", True), ("2026-03-06", False)):  # sale 2026-02-03 + 30 / + 31
        ledger = loss_sale()
        ledger.buy("A", "X", "NEW", 100, usd(800), day)
        assert bool(row(ledger)["wash_sale_disallowed_cents"] > 0) is washed, day


def test_purchase_30_days_before_the_loss_sale_washes_it_and_31_days_does_not():
    """Pub. 550 "Wash Sales": within 30 days before the sale, too (the 61-day window)."""
    for day, washed in (("2026-01-04", True), ("2026-01-03", False)):  # sale 2026-02-03 - 30 / - 31
        ledger = Ledger(HOUSEHOLD)
        ledger.buy("A", "X", "OLD", 100, usd(1000), "2025-09-24")
        ledger.buy("A", "X", "NEW", 100, usd(800), day)
        ledger.sell("A", "X", 100, usd(750), "2026-02-03", ReliefMethod.SPECIFIC, lot_ids=("OLD",))
        assert bool(row(ledger)["wash_sale_disallowed_cents"] > 0) is washed, day


def test_loss_sale_is_washed_by_a_purchase_in_another_account_of_the_household():
    """PRODUCT.md "Tax rules": a buy in any account of the same household is a replacement; the
    other account's lot takes the basis. Another household's purchase is not."""
    ledger = loss_sale()
    ledger.buy("OTHER", "X", "THEIRS", 100, usd(800), "2026-02-10")
    ledger.buy("B", "X", "SPOUSE", 100, usd(800), "2026-02-11")
    assert row(ledger)["wash_sale_disallowed_cents"] == usd(250)
    assert lot(ledger, "SPOUSE")["cost_basis_cents"] == usd(1050)
    assert lot(ledger, "THEIRS")["cost_basis_cents"] == usd(800)


def test_loss_sale_is_washed_by_ira_purchase_within_30_days_and_lost_for_good():
    """Rev. Rul. 2008-5: a replacement bought in the owner's IRA or Roth IRA disallows the loss,
    and the IRA's basis is not increased."""
    for account in ("IRA", "ROTH"):
        ledger = loss_sale()
        ledger.buy(account, "X", "RETIRE", 100, usd(800), "2026-02-10")
        sale = row(ledger)
        assert (sale["wash_sale_disallowed_cents"], sale["permanently_disallowed_cents"]) == (
            usd(250),
            usd(250),
        )
        assert (
            lot(ledger, "RETIRE")["cost_basis_cents"],
            lot(ledger, "RETIRE")["wash_sale_adjustment_cents"],
        ) == (usd(800), 0)


def test_a_gain_is_never_washed():
    """Pub. 550 "Wash Sales" applies to losses only: a gain sale followed by a buy is reported in
    full."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "OLD", 100, usd(700), "2025-09-24")
    ledger.sell("A", "X", 100, usd(750), "2026-02-03")
    ledger.buy("A", "X", "NEW", 100, usd(800), "2026-02-10")
    assert (row(ledger)["wash_sale_disallowed_cents"], row(ledger)["gain_cents"]) == (0, usd(50))
    assert lot(ledger, "NEW")["cost_basis_cents"] == usd(800)


def test_shares_of_the_same_purchase_lot_are_not_replacements():
    """PRODUCT.md convention (Pub. 550 requires the acquisition of *other* stock): selling part of a
    lot bought 10 days ago at a loss is not washed by the shares of that lot still held."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "LOT", 100, usd(1000), "2026-01-24")
    ledger.sell("A", "X", 40, usd(300), "2026-02-03")
    assert row(ledger)["wash_sale_disallowed_cents"] == 0


def test_chained_wash_sales_carry_the_loss_and_holding_period_forward():
    """Pub. 550 "Wash Sales": a replacement sold at a loss (judged on its adjusted basis) is washed
    again by the next purchase, which inherits the whole carried loss and holding period."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 100, usd(1000), "2025-11-01")
    ledger.sell("A", "X", 100, usd(800), "2026-01-02")  # loss 200, held 62 days
    ledger.buy("A", "X", "L2", 100, usd(800), "2026-01-10")  # basis 1000
    ledger.sell("A", "X", 100, usd(900), "2026-01-20")  # a $100 price gain but a $100 loss on basis
    ledger.buy("A", "X", "L3", 100, usd(900), "2026-01-25")
    rows = ledger.realized()
    assert rows["wash_sale_disallowed_cents"].tolist() == [usd(200), usd(100)]
    assert rows["gain_cents"].tolist() == [0, 0]
    l3 = lot(ledger, "L3")
    assert l3["cost_basis_cents"] == usd(1000)
    # L2 counted from 2025-11-09 (62 days before 2026-01-10); sold 2026-01-20 after 72 days;
    # L3 counts from 72 days before 2026-01-25.
    assert str(l3["adjusted_acquired_date"].date()) == "2025-11-14"


def test_partial_replacement_splits_the_replacement_lot_so_each_part_has_one_basis():
    """Pub. 550 "More or less stock bought than sold" and PRODUCT.md: only the replaced share count
    takes the loss and the holding period; the rest of the new lot keeps its own cost and date."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "OLD", 40, usd(400), "2025-09-24")
    ledger.sell("A", "X", 40, usd(300), "2026-02-03")  # loss $100 on 40 shares
    ledger.buy("A", "X", "NEW", 100, usd(750), "2026-02-10")
    lots = ledger.open_lots().set_index("lot_id")
    assert lots.loc[
        "NEW", ["quantity", "cost_basis_cents", "wash_sale_adjustment_cents"]
    ].tolist() == [60.0, usd(450), 0]
    assert lots.loc[
        "NEW-w1", ["quantity", "cost_basis_cents", "wash_sale_adjustment_cents"]
    ].tolist() == [40.0, usd(400), usd(100)]


def test_losses_are_matched_in_order_of_the_sales_and_each_replacement_share_absorbs_one_loss_share():
    """PRODUCT.md conventions: two loss sales, one replacement big enough for one of them:
    the earlier sale is washed, the later one is not."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "L1", 10, usd(100), "2025-06-01")
    ledger.buy("A", "X", "L2", 10, usd(100), "2025-06-02")
    ledger.sell("A", "X", 10, usd(80), "2026-01-05", ReliefMethod.SPECIFIC, lot_ids=("L1",))
    ledger.sell("A", "X", 10, usd(70), "2026-01-06", ReliefMethod.SPECIFIC, lot_ids=("L2",))
    ledger.buy("A", "X", "NEW", 10, usd(75), "2026-01-07")
    assert ledger.realized()["wash_sale_disallowed_cents"].tolist() == [usd(20), 0]


def test_substantially_identical_securities_follow_the_identical_group():
    """Pub. 550 "Wash Sales": substantially identical stock; the security master's identical_group
    (share classes GOOG/GOOGL) decides. A security outside the group is not a replacement."""
    ledger = loss_sale(identical_group={"X": "XCLASS", "X.B": "XCLASS"})
    ledger.buy("A", "Y", "OTHER", 100, usd(800), "2026-02-10")
    ledger.buy("A", "X.B", "CLASS_B", 100, usd(800), "2026-02-11")
    assert row(ledger)["wash_sale_disallowed_cents"] == usd(250)
    assert lot(ledger, "CLASS_B")["cost_basis_cents"] == usd(1050)
    assert lot(ledger, "OTHER")["cost_basis_cents"] == usd(800)


def test_loss_in_an_ira_is_not_a_wash_sale():
    """Pub. 550: wash-sale rules disallow deductible losses; an IRA's sales are not taxed."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("IRA", "X", "OLD", 100, usd(1000), "2025-09-24")
    ledger.sell("IRA", "X", 100, usd(750), "2026-02-03")
    ledger.buy("A", "X", "NEW", 100, usd(800), "2026-02-10")
    assert row(ledger)["wash_sale_disallowed_cents"] == 0
    assert lot(ledger, "NEW")["cost_basis_cents"] == usd(800)


def test_buy_booked_today_washes_a_loss_sold_on_an_earlier_day_and_amends_that_sale():
    """Pub. 550 "Wash Sales": a purchase within 30 days after the sale washes it, even when the
    sale was booked on an earlier night; the earlier row is reported amended with code W."""
    yesterday = loss_sale()
    earlier = yesterday.realized()
    today = Ledger(HOUSEHOLD)
    today.add_recent_sales(earlier)
    today.buy("B", "X", "NEW", 60, usd(480), "2026-02-20")
    amended = today.amended_sales()
    assert amended[["lot_id", "wash_sale_disallowed_cents", "gain_cents"]].values.tolist() == [
        ["OLD", usd(150), usd(-100)]
    ]
    assert len(today.realized()) == 0
    assert lot(today, "NEW")["cost_basis_cents"] == usd(480 + 150)


def test_replacement_sold_later_is_long_term_through_the_carried_holding_period():
    """Pub. 550 "Wash Sales": the new stock's holding period includes the old stock's, so shares
    held 300 days, washed, and replaced are long-term when the replacement is sold 70 days later."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "X", "OLD", 10, usd(1000), "2025-01-02")
    ledger.sell("A", "X", 10, usd(900), "2025-10-29")  # held 300 days
    ledger.buy("A", "X", "NEW", 10, usd(880), "2025-11-05")
    ledger.sell("A", "X", 10, usd(1200), "2026-01-14")  # 70 days after buying NEW
    second = ledger.realized().iloc[1]
    assert (second["term"], second["cost_basis_cents"], second["gain_cents"]) == (
        "LONG",
        usd(980),
        usd(220),
    )
    assert str(second["adjusted_acquired_date"].date()) == "2025-01-09"
