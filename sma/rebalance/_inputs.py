"""What the engine reads for one shard of accounts: typed arrays, indexed by account and
security."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sma.errors import SmaError
from sma.inbox import AccountType


class ShardInputError(SmaError, ValueError):
    """Inputs whose shapes or values do not fit together; names the field and the account."""


@dataclass(frozen=True)
class ShardInputs:
    """One shard's accounts, lots and per-security masks.

    Accounts, arrays of shape (m,): ``account_ids`` str, ``household_ids`` str, ``account_type``
    str (TAXABLE/IRA/ROTH), ``tlh_enabled`` bool, ``st_rate``/``lt_rate`` fractions,
    ``max_tracking_error`` annual fraction, ``gain_budget_remaining`` USD of net gains still allowed
    this calendar year (``inf`` = no budget), ``min_trade_value`` USD, ``cash_target`` fraction,
    ``cash`` USD held tonight, ``cash_flow`` USD requested (+ contribution, - withdrawal),
    ``benchmark_changed``/``restriction_changed`` bool, ``fractional_shares`` bool (the account
    may trade fractions of a share, to the custodian's decimals; None = no account may), ``uma``
    bool (a unified managed account, issue 19: its firm minimum is the UMA one; None = none is).

    Securities, arrays of shape (n,), in the risk model's order: ``symbols``, ``sectors``,
    ``identical_group`` (integer code; securities sharing a code are substantially identical),
    ``prices`` USD per share.

    Per account and security, arrays of shape (m, n): ``target`` weights (see
    ``sma.accounts.personalised_targets``); ``buy_blocked`` bool (NO_BUY, EXCLUDE, NO_SELL, or a
    household wash-sale block from ``sma.ledger``); ``loss_sale_blocked`` bool (household bought
    within 30 days); ``no_sell`` bool; ``exclude`` bool.

    Lots, arrays of shape (L,): ``lot_account`` int (row in the account arrays), ``lot_security``
    int (column in the security arrays), ``lot_ids`` str, ``lot_qty`` shares, ``lot_basis`` USD
    total, ``lot_long_term`` bool (a sale tonight would be long-term, ``sma.ledger.is_long_term``).
    """

    account_ids: np.ndarray
    household_ids: np.ndarray
    account_type: np.ndarray
    tlh_enabled: np.ndarray
    st_rate: np.ndarray
    lt_rate: np.ndarray
    max_tracking_error: np.ndarray
    gain_budget_remaining: np.ndarray
    min_trade_value: np.ndarray
    cash_target: np.ndarray
    cash: np.ndarray
    cash_flow: np.ndarray
    symbols: np.ndarray
    sectors: np.ndarray
    identical_group: np.ndarray
    prices: np.ndarray
    target: np.ndarray
    buy_blocked: np.ndarray
    loss_sale_blocked: np.ndarray
    no_sell: np.ndarray
    exclude: np.ndarray
    lot_account: np.ndarray
    lot_security: np.ndarray
    lot_ids: np.ndarray
    lot_qty: np.ndarray
    lot_basis: np.ndarray
    lot_long_term: np.ndarray
    benchmark_changed: np.ndarray | None = None
    restriction_changed: np.ndarray | None = None
    fractional_shares: np.ndarray | None = None
    uma: np.ndarray | None = None
    lot_start: np.ndarray = field(init=False, repr=False)
    lot_order: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m, n = self.account_ids.size, self.symbols.size
        for name in (
            "household_ids",
            "account_type",
            "tlh_enabled",
            "st_rate",
            "lt_rate",
            "max_tracking_error",
            "gain_budget_remaining",
            "min_trade_value",
            "cash_target",
            "cash",
            "cash_flow",
        ):
            if np.shape(getattr(self, name)) != (m,):
                raise ShardInputError(f"{name} must have one entry per account ({m})")
        for name in ("sectors", "identical_group", "prices"):
            if np.shape(getattr(self, name)) != (n,):
                raise ShardInputError(f"{name} must have one entry per security ({n})")
        for name in ("target", "buy_blocked", "loss_sale_blocked", "no_sell", "exclude"):
            if np.shape(getattr(self, name)) != (m, n):
                raise ShardInputError(f"{name} must be accounts x securities ({m} x {n})")
        size = self.lot_ids.size
        for name in ("lot_account", "lot_security", "lot_qty", "lot_basis", "lot_long_term"):
            if np.shape(getattr(self, name)) != (size,):
                raise ShardInputError(f"{name} must have one entry per lot ({size})")
        if not np.all(np.isfinite(self.prices) & (self.prices > 0)):
            bad = self.symbols[~(np.isfinite(self.prices) & (self.prices > 0))][:5]
            raise ShardInputError(f"prices must be finite and > 0; not for {list(bad)}")
        if np.any(self.lot_qty <= 0) or not np.all(np.isfinite(self.lot_basis)):
            i = int(np.flatnonzero((self.lot_qty <= 0) | ~np.isfinite(self.lot_basis))[0])
            raise ShardInputError(
                f"lot {self.lot_ids[i]} of account {self.account_ids[self.lot_account[i]]}: "
                "quantity must be > 0 and cost basis finite"
            )
        unknown = set(np.unique(self.account_type).astype(str)) - set(AccountType)
        if unknown:
            raise ShardInputError(f"unknown account_type {sorted(unknown)[0]!r}")
        if self.fractional_shares is None:
            object.__setattr__(self, "fractional_shares", np.zeros(m, dtype=bool))
        elif np.shape(self.fractional_shares) != (m,):
            raise ShardInputError(f"fractional_shares must have one entry per account ({m})")
        if self.uma is None:
            object.__setattr__(self, "uma", np.zeros(m, dtype=bool))
        elif np.shape(self.uma) != (m,):
            raise ShardInputError(f"uma must have one entry per account ({m})")
        order = np.argsort(self.lot_account, kind="stable")
        object.__setattr__(self, "lot_order", order)
        object.__setattr__(
            self, "lot_start", np.searchsorted(self.lot_account[order], np.arange(m + 1))
        )

    @property
    def m(self) -> int:
        return self.account_ids.size

    @property
    def n(self) -> int:
        return self.symbols.size

    def lots_of(self, a: int) -> np.ndarray:
        """Indices (into the lot arrays) of account ``a``'s lots."""
        return self.lot_order[self.lot_start[a] : self.lot_start[a + 1]]

    def fractional(self, a: int) -> bool:
        """Whether account ``a`` may trade fractions of a share (``fractional_shares``)."""
        return self.fractional_shares is not None and bool(self.fractional_shares[a])

    def minimum_usd(self, a: int, sma_minimum: float, uma_minimum: float) -> float:
        """The firm's minimum value for account ``a``'s implementation, USD (issue 19,
        "Minimums per implementation")."""
        return uma_minimum if self.uma is not None and self.uma[a] else sma_minimum

    @property
    def taxable(self) -> np.ndarray:
        return self.account_type == AccountType.TAXABLE

    def lot_values(self) -> np.ndarray:
        """Market value of every lot tonight, USD, shape (L,)."""
        return self.lot_qty * self.prices[self.lot_security]

    def holdings(self) -> np.ndarray:
        """Market value held per account and security, USD, shape (m, n)."""
        flat = self.lot_account * self.n + self.lot_security
        return np.bincount(flat, self.lot_values(), minlength=self.m * self.n).reshape(
            self.m, self.n
        )

    def account_values(self) -> np.ndarray:
        """Holdings plus cash plus tonight's cash flows, USD, shape (m,)."""
        return self.holdings().sum(axis=1) + self.cash + self.cash_flow
