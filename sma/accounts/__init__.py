"""Accounts, restrictions and tilts as (accounts x securities) arrays, and personalised targets."""

from sma.accounts._restrictions import (
    RestrictionMasks,
    Universe,
    restriction_masks,
    tilt_multipliers,
)
from sma.accounts._targets import personalised_targets

__all__ = [
    "RestrictionMasks",
    "Universe",
    "personalised_targets",
    "restriction_masks",
    "tilt_multipliers",
]
