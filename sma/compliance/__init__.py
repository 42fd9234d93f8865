"""Pre-trade compliance: the rules every order passes before release (PRODUCT.md)."""

from sma.compliance._outputs import OUTPUT_FILES, PROPOSAL_LOT_SELLS, PROPOSAL_TRADES
from sma.compliance._rules import (
    RULES,
    VIOLATION_COLUMNS,
    ComplianceLimits,
    ProposalBook,
    check_proposal,
    check_run_totals,
)

__all__ = [
    "OUTPUT_FILES",
    "PROPOSAL_LOT_SELLS",
    "PROPOSAL_TRADES",
    "RULES",
    "VIOLATION_COLUMNS",
    "ComplianceLimits",
    "ProposalBook",
    "check_proposal",
    "check_run_totals",
]
