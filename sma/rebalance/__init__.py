"""The per-account decision: screen, tax-aware optimisation, whole-share rounding, decision records.

How the nightly pipeline calls it, per shard (PRODUCT.md, "The per-account decision")::

    model = sma.risk.estimate_risk_model(returns, symbols, sectors)        # once per night
    blocks = sma.ledger.wash_sale_blocks(transactions, identical_group, as_of)
    shard = shard_from_frames(symbols=model.symbols, securities=..., closes=..., benchmarks=...,
                              accounts=..., lots=..., cash=..., as_of=..., wash_blocks=blocks, ...)
    out = decide(shard, model, EngineParams())                            # screen + optimise

(``shard_from_frames`` builds the personalised targets for all accounts at once, with
``sma.accounts``.) Under it, the one builder of engine inputs, shared with the simulator:
``account_arrays(accounts, restrictions, tilts, securities, benchmark_ids) -> AccountArrays``
(once), then per day
``day_inputs(acc, day, prices, index_weights, LotArrays, cash, cash_flow, realized_ytd,
wash_blocks) -> ShardInputs``;
``blocks_in_force(inputs, masks, universe, wash_blocks)`` lists what is blocked and until when
(``account_id, symbol, kind, why, until``). ``decide`` returns an ``EngineOutput`` of three
frames:

trades (TRADE_COLUMNS)
    account_id, symbol, side (BUY/SELL), quantity (whole shares, or a whole fractional lot;
float64),
    price (USD, tonight's close), notional (USD), reason (a ``TradeReason``). One row per account,
    security and side.
lot_sells (LOT_SELL_COLUMNS)
    account_id, symbol, lot_id, quantity, proceeds, realized_gain (USD), term (SHORT/LONG), reason:
    the lots each SELL relieves; quantities add up to the trade's.
records (RECORD_COLUMNS), one per account
    account_id, status (a ``DecisionStatus``: TRADED/NO_TRADE/FLAGGED/FAILED; the check step adds
    HELD), exception (an ``ExceptionKind`` or ''), reason (readable), triggers (the screen's
    line), te_before, te_after, max_tracking_error (annual fractions), realized_st, realized_lt,
    losses_harvested, est_tax_saved (USD), turnover (one-way fraction), cash_before, cash_after,
    account_value (USD), objective, solver_status, iterations, sign_conflicts, risk_aversion (the
    one used: raised while tracking error stays above the account's max).

The optimiser follows Moehle, Kochenderfer, Boyd & Ang (JOTA 2021): a convex relaxation (buys and
lot sales as independent variables, lots pooled per security, loss/gain and rate) chooses the side
of every contested identical group, then the full lot problem is solved with those sides fixed
(``SignMethod.TWO_STEP_LOCAL``, default: the side whose removal costs less at the relaxed answer;
``TWO_STEP``: the sign of the relaxed net trade, as in the paper); then a local search flips sides
while that lowers the objective, within ``EngineParams.sign_search_solves`` solves (a flip that a
lower bound from the current answer's duals proves useless is not solved: ``_flip_bound``). The QP
solver is an interior-point method whose Newton steps go through the factor model (k x k Woodbury),
compiled with numba; the final and the side search's solves leave trades with a clearly positive
reduced cost at zero and fix those clearly worth doing in full (most loss lots) at their bound,
solve the rest, and free any the KKT check asks for. Run it with one BLAS thread per process
(``OPENBLAS_NUM_THREADS=1``): the matrices are small and threads only contend. Speed and quality:
``benchmarks/bench_engine.py``.
"""

from sma.rebalance._arrays import AccountArrays, LotArrays, account_arrays
from sma.rebalance._blocked import blocks_in_force
from sma.rebalance._day import day_inputs, fractional_accounts
from sma.rebalance._decide import EngineOutput, decide, decide_account
from sma.rebalance._frames import shard_from_frames
from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams, SignMethod
from sma.rebalance._problem import AccountProblem, build_problem
from sma.rebalance._qp import QPResult, TradeQP, solve_trade_qp
from sma.rebalance._records import (
    HOLDING_KINDS,
    LOT_SELL_COLUMNS,
    RECORD_COLUMNS,
    TRADE_COLUMNS,
    DecisionStatus,
    ExceptionKind,
    TradeReason,
)
from sma.rebalance._screen import Screen, screen_accounts
from sma.rebalance._sides import contested_groups, keep_for_sides
from sma.rebalance._signs import ContinuousDecision, solve_account

__all__ = [
    "HOLDING_KINDS",
    "LOT_SELL_COLUMNS",
    "RECORD_COLUMNS",
    "TRADE_COLUMNS",
    "AccountArrays",
    "AccountProblem",
    "ContinuousDecision",
    "DecisionStatus",
    "EngineOutput",
    "EngineParams",
    "ExceptionKind",
    "LotArrays",
    "QPResult",
    "Screen",
    "ShardInputs",
    "SignMethod",
    "TradeQP",
    "TradeReason",
    "account_arrays",
    "blocks_in_force",
    "build_problem",
    "contested_groups",
    "day_inputs",
    "decide",
    "decide_account",
    "fractional_accounts",
    "keep_for_sides",
    "screen_accounts",
    "shard_from_frames",
    "solve_account",
    "solve_trade_qp",
]
