"""The contracts of the model-delivered UMA's inbox files (issue 19, "Model feeds").

Issue 19: "New inbox files `models` (provider_id, model_id, effective_date, symbol, weight; a model
is a whole set of weights as of its date) and `sleeves` (account_id, sleeve_id, model_id,
target_weight of the account, drift_band). Accounts get an `implementation` field
(MANAGER_TRADED | UMA). Data contracts for both: weights sum to 1 within tolerance, known symbols,
one model per (provider, model, date), sleeves of an account summing to 1 (cash sleeve allowed)."
Every bad row is named by file, row, column and rule; its account is held. The bad cells of
these files are cases of ``test_bad_cells.CASES``; here are the rules between rows and files. In
the clean inbox (``inbox_builder``) A3 is a UMA account with a core sleeve, a growth sleeve and
cash; the core model has two versions, the second without JNJ.
"""

from __future__ import annotations

from inbox_builder import clean_inbox
from test_cross_file_rules import _found as found
from test_cross_file_rules import _validate


def _found(result, rule):
    return sorted(found(result, rule), key=str)


def test_a_clean_uma_inbox_passes_and_loads_models_and_sleeves(tmp_path):
    result = _validate(tmp_path, clean_inbox())
    assert result.ok, result.issues
    assert len(result.frames["models"]) == 6 and len(result.frames["sleeves"]) == 3
    assert list(result.frames["accounts"]["implementation"].fillna("")) == [
        "MANAGER_TRADED",
        "",
        "UMA",
    ]


def test_a_book_without_umas_needs_neither_file_nor_the_implementation_column(tmp_path):
    """Both files are optional; a blank or absent implementation is MANAGER_TRADED."""
    frames = {k: v for k, v in clean_inbox().items() if k not in ("models", "sleeves")}
    frames["accounts"] = frames["accounts"].drop(columns="implementation")
    result = _validate(tmp_path, frames)
    assert result.ok
    assert result.frames["models"].empty and result.frames["sleeves"].empty
    assert result.frames["accounts"]["implementation"].isna().all()


def test_one_model_per_provider_model_and_date_each_symbol_once(tmp_path):
    """A repeated symbol in one (provider, model, date) is refused with its twin, which breaks the
    version's sum and holds the account following it."""
    frames = clean_inbox()
    frames["models"].loc[len(frames["models"])] = ["NORTHWIND", "CORE", "2026-11-24", "MSFT", "0.4"]
    result = _validate(tmp_path, frames)
    key = "provider_id,model_id,effective_date,symbol"
    assert _found(result, "unique_key") == [("models", 5, key, None), ("models", 7, key, None)]
    assert ("models", None, "weight", "A3") in _found(result, "model_weights_sum_to_one")
    assert "A3" in result.held_accounts


def test_model_weights_that_do_not_sum_to_one_hold_every_account_following_the_model(tmp_path):
    frames = clean_inbox()
    frames["models"].loc[4, "weight"] = "0.3"
    result = _validate(tmp_path, frames)
    assert _found(result, "model_weights_sum_to_one") == [("models", None, "weight", "A3")]
    assert result.held_accounts == {"A3"}
    assert len(result.frames["models"]) == 6, "a hold rule refuses no row"


def test_a_model_naming_a_symbol_missing_from_securities_is_refused(tmp_path):
    frames = clean_inbox()
    frames["models"].loc[5, "symbol"] = "NOPE"
    result = _validate(tmp_path, frames)
    assert ("models", 6, "symbol", None) in _found(result, "known_symbol")
    assert 6 not in result.frames["models"].index
    assert "A3" in result.held_accounts, "the GROWTH model lost its weight"


def test_sleeves_of_an_account_must_sum_to_one_cash_sleeve_included(tmp_path):
    frames = clean_inbox()
    frames["sleeves"].loc[2, "target_weight"] = "0.1"
    result = _validate(tmp_path, frames)
    assert _found(result, "sleeve_weights_sum_to_one") == [("sleeves", None, "target_weight", "A3")]
    assert result.held_accounts == {"A3"}


def test_a_sleeve_following_a_model_not_delivered_is_refused(tmp_path):
    frames = clean_inbox()
    frames["sleeves"].loc[1, "model_id"] = "VALUE"
    result = _validate(tmp_path, frames)
    assert _found(result, "known_model") == [("sleeves", 2, "model_id", "A3")]
    assert 2 not in result.frames["sleeves"].index
    assert "A3" in result.held_accounts


def test_a_model_id_delivered_by_two_providers_or_named_cash_is_refused(tmp_path):
    """Sleeves name a model by model_id alone: it must mean one provider's model; CASH is the
    cash sleeve."""
    frames = clean_inbox()
    frames["models"].loc[5, "model_id"] = "CORE"
    frames["models"].loc[len(frames["models"])] = ["ALDER", "CASH", "2026-09-01", "AAPL", "1"]
    result = _validate(tmp_path, frames)
    assert {r for _, r, _, _ in _found(result, "one_provider_per_model")} == {1, 2, 3, 4, 5, 6, 7}


def test_a_manager_traded_account_has_no_sleeves(tmp_path):
    frames = clean_inbox()
    frames["sleeves"].loc[len(frames["sleeves"])] = ["A2", "S1", "CORE", "1", "0.05"]
    result = _validate(tmp_path, frames)
    assert _found(result, "sleeves_match_implementation") == [("sleeves", 4, "account_id", "A2")]
    assert "A2" in result.held_accounts
    assert 4 not in result.frames["sleeves"].index


def test_a_uma_account_without_sleeves_is_held(tmp_path):
    frames = clean_inbox()
    frames["accounts"].loc[0, "implementation"] = "UMA"
    result = _validate(tmp_path, frames)
    assert _found(result, "uma_has_sleeves") == [("accounts", None, "implementation", "A1")]
    assert result.held_accounts == {"A1"}


def test_a_sleeve_of_an_unknown_account_is_refused(tmp_path):
    frames = clean_inbox()
    frames["sleeves"].loc[0, "account_id"] = "A9"
    result = _validate(tmp_path, frames)
    assert ("sleeves", 1, "account_id", "A9") in _found(result, "known_account")


def test_sleeves_without_a_models_file_are_refused_and_their_account_held(tmp_path):
    frames = clean_inbox()
    del frames["models"]
    result = _validate(tmp_path, frames)
    assert _found(result, "known_model") == [
        ("sleeves", 1, "model_id", "A3"),
        ("sleeves", 2, "model_id", "A3"),
    ]
    assert result.held_accounts == {"A3"}
