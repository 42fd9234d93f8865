"""Lock-up: accounts whose appreciated lots keep them from tracking their index (issue 21).

An account is *locked up* when there is little left to harvest and the drift it has cannot be
fixed within its gain budget: every sale that would bring it back toward its target realizes gains
the budget does not allow. Per account of a shard, ``lockup_figures(inputs, records, thresholds)``
gives the share of value in appreciated positions, the harvest potential left (loss lots not
blocked by a wash sale), the tracking error before and after tonight and the gain budget left
(``LOCKUP_COLUMNS``). For the locked-up accounts, ``quantify_remedies`` reruns the engine's own
per-account decision (``sma.rebalance.decide_account``; no second optimiser) with cash added, the
gain budget widened or lifted, and the tilts removed, and reports each one's tracking error after
trading and the gains it realizes (``REMEDY_COLUMNS``).
"""

from sma.lockup._figures import LOCKUP_COLUMNS, LockupThresholds, lockup_figures
from sma.lockup._remedies import REMEDY_COLUMNS, Remedy, one_account, quantify_remedies

__all__ = [
    "LOCKUP_COLUMNS",
    "REMEDY_COLUMNS",
    "LockupThresholds",
    "Remedy",
    "lockup_figures",
    "one_account",
    "quantify_remedies",
]
