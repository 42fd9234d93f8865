"""Pre-trade compliance: the rules every order passes before release (PRODUCT.md)."""

from sma.compliance._book import ProposalBook
from sma.compliance._outputs import PROPOSAL_LOT_SELLS, PROPOSAL_TRADES
from sma.compliance._rules import (
    VIOLATION_COLUMNS,
    ComplianceLimits,
    check_proposal,
    check_run_totals,
)

__all__ = [
    "PROPOSAL_LOT_SELLS",
    "PROPOSAL_TRADES",
    "VIOLATION_COLUMNS",
    "ComplianceLimits",
    "ProposalBook",
    "check_proposal",
    "check_run_totals",
]
