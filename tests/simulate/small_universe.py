"""Small data for the simulator's tests: a universe of 44 names (4 per sector) keeps each engine
decision cheap, so a simulated year of weekly nights runs in seconds."""

from sma.market import SECTOR_COUNTS, UniverseParams

SMALL_UNIVERSE = UniverseParams(
    sector_counts=tuple((s, 4) for s in SECTOR_COUNTS), n_share_class_pairs=2, n_outside=2
)
