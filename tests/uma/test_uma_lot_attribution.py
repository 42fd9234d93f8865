"""Every lot of a UMA account is attributed to one sleeve (issue 19, "Sleeves in the ledger":
"Every lot of a UMA account is attributed to one sleeve ... Sleeve holdings, drift and performance
come from that attribution"). Last night's sleeve is kept; a wash-sale split part and a corporate
action's successor follow their parent; a new lot goes to the sleeve whose model is most
under-held in its symbol, a symbol in no model to the largest sleeve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sma.uma import Attributed, after_transfers, attribute_lots
from tests.example_counts import property_examples

SLEEVES = pd.DataFrame(
    {
        "account_id": "U1",
        "sleeve_id": ["CORE", "GROW", "CASH"],
        "model_id": ["M_CORE", "M_GROW", "CASH"],
        "target_weight": [0.6, 0.35, 0.05],
    }
)
MODELS = pd.DataFrame(
    {
        "model_id": ["M_CORE", "M_CORE", "M_GROW", "M_GROW"],
        "symbol": ["AAA", "BBB", "BBB", "CCC"],
        "weight": [0.5, 0.5, 0.5, 0.5],
    }
)
CLOSES = pd.Series({"AAA": 100.0, "BBB": 100.0, "CCC": 100.0, "OLD": 100.0, "NEW": 50.0})
VALUE = pd.Series({"U1": 100_000.0})


def _lots(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": [r[0] for r in rows],
            "symbol": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
            "cost_basis": [r[2] * 90.0 for r in rows],
        }
    )


def _previous(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": "U1", "lot_id": [r[0] for r in rows], "sleeve_id": [r[1] for r in rows]}
    )


def _sleeve_of(out: pd.DataFrame) -> dict[str, str]:
    return dict(zip(out["lot_id"] + "/" + out["symbol"], out["sleeve_id"], strict=True))


def test_a_lot_keeps_last_nights_sleeve_and_a_wash_split_part_and_a_successor_follow_it():
    lots = _lots(
        ("L1", "BBB", 10.0),  # kept
        ("L1-w1", "BBB", 5.0),  # split off L1 by a wash sale
        ("L2-w1-w2", "BBB", 1.0),  # a split part of a split part
        ("L3", "NEW", 20.0),  # L3 was OLD: a merger's successor keeps its lot id
        ("L3", "AAA", 2.0),  # ... and a spin-off's child too
    )
    out = attribute_lots(
        lots,
        _previous(("L1", "GROW"), ("L2", "GROW"), ("L3", "CORE")),
        SLEEVES,
        MODELS,
        CLOSES,
        VALUE,
    )
    assert _sleeve_of(out) == {
        "L1/BBB": "GROW",
        "L1-w1/BBB": "GROW",
        "L2-w1-w2/BBB": "GROW",
        "L3/NEW": "CORE",
        "L3/AAA": "CORE",
    }
    assert out.set_index("lot_id")["attributed"].to_dict() == {
        "L1": Attributed.KEPT,
        "L1-w1": Attributed.PARENT,
        "L2-w1-w2": Attributed.PARENT,
        "L3": Attributed.KEPT,
    }


def test_a_new_lot_goes_to_the_sleeve_whose_model_is_most_under_held_in_its_symbol():
    """BBB: CORE wants 0.6 x 0.5 = $30,000 and holds $25,000; GROW wants $17,500 and holds none.
    The first new lot ($10,000) goes to GROW; GROW then lacks $7,500 and CORE $5,000, so the
    second ($6,000) goes to GROW too, the third ($4,000) to CORE."""
    lots = _lots(
        ("OLD1", "BBB", 250.0), ("N1", "BBB", 100.0), ("N2", "BBB", 60.0), ("N3", "BBB", 40.0)
    )
    out = attribute_lots(lots, _previous(("OLD1", "CORE")), SLEEVES, MODELS, CLOSES, VALUE)
    assert _sleeve_of(out) == {
        "OLD1/BBB": "CORE",
        "N1/BBB": "GROW",
        "N2/BBB": "GROW",
        "N3/BBB": "CORE",
    }
    assert set(out.loc[out["lot_id"] != "OLD1", "attributed"]) == {Attributed.UNDER_HELD}


def test_a_symbol_in_no_model_goes_to_the_largest_sleeve_and_a_dropped_sleeve_is_replaced():
    """OLD is a legacy holding no model holds: the largest invested sleeve (CORE). L9 was in a
    sleeve the account no longer has: it is placed again, as a new lot."""
    lots = _lots(("L8", "OLD", 10.0), ("L9", "CCC", 10.0))
    out = attribute_lots(lots, _previous(("L9", "GONE")), SLEEVES, MODELS, CLOSES, VALUE)
    assert _sleeve_of(out) == {"L8/OLD": "CORE", "L9/CCC": "GROW"}
    assert out.set_index("lot_id")["attributed"].to_dict() == {
        "L8": Attributed.LARGEST,
        "L9": Attributed.UNDER_HELD,
    }


def test_lots_of_accounts_without_sleeves_are_not_attributed():
    lots = pd.concat([_lots(("L1", "AAA", 1.0)), _lots(("M1", "AAA", 1.0)).assign(account_id="M")])
    out = attribute_lots(lots, _previous(), SLEEVES, MODELS, CLOSES, VALUE)
    assert out["account_id"].tolist() == ["U1"]


_SYMBOLS = ("AAA", "BBB", "CCC", "OLD")


@st.composite
def _book(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for k in range(n):
        lot = f"L{k}" + draw(st.sampled_from(["", "-w1", "-w1-w2"]))
        rows.append(
            (
                lot,
                draw(st.sampled_from(_SYMBOLS)),
                draw(st.floats(0.001, 5_000.0, allow_nan=False)),
            )
        )
    lots = _lots(*rows).assign(
        cost_basis=[draw(st.integers(0, 10**9)) / 100.0 for _ in rows]  # cents, as booked
    )
    previous = _previous(
        *(
            (f"L{k}", draw(st.sampled_from(["CORE", "GROW", "CASH", "GONE"])))
            for k in range(n)
            if draw(st.booleans())
        )
    )
    return lots.drop_duplicates(["lot_id", "symbol"]), previous


@property_examples(10, 60, given(_book()))
def test_attribution_conserves_every_share_and_every_cent_of_basis(book):
    """Property: every lot is in exactly one sleeve of its account, and shares and basis per
    sleeve add up to the account's exactly (cents)."""
    lots, previous = book
    out = attribute_lots(lots, previous, SLEEVES, MODELS, CLOSES, VALUE)
    assert len(out) == len(lots)
    assert not out.duplicated(["account_id", "lot_id", "symbol"]).any()
    assert out["sleeve_id"].isin(SLEEVES["sleeve_id"]).all()
    per_sleeve = out.groupby("sleeve_id")[["quantity", "cost_basis"]].sum()
    assert np.isclose(per_sleeve["quantity"].sum(), lots["quantity"].sum(), rtol=1e-12)
    cents = (out["cost_basis"] * 100).round().astype(np.int64)
    by_sleeve = cents.groupby(out["sleeve_id"]).sum().sum()
    assert by_sleeve == (lots["cost_basis"] * 100).round().astype(np.int64).sum()
    again = attribute_lots(lots.iloc[::-1], previous, SLEEVES, MODELS, CLOSES, VALUE)
    assert again.equals(out)  # the same lots, in any order, give the same attribution


def test_a_lot_moved_tonight_is_in_the_sleeve_it_went_to_for_the_next_night():
    out = attribute_lots(
        _lots(("L1", "BBB", 10.0), ("L2", "AAA", 5.0)),
        _previous(("L1", "CORE"), ("L2", "CORE")),
        SLEEVES,
        MODELS,
        CLOSES,
        VALUE,
    )
    moved = pd.DataFrame(
        {"account_id": ["U1"], "lot_id": ["L1"], "symbol": ["BBB"], "to_sleeve": ["GROW"]}
    )
    after = after_transfers(out, moved).set_index("lot_id")
    assert after["sleeve_id"].to_dict() == {"L1": "GROW", "L2": "CORE"}
    assert after["attributed"].to_dict() == {"L1": "TRANSFERRED", "L2": "KEPT"}
    assert after_transfers(out, moved.iloc[:0]) is out
