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
benchmarks)``, ``extend_market(path, n_days, seed)``. ``SimulationParams.corporate_action_rate``
puts mergers, spin-offs, ticker changes and returns of capital on the path at the book generator's
realistic rates (``_corporate``), each applied to the lots through the ledger before that day's
decision.
``beside_published``: our figures beside the published studies' (``sma.simulate._published``);
``SUMMARY_FIGURES``: the whole-run figures of ``result.summary``; ``COUNT_FIGURES`` those that
count events.
UMA (issue 19): ``simulate_uma(SimulationParams, market=None) -> DataFrame`` (``_uma.UMA_COLUMNS``):
model-delivered UMA accounts run as one overlay against the blended target and as sleeves traded
independently (``_uma.UmaWay``) over the same path; ``uma_overview`` is each way's mean.
Pieces, private to the package: the day loop and a day's engine inputs (``_loop``, from
``sma.rebalance.day_inputs`` -- the builder the night uses too), a year's tax (``_taxes``:
Schedule D netting, held-away gains, carryforward).
"""

from sma.simulate._history import History, HistoryParams, simulate_history
from sma.simulate._market import extend_market, generated_market, market_from_frames
from sma.simulate._metrics import CONVENTIONS, COUNT_FIGURES, SUMMARY_FIGURES
from sma.simulate._params import HarvestFrequency, HeldAwayGains, SimulationParams, Strategy
from sma.simulate._published import WHY_WE_DIFFER, beside_published
from sma.simulate._run import SimulationResult, simulate
from sma.simulate._uma import simulate_uma, uma_overview

__all__ = [
    "CONVENTIONS",
    "COUNT_FIGURES",
    "SUMMARY_FIGURES",
    "WHY_WE_DIFFER",
    "HarvestFrequency",
    "HeldAwayGains",
    "History",
    "HistoryParams",
    "SimulationParams",
    "SimulationResult",
    "Strategy",
    "beside_published",
    "extend_market",
    "generated_market",
    "market_from_frames",
    "simulate",
    "simulate_history",
    "simulate_uma",
    "uma_overview",
]
