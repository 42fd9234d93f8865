"""Fixtures shared by the end-to-end tests of the CLI and the DAG, and the numba warm-up before
the xdist workers start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nightly_env import AS_OF
from tests.os_users import os_users  # noqa: F401 (the test logins, a fixture for every folder)


@pytest.fixture(scope="session")
def tiny_inbox(tmp_path_factory) -> Path:
    """Eight accounts (several households, TAXABLE/IRA/ROTH), 300 days of closes."""
    from pipelines.book import write_inbox
    from sma.book import BookParams, generate_book

    inbox = tmp_path_factory.mktemp("book") / "inbox"
    write_inbox(generate_book(8, 3, AS_OF, BookParams(price_days=300)), inbox, AS_OF, "csv")
    return inbox


def pytest_configure(config) -> None:
    """With xdist workers (``make test``: ``-n 2``), compile the numba kernels once, before the
    workers start (two processes side by side): each worker loads them from numba's cache
    instead of compiling them itself."""
    workers = getattr(config.option, "numprocesses", None)
    if workers and not hasattr(config, "workerinput"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}
        root = Path(__file__).parent.parent
        compiling = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.compiled_kernels", part], cwd=root, env=env
            )
            for part in ("solver", "search")
        ]
        if any(process.wait() for process in compiling):
            raise pytest.UsageError(
                "compiling the numba kernels failed (tests/compiled_kernels.py)"
            )


def pytest_terminal_summary(terminalreporter) -> None:
    """What a test asks to show whatever the capture and the xdist workers (``record_property``
    named ``shown``: the Celery night's time), at the end of the run."""
    for report in terminalreporter.getreports("passed"):
        for name, value in report.user_properties:
            if name == "shown":
                terminalreporter.write_line(f"{report.nodeid}: {value}")
