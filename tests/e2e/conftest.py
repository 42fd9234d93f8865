"""Every test in this folder runs whole nights (the `sma` command in a process of its own, the
demo, OS logins), so each is ``slow``: ``pytest -m "not slow"`` is the fast suite; ``make test``
runs both groups."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
