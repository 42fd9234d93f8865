"""What can go wrong when booking trades into the ledger: each error says where and why."""

from __future__ import annotations

from sma.errors import SmaError


class LedgerError(SmaError):
    """A trade the ledger refuses. ``account_id``, ``symbol`` and ``rule`` say where and why."""

    rule = "ledger"

    def __init__(self, account_id: str, symbol: str, why: str):
        super().__init__(f"account {account_id}, {symbol}: {why}")
        self.account_id = account_id
        self.symbol = symbol
        self.why = why


class OversellError(LedgerError):
    """A sale of more shares than the account (or the named lots) holds."""

    rule = "no sale of more than is held"


class UnknownLotError(LedgerError):
    """A sale names a lot the account does not hold, or names it for another security."""

    rule = "named lots must be held"


class DuplicateLotError(LedgerError):
    """A buy opens a lot whose id the account already uses."""

    rule = "lot ids are unique per account"


class UnknownAccountError(LedgerError):
    """A trade for an account the ledger was not given."""

    rule = "accounts must be known"


class InvalidTradeError(LedgerError):
    """A quantity, amount or ratio the ledger cannot book (not finite, not positive)."""

    rule = "quantities and ratios are positive and finite"
