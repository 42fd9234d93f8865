"""Proposals before an account is funded: transition plans and what-if (issue 21).

Public API (pure: frames and arrays in, frames out)

``transition_plan(market, start, Prospect, budgets, SimulationParams) -> TransitionPlan``
    The prospect's legacy lots run forward by the nightly engine under each annual gain budget.
``with_outside_holdings(market, first, outside, seed)``
    Holdings the firm's universe does not have, put on the path as benchmark-like funds.
``whatif(account, lots, cash, restrictions, tilts, ...) -> WhatIf``
    Each restriction, ESG screen and tilt alone and all together: the target's tracking error
    against the plain benchmark and the first year's gains and tax.
``prospect_profile(lots, cash, prices, ...) -> ProspectProfile``
    Page one: size, complexity, legacy positions, funding, accounts, the suggested
    implementation and why.
``render_transition_pdf`` / ``render_whatif_pdf``: the PDFs, in the statement's look.
"""

from sma.proposals._outside import OUTSIDE_SECTOR, OUTSIDE_TRACKING_NOISE, with_outside_holdings
from sma.proposals._pdf import (
    ProposalPage,
    frontier_chart,
    page_one_answers,
    render_transition_pdf,
    render_whatif_pdf,
)
from sma.proposals._profile import (
    CONCENTRATED_SHARE,
    ProspectProfile,
    prospect_profile,
    suggested_implementation,
)
from sma.proposals._transition import (
    LOTS_SOLD_COLUMNS,
    PLAN_COLUMNS,
    Prospect,
    TransitionPlan,
    budget_label,
    plan_accounts,
    plan_window,
    transition_plan,
)
from sma.proposals._whatif import ALL_TOGETHER, PLAIN, WHATIF_COLUMNS, WhatIf, scenarios, whatif

__all__ = [
    "ALL_TOGETHER",
    "CONCENTRATED_SHARE",
    "PLAIN",
    "WHATIF_COLUMNS",
    "ProposalPage",
    "ProspectProfile",
    "WhatIf",
    "frontier_chart",
    "page_one_answers",
    "prospect_profile",
    "render_transition_pdf",
    "render_whatif_pdf",
    "scenarios",
    "suggested_implementation",
    "whatif",
    "LOTS_SOLD_COLUMNS",
    "OUTSIDE_SECTOR",
    "OUTSIDE_TRACKING_NOISE",
    "PLAN_COLUMNS",
    "Prospect",
    "TransitionPlan",
    "budget_label",
    "plan_accounts",
    "plan_window",
    "transition_plan",
    "with_outside_holdings",
]
