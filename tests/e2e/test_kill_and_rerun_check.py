"""A night killed at the check step's crash points and run again gives byte-identical outputs and
store (PRODUCT.md, "Non-functional": a run killed at any point can be run again and gives the same
outputs). The points and the check are ``test_kill_and_rerun``'s; they are split over three files
so the two test workers share them."""

from __future__ import annotations

import pytest

from tests.e2e.test_kill_and_rerun import CRASH_POINTS, killed_and_run_again
from tests.e2e.test_kill_and_rerun import uninterrupted as uninterrupted  # noqa: F401 (fixture)

POINTS_HERE = CRASH_POINTS[
    CRASH_POINTS.index("check:trades:mid-write") : CRASH_POINTS.index("blotter:mid-write")
]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS_HERE)
def test_a_night_killed_at_a_point_and_run_again_gives_identical_outputs(
    point, tiny_inbox, uninterrupted, tmp_path
):
    killed_and_run_again(point, tiny_inbox, uninterrupted, tmp_path)
