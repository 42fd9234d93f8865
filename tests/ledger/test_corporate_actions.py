"""Corporate actions beyond splits, lot by lot (shared/CORPORATE_ACTIONS.md; 26 U.S.C. 1091(a),
1223(1), 301(c), 356(a)/(c), 358(a), 165(g)(1); Rev. Rul. 66-365, 68-23; IRS Pub. 550,
"Nondividend distributions"; the issuer's Form 8937 for a spin-off's basis allocation)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from sma.inbox import CorporateActionKind as Kind
from sma.ledger import CorporateAction, Ledger, ReliefMethod, exact
from sma.ledger._errors import InvalidTradeError

HOUSEHOLD = pd.DataFrame(
    {
        "account_id": ["A", "B", "IRA"],
        "household_id": ["H", "H", "H"],
        "account_type": ["TAXABLE", "TAXABLE", "IRA"],
    }
)
ON = np.datetime64("2026-03-02")


def usd(amount: float) -> int:
    return round(amount * 100)


def action(kind: Kind, symbol: str = "P", date=ON, **fields) -> CorporateAction:
    exact_fields = {
        k: (v if k in ("new_symbol", "account_id") else exact(v)) for k, v in fields.items()
    }
    return CorporateAction(kind, symbol, np.datetime64(date, "D"), **exact_fields)


def lots(ledger: Ledger) -> dict[tuple[str, str, str], tuple[float, int, str, str]]:
    """(account, symbol, lot) -> (shares, basis cents, purchase date, holding start)."""
    frame = ledger.open_lots()
    return {
        (r.account_id, r.symbol, r.lot_id): (
            r.quantity,
            r.cost_basis_cents,
            str(r.acquired_date.date()),
            str(r.adjusted_acquired_date.date()),
        )
        for r in frame.itertuples()
    }


def rows(ledger: Ledger) -> list[tuple]:
    """Realized rows as (symbol, lot, sale date, shares, proceeds, basis, disallowed, gain,
    term)."""
    return [
        (
            r.symbol,
            r.lot_id,
            str(r.sale_date.date()),
            r.quantity,
            r.proceeds_cents,
            r.cost_basis_cents,
            r.wash_sale_disallowed_cents,
            r.gain_cents,
            r.term,
        )
        for r in ledger.realized().itertuples()
    ]


# -- exact numbers --------------------------------------------------------------------------------
def test_ratios_are_read_exactly_as_decimals_or_as_n_over_d():
    """The contract, "Exact ratios": decimals and "N/D" are both parsed exactly."""
    assert exact("0.2794") == Fraction(2794, 10000)
    assert exact("1/3") == Fraction(1, 3)
    assert exact(0.1) == Fraction(1, 10)
    for bad in ("one", "1/0", float("nan"), float("inf"), ""):
        with pytest.raises(ValueError):
            exact(bad)


@pytest.mark.parametrize("text", ["1_000", "\u0661\u0662", "3 / 2", "3/-2", "0x10", "1e9999"])
def test_only_ascii_decimals_and_n_over_d_are_exact_numbers(text):
    """The contract writes decimals (``0.25``) or ``"N/D"``: Python's looser literals (digit
    separators, other scripts' digits, spaces) and exponents past three digits are refused."""
    with pytest.raises(ValueError):
        exact(text)


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (1 / 3, Fraction(1, 3)),
        (2 / 3 * 1000, Fraction(2000, 3)),
        (5 / 7, Fraction(5, 7)),
        (0.2794, Fraction(2794, 10000)),
        (123.4567, Fraction(1234567, 10000)),
        (0.12345678, Fraction(12345678, 10**8)),
        (0.1 + 0.2, Fraction("0.30000000000000004")),
    ],
)
def test_a_ratio_stored_as_a_double_is_read_back_as_written(stored, read):
    """The store keeps corporate-action numbers as doubles: ``1/3`` comes back as one third (a
    lot of 9 shares gets 3, not 2.9999999999999997), a decimal as that decimal; a double near
    no small fraction is its shortest decimal."""
    assert exact(stored) == read


@pytest.mark.parametrize(
    ("kind", "fields", "column"),
    [
        (Kind.SPINOFF, {"new_symbol": "S", "ratio": "0", "basis_fraction": "0.2"}, "ratio"),
        (Kind.SPINOFF, {"new_symbol": "S", "ratio": "1", "basis_fraction": "1"}, "basis_fraction"),
        (Kind.SPINOFF, {"new_symbol": "S", "ratio": "1", "basis_fraction": "0"}, "basis_fraction"),
        (Kind.SPINOFF, {"new_symbol": "S", "ratio": "1"}, "basis_fraction"),
        (Kind.MERGER_STOCK, {"ratio": "2"}, "new_symbol"),
        (Kind.MERGER_CASH, {}, "price_per_share"),
        (
            Kind.MERGER_MIXED,
            {"new_symbol": "N", "ratio": "1", "cash_per_share": "5"},
            "new_share_price",
        ),
        (Kind.RETURN_OF_CAPITAL, {"amount_per_share": "-1"}, "amount_per_share"),
        (Kind.SYMBOL_CHANGE, {"new_symbol": "P"}, "new_symbol"),
    ],
)
def test_an_action_missing_a_field_or_out_of_range_is_refused_and_changes_nothing(
    kind, fields, column
):
    """Issue 22: ratio <= 0, basis_fraction outside (0, 1), a missing field the action needs."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L1", 10, usd(1000), "2025-01-02")
    before = lots(ledger)
    bad = action(kind, **fields)
    assert column in [field for field, _ in bad.problems()]
    with pytest.raises(InvalidTradeError):
        ledger.corporate_action(bad)
    assert lots(ledger) == before


# -- spin-offs ------------------------------------------------------------------------------------
def test_spinoff_moves_the_form_8937_share_of_basis_to_the_new_lot_with_the_same_id_and_dates():
    """26 U.S.C. 358(c) and the issuer's Form 8937: the parent's basis is divided by the stated
    percentage; 26 U.S.C. 1223(1): the new shares' holding period includes the parent's."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L1", 100, usd(10_000), "2024-01-02")
    ledger.corporate_action(
        action(Kind.SPINOFF, new_symbol="S", ratio="0.5", basis_fraction="0.2794")
    )
    assert lots(ledger) == {
        ("A", "P", "L1"): (100.0, usd(7206), "2024-01-02", "2024-01-02"),
        ("A", "S", "L1"): (50.0, usd(2794), "2024-01-02", "2024-01-02"),
    }
    assert rows(ledger) == []


def test_cash_in_lieu_of_a_fractional_new_share_is_a_sale_with_the_lots_term():
    """Rev. Rul. 66-365: cash for a fractional share is a sale of that fraction; its basis is the
    new lot's basis per share times the fraction (the contract, "Cash in lieu")."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L1", 10, usd(1000), "2024-01-02")
    ledger.corporate_action(
        action(
            Kind.SPINOFF,
            new_symbol="S",
            ratio="1/3",
            basis_fraction="0.3",
            cash_in_lieu_price="20",
        )
    )
    # 10 x 1/3 = 3 1/3 shares at 300 USD: 3 kept at 270, 1/3 sold for 6.67 against 30.00
    assert lots(ledger)[("A", "S", "L1")][:2] == (3.0, usd(270))
    assert rows(ledger) == [
        ("S", "L1", "2026-03-02", pytest.approx(1 / 3), usd(6.67), usd(30), 0, usd(-23.33), "LONG")
    ]


def test_fifo_and_hifo_after_a_spinoff_order_the_new_lots_by_the_carried_dates_and_basis():
    """The contract, "Lot order": FIFO by the purchase date carried over, HIFO by adjusted basis
    per share."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(500), "2023-05-01")
    ledger.buy("A", "P", "NEW", 10, usd(2000), "2025-05-01")
    ledger.buy("A", "S", "OWN", 1, usd(1), "2024-05-01")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="1", basis_fraction="0.5"))
    fifo = ledger.realized_at(ledger.sell("A", "S", 12, usd(1200), "2026-04-01"))
    assert fifo["lot_id"].tolist() == ["OLD", "OWN", "NEW"]
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(500), "2023-05-01")
    ledger.buy("A", "P", "NEW", 10, usd(2000), "2025-05-01")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="1", basis_fraction="0.5"))
    hifo = ledger.realized_at(ledger.sell("A", "S", 5, usd(500), "2026-04-01", ReliefMethod.HIFO))
    assert hifo[["lot_id", "cost_basis_cents"]].values.tolist() == [["NEW", usd(500)]]


def test_an_ira_lot_goes_through_a_spinoff_with_the_same_arithmetic_and_reports_nothing():
    """The contract, "Which lots" and "Realized rows": IRA basis is divided the same way; an IRA
    reports no sale."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("IRA", "P", "R1", 7, usd(700), "2025-01-02")
    ledger.corporate_action(
        action(
            Kind.SPINOFF, new_symbol="S", ratio="0.5", basis_fraction="0.1", cash_in_lieu_price="9"
        )
    )
    assert lots(ledger)[("IRA", "P", "R1")][:2] == (7.0, usd(630))
    assert lots(ledger)[("IRA", "S", "R1")][:2] == (3.0, usd(60))
    assert rows(ledger) == []


def test_spun_off_shares_are_not_purchases_and_replace_no_loss():
    """26 U.S.C. 1091(a): only an acquisition by purchase (or a fully taxable exchange) replaces
    a loss; shares received in a spin-off inside the window are not one."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "S", "SOLD", 10, usd(1000), "2025-06-02")
    ledger.sell("A", "S", 10, usd(600), "2026-02-20")
    ledger.buy("B", "P", "PARENT", 10, usd(1000), "2025-06-02")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="1", basis_fraction="0.3"))
    assert rows(ledger)[0][6] == 0
    assert lots(ledger)[("B", "S", "PARENT")][1] == usd(300)


def test_a_loss_on_the_parent_is_washed_by_a_buy_of_the_parent_after_the_spinoff():
    """The contract, "Wash-sale interactions" 2: the parent stays the same security, matched
    share for share."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(1000), "2025-06-02")
    ledger.sell("A", "P", 10, usd(800), "2026-02-25")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="2", basis_fraction="0.4"))
    ledger.buy("B", "P", "NEW", 4, usd(300), "2026-03-10")
    assert rows(ledger)[0][6] == usd(80)
    assert lots(ledger)[("B", "P", "NEW")][1] == usd(380)


def test_a_washed_lot_carries_its_adjustment_split_by_the_basis_fraction():
    """The contract, "Wash-sale interactions" 4 and "Wash-sale adjustment column"."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(1000), "2025-06-02")
    ledger.sell("A", "P", 10, usd(800), "2026-02-02")
    ledger.buy("A", "P", "NEW", 10, usd(800), "2026-02-10")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="1", basis_fraction="0.25"))
    frame = ledger.open_lots().set_index("symbol")
    assert frame.loc["P", "wash_sale_adjustment_cents"] == usd(150)
    assert frame.loc["S", "wash_sale_adjustment_cents"] == usd(50)
    assert frame.loc["S", "cost_basis_cents"] == usd(250)
    assert str(frame.loc["S", "adjusted_acquired_date"].date()) == "2025-06-10"


# -- mergers --------------------------------------------------------------------------------------
def test_a_washed_lot_goes_through_a_stock_merger_with_its_basis_and_tacked_holding_period():
    """26 U.S.C. 358(a)(1) and 1223(1): stock received for stock keeps the old basis and holding
    period, wash-sale adjustment included (the contract, "Wash-sale interactions" 4)."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(1000), "2025-01-02")
    ledger.sell("A", "P", 10, usd(700), "2026-01-05")
    ledger.buy("A", "P", "NEW", 10, usd(750), "2026-01-20")
    ledger.corporate_action(action(Kind.MERGER_STOCK, new_symbol="N", ratio="1.5"))
    assert lots(ledger) == {("A", "N", "NEW"): (15.0, usd(1050), "2026-01-20", "2025-01-17")}
    assert ledger.open_lots()["wash_sale_adjustment_cents"].tolist() == [usd(300)]


def test_a_cash_merger_sells_every_lot_and_its_loss_is_washed_by_a_recent_purchase():
    """The contract, MERGER_CASH: one row per lot, proceeds shares x price; a loss row is a sale
    for wash sales (26 U.S.C. 1091(a): a purchase within 30 days before)."""
    ledger = Ledger(HOUSEHOLD, {"P": "PG", "Q": "PG"})
    ledger.buy("A", "P", "GAIN", 10, usd(100), "2020-01-02")
    ledger.buy("A", "P", "LOSS", 10, usd(500), "2026-01-02")
    ledger.buy("B", "Q", "REPL", 5, usd(200), "2026-02-20")
    ledger.corporate_action(action(Kind.MERGER_CASH, price_per_share="30"))
    assert rows(ledger) == [
        ("P", "GAIN", "2026-03-02", 10.0, usd(300), usd(100), 0, usd(200), "LONG"),
        ("P", "LOSS", "2026-03-02", 10.0, usd(300), usd(500), usd(100), usd(-100), "SHORT"),
    ]
    assert lots(ledger) == {("B", "Q", "REPL"): (5.0, usd(300), "2026-02-20", "2025-12-23")}


def test_a_mixed_merger_recognises_gain_up_to_the_boot_and_no_loss_lot_by_lot():
    """26 U.S.C. 356(a)(1), 356(c), 358(a)(1); Rev. Rul. 68-23 (per lot): a gain lot recognises
    min(gain, boot) and its new basis is B - boot + gain recognised; a loss lot recognises 0."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "GAIN", 10, usd(200), "2020-01-02")
    ledger.buy("A", "P", "LOSS", 10, usd(1000), "2026-01-02")
    ledger.corporate_action(
        action(
            Kind.MERGER_MIXED,
            new_symbol="N",
            ratio="0.5",
            cash_per_share="10",
            new_share_price="80",
        )
    )
    # each lot: value 10 x (0.5 x 80 + 10) = 500, boot 100
    assert rows(ledger) == [
        ("P", "GAIN", "2026-03-02", 10.0, usd(100), 0, 0, usd(100), "LONG"),
        ("P", "LOSS", "2026-03-02", 10.0, usd(100), usd(100), 0, 0, "SHORT"),
    ]
    assert lots(ledger) == {
        ("A", "N", "GAIN"): (5.0, usd(200), "2020-01-02", "2020-01-02"),
        ("A", "N", "LOSS"): (5.0, usd(900), "2026-01-02", "2026-01-02"),
    }


def test_a_mixed_merger_with_a_gain_smaller_than_the_boot_recognises_the_gain():
    """26 U.S.C. 356(a)(1): recognised = min(gain realised, boot)."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L", 10, usd(460), "2020-01-02")
    ledger.corporate_action(
        action(
            Kind.MERGER_MIXED,
            new_symbol="N",
            ratio="0.5",
            cash_per_share="10",
            new_share_price="80",
        )
    )
    assert rows(ledger)[0][4:8] == (usd(100), usd(60), 0, usd(40))
    assert lots(ledger)[("A", "N", "L")][1] == usd(400)


# -- ticker changes -------------------------------------------------------------------------------
def test_a_pending_loss_follows_a_ticker_change_and_a_buy_under_the_new_ticker_washes_it():
    """The contract, "Wash-sale interactions" 3: a ticker change is neither a disposition nor an
    acquisition; the pending loss follows the new ticker."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(1000), "2025-06-02")
    ledger.sell("A", "P", 10, usd(800), "2026-02-25")
    ledger.corporate_action(action(Kind.SYMBOL_CHANGE, new_symbol="T"))
    ledger.buy("B", "T", "NEW", 10, usd(810), "2026-03-05")
    assert rows(ledger)[0][6] == usd(200)
    assert lots(ledger)[("B", "T", "NEW")][1] == usd(1010)


def test_a_lot_bought_under_the_old_ticker_replaces_a_loss_sold_under_the_new_one():
    """The contract, "Wash-sale interactions" 3; the lot keeps its dates through the change."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "OLD", 10, usd(1000), "2025-06-02")
    ledger.buy("B", "P", "RECENT", 10, usd(800), "2026-02-25")
    ledger.corporate_action(action(Kind.SYMBOL_CHANGE, new_symbol="T"))
    ledger.sell("A", "T", 10, usd(800), "2026-03-10")
    assert rows(ledger)[0][:2] == ("T", "OLD")
    assert rows(ledger)[0][6] == usd(200)
    assert lots(ledger)[("B", "T", "RECENT")] == (10.0, usd(1000), "2026-02-25", "2025-05-20")


def test_a_specific_lot_sale_after_a_spinoff_names_the_lot_under_either_symbol():
    """The contract, "One lot in, one lot out": lots are identified by account, symbol and id."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L1", 10, usd(1000), "2025-06-02")
    ledger.corporate_action(action(Kind.SPINOFF, new_symbol="S", ratio="1", basis_fraction="0.2"))
    ledger.sell("A", "S", 10, usd(150), "2026-06-01", ReliefMethod.SPECIFIC, ("L1",))
    assert rows(ledger)[0][:2] == ("S", "L1")
    assert lots(ledger) == {("A", "P", "L1"): (10.0, usd(800), "2025-06-02", "2025-06-02")}


# -- returns of capital and worthless stock -------------------------------------------------------
def test_return_of_capital_reduces_basis_and_beyond_basis_is_a_gain_with_no_share_sold():
    """26 U.S.C. 301(c)(2), (3); Pub. 550 "Nondividend distributions": basis is reduced, and once
    it is zero the rest is capital gain, by the lot's holding period."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "HIGH", 10, usd(100), "2026-01-02")
    ledger.buy("A", "P", "LOW", 10, usd(30), "2020-01-02")
    ledger.corporate_action(action(Kind.RETURN_OF_CAPITAL, amount_per_share="5"))
    assert lots(ledger)[("A", "P", "HIGH")][:2] == (10.0, usd(50))
    assert lots(ledger)[("A", "P", "LOW")][:2] == (10.0, 0)
    assert rows(ledger) == [("P", "LOW", "2026-03-02", 0.0, usd(20), 0, 0, usd(20), "LONG")]


def test_worthless_stock_is_treated_as_sold_on_31_december_of_the_year():
    """26 U.S.C. 165(g)(1): a loss from worthless stock is treated as from a sale on the last day
    of the taxable year; the term is judged to that day."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L", 10, usd(500), "2025-08-01")
    ledger.buy("B", "P", "REPL", 10, usd(100), "2026-03-01")
    ledger.corporate_action(action(Kind.WORTHLESS, date="2026-03-02"))
    assert rows(ledger) == [
        ("P", "L", "2026-12-31", 10.0, 0, usd(500), 0, usd(-500), "LONG"),
        ("P", "REPL", "2026-12-31", 10.0, 0, usd(100), 0, usd(-100), "SHORT"),
    ]
    assert lots(ledger) == {}


def test_an_action_limited_to_one_account_leaves_the_others_alone():
    """The contract, "Fields": ``account_id`` limits the action to one account."""
    ledger = Ledger(HOUSEHOLD)
    ledger.buy("A", "P", "L", 10, usd(500), "2025-08-01")
    ledger.buy("B", "P", "M", 10, usd(500), "2025-08-01")
    ledger.corporate_action(action(Kind.SYMBOL_CHANGE, new_symbol="T", account_id="B"))
    assert set(lots(ledger)) == {("A", "P", "L"), ("B", "T", "M")}


def test_shares_received_in_a_one_for_one_stock_merger_replace_no_loss():
    """26 U.S.C. 1091(a): stock received in a reorganisation is not a purchase, whatever the
    ratio (the contract, "Not purchases")."""
    ledger = Ledger(HOUSEHOLD, {"N": "NG", "X": "NG"})
    ledger.buy("A", "X", "SOLD", 10, usd(1000), "2025-06-02")
    ledger.buy("B", "P", "HELD", 10, usd(500), "2026-02-20")
    ledger.corporate_action(action(Kind.MERGER_STOCK, new_symbol="N", ratio="1"))
    ledger.sell("A", "X", 10, usd(600), "2026-03-05")
    assert rows(ledger)[0][6] == 0
    assert lots(ledger)[("B", "N", "HELD")][1] == usd(500)
