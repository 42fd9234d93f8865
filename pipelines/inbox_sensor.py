"""The DAG's first task: wait for the night's inbox, deferred, until the cut-off; then alert.

The files come from the custodian and the index provider some time after the close. The task
looks once; if a required file is missing it defers to :class:`InboxTrigger` on Airflow's
triggerer, holding no worker slot, which looks every ``[airflow] inbox_poll_seconds`` until every
required file of ``<inbox>/<date>/`` is there (CSV or Parquet) or ``[airflow] inbox_wait_minutes``
have passed. Past the cut-off the task fails without retrying, naming the missing files (the
DAG's failure callback sends that as the alert): a retry would only wait again for files the
operator has to chase.

Imports Airflow (this module is for the DAG); the domain's inbox spec is imported when the task
runs, not when the DAG is parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from pipelines.orchestration import (
    AirflowSettings,
    night_date,
    night_inbox,
    read_section,
)

FORMATS = ("csv", "parquet")  # sma.inbox.INBOX_FORMATS, checked by a test


def required_files() -> list[str]:
    """The inbox files every night needs (``sma.inbox.INBOX_FILES``), by name without suffix."""
    from sma.inbox import INBOX_FILES

    return sorted(name for name, spec in INBOX_FILES.items() if spec.required)


def missing_files(folder: Path, names: list[str]) -> list[str]:
    """The ``names`` with neither a ``.csv`` nor a ``.parquet`` file in ``folder``."""
    return [n for n in names if not any((folder / f"{n}.{f}").is_file() for f in FORMATS)]


class InboxTrigger(BaseTrigger):
    """Fires once every file is in ``folder``, or at ``cutoff`` (ISO timestamp, UTC): the event
    names the folder, the cut-off and the files still ``missing`` (none: the inbox is complete)."""

    def __init__(self, folder: str, names: list[str], cutoff: str, poll_seconds: float):
        super().__init__()
        self.folder, self.names = folder, list(names)
        self.cutoff, self.poll_seconds = cutoff, poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{__name__}.InboxTrigger",
            {
                "folder": self.folder,
                "names": self.names,
                "cutoff": self.cutoff,
                "poll_seconds": self.poll_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        cutoff = datetime.fromisoformat(self.cutoff)
        while True:
            missing = missing_files(Path(self.folder), self.names)
            now = datetime.now(UTC)
            if not missing or now >= cutoff:
                yield TriggerEvent(
                    {"folder": self.folder, "cutoff": self.cutoff, "missing": missing}
                )
                return
            left = (cutoff - now).total_seconds()
            await asyncio.sleep(max(0.0, min(self.poll_seconds, left)))


class InboxSensor(BaseOperator):
    """Waits for ``<inbox>/<date>/``'s required files (deferrable); alerts and fails at the
    cut-off. Returns the night's date."""

    def execute(self, context: Any) -> str:
        as_of = night_date(context)
        folder = night_inbox(context) / as_of
        names = required_files()
        if not missing_files(folder, names):
            return as_of
        settings = read_section("airflow", AirflowSettings)
        cutoff = datetime.now(UTC) + timedelta(minutes=settings.inbox_wait_minutes)
        self.log.info("waiting for %s until %s", folder, cutoff.isoformat())
        self.defer(
            trigger=InboxTrigger(
                str(folder), names, cutoff.isoformat(), settings.inbox_poll_seconds
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict) -> str:
        as_of, missing = night_date(context), event["missing"]
        folder, cutoff = event["folder"], event["cutoff"]
        if missing:
            text = (
                f"SMA night {as_of}: the inbox {folder} was not complete by the cut-off "
                f"{cutoff}: missing {', '.join(missing)}. The night has not run. When the files "
                f"are there, clear this task in Airflow (or run `sma nightly --inbox "
                f"{Path(folder).parent} --date {as_of}`)."
            )
            raise AirflowFailException(text)  # the DAG's failure callback sends it as the alert
        return as_of
