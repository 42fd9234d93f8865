"""The year table's losses harvested count only the strategy's own loss sales (issue 22): a loss a
corporate action realized -- a cash merger below basis (shared/CORPORATE_ACTIONS.md, MERGER_CASH)
-- was no choice of the strategy's, though its tax counts like any other loss (26 U.S.C. 1001)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sma.simulate import Strategy
from sma.simulate._loop import PathRun
from sma.simulate._metrics import run_metrics
from sma.simulate._params import HeldAwayGains

DATES = np.array(["2026-03-02", "2026-03-03", "2026-03-04"], dtype="datetime64[D]")


def _run(realized_by_actions: np.ndarray, disallowed_cents=(0, 0)) -> PathRun:
    """One account worth 100,000 USD with two realized losses on 3 March: a 1,000 USD loss sale
    and a 500 USD loss from a cash merger; ``disallowed_cents`` of each loss washed by a buy."""
    realized = pd.DataFrame(
        {
            "account_id": ["A1", "A1"],
            "sale_date": np.array(["2026-03-03", "2026-03-03"], dtype="datetime64[D]"),
            "gain_cents": [-100_000, -50_000],
            "term": ["SHORT", "SHORT"],
            "wash_sale_disallowed_cents": list(disallowed_cents),
            "permanently_disallowed_cents": [0, 0],
        }
    )
    trades = pd.DataFrame(
        {
            "account_id": ["A1"],
            "trade_date": np.array(["2026-03-03"], dtype="datetime64[D]"),
            "side": ["SELL"],
            "quantity": [10.0],
            "price": [100.0],
        }
    )
    lots = pd.DataFrame(
        {
            "account_id": pd.Series([], dtype=str),
            "symbol": pd.Series([], dtype=str),
            "quantity": pd.Series([], dtype=float),
            "cost_basis_cents": pd.Series([], dtype=np.int64),
            "adjusted_acquired_date": pd.Series([], dtype="datetime64[s]"),
        }
    )
    value = np.full((DATES.size, 1), 100_000.0)
    return PathRun(
        Strategy.ENGINE,
        DATES,
        value,
        np.zeros_like(value),
        trades,
        realized,
        lots,
        value.copy(),
        1,
        realized_by_actions=realized_by_actions,
    )


def _metrics(
    run: PathRun, gain_budget: float | None = None, profile: str = "LUMP_SUM"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``run_metrics`` of the one account A1 (tax rates 40 % / 20 %, worth 100,000 USD)."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A1"],
            "st_tax_rate": [0.4],
            "lt_tax_rate": [0.2],
            "gain_budget": [gain_budget],
        }
    )
    return run_metrics(
        run,
        2026,
        accounts,
        np.array([profile]),
        np.ones((DATES.size, 1)),
        np.zeros(0),
        np.array([], dtype=str),
        HeldAwayGains.UNLIMITED,
        np.array([100_000.0]),
    )


def _harvested(run: PathRun) -> float:
    years, summary = _metrics(run)
    assert years["losses_harvested_pct"].iloc[-1] == summary["losses_harvested_pct"].iloc[0]
    return float(summary["losses_harvested_pct"].iloc[0])


def test_a_cash_mergers_loss_is_not_a_harvest():
    assert _harvested(_run(np.array([False, True]))) == pytest.approx(1_000 / 100_000)


def test_every_loss_sale_of_the_strategy_is_a_harvest():
    assert _harvested(_run(np.array([False, False]))) == pytest.approx(1_500 / 100_000)


def test_a_cash_mergers_loss_still_saves_tax():
    """Taxes count every realized row: the merger's loss offsets at the short-term rate."""
    years, _ = _metrics(_run(np.array([False, True])))
    assert years["tax_paid"].iloc[0] == pytest.approx(-0.4 * 1_500)


@pytest.mark.parametrize(
    ("disallowed_cents", "violations", "by_actions"),
    [((0, 0), 0, 0), ((100_000, 0), 1, 0), ((0, 50_000), 0, 1), ((100_000, 50_000), 1, 1)],
)
def test_a_wash_sale_violation_is_a_sale_of_the_strategy(disallowed_cents, violations, by_actions):
    """A loss washed by a buy within 30 days (IRC section 1091) counts against the strategy only
    when the strategy sold: a cash merger's or a fraction's cash in lieu that a buy washed is
    counted apart, in the year table and in the whole run alike."""
    years, summary = _metrics(_run(np.array([False, True]), disallowed_cents))
    for table in (years, summary):
        assert table["wash_sale_violations"].sum() == violations
        assert table["wash_sales_by_actions"].sum() == by_actions


def _budget_year(rows: list[tuple[str, float, bool]]) -> tuple[int, int]:
    """(gain-budget breaches, budgets exceeded by corporate actions) of one account with a 50,000
    USD budget whose realized rows are ``rows``: (sale date, net gain USD, booked by a corporate
    action)."""
    run = _run(np.array([r[2] for r in rows]))
    realized = pd.DataFrame(
        {
            "account_id": ["A1"] * len(rows),
            "sale_date": np.array([r[0] for r in rows], dtype="datetime64[D]"),
            "gain_cents": [round(r[1] * 100) for r in rows],
            "term": ["LONG"] * len(rows),
            "wash_sale_disallowed_cents": [0] * len(rows),
            "permanently_disallowed_cents": [0] * len(rows),
        }
    )
    years, summary = _metrics(replace(run, realized=realized), 50_000.0, "TRANSITION")
    for column in ("gain_budget_breaches", "gain_budget_exceeded_by_actions"):
        assert years[column].sum() == summary[column].iloc[0]
    return (
        int(summary["gain_budget_breaches"].iloc[0]),
        int(summary["gain_budget_exceeded_by_actions"].iloc[0]),
    )


@pytest.mark.parametrize(
    ("rows", "counted"),
    [
        # within the budget
        ([("2026-03-02", 49_000.0, False), ("2026-03-03", 999.0, False)], (0, 0)),
        # the strategy's own sales over it
        ([("2026-03-02", 40_000.0, False), ("2026-03-03", 10_002.0, False)], (1, 0)),
        # a cash merger realized 25,000 USD once the strategy had spent 30,000: the merger's
        ([("2026-03-02", 30_000.0, False), ("2026-03-03", 25_000.0, True)], (0, 1)),
        # ... and had the merger come first, a sale of 30,000 after it is the strategy's
        ([("2026-03-02", 25_000.0, True), ("2026-03-03", 30_000.0, False)], (1, 0)),
        # the day's corporate action is booked before the day's decision: the same
        ([("2026-03-03", 25_000.0, True), ("2026-03-03", 30_000.0, False)], (1, 0)),
        # losses harvested after the merger bring the year back within the budget: nothing
        (
            [
                ("2026-03-02", 30_000.0, False),
                ("2026-03-03", 25_000.0, True),
                ("2026-03-04", -6_000.0, False),
            ],
            (0, 0),
        ),
    ],
)
def test_a_gain_budget_breach_is_a_day_the_strategy_sold_past_what_its_budget_had_left(
    rows, counted
):
    """The engine's gain budget is the year's budget less the net gains already realized, corporate
    actions' included (``sma.ledger.gain_budget_remaining``); a year a cash merger or cash in lieu
    put over the budget after the strategy had spent it is no breach of the strategy's, and is
    counted apart."""
    assert _budget_year(rows) == counted
