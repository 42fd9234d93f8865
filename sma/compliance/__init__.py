"""Pre-trade compliance: the rules every order passes before release (PRODUCT.md)."""

from sma.compliance._rules import (
    RULES,
    VIOLATION_COLUMNS,
    ComplianceLimits,
    ProposalBook,
    check_proposal,
    check_run_totals,
)

__all__ = [
    "RULES",
    "VIOLATION_COLUMNS",
    "ComplianceLimits",
    "ProposalBook",
    "check_proposal",
    "check_run_totals",
]
