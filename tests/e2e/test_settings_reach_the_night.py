"""The production night trades and checks with the firm's settings, not the code's defaults (issue
13, defect 5): a value in ``sma.toml`` or an ``SMA_*`` variable reaches the engine and the pre-trade
checks through `sma nightly` (and its worker processes) and through the DAG's task functions."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from tests.nightly_env import AS_OF, sma, workplace


def _proposal(root, name: str) -> pd.DataFrame:
    return pd.read_parquet(root / "runs" / AS_OF.isoformat() / "proposal" / f"{name}.parquet")


def _aversions(records: pd.DataFrame) -> set[float]:
    """The risk aversion each solved account was decided with (raised while its TE stayed too
    high)."""
    return set(records["risk_aversion"].dropna())


def _raised(base: float, escalations: int = 2, factor: float = 4.0) -> set[float]:
    return {base * factor**k for k in range(escalations + 1)}


def test_sma_nightly_decides_and_checks_with_the_toml_engine_and_compliance_settings(
    tiny_inbox, tmp_path
):
    env = workplace(
        tmp_path, workers=2
    )  # shards are decided in spawned workers: settings travel with them
    with open(tmp_path / "sma.toml", "a") as toml:
        toml.write("[engine]\nrisk_aversion = 7.5\n[compliance]\nmax_order_notional = 1.0\n")
    done = sma(["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], env, tmp_path)
    assert done.returncode == 0, done.stderr
    records = _proposal(tmp_path, "records")
    assert 7.5 in _aversions(records) and _aversions(records) <= _raised(7.5)
    # Every order is above a 1 USD notional limit: each account the engine traded is held out.
    violations = _proposal(tmp_path, "violations")
    traded = set(records.loc[records["turnover"] > 0, "account_id"])
    assert (
        traded
        and set(violations.loc[violations["rule"] == "notional_limit", "account_id"]) == traded
    )
    assert _proposal(tmp_path, "trades").empty


def test_the_dag_tasks_read_environment_overrides_over_the_toml_file(
    tiny_inbox, tmp_path, monkeypatch
):
    from pipelines.night import check_step, decide_step, ingest_step, prepare_step

    env = workplace(tmp_path)
    with open(tmp_path / "sma.toml", "a") as toml:
        toml.write("[engine]\nrisk_aversion = 7.5\n")
    for key in [k for k in os.environ if k.startswith("SMA_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SMA_CONFIG", env["SMA_CONFIG"])
    monkeypatch.setenv("SMA_ENGINE__RISK_AVERSION", "12")
    monkeypatch.setenv("SMA_COMPLIANCE__MAX_ORDER_SHARES", "1")
    day = AS_OF.isoformat()
    ingest_step(day, str(tiny_inbox))
    for shard in prepare_step(day):
        decide_step(day, shard)
    summary = check_step(day)
    records = _proposal(tmp_path, "records")
    assert 12.0 in _aversions(records) and _aversions(records) <= _raised(12.0)
    violations = _proposal(tmp_path, "violations")
    assert (violations["rule"] == "quantity_limit").any() and summary["orders"] == 0
    assert np.isin(violations["rule"], ["quantity_limit", "notional_limit", "volume_limit"]).all()


def test_a_bad_setting_stops_the_command_with_the_key_and_its_rule_not_a_traceback(
    tiny_inbox, tmp_path
):
    env = workplace(tmp_path)
    with open(tmp_path / "sma.toml", "a") as toml:
        toml.write("[engine]\nrisk_aversion = -1\n")
    done = sma(["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()], env, tmp_path)
    assert done.returncode == 2
    assert "engine.risk_aversion: Input should be greater than 0 (got -1)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists(), "nothing ran"
