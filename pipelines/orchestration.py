"""What the Airflow DAG needs that is not a night's step: its own settings, read cheaply at parse
time, the night's date from a task's context, and the alerts sent when a task fails, the inbox
misses its cut-off or the night misses its deadline.

Nothing here imports Airflow or the domain at the top: the DAG file imports this module at every
parse (``import pipelines.settings`` alone pulls in the engine: over a second). ``[airflow]`` and
``[alerts]`` are sections of the same ``sma.toml`` (``pipelines.settings.Settings`` has them too),
read here from ``$SMA_CONFIG`` and ``SMA_AIRFLOW__*``/``SMA_ALERTS__*`` alone.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import tomllib
import urllib.request
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class AirflowSettings(_Section):
    """The Airflow DAG: where its inbox is, how long it waits for it, how long a task may run."""

    inbox: Path | None = None
    """The folder holding ``<date>/<file>.csv`` (an absolute path every worker sees); the DAG's
    ``inbox`` param overrides it for one run. Unset: each run must give the param."""
    inbox_wait_minutes: float = Field(240, ge=0)
    """How long the first task waits (deferred, holding no worker slot) for the night's files
    before it alerts and the night fails."""
    inbox_poll_seconds: float = Field(60, gt=0)
    """How often the waiting task looks for the night's files."""
    task_timeout_minutes: float = Field(180, gt=0)
    """A task running longer than this is stopped and fails (Airflow's ``execution_timeout``)."""
    night_deadline_minutes: float | None = Field(None, gt=0)
    """An alert is sent when a night is not finished this long after its run was queued
    (Airflow's deadline alert, checked by the scheduler; the approval's wait counts). Unset: none
    (``airflow dags test`` of Airflow 3.3.2 fails at the end of a run whose DAG has a deadline)."""
    store_queue: str = Field("default", min_length=1)
    """The Celery queue of every task but the shard tasks: they open the DuckDB store, which lives
    on one machine. On several machines name a queue only that machine's worker listens to
    (``store``; ``airflow celery worker -q store,default`` there)."""
    shard_queue: str = Field("default", min_length=1)
    """The Celery queue of the shard tasks (``decide``): any worker that sees ``[storage] uri``."""
    review_url: str = ""
    """Where the runs folder is served to PMs (``https://sma.example.com/runs``): the approval
    request links ``<review_url>/<date>/review.html``. Blank: it names the page's path."""

    @field_validator("inbox")
    @classmethod
    def _absolute(cls, inbox: Path | None) -> Path | None:
        if inbox is not None and not inbox.expanduser().is_absolute():
            raise ValueError(
                f"the inbox must be an absolute path (a worker's working folder is "
                f"not yours): {inbox}"
            )
        return inbox


class AlertSettings(_Section):
    """Where alerts go: a failed task, an inbox past its cut-off, a night past its deadline."""

    webhook_url: str = ""
    """POSTed a JSON ``{"text": ..., "dag_id", "run_id", "task_id", "kind"}`` (Slack and Teams
    incoming webhooks read ``text``). Blank: no webhook."""
    email_to: list[str] = Field(default_factory=list)
    """Addresses mailed each alert. Empty: no email."""
    email_from: str = "sma-night@localhost"
    """The sender of alert emails."""
    smtp_host: str = "localhost"
    """The SMTP server alert emails go through (no authentication: a relay on the host)."""
    smtp_port: int = Field(25, ge=1, le=65535)
    """Its port."""


S = TypeVar("S", bound=BaseModel)


def read_section(name: str, model: type[S]) -> S:
    """``[name]`` of ``$SMA_CONFIG`` (else ``./sma.toml``) with ``SMA_<NAME>__<KEY>`` overrides,
    as ``pipelines.settings.load_settings`` reads it, without importing it. List values in the
    environment are JSON (``["a@x.com"]``)."""
    path = Path(os.environ.get("SMA_CONFIG", "sma.toml"))
    values: dict[str, Any] = {}
    if path.is_file():
        values = dict(tomllib.loads(path.read_text()).get(name, {}))
    prefix = f"SMA_{name.upper()}__"
    for key, value in os.environ.items():
        if key.startswith(prefix):
            field = key[len(prefix) :].lower()
            is_list = field in model.model_fields and "list" in str(
                model.model_fields[field].annotation
            )
            values[field] = json.loads(value) if is_list else value
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ValueError(f"[{name}] in {path} or SMA_{name.upper()}__*: {error}") from None


def night_date(context: Any) -> str:
    """The night's as-of date in a task: the run's ``as_of`` param, else the date the run is for."""
    chosen = context["params"].get("as_of") or ""
    if chosen:
        date.fromisoformat(chosen)  # a typo fails here, not as a night of the wrong date
        return chosen
    when = context.get("logical_date") or context["dag_run"].run_after
    return when.date().isoformat()


def night_inbox(context: Any) -> Path:
    """The inbox folder of a run: its ``inbox`` param, else ``[airflow] inbox``; never a path
    relative to wherever a worker happens to run."""
    given = context["params"].get("inbox") or ""
    inbox = Path(given).expanduser() if given else read_section("airflow", AirflowSettings).inbox
    if inbox is None:
        raise ValueError("no inbox: set [airflow] inbox in sma.toml or the run's inbox param")
    if not inbox.is_absolute():
        raise ValueError(f"the inbox param must be an absolute path, not {given!r}")
    return inbox


def send_alert(text: str, **fields: str) -> list[str]:
    """Send ``text`` to the configured webhook and email addresses; returns where it went.

    A failure to deliver is logged, never raised: an alert must not turn into a second failure
    that hides the first.
    """
    settings = read_section("alerts", AlertSettings)
    log.error("ALERT: %s", text)
    sent = []
    if settings.webhook_url:
        body = json.dumps({"text": text, **fields}).encode()
        request = urllib.request.Request(
            settings.webhook_url, body, {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                sent.append(settings.webhook_url)
        except OSError as error:
            log.error("the alert did not reach %s: %s", settings.webhook_url, error)
    if settings.email_to:
        mail = EmailMessage()
        mail["Subject"] = text.splitlines()[0][:200]
        mail["From"], mail["To"] = settings.email_from, ", ".join(settings.email_to)
        mail.set_content(text)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(mail)
            sent.extend(settings.email_to)
        except (OSError, smtplib.SMTPException) as error:
            log.error("the alert email did not go out via %s: %s", settings.smtp_host, error)
    return sent


def task_failed(context: Any) -> None:
    """Airflow's ``on_failure_callback``: alert that a task of the night failed, with its error and
    what to run next (README, "When a night fails")."""
    ti = context["ti"]
    error = context.get("exception")
    try:
        as_of = night_date(context)
    except (KeyError, ValueError, AttributeError):
        as_of = "?"
    send_alert(
        f"SMA night {as_of}: task {ti.task_id} failed: {error}\n"
        f"See `sma status --date {as_of}`; after fixing the cause clear the failed task in "
        "Airflow: the night goes on from the steps already done.",
        kind="task_failed",
        dag_id=str(ti.dag_id),
        run_id=str(ti.run_id),
        task_id=str(ti.task_id),
    )


def night_late(**kwargs: Any) -> None:
    """Airflow's deadline callback: the night is not finished by its deadline.

    The scheduler passes the run as ``context["dag_run"]``: a dict of Airflow's REST model
    (``DAGRunResponse``, whose id is ``dag_run_id``), found by running the callback under a real
    scheduler; an object with ``run_id`` is read too.
    """
    context = kwargs.get("context") or {}
    run = context.get("dag_run") or {}
    if isinstance(run, dict):
        run_id = run.get("dag_run_id") or run.get("run_id") or ""
        conf = run.get("conf") or {}
    else:
        run_id, conf = getattr(run, "run_id", "") or "", getattr(run, "conf", None) or {}
    as_of = conf.get("as_of") if isinstance(conf, dict) else None
    night = f"{run_id} (as of {as_of})" if as_of else run_id
    send_alert(
        f"SMA night {night}: not finished by its deadline "
        f"({kwargs.get('minutes', '?')} minutes after it was queued). "
        "Look for a task still running, up for retry, or an approval still waiting.",
        kind="deadline_missed",
        run_id=str(run_id),
    )
