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
    TRADED = "TRADED"  # trades proposed, every constraint met
    NO_TRADE = "NO_TRADE"  # nothing to do, or nothing worth its costs; reason says which
    FLAGGED = "FLAGGED"  # needs the PM: TE stays above max, or cash cannot be raised; trades as proposed
    FAILED = "FAILED"  # could not be solved; no trades (safe fallback)


TRADE_COLUMNS = ["account_id", "symbol", "side", "quantity", "price", "notional", "reason"]
LOT_SELL_COLUMNS = ["account_id", "symbol", "lot_id", "quantity", "proceeds", "realized_gain", "term", "reason"]
RECORD_COLUMNS = [
    "account_id", "status", "reason", "triggers", "te_before", "te_after", "max_tracking_error",
    "realized_st", "realized_lt", "losses_harvested", "est_tax_saved", "turnover", "cash_before",
    "cash_after", "account_value", "objective", "solver_status", "iterations", "sign_conflicts", "risk_aversion",
]


def sell_reasons(excluded, realized, harvests, legacy, raising_cash) -> np.ndarray:
    """Reason of each security's sale, first rule that applies (arrays of shape (s,))."""
    return np.select(
        [excluded, harvests & (realized < 0), legacy, np.full(excluded.shape, raising_cash)],
        [TradeReason.RESTRICTION, TradeReason.HARVEST, TradeReason.TRANSITION, TradeReason.CASH_RAISE],
        TradeReason.REBALANCE,
    ).astype(object)


def buy_reasons(replaces, investing_cash) -> np.ndarray:
    """Reason of each security's buy: replacing a harvested sector's exposure, investing cash, rebalancing."""
    return np.select(
        [replaces, np.full(replaces.shape, investing_cash)],
        [TradeReason.REPLACE, TradeReason.CASH_INVEST],
        TradeReason.REBALANCE,
    ).astype(object)
