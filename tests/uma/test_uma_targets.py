"""A UMA account is decided against its sleeves' blended models (issue 19, "The overlay decision":
"One tax-aware decision per UMA account across its sleeves"; "restrictions, ESG screens and tilts
apply account-wide on top of every model"): the night gives it a benchmark of its own carrying the
blend, and its cash sleeves as its cash target. A sleeve whose model has no version in force holds
the account out (MODEL_MISSING), with the reason."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.rebalance import ExceptionKind, shard_from_frames
from sma.uma import uma_benchmark_id, uma_targets

AS_OF = date(2026, 11, 24)
MODELS = pd.DataFrame(
    {
        "provider_id": "P",
        "model_id": ["CORE", "CORE", "GROWTH", "GROWTH", "LATER"],
        "effective_date": [date(2026, 1, 2)] * 4 + [date(2026, 12, 1)],
        "symbol": ["AAA", "BBB", "BBB", "CCC", "AAA"],
        "weight": [0.6, 0.4, 0.5, 0.5, 1.0],
    }
)


def _accounts(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "household_id": "H1",
            "account_type": "TAXABLE",
            "benchmark_id": "IDX",
            "tlh_enabled": True,
            "st_tax_rate": 0.37,
            "lt_tax_rate": 0.2,
            "max_tracking_error": 0.02,
            "gain_budget": np.nan,
            "min_trade_value": 0.0,
            "cash_target": 0.01,
            "implementation": [r[1] for r in rows],
        }
    )


def _sleeves(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "sleeve_id", "model_id", "target_weight"])
    return frame.assign(drift_band=0.05)


def test_a_uma_account_gets_its_blended_sleeves_as_benchmark_and_cash_sleeve_as_cash_target():
    out = uma_targets(
        _accounts(("U1", "UMA"), ("M1", "MANAGER_TRADED"), ("M2", None)),
        _sleeves(("U1", "S1", "CORE", 0.5), ("U1", "S2", "GROWTH", 0.4), ("U1", "S3", "CASH", 0.1)),
        MODELS,
        AS_OF,
    )
    accounts = out.accounts.set_index("account_id")
    assert accounts.loc["U1", "benchmark_id"] == uma_benchmark_id("U1") == "UMA:U1"
    assert accounts.loc["U1", "cash_target"] == pytest.approx(0.1)
    # manager-traded accounts (named or blank) keep their benchmark and cash target
    assert accounts.loc[["M1", "M2"], "benchmark_id"].tolist() == ["IDX", "IDX"]
    assert accounts.loc[["M1", "M2"], "cash_target"].tolist() == [0.01, 0.01]
    bench = out.benchmarks.set_index("symbol")["weight"]
    assert set(out.benchmarks["benchmark_id"]) == {"UMA:U1"}
    # 0.5 x CORE + 0.4 x GROWTH over 0.9 invested, normalised to 1
    assert bench.to_dict() == pytest.approx({"AAA": 0.3 / 0.9, "BBB": 0.4 / 0.9, "CCC": 0.2 / 0.9})
    assert out.held.empty


def test_a_uma_whose_sleeve_model_has_no_version_in_force_is_held_with_the_reason():
    out = uma_targets(
        _accounts(("U1", "UMA"), ("U2", "UMA"), ("U3", "UMA"), ("U4", "UMA")),
        _sleeves(
            ("U1", "S1", "CORE", 0.5),
            ("U1", "S2", "LATER", 0.5),  # first version takes effect after tonight
            ("U2", "S1", "CORE", 1.0),
            ("U3", "S1", "CASH", 1.0),
        ),
        MODELS,
        AS_OF,
    )
    held = out.held.set_index("account_id")
    assert set(held.index) == {"U1", "U3", "U4"}
    assert set(held["kind"]) == {str(ExceptionKind.MODEL_MISSING)}
    assert ExceptionKind.MODEL_MISSING.holds_out
    assert held.loc["U1", "reason"] == (
        "UMA sleeve S2 follows model LATER, which has no version in force on 2026-11-24"
    )
    assert held.loc["U3", "reason"] == "UMA account has no sleeve following a model tonight"
    assert held.loc["U4", "reason"] == "UMA account has no sleeves tonight"
    # the held account is not given a partial target; the placed one is
    assert set(out.benchmarks["benchmark_id"]) == {"UMA:U2"}
    assert out.accounts.set_index("account_id").loc["U1", "benchmark_id"] == "IDX"


def test_a_book_without_models_or_without_the_implementation_column_is_left_as_it_is():
    accounts = _accounts(("M1", "MANAGER_TRADED")).drop(columns="implementation")
    out = uma_targets(accounts, _sleeves(), MODELS.iloc[:0], AS_OF)
    assert out.accounts.equals(accounts) and out.benchmarks.empty and out.held.empty


def test_restrictions_and_tilts_apply_account_wide_on_top_of_the_blended_models():
    """EXCLUDE AAA (held in CORE's sleeve) takes it out of the account's target; the rest of the
    blend is scaled up to the invested share, as for a manager-traded account's benchmark."""
    out = uma_targets(
        _accounts(("U1", "UMA")),
        _sleeves(("U1", "S1", "CORE", 0.5), ("U1", "S2", "GROWTH", 0.4), ("U1", "S3", "CASH", 0.1)),
        MODELS,
        AS_OF,
    )
    symbols = np.array(["AAA", "BBB", "CCC"])
    securities = pd.DataFrame(
        {"symbol": symbols, "sector": "S", "identical_group": None, "esg_tags": None}
    )
    restrictions = pd.DataFrame(
        {"account_id": ["U1"], "kind": ["EXCLUDE"], "symbol": ["AAA"], "sector": [None]}
    ).assign(esg_tag=None)
    tilts = pd.DataFrame({"account_id": ["U1"], "symbol": ["CCC"], "multiplier": [2.0]}).assign(
        sector=None
    )
    shard = shard_from_frames(
        symbols=symbols,
        securities=securities,
        closes=pd.Series(100.0, index=symbols),
        benchmarks=out.benchmarks,
        accounts=out.accounts,
        lots=pd.DataFrame(
            {
                "account_id": ["U1"],
                "lot_id": ["L1"],
                "symbol": ["AAA"],
                "quantity": [10.0],
                "cost_basis": [900.0],
                "acquired_date": [date(2025, 1, 2)],
            }
        ),
        cash=pd.DataFrame({"account_id": ["U1"], "amount": [9_000.0]}),
        as_of=np.datetime64(AS_OF, "D"),
        restrictions=restrictions,
        tilts=tilts,
    )
    assert shard.cash_target.tolist() == pytest.approx([0.1]) and shard.uma.tolist() == [True]
    # BBB 0.4, CCC 0.2 x 2 = 0.4 -> each half of the 0.9 invested
    assert shard.target[0].tolist() == pytest.approx([0.0, 0.45, 0.45])
