"""Property tests with heavy examples: a few in the fast group, the full count in the slow one."""

from __future__ import annotations

import pytest


def fast_and_full(fast: int, full: int) -> pytest.MarkDecorator:
    """Parametrize a test's ``examples``: ``fast`` of them run in the fast group, and ``full`` run
    with the slow group (issue 18: the fast group stays quick; the whole search still runs in
    ``make test``)."""
    return pytest.mark.parametrize(
        "examples",
        [
            pytest.param(fast, id=f"{fast}-examples"),
            pytest.param(full, id=f"{full}-examples", marks=pytest.mark.slow),
        ],
    )
