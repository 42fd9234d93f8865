"""The Airflow DAG runs the night end to end on a generated book, gives the same trades, decision
records and blotter as `sma nightly` (the DAG and the CLI call the same steps), and the PM's answer
in Airflow's approval step ends the night in the blotter's audit log: APPROVED with the accounts the
PM held, or REJECTED (issue 20; PRODUCT.md, "The nightly run": the PM approves or rejects the
blotter)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.dags.airflow_run import PM, airflow_env, run_dag, users_file
from tests.e2e.test_nightly_cli import outputs, store_results
from tests.nightly_env import AS_OF, sma, workplace


def trail(run_dir: Path) -> list:
    from pipelines.blotter import show

    return show(run_dir).trail


@pytest.mark.slow
def test_a_night_the_pm_approves_in_airflow_is_approved_with_the_held_account(tiny_inbox, tmp_path):
    from pipelines.blotter import show
    from sma.trading import State

    cli_root, dag_root = tmp_path / "cli", tmp_path / "dag"
    cli_env = workplace(cli_root, users_file=users_file(cli_root))
    day = AS_OF.isoformat()
    assert (
        sma(["nightly", "--inbox", str(tiny_inbox), "--date", day], cli_env, tmp_path).returncode
        == 0
    )
    trades = __import__("pandas").read_parquet(
        cli_root / "runs" / day / "proposal" / "trades.parquet"
    )
    held = sorted(set(trades["account_id"]))[0]

    env = airflow_env(workplace(dag_root, users_file=users_file(dag_root)), tmp_path / "airflow")
    run, request = run_dag(
        env,
        day,
        {"inbox": str(tiny_inbox), "as_of": day},
        ("Approve", PM, {"hold": held, "note": "looks right"}),
    )
    assert run.returncode == 0 and "state=success" in run.stdout, run.stdout[-4000:]

    run_dir = dag_root / "runs" / day
    assert show(run_dir).state == State.APPROVED
    last = trail(run_dir)[-1]
    assert (last["user"], last["held"], last["note"]) == (PM, [held], "looks right")
    # The request quotes the review page's own headline figures and says where the page is.
    figures = json.loads((run_dir / "headline.json").read_text())
    assert str(run_dir / "review.html") in request["body"]
    assert f"| Orders | {figures['orders']:,} |" in request["body"]
    assert f"| Notional | ${figures['notional']:,.2f} |" in request["body"]
    assert f"| Exceptions | {figures['exceptions']:,} |" in request["body"]
    assert outputs(dag_root) == outputs(cli_root)
    assert store_results(dag_root) == store_results(cli_root)


@pytest.mark.slow
def test_a_night_the_pm_rejects_in_airflow_ends_rejected_in_the_audit_log(tiny_inbox, tmp_path):
    from pipelines.blotter import show
    from sma.trading import State

    root = tmp_path / "night"
    env = airflow_env(workplace(root, users_file=users_file(root)), tmp_path / "airflow")
    day = AS_OF.isoformat()
    run, request = run_dag(
        env,
        day,
        {"inbox": str(tiny_inbox), "as_of": day},
        ("Reject", PM, {"hold": "", "note": "no"}),
    )
    assert run.returncode == 0 and "state=success" in run.stdout, run.stdout[-4000:]
    run_dir = root / "runs" / day
    assert show(run_dir).state == State.REJECTED
    last = trail(run_dir)[-1]
    assert (last["user"], last["note"]) == (PM, "no")


@pytest.fixture
def webhook():
    """A local HTTP server standing in for the operators' chat webhook: (its URL, what it got)."""
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", posts
    server.shutdown()


@pytest.mark.slow
def test_an_inbox_missing_at_the_cut_off_alerts_the_operator_and_the_night_stops(tmp_path, webhook):
    """Issue 20: "a missing inbox retries for about 5 minutes and then fails with no alert"."""
    url, posts = webhook
    root, inbox = tmp_path / "night", tmp_path / "inbox"
    (inbox / AS_OF.isoformat()).mkdir(parents=True)
    (inbox / AS_OF.isoformat() / "accounts.csv").write_text("account_id\n")
    env = airflow_env(
        workplace(root, users_file=users_file(root)),
        tmp_path / "airflow",
        SMA_AIRFLOW__INBOX_WAIT_MINUTES="0.05",  # 3 s
        SMA_AIRFLOW__INBOX_POLL_SECONDS="1",
        SMA_ALERTS__WEBHOOK_URL=url,
    )
    run, _ = run_dag(env, AS_OF.isoformat(), {"inbox": str(inbox), "as_of": AS_OF.isoformat()})
    assert "state=failed" in run.stdout, run.stdout[-4000:]
    [alert] = posts  # one alert, not one per retry
    assert (alert["kind"], alert["task_id"]) == ("task_failed", "wait_for_inbox")
    assert "was not complete by the cut-off" in alert["text"]
    assert "missing benchmarks, cash, lots, positions, prices, securities." in alert["text"]
    assert not (root / "runs" / AS_OF.isoformat() / "summary.json").exists()
