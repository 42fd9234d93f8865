"""The DAG's own settings, the night's date and inbox in a task, and the alerts an operator gets
(issue 20, "the operator's morning"): a webhook really receives the POST, a mail goes to the relay,
and an alert that cannot be delivered is logged, never raised over the failure it reports."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines.orchestration import (
    AirflowSettings,
    AlertSettings,
    night_date,
    night_inbox,
    night_late,
    read_section,
    send_alert,
    task_failed,
)


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write ``sma.toml`` and point SMA_CONFIG at it; no SMA_AIRFLOW__/SMA_ALERTS__ from outside."""
    for key in list(__import__("os").environ):
        if key.startswith(("SMA_AIRFLOW__", "SMA_ALERTS__")):
            monkeypatch.delenv(key)
    path = tmp_path / "sma.toml"
    monkeypatch.setenv("SMA_CONFIG", str(path))

    def write(text: str) -> Path:
        path.write_text(text)
        return path

    write("")
    return write


@pytest.fixture
def webhook(config):
    """A local HTTP server standing in for the chat webhook; ``posts`` is what it received."""
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            posts.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config(f'[alerts]\nwebhook_url = "http://127.0.0.1:{server.server_port}/hook"\n')
    yield posts
    server.shutdown()


def test_the_dag_settings_come_from_the_file_and_the_environment_overrides_them(
    config, monkeypatch
):
    config('[airflow]\ninbox = "/data/inbox"\ntask_timeout_minutes = 30\n')
    monkeypatch.setenv("SMA_AIRFLOW__TASK_TIMEOUT_MINUTES", "45")
    monkeypatch.setenv("SMA_ALERTS__EMAIL_TO", '["ops@example.com"]')
    airflow = read_section("airflow", AirflowSettings)
    assert (airflow.inbox, airflow.task_timeout_minutes) == (Path("/data/inbox"), 45)
    assert read_section("alerts", AlertSettings).email_to == ["ops@example.com"]


def test_the_dag_settings_are_the_same_keys_as_the_settings_file(config):
    from pipelines.settings import load_settings

    config("[airflow]\ninbox_wait_minutes = 5\n[alerts]\nsmtp_port = 2525\n")
    settings = load_settings()
    assert settings.airflow == read_section("airflow", AirflowSettings)
    assert settings.alerts == read_section("alerts", AlertSettings)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[airflow]\ninbox = "inbox"\n', "absolute path"),
        ("[airflow]\ninbox_wait = 5\n", "inbox_wait"),
    ],
    ids=["a relative inbox", "an unknown key"],
)
def test_a_relative_inbox_or_an_unknown_key_is_refused(config, text, message):
    config(text)
    with pytest.raises(ValueError, match=message):
        read_section("airflow", AirflowSettings)


def context(**params) -> dict:
    run = SimpleNamespace(run_after=datetime(2026, 11, 25, 22, 30), run_id="manual__x")
    return {"params": params, "dag_run": run}


def test_the_nights_date_is_the_as_of_param_else_the_runs_date():
    assert night_date(context(as_of="2026-11-24")) == "2026-11-24"
    assert night_date(context(as_of="")) == "2026-11-25"
    assert night_date({**context(), "logical_date": datetime(2026, 11, 23)}) == "2026-11-23"
    with pytest.raises(ValueError):
        night_date(context(as_of="24/11/2026"))


def test_the_inbox_is_the_param_else_the_setting_and_never_a_relative_path(config, tmp_path):
    assert night_inbox(context(inbox=str(tmp_path))) == tmp_path
    with pytest.raises(ValueError, match="no inbox"):
        night_inbox(context(inbox=""))
    with pytest.raises(ValueError, match="absolute"):
        night_inbox(context(inbox="inbox"))
    config(f'[airflow]\ninbox = "{tmp_path}"\n')
    assert night_inbox(context(inbox="")) == tmp_path


def test_an_alert_is_posted_to_the_webhook(webhook):
    assert send_alert("night 2026-11-24 failed", kind="task_failed") != []
    assert webhook == [
        {"path": "/hook", "json": {"text": "night 2026-11-24 failed", "kind": "task_failed"}}
    ]


def test_an_alert_is_mailed_through_the_relay(config, monkeypatch):
    sent = []

    class Relay:
        def __init__(self, host, port, timeout):
            sent.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, mail):
            sent.append((mail["To"], mail["Subject"], mail.get_content().strip()))

    monkeypatch.setattr("smtplib.SMTP", Relay)
    config('[alerts]\nemail_to = ["ops@example.com", "pm@example.com"]\nsmtp_host = "relay"\n')
    assert send_alert("inbox missing\nmore") == ["ops@example.com", "pm@example.com"]
    assert sent == [
        ("relay", 25),
        ("ops@example.com, pm@example.com", "inbox missing", "inbox missing\nmore"),
    ]


def test_an_alert_that_cannot_be_delivered_is_logged_not_raised(config, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no relay")

    monkeypatch.setattr("smtplib.SMTP", refuse)
    config('[alerts]\nwebhook_url = "http://127.0.0.1:9/"\nemail_to = ["ops@example.com"]\n')
    with caplog.at_level(logging.ERROR, logger="pipelines.orchestration"):
        assert send_alert("night failed") == []
    assert "ALERT: night failed" in caplog.text
    assert "did not reach http://127.0.0.1:9/" in caplog.text
    assert "did not go out via localhost" in caplog.text


def test_a_failed_task_alerts_with_its_error_and_what_to_run(webhook):
    ti = SimpleNamespace(task_id="decide", dag_id="sma_nightly", run_id="manual__x")
    task_failed({**context(as_of="2026-11-24"), "ti": ti, "exception": RuntimeError("boom")})
    sent = webhook[0]["json"]
    assert sent["kind"] == "task_failed" and sent["task_id"] == "decide"
    assert "task decide failed: boom" in sent["text"]
    assert "sma status --date 2026-11-24" in sent["text"]


def test_a_failed_task_still_alerts_when_its_date_cannot_be_read(webhook):
    ti = SimpleNamespace(task_id="ingest", dag_id="sma_nightly", run_id="r")
    task_failed({"params": {"as_of": "bad"}, "ti": ti, "exception": None})
    assert "SMA night ?: task ingest failed" in webhook[0]["json"]["text"]


def test_a_night_past_its_deadline_alerts(webhook):
    night_late(context={"dag_run": SimpleNamespace(run_id="scheduled__2026-11-24")}, minutes=600)
    sent = webhook[0]["json"]
    assert sent["kind"] == "deadline_missed" and sent["run_id"] == "scheduled__2026-11-24"
    assert "600 minutes" in sent["text"]
    night_late(context={"dag_run": {"run_id": "r2"}})
    assert webhook[1]["json"]["run_id"] == "r2"


def test_the_deadline_alert_names_the_run_the_scheduler_passes(webhook):
    """Airflow 3's scheduler passes the run as its REST model dumped to a dict: the id is
    ``dag_run_id`` (airflow.api_fastapi.core_api.datamodels.dag_run.DAGRunResponse); the first
    run under a real scheduler sent an alert naming no run."""
    from airflow.api_fastapi.core_api.datamodels.dag_run import DAGRunResponse

    assert "dag_run_id" in DAGRunResponse.model_fields
    run = {"dag_run_id": "manual__2026-11-24T22:30", "conf": {"as_of": "2026-11-24"}}
    night_late(context={"dag_run": run, "deadline": {"id": "d1"}}, minutes=0.5)
    sent = webhook[0]["json"]
    assert sent["run_id"] == "manual__2026-11-24T22:30"
    assert sent["text"].startswith(
        "SMA night manual__2026-11-24T22:30 (as of 2026-11-24): not finished by its deadline"
    )
