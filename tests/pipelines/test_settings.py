"""Every engine, risk-model and compliance parameter can be set by a firm (issue 13, defect 5
"Settings that cannot be set"): in ``sma.toml`` or ``SMA_<SECTION>__<KEY>``, with the domain's own
default, checked against its rule, and documented in ``config/sma.example.toml``."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing

import pytest

from pipelines.settings import (
    MOVED_FROM_NIGHT,
    ComplianceSettings,
    EngineSettings,
    RiskSettings,
    Settings,
    SettingsInvalid,
    load_settings,
)
from pipelines.settings_doc import EXAMPLE, PER_ACCOUNT, example_toml
from sma.compliance import ComplianceLimits
from sma.inbox import INBOX_FILES
from sma.rebalance import EngineParams, SignMethod
from sma.risk import RiskModelParams

#: Each settings section beside the sma dataclass it sets, and the keys only the pipeline uses.
SECTIONS = [
    (EngineSettings, EngineParams, set()),
    (RiskSettings, RiskModelParams, {"history_days"}),
    (ComplianceSettings, ComplianceLimits, set()),
]


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch, tmp_path):
    """Settings from these tests only: no sma.toml of the working folder, no SMA_* of the shell."""
    for key in [k for k in os.environ if k.startswith("SMA_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "none.toml"))


def _toml(tmp_path, monkeypatch, text: str) -> None:
    (tmp_path / "sma.toml").write_text(text)
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "sma.toml"))


@pytest.mark.parametrize(
    ("section", "params", "pipeline_only"), SECTIONS, ids=lambda x: getattr(x, "__name__", "")
)
def test_every_field_of_the_domain_parameters_is_a_setting_with_the_same_default_and_type(
    section, params, pipeline_only
):
    fields = {f.name: f for f in dataclasses.fields(params)}
    settable = set(section.model_fields) - pipeline_only
    assert set(fields) - settable == set(), (
        f"{params.__name__} fields no setting sets: add them to {section.__name__}"
    )
    assert settable - set(fields) == set(), (
        f"{section.__name__} keys {params.__name__} does not have"
    )
    hints = typing.get_type_hints(params)
    defaults = params()
    for name, info in section.model_fields.items():
        if name in pipeline_only:
            continue
        assert info.default == getattr(defaults, name), name
        assert info.annotation == hints[name], name
        assert info.description, f"{section.__name__}.{name} has no meaning documented"


def test_default_settings_convert_to_the_default_domain_parameters():
    settings = load_settings()
    assert settings.engine_params() == EngineParams()
    assert settings.risk_model_params() == RiskModelParams()
    assert settings.compliance_limits() == ComplianceLimits()


def test_a_toml_value_reaches_the_domain_parameters(tmp_path, monkeypatch):
    _toml(
        tmp_path,
        monkeypatch,
        '[engine]\nrisk_aversion = 20\nsign_method = "TWO_STEP"\n'
        "[risk]\nhalflife_days = 45\nmomentum_window = [126, 10]\n"
        "[compliance]\nprice_collar = 0.02\n",
    )
    settings = load_settings()
    assert settings.engine_params() == EngineParams(
        risk_aversion=20.0, sign_method=SignMethod.TWO_STEP
    )
    assert settings.risk_model_params() == RiskModelParams(
        halflife_days=45.0, momentum_window=(126, 10)
    )
    assert settings.compliance_limits() == ComplianceLimits(price_collar=0.02)


def test_an_environment_variable_overrides_the_toml_file(tmp_path, monkeypatch):
    _toml(tmp_path, monkeypatch, "[engine]\nrisk_aversion = 20\n")
    monkeypatch.setenv("SMA_ENGINE__RISK_AVERSION", "7.5")
    monkeypatch.setenv("SMA_RISK__MOMENTUM_WINDOW", "[200, 5]")
    monkeypatch.setenv("SMA_COMPLIANCE__RUN_HISTORY_NIGHTS", "10")
    settings = load_settings()
    assert settings.engine_params().risk_aversion == 7.5
    assert settings.risk_model_params().momentum_window == (200, 5)
    assert settings.compliance_limits().run_history_nights == 10


@pytest.mark.parametrize("given", ["TWO_STEP", "two_step", "Two_Step"])
def test_the_sign_method_is_chosen_by_name_in_any_case(given):
    assert (
        Settings(engine={"sign_method": given}).engine_params().sign_method is SignMethod.TWO_STEP
    )


@pytest.mark.parametrize(
    ("toml", "key", "rule"),
    [
        ("[engine]\nrisk_aversion = 0\n", "engine.risk_aversion", "greater than 0"),
        ("[engine]\ndrift_tolerance = 1.5\n", "engine.drift_tolerance", "less than or equal to 1"),
        (
            '[engine]\nsign_method = "GUESS"\n',
            "engine.sign_method",
            "'TWO_STEP', 'TWO_STEP_LOCAL' or 'RELAX_AND_NET'",
        ),
        ("[engine]\nsolver_max_iterations = 2.5\n", "engine.solver_max_iterations", "integer"),
        ("[risk]\nhalflife_days = -3\n", "risk.halflife_days", "greater than 0"),
        ("[risk]\nmomentum_window = [21, 252]\n", "risk.momentum_window", "0 <= skip < lookback"),
        (
            "[risk]\nhistory_days = 40\n",
            "risk",
            "history_days (40) must exceed min_history_days (60)",
        ),
        ("[compliance]\nprice_collar = 0\n", "compliance.price_collar", "greater than 0"),
        (
            "[compliance]\nmax_share_of_daily_volume = 2\n",
            "compliance.max_share_of_daily_volume",
            "less than or equal to 1",
        ),
    ],
)
def test_a_value_breaking_its_rule_is_refused_naming_the_key_and_the_rule(
    tmp_path, monkeypatch, toml, key, rule
):
    _toml(tmp_path, monkeypatch, toml)
    with pytest.raises(SettingsInvalid) as refused:
        load_settings()
    assert f"  {key}: " in str(refused.value) and rule in str(refused.value)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[engine]\nrisk_aversoin = 5\n", "engine.risk_aversoin"),
        ("[engin]\nrisk_aversion = 5\n", "engin"),
    ],
)
def test_a_misspelt_key_or_section_is_refused_rather_than_leaving_the_default_in_force(
    tmp_path, monkeypatch, toml, key
):
    _toml(tmp_path, monkeypatch, toml)
    with pytest.raises(SettingsInvalid, match=f"{key}: Extra inputs are not permitted"):
        load_settings()


def test_a_misspelt_environment_key_of_a_section_is_refused(monkeypatch):
    monkeypatch.setenv("SMA_ENGINE__RISK_AVERSOIN", "5")
    with pytest.raises(SettingsInvalid, match="engine.risk_aversoin"):
        load_settings()


@pytest.mark.parametrize("old", sorted(MOVED_FROM_NIGHT))
def test_a_key_moved_out_of_night_is_refused_saying_where_it_lives_now(tmp_path, monkeypatch, old):
    _toml(tmp_path, monkeypatch, f"[night]\n{old} = 1\n")
    with pytest.raises(SettingsInvalid) as refused:
        load_settings()
    assert f"[night] {old} is now {MOVED_FROM_NIGHT[old]}" in str(refused.value)


def test_settings_reach_spawned_shard_workers_unchanged():
    """``sma nightly`` hands settings to its worker processes as JSON: enums and windows survive."""
    settings = Settings(
        engine={"sign_method": "RELAX_AND_NET", "risk_aversion": 9},
        risk={"momentum_window": [120, 5]},
        compliance={"price_collar": 0.03},
    )
    again = Settings.model_validate_json(settings.model_dump_json())
    assert again == settings
    assert again.engine_params() == settings.engine_params()
    assert again.risk_model_params() == settings.risk_model_params()


def test_every_setting_says_what_it_means():
    for section, info in Settings.model_fields.items():
        assert info.annotation.__doc__, f"[{section}]"
        for key, field in info.annotation.model_fields.items():
            assert field.description, f"[{section}] {key} has no docstring"


def test_the_example_file_is_written_from_the_settings_themselves():
    assert EXAMPLE.read_text() == example_toml(), (
        "config/sma.example.toml is stale: python -m pipelines.settings_doc > "
        "config/sma.example.toml"
    )


def test_the_example_file_lists_every_setting_at_its_actual_default():
    text = EXAMPLE.read_text()
    parsed = tomllib.loads(text)
    defaults = Settings.model_construct().model_dump(mode="json")
    for section, info in Settings.model_fields.items():
        for key, value in defaults[section].items():
            if value is None:  # TOML has no null: an unset default is listed commented out
                assert f"# {key} = ...  (unset by default)" in text, f"[{section}] {key}"
            else:
                listed = parsed[section][key]
                assert (list(listed) if isinstance(listed, list) else listed) == value, (
                    f"[{section}] {key}"
                )
        assert set(parsed[section]) <= set(info.annotation.model_fields), section
    assert Settings(**parsed) == Settings()


def test_the_example_file_names_the_per_account_parameters_the_inbox_carries():
    text = EXAMPLE.read_text()
    accounts = INBOX_FILES["accounts"]
    for name in PER_ACCOUNT:
        assert accounts.column(
            name
        ).required  # a required column: no firm-wide default stands in for it
        assert f"#   {name} " in text
