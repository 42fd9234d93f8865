"""The steps of a night (PRODUCT.md, "The nightly run"), for ``sma nightly`` and the Airflow DAG.

Each step is idempotent for (date, step, shard): it leaves a marker when done and is skipped when
run again. The DAG-facing functions take plain values (a date string, a shard number) and read
settings themselves, so a task on any worker can call them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.night import _files
from pipelines.night._check import check_step as _check_night
from pipelines.night._decide import decide_step as _decide_night
from pipelines.night._nightly import ingest_night, render_summary, run_night
from pipelines.night._prepare import prepare_step as _prepare_night
from pipelines.night._record import blotter_step as _blotter_night
from pipelines.night._record import record_step as _record_night
from pipelines.night._review import review_step as _review_night
from pipelines.night._run import Night, RunInProgress, continue_or_start
from pipelines.night._workers import WorkerDied
from pipelines.settings import load_settings


def _night(as_of: str, inbox: str | None = None) -> Night:
    """The night in its current attempt (the first task of a date starts one)."""
    settings = load_settings()
    return continue_or_start(Night(date.fromisoformat(as_of), Path(inbox or "."), settings))


def ingest_step(as_of: str, inbox: str) -> dict:
    return ingest_night(_night(as_of, inbox))


def prepare_step(as_of: str) -> list[int]:
    return _prepare_night(_night(as_of))


def decide_step(as_of: str, shard: int) -> None:
    _decide_night(_night(as_of), shard)


def check_step(as_of: str) -> dict:
    return _check_night(_night(as_of))


def blotter_step(as_of: str) -> None:
    _blotter_night(_night(as_of))


def record_step(as_of: str) -> dict:
    return _record_night(_night(as_of))


def review_step(as_of: str) -> str:
    return _review_night(_night(as_of))


def approval_request(as_of: str) -> str:
    """The body of the PM's approval request (Markdown): the review page's headline figures, as the
    review step wrote them beside the page (``headline.json``), where the page is, and how to
    answer (hold accounts, a note)."""
    from pipelines.night._review import HEADLINE_JSON
    from pipelines.orchestration import AirflowSettings, read_section
    from pipelines.reports import REVIEW_PAGE
    from sma.ledger import money

    night = _night(as_of)
    h = _files.read_json(str(night.run_dir / HEADLINE_JSON))
    base = read_section("airflow", AirflowSettings).review_url.rstrip("/")
    page = (
        f"{base}/{night.run_dir.name}/{REVIEW_PAGE}" if base else str(night.run_dir / REVIEW_PAGE)
    )
    usd, run = money, night.run_dir.name
    rows = [
        ("Accounts screened", f"{h['accounts_screened']:,}"),
        ("Accounts traded", f"{h['accounts_traded']:,}"),
        ("Accounts held out", f"{h['accounts_held']:,}"),
        ("Orders", f"{h['orders']:,}"),
        ("Notional", usd(h["notional"])),
        ("Losses harvested", usd(h["losses_harvested"])),
        ("Gains realized ST (taxable, net)", usd(h["gains_realized_st"])),
        ("Gains realized LT (taxable, net)", usd(h["gains_realized_lt"])),
        ("Est. tax cost", usd(h["est_tax_cost"])),
        ("Est. tax saved", usd(h["est_tax_saved"])),
        ("Exceptions", f"{h['exceptions']:,}"),
    ]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return (
        f"Night **{h['as_of']}** (run {h['run_id']}).\n\n| Figure | Tonight |\n|---|---:|\n"
        f"{table}\n\nReview page: {page} (or `sma review --run {run}`; the blotter: "
        f"`sma blotter show --run {run}`).\n\nApprove or Reject. To approve all but some "
        "accounts, list them in *hold* (`A1, A2`); they are held out of tonight's blotter. "
        "A *note* is kept in the blotter's audit log."
    )


def apply_pm_answer(as_of: str, answer: dict) -> str:
    """Record the PM's answer from Airflow's approval step in the blotter's own ledger.

    ``answer`` is the approval task's result: ``chosen_options`` and ``responded_by_user``.
    The blotter ledger is the authority: a responder who is not a PM there is refused. The worker's
    login (the night's service account) relays and signs the answer
    (``pipelines.blotter._airflow``).
    """
    from pipelines.blotter import apply_approval_answer, load_users
    from pipelines.identity import os_login, signer_if_any

    night = _night(as_of)
    users = load_users(night.settings.blotter.users_file)
    attester = os_login()
    answer = {
        **answer,
        "params_input": {
            "note": "answered in Airflow's approval step",
            **(answer.get("params_input") or {}),
        },
    }
    record = apply_approval_answer(
        night.run_dir,
        answer,
        users,
        attester=attester,
        signer=signer_if_any(night.settings.blotter.keys_dir, attester),
        store=night.settings.store.path,
    )
    return record["state"]


__all__ = [
    "Night",
    "apply_pm_answer",
    "approval_request",
    "RunInProgress",
    "WorkerDied",
    "blotter_step",
    "check_step",
    "decide_step",
    "ingest_step",
    "prepare_step",
    "record_step",
    "review_step",
    "render_summary",
    "run_night",
]
