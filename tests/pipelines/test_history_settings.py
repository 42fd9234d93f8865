"""``make demo``'s simulated history trades with the night's own settings (issue 13, defect 5)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines import history
from pipelines.settings import Settings
from sma.book import BookParams, generate_book
from sma.rebalance import EngineParams
from sma.risk import RiskModelParams

START = date(2024, 1, 2)


class _Asked(Exception):
    pass


def test_the_demo_history_is_simulated_with_the_settings_engine_and_risk_parameters(
    tmp_path, monkeypatch
):
    asked = {}

    def simulate_history(frames, start, end, seed, params, **kw):
        asked["params"] = params
        raise _Asked

    monkeypatch.setattr(history, "simulate_history", simulate_history)
    settings = Settings(
        store={"path": tmp_path / "store.duckdb"},
        engine={"risk_aversion": 9, "drift_tolerance": 0.1},
        risk={"halflife_days": 30},
    )
    book = generate_book(2, 5, START, BookParams(price_days=120))
    with pytest.raises(_Asked):
        history.build_history(book, START, date(2024, 3, 28), tmp_path / "inbox", settings, seed=5)
    assert asked["params"].engine == EngineParams(risk_aversion=9.0, drift_tolerance=0.1)
    assert asked["params"].risk == RiskModelParams(halflife_days=30.0)
