"""Trade reasons and the columns of the engine's three output frames."""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class TradeReason(StrEnum):
    """Why a trade is proposed, for the PM and the client statement."""

    REBALANCE = "REBALANCE"  # back toward the personalised target
    HARVEST = "HARVEST"  # sale realizing a loss for its tax value
    REPLACE = "REPLACE"  # buy restoring the exposure of a harvested sale (same sector)
    CASH_INVEST = "CASH_INVEST"  # buy investing a contribution or excess cash
    CASH_RAISE = "CASH_RAISE"  # sale raising cash for a withdrawal or the cash target
    RESTRICTION = "RESTRICTION"  # sale of a security the client excluded
    TRANSITION = "TRANSITION"  # sale of a legacy (non-target) position within the gain budget


class DecisionStatus(StrEnum):
    """Where each account of the night stands, worst first (the order the review page lists
    them)."""

    FAILED = "FAILED"  # could not be solved; no trades (safe fallback)
    HELD = "HELD"  # held out of trading tonight (bad input, reconciliation break, failed check)
    FLAGGED = "FLAGGED"  # needs the PM (an ``ExceptionKind`` says why); its best allowed trades go
    TRADED = "TRADED"  # trades proposed, every constraint met
    NO_TRADE = "NO_TRADE"  # nothing to do, or nothing worth its costs; reason says which


class ExceptionKind(StrEnum):
    """Why an account needs the PM tonight: one closed set, written where the fact is found (the
    engine, the load, the checks) and read by the check step, store, blotter, CLI and review page.

    ``holds_out``: the account's orders never reach the blotter. The other kinds flag the account
    to the PM while its best allowed trades (if any) go as proposed (PRODUCT.md, "flagged to the
    PM").
    """

    BAD_INPUT = "BAD_INPUT"  # the inbox had bad rows for the account (load)
    RECONCILIATION = (
        "RECONCILIATION"  # lots do not add up to the custodian's positions (shard step)
    )
    COMPLIANCE = "COMPLIANCE"  # a pre-trade check or output contract failed (check step)
    SOLVER = "SOLVER"  # the optimiser found no answer: no trade, safe fallback (engine)
    # the cash target (a withdrawal) cannot be raised within the account's rules (engine)
    CASH = "CASH"
    # tracking error stays above the account's max after the best allowed trades (engine)
    TE_LIMIT = "TE_LIMIT"
    IDLE_CASH = (
        "IDLE_CASH"  # cash stays above target + tolerance after the best allowed trades (engine)
    )
    BELOW_MINIMUM = (
        "BELOW_MINIMUM"  # account value below the firm's minimum for its implementation (engine)
    )
    # a UMA account's sleeve follows a model with no version in force tonight (prepare)
    MODEL_MISSING = "MODEL_MISSING"
    # a gift request's eligible lots (long-term, appreciated, not NO_SELL) did not cover its
    # amount: what they could was delivered (night, issue 21)
    GIFT_SHORT = "GIFT_SHORT"

    @property
    def holds_out(self) -> bool:
        return self in _HOLDING_KINDS


_HOLDING_KINDS = frozenset(
    {
        ExceptionKind.BAD_INPUT,
        ExceptionKind.RECONCILIATION,
        ExceptionKind.COMPLIANCE,
        ExceptionKind.MODEL_MISSING,
    }
)

#: The kinds that keep an account out of tonight's blotter, as plain strings (files and SQL).
HOLDING_KINDS = frozenset(str(k) for k in _HOLDING_KINDS)


TRADE_COLUMNS = ["account_id", "symbol", "side", "quantity", "price", "notional", "reason"]
LOT_SELL_COLUMNS = [
    "account_id",
    "symbol",
    "lot_id",
    "quantity",
    "proceeds",
    "realized_gain",
    "term",
    "reason",
]
RECORD_COLUMNS = [
    "account_id",
    "status",
    "exception",
    "reason",
    "triggers",
    "te_before",
    "te_after",
    "max_tracking_error",
    "realized_st",
    "realized_lt",
    "losses_harvested",
    "est_tax_saved",
    "turnover",
    "cash_before",
    "cash_after",
    "account_value",
    "objective",
    "solver_status",
    "iterations",
    "sign_conflicts",
    "risk_aversion",
]


#: The trade reasons as plain strings, in ``TradeReason``'s order: the labels of the reason codes
#: ``sell_reasons`` and ``buy_reasons`` return (one array for every account, so a frame converts
#: each label to a string once).
TRADE_REASONS = np.array([str(r) for r in TradeReason], dtype=object)
_CODE = {r: i for i, r in enumerate(TradeReason)}


def sell_reasons(excluded, realized, harvests, legacy, raising_cash) -> np.ndarray:
    """Reason of each security's sale, first rule that applies (arrays of shape (s,)), as codes
    into ``TRADE_REASONS``."""
    return _first_rule(
        [
            (excluded, TradeReason.RESTRICTION),
            (harvests & (realized < 0), TradeReason.HARVEST),
            (legacy, TradeReason.TRANSITION),
            (raising_cash, TradeReason.CASH_RAISE),
        ],
        excluded.shape,
    )


def buy_reasons(replaces, investing_cash) -> np.ndarray:
    """Reason of each security's buy: replacing a harvested sector's exposure, investing cash,
    rebalancing; as codes into ``TRADE_REASONS``."""
    return _first_rule(
        [(replaces, TradeReason.REPLACE), (investing_cash, TradeReason.CASH_INVEST)],
        replaces.shape,
    )


def _first_rule(rules: list, shape: tuple) -> np.ndarray:
    """The code of the first reason whose rule holds (a bool array, or one bool for every row),
    REBALANCE where none does: ``np.select`` of the rules, written from the last rule to the first
    so the first that holds is the one left."""
    codes = np.full(shape, _CODE[TradeReason.REBALANCE])
    for holds, reason in reversed(rules):
        if np.ndim(holds) == 0:
            if holds:
                codes[...] = _CODE[reason]
        else:
            codes[holds] = _CODE[reason]
    return codes


def is_harvest(codes: np.ndarray) -> np.ndarray:
    """Which of the reason codes ``codes`` are HARVEST."""
    return codes == _CODE[TradeReason.HARVEST]
