"""Trading: blotters, allocations, approvals with four-eyes, the audit trail, exports and fills.

Pure: frames in, frames, text and bytes out. Files, locks and the run folder are
``pipelines.blotter``'s and ``pipelines.fills``'s.
"""

from sma.trading._approval import (
    Action,
    BlotterRefused,
    ContentChanged,
    State,
    Users,
    authorize,
    require_role,
)
from sma.trading._audit import TrailProblem, current, last_of, seal, verify_trail
from sma.trading._blotter import (
    FRAMES,
    SCHEMAS,
    SORT_KEYS,
    Blotter,
    ContentDigest,
    ProposalError,
    build_blotter,
    content_hash,
    run_of_orders,
    shrink_orders,
    without_accounts,
)
from sma.trading._booking import book_fills
from sma.trading._exports import (
    ALLOCATION_EXPORT_COLUMNS,
    DESK_COLUMNS,
    LOT_EXPORT_COLUMNS,
    FixSession,
    allocations_csv,
    csv_chunks,
    desk_csv,
    fix_message_chunks,
    fix_messages,
    lot_instructions_csv,
    to_csv,
)
from sma.trading._fills import (
    BOOKED_COLUMNS,
    FillLimits,
    FillProblem,
    FillsRejected,
    booked_digest,
    empty_booked,
    fill_ids,
    match_fills,
)
from sma.trading._signing import Signer

__all__ = [
    "ALLOCATION_EXPORT_COLUMNS",
    "DESK_COLUMNS",
    "LOT_EXPORT_COLUMNS",
    "BOOKED_COLUMNS",
    "FRAMES",
    "SCHEMAS",
    "SORT_KEYS",
    "Action",
    "Blotter",
    "BlotterRefused",
    "ContentDigest",
    "ContentChanged",
    "FillLimits",
    "FillProblem",
    "FillsRejected",
    "FixSession",
    "ProposalError",
    "State",
    "TrailProblem",
    "Signer",
    "Users",
    "allocations_csv",
    "authorize",
    "require_role",
    "book_fills",
    "csv_chunks",
    "build_blotter",
    "content_hash",
    "current",
    "desk_csv",
    "empty_booked",
    "fill_ids",
    "fix_message_chunks",
    "fix_messages",
    "run_of_orders",
    "lot_instructions_csv",
    "match_fills",
    "booked_digest",
    "last_of",
    "seal",
    "shrink_orders",
    "to_csv",
    "verify_trail",
    "without_accounts",
]
