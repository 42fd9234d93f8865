"""The night on a distributed deployment (issue 20, "An end-to-end test"): ``deploy/up`` brings up
PostgreSQL, Redis, a local S3 server and Airflow with the Celery executor and two workers; nights
are triggered through Airflow's REST API (v2, authenticated), their shard tasks run on both
workers, a PM answers the approval through the REST API (one night rejected, one approved with an
account held) and the blotter's audit log says so; a trader then releases with the CLI. The night's
deadline (``[airflow] night_deadline_minutes``) is short, so the scheduler's deadline alert fires
while the first night waits for its PM, and reaches the ``[alerts]`` webhook (issue 20, "The
operator's morning")."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.nightly_env import AS_OF, workplace
from tests.os_users import shared, sma_as, write_users

pytest.importorskip("airflow.providers.celery")
pytest.importorskip("moto.server")

REPO = Path(__file__).parents[2]
PM, TRADER = "sma-test-pm", "sma-test-trader"
REJECTED_DAY, APPROVED_DAY = (AS_OF - timedelta(days=1)).isoformat(), AS_OF.isoformat()
SHARD_TASK = "decide"
#: Short enough that the first night is still waiting for its PM when it passes (0.5 minutes).
DEADLINE_MINUTES = 0.5

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """Airflow's REST API v2 as one logged-in user (simple auth manager: POST /auth/token)."""

    def __init__(self, base: str, user: str, password: str):
        self.base = base
        token = self.call("POST", "/auth/token", {"username": user, "password": password}, auth="")
        self.token = token["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, auth: str | None = None):
        headers = {"Content-Type": "application/json"}
        token = getattr(self, "token", "") if auth is None else auth
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")


class Webhook:
    """A chat webhook on localhost: every alert POSTed to it is kept, as a chat channel would."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, kind: str) -> list[dict]:
        return [alert for alert in self.received if alert.get("kind") == kind]


def _eventually(what: str, seconds: float, probe):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if (found := probe()) is not None:
                return found
        except urllib.error.HTTPError as error:
            if error.code not in (404, 409):
                raise
        time.sleep(2)
    raise AssertionError(f"{what}: not within {seconds}s")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, os_users):
    """The deployment of deploy/up under a temp folder, torn down (deploy/down) whatever
    happens. Yields the night's env (its SMA_CONFIG), the root, the inbox, the API base URL and
    the webhook the night's alerts go to."""
    from pipelines.book import write_inbox
    from sma.book import BookParams, generate_book

    root = tmp_path_factory.mktemp("celery")
    inbox = root / "inbox"
    for day in (REJECTED_DAY, APPROVED_DAY):
        as_of = AS_OF.fromisoformat(day)
        write_inbox(generate_book(8, 3, as_of, BookParams(price_days=300)), inbox, as_of, "csv")
    env = workplace(root, workers=1, users_file=write_users(root))
    config = root / "sma.toml"
    webhook = Webhook()
    config.write_text(
        config.read_text().replace(f'uri = "{root / "storage"}"', 'uri = "s3://nights/sma"')
        + f'\n[airflow]\nnight_deadline_minutes = {DEADLINE_MINUTES}\nstore_queue = "store"\n'
        + f'\n[alerts]\nwebhook_url = "{webhook.url}"\n'
    )
    shared(root)  # PostgreSQL runs as its own login and must reach its folder
    port = _free_port()
    deploy_env = {
        **env,
        "DEPLOY_STATE": str(root / "deploy"),
        "PY": sys.executable,
        "AIRFLOW_PORT": str(port),
        "PG_PORT": str(_free_port()),
        "REDIS_PORT": str(_free_port()),
        "S3_PORT": str(_free_port()),
        "AIRFLOW_USERS": f"admin:admin,{PM}:user",
        "WORKER_CONCURRENCY": "1",
    }
    started = time.monotonic()
    try:
        up = subprocess.run(
            [str(REPO / "deploy" / "up")],
            env=deploy_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        print(f"\ndeploy/up: {time.monotonic() - started:.0f} s")
        yield env, root, inbox, f"http://127.0.0.1:{port}", webhook
    finally:
        webhook.server.shutdown()
        subprocess.run(
            [str(REPO / "deploy" / "down")], env=deploy_env, capture_output=True, timeout=300
        )


def _login(root: Path, base: str, user: str) -> Api:
    passwords = root / "deploy" / "airflow" / "simple_auth_manager_passwords.json.generated"
    return Api(base, user, json.loads(passwords.read_text())[user])


def _trigger(api: Api, day: str, inbox: Path) -> str:
    run = api.call(
        "POST",
        "/api/v2/dags/sma_nightly/dagRuns",
        {"logical_date": None, "conf": {"as_of": day, "inbox": str(inbox)}},
    )
    return run["dag_run_id"]


def _awaiting_approval(api: Api, run_id: str):
    path = f"/api/v2/dags/sma_nightly/dagRuns/{run_id}/taskInstances/pm_approval"
    ti = api.call("GET", path)
    if ti["state"] in ("failed", "upstream_failed"):
        raise AssertionError(f"pm_approval {ti['state']}")
    return ti if ti["state"] == "awaiting_input" else None


def _ended(api: Api, run_id: str):
    run = api.call("GET", f"/api/v2/dags/sma_nightly/dagRuns/{run_id}")
    return run["state"] if run["state"] in ("success", "failed") else None


def _hosts(api: Api, run_id: str) -> dict[str, set[str]]:
    """The workers each task of a run ran on."""
    tis = api.call("GET", f"/api/v2/dags/sma_nightly/dagRuns/{run_id}/taskInstances?limit=100")
    hosts: dict[str, set[str]] = {}
    for ti in tis["task_instances"]:
        hosts.setdefault(ti["task_id"], set()).add(ti["hostname"])
    return hosts


def _shard_hosts(api: Api, run_id: str) -> set[str]:
    """The workers a run's shard tasks ran on; every other task ran on worker1, the only worker
    listening to the store's queue (deploy/up: STORE_WORKER=1)."""
    hosts = _hosts(api, run_id)
    shards = hosts.pop(SHARD_TASK)
    assert set().union(*hosts.values()) == {"worker1"}, hosts
    return shards


def _answer(api: Api, run_id: str, option: str, params: dict) -> None:
    api.call(
        "PATCH",
        f"/api/v2/dags/sma_nightly/dagRuns/{run_id}/taskInstances/pm_approval/-1/hitlDetails",
        {"chosen_options": [option], "params_input": params},
    )


def test_nights_on_celery_workers_answered_through_the_rest_api(deployment, record_property):
    from pipelines.blotter import show
    from sma.trading import State

    env, root, inbox, base, webhook = deployment
    started = time.monotonic()
    admin = _login(root, base, "admin")
    _eventually("the DAG parsed", 180, lambda: admin.call("GET", "/api/v2/dags/sma_nightly"))
    admin.call("PATCH", "/api/v2/dags/sma_nightly", {"is_paused": False})
    pm = _login(root, base, PM)

    # A night the PM rejects.
    rejected = _trigger(admin, REJECTED_DAY, inbox)
    _eventually("approval asked", 600, lambda: _awaiting_approval(admin, rejected))
    # Waiting for its PM past its deadline: the scheduler's deadline alert reaches the webhook.
    late = _eventually(
        "the deadline alert",
        180,
        lambda: [a for a in webhook.alerts("deadline_missed") if a["run_id"] == rejected] or None,
    )
    assert len(late) == 1, webhook.received
    assert late[0]["text"].startswith(
        f"SMA night {rejected} (as of {REJECTED_DAY}): not finished by its deadline"
    )
    _answer(pm, rejected, "Reject", {"hold": "", "note": "not tonight"})
    assert _eventually("night ended", 300, lambda: _ended(admin, rejected)) == "success"
    hosts = _shard_hosts(admin, rejected)
    run_dir = root / "runs" / REJECTED_DAY
    assert show(run_dir).state == State.REJECTED
    assert (show(run_dir).trail[-1]["user"], show(run_dir).trail[-1]["note"]) == (
        PM,
        "not tonight",
    )

    # A night the PM approves, holding one account; a trader releases it with the CLI.
    approved = _trigger(admin, APPROVED_DAY, inbox)
    _eventually("approval asked", 600, lambda: _awaiting_approval(admin, approved))
    run_dir = root / "runs" / APPROVED_DAY
    import pandas as pd

    held = sorted(set(pd.read_parquet(run_dir / "proposal" / "trades.parquet")["account_id"]))[0]
    _answer(pm, approved, "Approve", {"hold": held, "note": "looks right"})
    assert _eventually("night ended", 300, lambda: _ended(admin, approved)) == "success"
    hosts |= _shard_hosts(admin, approved)
    assert hosts == {"worker1", "worker2"}  # shard tasks ran on both Celery workers
    assert not (root / "storage").exists()  # the shards went through the S3 server
    assert show(run_dir).state == State.APPROVED
    last = show(run_dir).trail[-1]
    assert (last["user"], last["held"]) == (PM, [held])

    shared(root)
    released = sma_as(TRADER, ["blotter", "release", "--run", APPROVED_DAY], env, root)
    assert released.returncode == 0, released.stderr
    assert show(run_dir).state == State.RELEASED
    assert not [a for a in webhook.alerts("task_failed") if a["run_id"] in (rejected, approved)]
    print("\nalerts received:", [(a["kind"], a["run_id"]) for a in webhook.received])
    took = (
        f"two nights on Celery, answered through the REST API: {time.monotonic() - started:.0f} s"
    )
    print("\n" + took)
    record_property("shown", took)
