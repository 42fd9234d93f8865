"""The multi-year simulator: the real engine and ledger, day by day, beside simpler strategies.

Public API (pure: frames and arrays in, frames out)

``simulate(SimulationParams, market=None) -> SimulationResult``
    Every vintage's accounts (lump sum, monthly contributions, withdrawals, in-kind transition of a
    concentrated low-basis stock) traded by each ``Strategy`` (TRACKING_ONLY, THRESHOLD, ENGINE) on
    one path; ``result.years`` per account and year, ``result.summary`` per account over the run
    (conventions in ``sma.simulate._metrics``).
``simulate_history(frames, start, end, seed, HistoryParams()) -> History``
    A generated book traded by the engine from ``start`` to ``end``: daily values, trades, realized
    rows and the inbox frames of ``end``.
Market paths: ``generated_market(seed, start, n_days)``, ``market_from_frames(securities, prices,
benchmarks)``, ``extend_market(path, n_days, seed)``; ``with_corporate_actions(path, first, rate,
seed)``: mergers, spin-offs, ticker changes, returns of capital on the path at the book
generator's realistic rates (``SimulationParams.corporate_action_rate``), each applied to the lots
through the ledger before that day's decision.
Pieces: ``run_path`` (the day loop), ``day_shard`` (a day's engine inputs, from
``sma.rebalance.day_inputs`` -- the builder the night uses too), ``year_tax`` (Schedule D netting,
held-away gains, carryforward), ``beside_published`` (the figures of ``sma.simulate._published``).
UMA (issue 19): ``simulate_uma(SimulationParams, market=None) -> DataFrame`` (``UMA_COLUMNS``):
model-delivered UMA accounts run as one overlay against the blended target and as sleeves traded
independently (``UmaWay``) over the same path; ``uma_overview`` is each way's mean.
"""

from sma.simulate._corporate import with_corporate_actions
from sma.simulate._history import (
    HISTORY_TRADE_COLUMNS,
    VALUE_COLUMNS,
    History,
    HistoryParams,
    simulate_history,
)
from sma.simulate._loop import LoopSettings, PathRun, day_shard, decision_days, run_path
from sma.simulate._market import (
    MarketPath,
    MarketPathError,
    extend_market,
    generated_market,
    market_from_frames,
)
from sma.simulate._metrics import CONVENTIONS, YEAR_COLUMNS
from sma.simulate._params import (
    HarvestFrequency,
    HeldAwayGains,
    Profile,
    SimulationParams,
    Strategy,
)
from sma.simulate._published import WHY_WE_DIFFER, beside_published
from sma.simulate._run import SimulationResult, simulate
from sma.simulate._taxes import ORDINARY_INCOME_OFFSET, year_tax
from sma.simulate._uma import UMA_COLUMNS, UmaWay, simulate_uma, uma_overview

__all__ = [
    "CONVENTIONS",
    "HISTORY_TRADE_COLUMNS",
    "ORDINARY_INCOME_OFFSET",
    "UMA_COLUMNS",
    "VALUE_COLUMNS",
    "WHY_WE_DIFFER",
    "YEAR_COLUMNS",
    "HarvestFrequency",
    "HeldAwayGains",
    "History",
    "HistoryParams",
    "LoopSettings",
    "MarketPath",
    "MarketPathError",
    "PathRun",
    "Profile",
    "SimulationParams",
    "SimulationResult",
    "Strategy",
    "UmaWay",
    "beside_published",
    "day_shard",
    "decision_days",
    "extend_market",
    "generated_market",
    "market_from_frames",
    "run_path",
    "simulate",
    "simulate_history",
    "simulate_uma",
    "uma_overview",
    "with_corporate_actions",
    "year_tax",
]
