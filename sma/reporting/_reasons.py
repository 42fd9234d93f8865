"""Why we trade: the engine's reason codes, their words for a client, and trades summed by
reason."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sma.ledger import usd_array_to_cents
from sma.rebalance import TradeReason

#: The reason codes in the order reports list them.
TRADE_REASONS: tuple[str, ...] = tuple(TradeReason)

#: Why we trade, in a client's words, per reason code (PRODUCT.md, "The nightly run", step 5).
REASON_WORDS: dict[str, str] = {
    TradeReason.HARVEST: "sold holdings that were worth less than you paid, to realise losses "
    "that can offset "
    "taxable gains",
    TradeReason.REPLACE: "bought similar, but not substantially identical, securities so that "
    "your money stayed "
    "invested while the harvested ones cannot be bought back",
    TradeReason.REBALANCE: "brought the portfolio back in line with your personalised benchmark",
    TradeReason.CASH_INVEST: "invested cash that was waiting in the account",
    TradeReason.CASH_RAISE: "sold to raise the cash needed for withdrawals or your cash reserve",
    TradeReason.RESTRICTION: "sold or avoided securities that your instructions exclude",
    TradeReason.TRANSITION: "moved earlier holdings toward the portfolio we manage, as fast as "
    "your yearly gain "
    "budget allows",
}

#: The columns of ``trades_by_reason``.
REASON_TABLE_COLUMNS = ("reason", "trades", "accounts", "buys", "sells", "bought", "sold")

_SIDES = ("BUY", "SELL")
#: Per reason, a trade is keyed by side: BUY, SELL, or anything else (counted, not summed).
_KEYS_PER_REASON = len(_SIDES) + 1


def _cent_sums(key: np.ndarray, values: np.ndarray) -> dict[int, int]:
    """Per key, the sum of the finite ``values`` (USD), each in whole cents by the ledger's rule
    (``sma.ledger.usd_array_to_cents``): integers, so the sum is exact in any order or split."""
    finite = np.isfinite(values)
    cents = usd_array_to_cents(values[finite])
    # In int64 when no sum can reach its limit (every night's: a 100,000-account night's 22 M
    # trades were seconds as Python ints), else as Python's unbounded ints.
    fits = np.abs(cents.astype(float)).sum() < 2.0**62
    sums = (
        pd.Series(cents, dtype=np.int64 if fits else object).groupby(key[finite], sort=False).sum()
    )
    return {int(k): int(v) for k, v in sums.items()}


class _Reason:
    """One reason's running totals: counts, distinct accounts, notionals in cents and infinities
    seen."""

    def __init__(self) -> None:
        self.trades = 0
        self.counts = dict.fromkeys(_SIDES, 0)
        self.accounts: set[str] = set()
        self.cents: dict[str, int] = dict.fromkeys(_SIDES, 0)
        self.infinite: dict[str, set[float]] = {side: set() for side in _SIDES}

    def total(self, side: str) -> float:
        """The notional of ``side`` in USD: its cents summed (NaN skipped, as pandas does)."""
        infinite = self.infinite[side]
        if infinite:
            return (
                next(iter(infinite)) if len(infinite) == 1 else math.nan
            )  # inf - inf is nan, in any order
        return self.cents[side] / 100


class ReasonTally:
    """Trades summed per reason, part by part: the table is the same however the trades are split.

    ``add`` each part (say, each batch of a night's trades file), then read ``table()``. Counts
    add up; distinct accounts are kept per reason, so an account whose trades fall in two parts
    counts once; USD notionals are summed in integer cents (each trade's rounded by the ledger's
    rule), so neither the split nor the order of the rows changes a bit of the result.
    """

    def __init__(self) -> None:
        self._reasons: dict[str, _Reason] = {}

    def add(self, trades: pd.DataFrame) -> None:
        """Count ``trades`` in: columns as ``trades_by_reason``; a trade without a reason is not
        counted."""
        reason_code, reasons = pd.factorize(trades["reason"].astype(str))
        mine = [self._reasons.setdefault(str(r), _Reason()) for r in reasons]
        counted = reason_code >= 0
        side = trades["side"].astype(str).str.upper().to_numpy()[counted]
        side_code = np.select([side == s for s in _SIDES], list(range(len(_SIDES))), len(_SIDES))
        _add_sides(
            mine,
            reason_code[counted] * _KEYS_PER_REASON + side_code,
            trades["notional"].to_numpy(dtype=float)[counted],
        )
        if "account_id" in trades:
            _add_accounts(mine, reason_code[counted], trades["account_id"].astype(str)[counted])
        else:  # one account's trades (a statement): each reason traded counts one account
            for tally in mine:
                tally.accounts.add("")

    def table(self) -> pd.DataFrame:
        """``REASON_TABLE_COLUMNS`` per reason, in ``TRADE_REASONS`` order (unknown codes last, by
        name)."""
        rank = {r: i for i, r in enumerate(TRADE_REASONS)}
        order = sorted(self._reasons, key=lambda r: (rank.get(r, len(rank)), r))
        rows = [self._reasons[r] for r in order]
        return pd.DataFrame(
            {
                "reason": pd.Series(order, dtype=None if order else object),
                "trades": np.array([t.trades for t in rows], dtype=np.int64),
                "accounts": np.array([len(t.accounts) for t in rows], dtype=np.int64),
                "buys": np.array([t.counts["BUY"] for t in rows], dtype=np.int64),
                "sells": np.array([t.counts["SELL"] for t in rows], dtype=np.int64),
                "bought": np.array([t.total("BUY") for t in rows], dtype=float),
                "sold": np.array([t.total("SELL") for t in rows], dtype=float),
            }
        )


def _add_sides(mine: list[_Reason], key: np.ndarray, notional: np.ndarray) -> None:
    """Counts and cents per ``key`` (reason code x ``_KEYS_PER_REASON`` + side code)."""
    per_key = np.bincount(key, minlength=len(mine) * _KEYS_PER_REASON).reshape(
        len(mine), _KEYS_PER_REASON
    )
    summed = key % _KEYS_PER_REASON < len(_SIDES)
    cents = _cent_sums(key[summed], notional[summed])
    for code, tally in enumerate(mine):
        tally.trades += int(per_key[code].sum())
        for s, side in enumerate(_SIDES):
            tally.counts[side] += int(per_key[code, s])
            tally.cents[side] += cents.get(code * _KEYS_PER_REASON + s, 0)
    infinite = summed & np.isinf(notional)
    for k, value in zip(key[infinite].tolist(), notional[infinite].tolist(), strict=True):
        mine[k // _KEYS_PER_REASON].infinite[_SIDES[k % _KEYS_PER_REASON]].add(value)


def _add_accounts(mine: list[_Reason], reason_code: np.ndarray, account_id: pd.Series) -> None:
    """Each reason's distinct accounts (a missing id is no account); ``account_id`` is text,
    factorized as it is (Arrow's hashing, not Python strings one by one)."""
    account_code, accounts = pd.factorize(account_id)
    n = max(len(accounts), 1)
    named = account_code >= 0
    pairs = np.unique(reason_code[named].astype(np.int64) * n + account_code[named])
    names = np.asarray(accounts, dtype=object)
    for code, tally in enumerate(mine):
        lo, hi = np.searchsorted(pairs, [code * n, (code + 1) * n])
        tally.accounts.update(names[pairs[lo:hi] - code * n].tolist())


def trades_by_reason(trades: pd.DataFrame) -> pd.DataFrame:
    """Trades summed per reason, in ``TRADE_REASONS`` order (unknown codes last, by name).

    The table of one part added to a ``ReasonTally``: a night read in batches gets the same
    table as the night read whole.

    Parameters
    ----------
    trades : DataFrame
        ``side`` (BUY/SELL), ``notional`` (USD), ``reason``; with ``account_id`` the number of
        accounts per reason is counted too (without it, the trades are one account's).

    Returns
    -------
    DataFrame
        ``reason, trades, accounts, buys, sells, bought, sold`` (counts and USD notionals).
    """
    tally = ReasonTally()
    tally.add(trades)
    return tally.table()
