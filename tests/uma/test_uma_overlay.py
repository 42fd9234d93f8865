"""The overlay decision across a UMA account's sleeves (issue 19, "The overlay decision" and
"Sleeves in the ledger"). The account is decided once against its sleeves' blended models, so
"trades are netted across sleeves (never a buy in one sleeve and a sell of the same security in
another on one night)"; the night then books each trade to its sleeve, relieves the selling
sleeve's lots first and moves lots between sleeves without a trade where one sleeve's excess is
another's shortfall ("may transfer lots between sleeves without a trade when that avoids one
(recorded)"). Wash-sale blocks are the household's, whichever sleeve's model asks for the buy
(PRODUCT.md, "Tax rules")."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.rebalance import EngineParams, decide, shard_from_frames
from sma.uma import (
    TransferKind,
    attribute_lots,
    book_to_sleeves,
    sleeve_records,
    uma_targets,
)
from tests.rebalance.toy_shards import SECTORS, SYMBOLS, toy_model

AS_OF = date(2026, 11, 24)
PRICE = 100.0
SLEEVES = pd.DataFrame(
    {
        "account_id": "U1",
        "sleeve_id": ["A", "B"],
        "model_id": ["MA", "MB"],
        "target_weight": [0.5, 0.5],
        "drift_band": [0.05, 0.05],
    }
)
#: Last night: A followed {AAA, DDD}, B {BBB, EEE}; the lots are exactly on those models.
LOTS = pd.DataFrame(
    {
        "account_id": "U1",
        "lot_id": ["L1", "L2", "L3", "L4"],
        "symbol": ["AAA", "DDD", "BBB", "EEE"],
        "quantity": 25.0,
        "cost_basis": 25.0 * PRICE,  # no gain, no loss: tax does not move the decision
        "acquired_date": date(2024, 1, 2),
        "adjusted_acquired_date": None,
    }
)
PRICE_OF = pd.Series(PRICE, index=SYMBOLS)
VALUE = pd.Series({"U1": 4_000.0})
LAST_NIGHT = pd.DataFrame(
    {"account_id": "U1", "lot_id": ["L1", "L2", "L3", "L4"], "sleeve_id": ["A", "A", "B", "B"]}
)


def _models(a: dict[str, float], b: dict[str, float]) -> pd.DataFrame:
    rows = [("MA", s, w) for s, w in a.items()] + [("MB", s, w) for s, w in b.items()]
    return pd.DataFrame(
        {
            "provider_id": "P",
            "model_id": [r[0] for r in rows],
            "effective_date": AS_OF,
            "symbol": [r[1] for r in rows],
            "weight": [r[2] for r in rows],
        }
    )


def _night(models: pd.DataFrame, wash_blocks: pd.DataFrame | None = None):
    """Tonight's decision for U1 and its booking to sleeves."""
    accounts = pd.DataFrame(
        {
            "account_id": ["U1"],
            "household_id": "H1",
            "account_type": "TAXABLE",
            "benchmark_id": "IDX",
            "tlh_enabled": True,
            "st_tax_rate": 0.37,
            "lt_tax_rate": 0.2,
            "max_tracking_error": 0.02,
            "gain_budget": np.nan,
            "min_trade_value": 0.0,
            "cash_target": 0.0,
            "implementation": "UMA",
        }
    )
    uma = uma_targets(accounts, SLEEVES, models, AS_OF)
    closes = pd.Series(PRICE, index=SYMBOLS)
    shard = shard_from_frames(
        symbols=SYMBOLS,
        securities=pd.DataFrame(
            {"symbol": SYMBOLS, "sector": SECTORS, "identical_group": None, "esg_tags": None}
        ),
        closes=closes,
        benchmarks=uma.benchmarks,
        accounts=uma.accounts,
        lots=LOTS,
        cash=pd.DataFrame({"account_id": ["U1"], "amount": [0.0]}),
        as_of=np.datetime64(AS_OF, "D"),
        wash_blocks=wash_blocks,
        benchmark_changed=["U1"],  # a model change is a trigger
    )
    out = decide(shard, toy_model(), EngineParams(risk_aversion=500.0))
    value = pd.Series(shard.account_values(), index=shard.account_ids)
    attribution = attribute_lots(LOTS, LAST_NIGHT, SLEEVES, models, closes, value)
    booking = book_to_sleeves(
        attribution,
        out.trades,
        out.lot_sells,
        SLEEVES,
        models,
        closes,
        value,
        pd.Series({"U1": 0.0}),
    )
    return out, attribution, booking


def _taxable_cash(before: float, after: float) -> pd.DataFrame:
    """U1's tax rates and cash before and after tonight, as ``sleeve_records`` reads them."""
    return pd.DataFrame(
        {
            "account_id": ["U1"],
            "account_type": "TAXABLE",
            "st_tax_rate": 0.37,
            "lt_tax_rate": 0.2,
            "cash_before": [before],
            "cash_after": [after],
        }
    )


def _adds_up(booking, trades: pd.DataFrame) -> None:
    """The per-sleeve breakdown adds up to the account's trades exactly."""
    per = booking.trades.groupby(["account_id", "symbol", "side"])[["quantity", "notional"]].sum()
    whole = trades.set_index(["account_id", "symbol", "side"])[["quantity", "notional"]]
    pd.testing.assert_frame_equal(
        per.sort_index(), whole.sort_index(), check_exact=False, rtol=0, atol=1e-9
    )


def test_a_model_change_selling_x_in_one_sleeve_while_another_buys_it_trades_nothing_in_x():
    """A's model drops AAA for BBB, B's drops BBB for AAA: the account's blend is unchanged, so
    the overlay trades nothing and moves the lots between the sleeves instead (recorded)."""
    out, _, booking = _night(_models({"BBB": 0.5, "DDD": 0.5}, {"AAA": 0.5, "EEE": 0.5}))
    assert out.trades.empty and booking.trades.empty
    moved = booking.transfers.set_index("lot_id")
    assert moved[["from_sleeve", "to_sleeve"]].to_dict("index") == {
        "L1": {"from_sleeve": "A", "to_sleeve": "B"},
        "L3": {"from_sleeve": "B", "to_sleeve": "A"},
    }
    assert set(moved["kind"]) == {TransferKind.NETTING}
    after = booking.lot_sleeves.set_index("lot_id")["sleeve_id"].to_dict()
    assert after == {"L1": "B", "L2": "A", "L3": "A", "L4": "B"}


def test_a_model_change_selling_x_in_one_sleeve_while_another_buys_less_trades_only_the_net():
    """A drops AAA (25 shares); B's model now wants AAA at 0.3 of B ($1,500, 15 shares). Traded
    sleeve by sleeve, A would sell 25 and B buy 15; the overlay sells the net 10, booked to A,
    and hands the 15 left to B without a trade."""
    out, _, booking = _night(_models({"BBB": 0.5, "DDD": 0.5}, {"AAA": 0.3, "EEE": 0.7}))
    trades = out.trades.set_index(["symbol", "side"])["quantity"]
    assert trades[("AAA", "SELL")] == pytest.approx(10.0, abs=1.0)
    assert ("AAA", "BUY") not in trades.index
    assert not (out.trades.groupby("symbol")["side"].nunique() > 1).any()
    _adds_up(booking, out.trades)
    aaa = booking.trades[booking.trades["symbol"] == "AAA"]
    assert aaa[["sleeve_id", "side"]].values.tolist() == [["A", "SELL"]]
    assert booking.lot_sells["sleeve_id"].tolist() == ["A"] * len(booking.lot_sells)
    moved = booking.transfers.set_index("lot_id")
    assert moved.loc["L1", "to_sleeve"] == "B" and moved.loc["L1", "kind"] == TransferKind.NETTING
    sold = float(trades[("AAA", "SELL")])
    assert moved.loc["L1", "quantity"] == 25.0 - sold  # what is left of L1 after the sale


def test_a_wash_sale_block_holds_whichever_sleeve_model_asks_for_the_buy():
    """The household sold EEE at a loss 10 days ago: B's model raising EEE does not buy it back
    (PRODUCT.md, "the engine never buys what the household sold at a loss in the last 30
    days"; IRS Publication 550, "Wash Sales"), in any sleeve."""
    blocks = pd.DataFrame(
        {
            "household_id": ["H1"],
            "identical_group": ["EEE"],
            "buy_blocked": [True],
            "loss_sale_blocked": [False],
        }
    )
    models = _models({"AAA": 0.5, "DDD": 0.5}, {"BBB": 0.2, "EEE": 0.8})
    free, _, _ = _night(models)
    blocked, _, booking = _night(models, blocks)
    assert ((free.trades["symbol"] == "EEE") & (free.trades["side"] == "BUY")).any()
    assert not (blocked.trades["symbol"] == "EEE").any()
    assert not (booking.trades["symbol"] == "EEE").any()


def test_the_decision_record_per_sleeve_shows_drift_tracking_and_tax_cost():
    models = _models({"BBB": 0.5, "DDD": 0.5}, {"AAA": 0.3, "EEE": 0.7})
    out, attribution, booking = _night(models)
    records = sleeve_records(
        attribution,
        booking,
        SLEEVES,
        models,
        PRICE_OF,
        _taxable_cash(0.0, float(out.records["cash_after"].iloc[0])),
    ).set_index("sleeve_id")
    assert records["weight_before"].tolist() == pytest.approx([0.5, 0.5])
    # Before: A holds AAA and DDD against a model of BBB and DDD -> half of A is off its model.
    assert records.loc["A", "active_share_before"] == pytest.approx(0.5)
    assert records.loc["A", "active_share_after"] < 0.05
    assert records.loc["B", "active_share_after"] < records.loc["B", "active_share_before"]
    assert records["within_band_after"].all()
    assert records["tax_cost"].tolist() == pytest.approx([0.0, 0.0])  # sold at cost
    assert records.loc["A", "transferred_out"] > 0 and records.loc["B", "transferred_in"] > 0


def test_a_lot_sold_whole_from_a_sleeve_on_its_model_is_relieved_in_the_over_sleeve_first():
    """Both models hold FFF. A wants $1,000 and holds $3,000 (three lots); B wants $1,000 and
    holds it (LB). The account-wide tax choice sells LB (say, for its loss): the sale is booked
    to A, the sleeve over its model (a RELIEF move), and B, left short, gets one of A's lots."""
    sleeves = SLEEVES.assign(model_id=["MA", "MB"])
    models = _models({"FFF": 0.5, "GGG": 0.5}, {"FFF": 0.5, "HHH": 0.5})
    attribution = pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": ["LA1", "LA2", "LA3", "LB"],
            "symbol": "FFF",
            "quantity": 10.0,
            "cost_basis": [900.0, 900.0, 900.0, 1_500.0],
            "sleeve_id": ["A", "A", "A", "B"],
            "attributed": "KEPT",
        }
    )
    trades = pd.DataFrame(
        {
            "account_id": ["U1"],
            "symbol": ["FFF"],
            "side": ["SELL"],
            "quantity": [10.0],
            "price": [PRICE],
            "notional": [1_000.0],
            "reason": ["HARVEST"],
        }
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": ["U1"],
            "symbol": ["FFF"],
            "lot_id": ["LB"],
            "quantity": [10.0],
            "proceeds": [1_000.0],
            "realized_gain": [-500.0],
            "term": ["SHORT"],
            "reason": ["HARVEST"],
        }
    )
    booking = book_to_sleeves(
        attribution,
        trades,
        lot_sells,
        sleeves,
        models,
        pd.Series(PRICE, index=SYMBOLS),
        pd.Series({"U1": 4_000.0}),
        pd.Series({"U1": 100.0}),
    )
    assert booking.trades[["sleeve_id", "side", "quantity"]].values.tolist() == [
        ["A", "SELL", 10.0]
    ]
    assert booking.lot_sells["sleeve_id"].tolist() == ["A"]
    moves = booking.transfers[["lot_id", "from_sleeve", "to_sleeve", "kind"]].values.tolist()
    assert moves == [["LB", "B", "A", "RELIEF"], ["LA1", "A", "B", "NETTING"]]
    records = sleeve_records(
        attribution, booking, sleeves, models, PRICE_OF, _taxable_cash(0.0, 1_000.0)
    ).set_index("sleeve_id")
    assert records.loc["A", "tax_cost"] == pytest.approx(-500.0 * 0.37)  # the loss's tax value
    assert records.loc["B", "value_after"] == pytest.approx(1_000.0)


def test_a_new_uma_funded_in_cash_splits_each_buy_among_the_sleeves_lacking_it():
    """No lots yet: FFF is in both models (A wants $1,500, B $500), so a buy of 20 shares is
    booked 15 to A and 5 to B; GGG only in A's model goes to A whole."""
    models = _models({"FFF": 0.75, "GGG": 0.25}, {"FFF": 0.25, "HHH": 0.75})
    trades = pd.DataFrame(
        {
            "account_id": "U1",
            "symbol": ["FFF", "GGG"],
            "side": "BUY",
            "quantity": [20.0, 5.0],
            "price": PRICE,
            "notional": [2_000.0, 500.0],
            "reason": "CASH_INVEST",
        }
    )
    booking = book_to_sleeves(
        attribute_lots(LOTS.iloc[:0], LAST_NIGHT.iloc[:0], SLEEVES, models, PRICE_OF, VALUE),
        trades,
        pd.DataFrame(columns=["account_id", "symbol", "lot_id", "quantity"]),
        SLEEVES,
        models,
        PRICE_OF,
        pd.Series({"U1": 4_000.0}),
        pd.Series({"U1": 0.0}),
    )
    got = booking.trades.set_index(["symbol", "sleeve_id"])[["quantity", "notional"]]
    assert got.to_dict("index") == {
        ("FFF", "A"): {"quantity": 15.0, "notional": 1_500.0},
        ("FFF", "B"): {"quantity": 5.0, "notional": 500.0},
        ("GGG", "A"): {"quantity": 5.0, "notional": 500.0},
    }
    assert booking.transfers.empty and booking.lot_sleeves.empty
