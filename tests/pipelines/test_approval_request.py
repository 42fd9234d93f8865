"""What the PM reads in Airflow before answering, and what the answer does, in-process: the
request quotes the review page's headline figures and says where the page is; the answer is
recorded in the blotter's audit log (issue 20). ``tests/dags/test_dag_run.py`` runs the same
through Airflow."""

from __future__ import annotations

import json

import pytest

from pipelines.night import apply_pm_answer, approval_request
from tests.dags.airflow_run import PM, users_file
from tests.nightly_env import AS_OF, workplace

pytestmark = pytest.mark.slow  # a whole night


@pytest.fixture(scope="module")
def night(tiny_inbox, tmp_path_factory):
    """A night run in-process with its own settings file; its run folder."""
    from pipelines.night import run_night
    from pipelines.settings import load_settings

    root = tmp_path_factory.mktemp("approval")
    env = workplace(root, users_file=users_file(root))
    with pytest.MonkeyPatch.context() as mp:
        for key in ("SMA_CONFIG", "SMA_AIRFLOW__REVIEW_URL"):
            mp.delenv(key, raising=False)
        mp.setenv("SMA_CONFIG", env["SMA_CONFIG"])
        run_night(AS_OF, tiny_inbox, load_settings(), workers=1, progress=False)
        yield mp, root / "runs" / AS_OF.isoformat()


def test_the_request_quotes_the_review_pages_headline_and_where_the_page_is(night):
    _, run_dir = night
    figures = json.loads((run_dir / "headline.json").read_text())
    body = approval_request(AS_OF.isoformat())
    assert f"Night **{AS_OF.isoformat()}**" in body
    assert f"| Accounts screened | {figures['accounts_screened']:,} |" in body
    st = figures[
        "gains_realized_st"
    ]  # negative tonight: the tiny night harvests more than it sells
    sign = "-" if st < 0 else ""
    assert f"| Gains realized ST (taxable, net) | {sign}${abs(st):,.2f} |" in body
    assert "$-" not in body
    assert f"Review page: {run_dir / 'review.html'}" in body


def test_a_night_of_net_losses_reads_with_the_sign_before_the_dollar_sign(night):
    """Net realized gains are negative on a night that harvests more than it realizes: the request
    says "-$1,234.56", as a statement writes it, never "$-1,234.56"."""
    _, run_dir = night
    path = run_dir / "headline.json"
    kept = path.read_text()
    try:
        path.write_text(json.dumps({**json.loads(kept), "gains_realized_st": -1234.56}))
        body = approval_request(AS_OF.isoformat())
    finally:
        path.write_text(kept)
    assert "| Gains realized ST (taxable, net) | -$1,234.56 |" in body and "$-" not in body


def test_the_request_links_the_page_where_the_runs_are_served(night):
    mp, _ = night
    mp.setenv("SMA_AIRFLOW__REVIEW_URL", "https://sma.example.com/runs/")
    body = approval_request(AS_OF.isoformat())
    assert f"https://sma.example.com/runs/{AS_OF.isoformat()}/review.html" in body


def test_a_reject_in_airflow_ends_the_night_rejected_with_the_default_note(night):
    from pipelines.blotter import show

    _, run_dir = night
    answer = {"chosen_options": ["Reject"], "params_input": {}, "responded_by_user": {"id": PM}}
    assert apply_pm_answer(AS_OF.isoformat(), answer) == "REJECTED"
    last = show(run_dir).trail[-1]
    assert (last["user"], last["note"]) == (PM, "answered in Airflow's approval step")
