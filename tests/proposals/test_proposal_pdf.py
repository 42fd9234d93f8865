"""The transition and what-if PDFs carry page one's answers, the plan's figures and the
assumptions (read back with pdftotext)."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from sma.proposals import (
    PLAN_COLUMNS,
    ProposalPage,
    TransitionPlan,
    WhatIf,
    page_one_answers,
    prospect_profile,
    render_transition_pdf,
    render_whatif_pdf,
)
from sma.simulate import SimulationParams

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")

PAGE = ProposalPage(
    "Ada Prospect", "SMA Nightly", np.datetime64("2026-01-02"), "LC500", ("Tax rates: 40.8 %.",)
)
PROFILE = prospect_profile(
    pd.DataFrame(
        {
            "symbol": ["BIG", "OUTFX"],
            "quantity": [4000.0, 1000.0],
            "cost_basis": [40_000.0, 70_000.0],
            "acquired_date": ["2012-01-03", "2019-01-02"],
        }
    ),
    50_000.0,
    pd.Series({"BIG": 100.0, "OUTFX": 100.0}),
    {"BIG"},
    np.datetime64("2026-01-02"),
    250_000.0,
    50_000.0,
)


def text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "p.pdf").write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "p.pdf"), "-"], check=True, capture_output=True
    )
    return " ".join(out.stdout.decode().split())


def plan() -> TransitionPlan:
    years = pd.DataFrame(
        [
            [0.0, 2026, 0.12, -5000.0, 0.0, -2040.0, -2040.0, 0.0, 510_000.0, 0.7],
            [np.inf, 2026, 0.01, 0.0, 360_000.0, 85_680.0, 85_680.0, 0.0, 505_000.0, 0.0],
        ],
        columns=PLAN_COLUMNS,
    )
    sold = pd.DataFrame(
        [[np.inf, 2026, "P-1", "BIG", 4000.0, 400_000.0, 360_000.0, "LONG"]],
        columns=["budget", "year", "lot_id", "symbol", "quantity", "proceeds", "gain", "term"],
    )
    return TransitionPlan(
        years,
        sold,
        sold,
        np.datetime64("2026-01-02"),
        np.datetime64("2026-12-31"),
        550_000.0,
        SimulationParams(),
    )


def test_the_transition_pdf_answers_page_ones_questions_and_shows_the_plan(tmp_path):
    words = text(render_transition_pdf(PAGE, PROFILE, plan()), tmp_path)
    for question, answer in page_one_answers(PROFILE):
        assert question in words
        assert " ".join(answer.split()[:4]) in words
    assert "Manager-traded SMA" in words and "$550,000" in words
    assert "$85,680" in words and "$360,000" in words and "P-1" in words
    assert "Tax rates: 40.8 %." in words


def test_the_whatif_pdf_lists_each_scenario_with_its_cost(tmp_path):
    table = pd.DataFrame(
        {
            "scenario": ["plain benchmark", "EXCLUDE sector Energy"],
            "tracking_error": [0.0, 0.0149],
            "st_gain": [0.0, 1000.0],
            "lt_gain": [0.0, 0.0],
            "tax": [0.0, 408.0],
            "tax_vs_plain": [0.0, 408.0],
            "sold": [0.0, 10_000.0],
            "status": ["NO_TRADE", "TRADED"],
        }
    )
    result = WhatIf(table, np.zeros((2, 1)), np.array(["BIG"]), np.zeros(1))
    words = text(render_whatif_pdf(PAGE, result, PROFILE), tmp_path)
    assert "EXCLUDE sector Energy" in words and "1.49%" in words and "$408" in words
    assert "Portfolio size" in words
