"""The night's first task waits for the inbox, deferred, until the cut-off; past it, it fails at
once, naming the files still missing, which the failure callback sends as the alert (issue 20:
"a missing inbox retries for about 5 minutes and then fails with no alert")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from pipelines.inbox_sensor import (
    FORMATS,
    InboxSensor,
    InboxTrigger,
    missing_files,
    required_files,
)


def test_the_sensor_waits_for_the_files_every_night_needs_in_either_format():
    from sma.inbox import INBOX_FILES, INBOX_FORMATS

    assert FORMATS == INBOX_FORMATS
    assert required_files() == sorted(n for n, s in INBOX_FILES.items() if s.required)


def write_inbox(folder: Path, names: list[str], fmt: str = "csv") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.{fmt}").write_text("x\n")


def first_event(trigger: InboxTrigger) -> dict:
    async def first():
        async for event in trigger.run():
            return event.payload

    return asyncio.run(first())


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def test_the_trigger_fires_when_every_file_is_there(tmp_path):
    write_inbox(tmp_path, ["accounts"], "parquet")
    write_inbox(tmp_path, ["lots"])
    assert missing_files(tmp_path, ["accounts", "lots"]) == []
    cutoff = at(60)
    assert first_event(InboxTrigger(str(tmp_path), ["accounts", "lots"], cutoff, 0.01)) == {
        "folder": str(tmp_path),
        "cutoff": cutoff,
        "missing": [],
    }


def test_the_trigger_fires_once_the_last_file_arrives(tmp_path):
    write_inbox(tmp_path, ["accounts"])
    trigger = InboxTrigger(str(tmp_path), ["accounts", "lots"], at(30), 0.05)

    async def arrive_then_wait():
        async def arrive():
            await asyncio.sleep(0.2)
            write_inbox(tmp_path, ["lots"])

        task = asyncio.create_task(arrive())
        async for event in trigger.run():
            await task
            return event.payload

    assert asyncio.run(arrive_then_wait())["missing"] == []


def test_the_trigger_fires_with_the_missing_files_at_the_cut_off(tmp_path):
    write_inbox(tmp_path, ["accounts"])
    trigger = InboxTrigger(str(tmp_path), ["accounts", "lots", "prices"], at(0.2), 10)
    assert first_event(trigger)["missing"] == ["lots", "prices"]


def test_the_trigger_is_rebuilt_from_what_it_serializes(tmp_path):
    path, kwargs = InboxTrigger(str(tmp_path), ["a"], at(1), 5).serialize()
    assert path == "pipelines.inbox_sensor.InboxTrigger"
    assert InboxTrigger(**kwargs).serialize() == (path, kwargs)


def context(inbox: Path) -> dict:
    run = SimpleNamespace(run_after=datetime(2026, 11, 24, 22, 30), run_id="r")
    return {"params": {"as_of": "2026-11-24", "inbox": str(inbox)}, "dag_run": run}


def test_a_complete_inbox_lets_the_night_start_at_once(tmp_path):
    write_inbox(tmp_path / "2026-11-24", required_files())
    assert InboxSensor(task_id="wait").execute(context(tmp_path)) == "2026-11-24"


def test_a_missing_file_defers_until_the_configured_cut_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SMA_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SMA_AIRFLOW__INBOX_WAIT_MINUTES", "30")
    monkeypatch.setenv("SMA_AIRFLOW__INBOX_POLL_SECONDS", "15")
    write_inbox(tmp_path / "2026-11-24", required_files()[1:])
    with pytest.raises(TaskDeferred) as deferred:
        InboxSensor(task_id="wait").execute(context(tmp_path))
    trigger = deferred.value.trigger
    assert isinstance(trigger, InboxTrigger) and trigger.poll_seconds == 15
    assert trigger.folder == str(tmp_path / "2026-11-24")
    wait = datetime.fromisoformat(trigger.cutoff) - datetime.now(UTC)
    assert timedelta(minutes=29) < wait <= timedelta(minutes=30)
    assert deferred.value.method_name == "execute_complete"


def test_past_the_cut_off_the_task_fails_naming_what_is_missing_and_is_not_retried(tmp_path):
    sensor, ctx = InboxSensor(task_id="wait"), context(tmp_path)
    event = {"folder": str(tmp_path / "2026-11-24"), "cutoff": "2026-11-25T04:00:00+00:00"}
    assert sensor.execute_complete(ctx, {**event, "missing": []}) == "2026-11-24"
    with pytest.raises(AirflowFailException, match="missing lots, prices. The night has not run"):
        sensor.execute_complete(ctx, {**event, "missing": ["lots", "prices"]})
